import { execFile } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { MissingPrerequisiteError } from './errors.js';

const run = promisify(execFile);

/** Kafka 4.x brokers and tools are compiled for Java 17. */
export const MINIMUM_JAVA_MAJOR = 17;

const INSTALL_JAVA =
  'install Java 17 or newer (Debian/Ubuntu: apt-get install openjdk-17-jre-headless) or set JAVA_HOME';
const INSTALL_MAVEN = 'install Maven (Debian/Ubuntu: apt-get install maven)';

/** The absolute path of `name` on `env.PATH`, or undefined. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** `java -version` prints e.g. `openjdk version "17.0.15" 2025-04-15` or, before Java 9, `"1.8.0_392"`. */
export function parseJavaMajor(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!match?.[1]) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] ? Number(match[2]) : first;
}

/**
 * The java executable (JAVA_HOME first, as Kafka's own scripts do), checked to be Java 17+.
 * `user` names what needs it in the error ("Apache Kafka", "the analytics job").
 */
export async function findJava(env: NodeJS.ProcessEnv = process.env, user = 'Apache Kafka'): Promise<string> {
  const fromHome = env.JAVA_HOME ? join(env.JAVA_HOME, 'bin', 'java') : undefined;
  const java = fromHome && isExecutableFile(fromHome) ? fromHome : findOnPath('java', env);
  if (!java)
    throw new MissingPrerequisiteError('java', `${user} needs Java, and none was found on PATH: ${INSTALL_JAVA}.`);
  let output: string;
  try {
    const { stdout, stderr } = await run(java, ['-version'], { env, timeout: 30_000 });
    output = stderr + stdout;
  } catch (error) {
    throw new MissingPrerequisiteError(
      'java',
      `${java} -version failed (${(error as Error).message}): ${INSTALL_JAVA}.`,
    );
  }
  const major = parseJavaMajor(output);
  if (major === undefined || major < MINIMUM_JAVA_MAJOR) {
    const found = major === undefined ? 'an unknown version' : `Java ${major}`;
    throw new MissingPrerequisiteError(
      'java',
      `${user === 'Apache Kafka' ? 'Apache Kafka 4' : user} needs Java 17+, but ${java} is ${found}: ${INSTALL_JAVA}.`,
    );
  }
  return java;
}

/** The mvn executable; needed only while the jars (`what`) are not yet in the cache. */
export function findMaven(env: NodeJS.ProcessEnv = process.env, what = "Apache Kafka's jars"): string {
  const mvn = findOnPath('mvn', env);
  if (!mvn) {
    throw new MissingPrerequisiteError(
      'mvn',
      `${what} come from Maven Central through Maven, and mvn was not found on PATH: ${INSTALL_MAVEN}.`,
    );
  }
  return mvn;
}
