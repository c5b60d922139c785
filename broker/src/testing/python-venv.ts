import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * confluent-kafka from PyPI, whose wheel bundles a librdkafka new enough for the KIP-848
 * consumer protocol (Debian's python3-confluent-kafka has librdkafka 2.0.2, which is not).
 * It lives in a venv under the tickstream cache, made once with Debian's python3 -m venv
 * (package python3-venv) and pip; made in a scratch folder and renamed into place, so an
 * interrupted install is never taken for a finished one.
 */
export const CONFLUENT_KAFKA_VERSION = '2.16.1';

export async function confluentKafkaPython(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const root = env.TICKSTREAM_CACHE ?? join(homedir(), '.cache', 'tickstream');
  const venv = join(root, `python-confluent-kafka-${CONFLUENT_KAFKA_VERSION}`);
  const python = join(venv, 'bin', 'python');
  if (existsSync(python)) return python;
  const scratch = `${venv}.partial-${process.pid}`;
  await rm(scratch, { recursive: true, force: true });
  try {
    await run('/usr/bin/python3', ['-m', 'venv', scratch]);
    await run(join(scratch, 'bin', 'pip'), ['install', '--quiet', `confluent-kafka==${CONFLUENT_KAFKA_VERSION}`]);
  } catch (error) {
    await rm(scratch, { recursive: true, force: true });
    throw new Error(
      `could not make a venv with confluent-kafka ${CONFLUENT_KAFKA_VERSION} in ${venv} ` +
        `(needs Debian's python3-venv and PyPI): ${(error as Error).message}`,
    );
  }
  // A venv's scripts name their own path, so the interpreter is used directly, never bin/pip, after the rename.
  await rename(scratch, venv).catch(async () => rm(scratch, { recursive: true, force: true }));
  return python;
}
