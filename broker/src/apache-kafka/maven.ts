import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApacheKafkaError } from './errors.js';
import { findMaven } from './prerequisites.js';

/** The pom that lists the broker's and tools' artifacts; the same relative path from src/ and dist/. */
export const KAFKA_POM = fileURLToPath(new URL('../../apache-kafka/pom.xml', import.meta.url));

const MARKER = 'resolved.json';

interface ResolvedMarker {
  kafkaVersion: string;
  jars: string[];
}

export interface ResolveKafkaOptions {
  kafkaVersion: string;
  /** Overrides `$TICKSTREAM_CACHE` and `~/.cache/tickstream`. */
  cacheRoot?: string | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  log?: ((line: string) => void) | undefined;
}

/** Where one Kafka version's jars live: `<cache root>/kafka-<version>/libs`. */
export function kafkaVersionDir(
  kafkaVersion: string,
  cacheRoot?: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const root = cacheRoot ?? env.TICKSTREAM_CACHE ?? join(homedir(), '.cache', 'tickstream');
  return join(root, `kafka-${kafkaVersion}`);
}

/** The libs folder if a previous resolution finished and every jar it listed is still there. */
export function cachedKafkaLibs(versionDir: string): string | undefined {
  const libs = join(versionDir, 'libs');
  try {
    const marker = JSON.parse(readFileSync(join(versionDir, MARKER), 'utf8')) as ResolvedMarker;
    if (marker.jars.length > 0 && marker.jars.every((jar) => existsSync(join(libs, jar)))) return libs;
  } catch {
    // No marker, or an unreadable one: resolve again.
  }
  return undefined;
}

/**
 * Returns a folder holding every jar Apache Kafka `kafkaVersion` needs, running
 * `mvn dependency:copy-dependencies` only when the cache is not complete. Maven reuses ~/.m2
 * when it is there. Jars are copied into a scratch folder and renamed into place, so a failed
 * or interrupted resolution never leaves a half-filled libs folder behind.
 */
export async function resolveKafkaJars(options: ResolveKafkaOptions): Promise<string> {
  const { kafkaVersion } = options;
  if (!/^[0-9A-Za-z][0-9A-Za-z.-]*$/.test(kafkaVersion)) {
    throw new ApacheKafkaError(`Invalid Kafka version "${kafkaVersion}": expected something like 4.4.0.`);
  }
  const env = options.env ?? process.env;
  const versionDir = kafkaVersionDir(kafkaVersion, options.cacheRoot, env);
  const cached = cachedKafkaLibs(versionDir);
  if (cached) return cached;

  const mvn = findMaven(env);
  const scratch = join(versionDir, `libs.partial-${process.pid}`);
  const libs = join(versionDir, 'libs');
  await mkdir(versionDir, { recursive: true });
  await rm(scratch, { recursive: true, force: true });
  options.log?.(`Resolving Apache Kafka ${kafkaVersion} from Maven Central into ${libs} …`);
  try {
    await runMaven(mvn, env, [
      '-B',
      '-q',
      // Re-check artifacts missing last time: Maven otherwise caches a failure (a typo, a network blip) for a day.
      '-U',
      '-f',
      KAFKA_POM,
      'dependency:copy-dependencies',
      `-Dkafka.version=${kafkaVersion}`,
      `-DoutputDirectory=${scratch}`,
      '-DincludeScope=runtime',
    ]);
    const jars = (await readdir(scratch)).filter((name) => name.endsWith('.jar')).sort();
    if (jars.length === 0)
      throw new ApacheKafkaError(`Maven resolved Apache Kafka ${kafkaVersion} but copied no jars.`);
    // Another process (a parallel test worker) may have finished first: keep its complete copy.
    const finishedMeanwhile = cachedKafkaLibs(versionDir);
    if (finishedMeanwhile) return finishedMeanwhile;
    await rm(libs, { recursive: true, force: true });
    await rename(scratch, libs);
    const marker: ResolvedMarker = { kafkaVersion, jars };
    await writeFile(join(versionDir, MARKER), `${JSON.stringify(marker, null, 2)}\n`);
    return libs;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function runMaven(mvn: string, env: NodeJS.ProcessEnv, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(mvn, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-64 * 1024);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (error) => reject(new ApacheKafkaError(`Could not run ${mvn}: ${error.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new ApacheKafkaError(describeMavenFailure(output, code, signal)));
    });
  });
}

/**
 * Reduces Maven's error block to the sentence that names the artifact it could not get.
 * `subject` names what was being resolved and which version flag to check.
 */
export function describeMavenFailure(
  output: string,
  code: number | null,
  signal: NodeJS.Signals | null,
  subject = { what: "Apache Kafka's jars", version: 'the Kafka version' },
): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes.
  const plain = output.replace(/\u001b\[[0-9;]*m/g, '');
  const exit = signal ? `killed by ${signal}` : `exit status ${code}`;
  const artifact =
    /Could not find artifact (\S+)/.exec(plain) ??
    /Could not transfer artifact (\S+)/.exec(plain) ??
    /Failure to find (\S+)/.exec(plain) ??
    /artifacts could not be resolved: ([^\s,]+?)[,:]?\s/.exec(plain) ??
    /(\S+) was not found in/.exec(plain);
  if (artifact?.[1]) {
    const reason = /Could not transfer artifact \S+ from\/to [^:]+: ([^\n]*)/.exec(plain)?.[1];
    return (
      `Maven could not resolve ${artifact[1]} from Maven Central` +
      `${reason ? ` (${reason.trim()})` : ''}; check ${subject.version} and your network (mvn ${exit}).`
    );
  }
  const firstError = plain
    .split('\n')
    .map((line) => line.trim())
    .find((line) => line.startsWith('[ERROR]') && line.length > '[ERROR] '.length);
  return `Maven failed to resolve ${subject.what} (mvn ${exit}): ${firstError ?? plain.trim().slice(-500)}`;
}
