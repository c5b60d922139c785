import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_KAFKA_VERSION, startApacheKafka } from './apache-kafka.js';
import { ApacheKafkaError, MissingPrerequisiteError } from './errors.js';
import { kafkaVersionDir, resolveKafkaJars } from './maven.js';
import { findJava, findOnPath, parseJavaMajor } from './prerequisites.js';

const enabled = process.env.KAFKA_BACKEND === 'apache' || process.env.TICKSTREAM_APACHE_KAFKA_TESTS === '1';
if (!enabled) {
  console.log(
    'Maven and port start-up tests skipped: set KAFKA_BACKEND=apache or TICKSTREAM_APACHE_KAFKA_TESTS=1 to run them.',
  );
}
const scratch: string[] = [];
const tempDir = async (prefix: string): Promise<string> => {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
};
afterEach(async () => {
  await Promise.all(scratch.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** An environment whose PATH holds only the given real programs, linked into a temp folder. */
async function pathWithOnly(programs: string[]): Promise<NodeJS.ProcessEnv> {
  const bin = await tempDir('tickstream-path-');
  for (const program of programs) {
    const real = findOnPath(program, process.env);
    if (!real) throw new Error(`${program} is needed on PATH for this test`);
    await symlink(real, join(bin, program));
  }
  const { JAVA_HOME: _ignored, ...rest } = process.env;
  return { ...rest, PATH: bin };
}

describe('prerequisites', () => {
  it('reads the Java major version from both version schemes', () => {
    expect(parseJavaMajor('openjdk version "17.0.15" 2025-04-15')).toBe(17);
    expect(parseJavaMajor('java version "1.8.0_392"')).toBe(8);
    expect(parseJavaMajor('something else')).toBeUndefined();
  });

  it('finds the installed Java 17+', async () => {
    expect(await findJava(process.env)).toMatch(/java$/);
  });

  it('without java: a MissingPrerequisiteError with exit code 2 that says what to install', async () => {
    const env = await pathWithOnly([]);
    const attempt = startApacheKafka({ env, dataDir: await tempDir('tickstream-nojava-') });
    await expect(attempt).rejects.toBeInstanceOf(MissingPrerequisiteError);
    await expect(attempt).rejects.toMatchObject({ program: 'java', exitCode: 2 });
    await expect(attempt).rejects.toThrow(/install Java 17 or newer/);
  });

  it('without mvn and an empty jar cache: a MissingPrerequisiteError with exit code 2 naming Maven', async () => {
    const env = await pathWithOnly(['java']);
    const attempt = startApacheKafka({
      env,
      cacheRoot: await tempDir('tickstream-cache-'),
      dataDir: await tempDir('tickstream-nomvn-'),
    });
    await expect(attempt).rejects.toMatchObject({ name: 'MissingPrerequisiteError', program: 'mvn', exitCode: 2 });
    await expect(attempt).rejects.toThrow(/apt-get install maven/);
  });
});

describe.skipIf(!enabled)('start-up failures that need Maven or the jars', () => {
  let holder: Server | undefined;
  afterEach(() => {
    holder?.close();
    holder = undefined;
  });

  it('names the artifact Maven could not resolve and leaves no half-filled cache', async () => {
    const cacheRoot = await tempDir('tickstream-cache-');
    const attempt = resolveKafkaJars({ kafkaVersion: '0.0.1', cacheRoot });
    await expect(attempt).rejects.toBeInstanceOf(ApacheKafkaError);
    await expect(attempt).rejects.toThrow(/Maven could not resolve org\.apache\.kafka:kafka_2\.13:jar:0\.0\.1/);
    const versionDir = kafkaVersionDir('0.0.1', cacheRoot);
    expect(existsSync(join(versionDir, 'libs'))).toBe(false);
    expect(await readdir(versionDir)).toEqual([]);
  }, 120_000);

  it('needs no mvn once the jar cache is complete', async () => {
    const libs = await resolveKafkaJars({ kafkaVersion: DEFAULT_KAFKA_VERSION });
    const withoutMaven = await pathWithOnly(['java']);
    expect(await resolveKafkaJars({ kafkaVersion: DEFAULT_KAFKA_VERSION, env: withoutMaven })).toBe(libs);
  }, 120_000);

  it('says which port is taken and how to fix it, before touching the data dir', async () => {
    const server = createServer();
    holder = server;
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const dataDir = join(await tempDir('tickstream-port-'), 'kafka');
    await mkdir(dataDir);
    const attempt = startApacheKafka({ nodes: 1, port, dataDir });
    await expect(attempt).rejects.toThrow(
      `Port ${port} on 127.0.0.1, wanted for the broker listener of node 1, is already in use: stop what listens there`,
    );
    expect(await readdir(dataDir)).toEqual([]);
  }, 120_000);
});
