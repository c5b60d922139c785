import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeMavenFailure, findMaven } from '@tickstream/broker';
import { AnalyticsError } from './errors.js';
import { MavenProgress } from './maven-progress.js';

/** The job's Maven module; the same relative path from src/ and dist/. */
export const ANALYTICS_POM = fileURLToPath(new URL('../pom.xml', import.meta.url));
const SOURCES = fileURLToPath(new URL('../src/main', import.meta.url));

export const DEFAULT_FLINK_VERSION = '2.3.0';
const MARKER = 'built.json';
const JAR = 'tickstream-analytics.jar';

/** A runnable job: its jar and the folder of every jar on its runtime classpath. */
export interface AnalyticsJobFiles {
  jar: string;
  libs: string;
  /** Whether this call ran Maven (false: everything came from the cache, offline). */
  built: boolean;
}

export interface BuildJobOptions {
  flinkVersion: string;
  /** Overrides `$TICKSTREAM_CACHE` and `~/.cache/tickstream`. */
  cacheRoot?: string | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  log?: ((line: string) => void) | undefined;
}

interface BuiltMarker {
  flinkVersion: string;
  jars: string[];
}

/**
 * The cache folder of one build: the Flink version and a hash of the pom and every source file,
 * so an edited job is rebuilt and an unchanged one never is.
 */
export function jobCacheDir(flinkVersion: string, cacheRoot?: string, env: NodeJS.ProcessEnv = process.env): string {
  const root = cacheRoot ?? env.TICKSTREAM_CACHE ?? join(homedir(), '.cache', 'tickstream');
  return join(root, `analytics-${flinkVersion}-${sourceHash()}`);
}

function sourceHash(): string {
  const hash = createHash('sha256').update(readFileSync(ANALYTICS_POM));
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else hash.update(relative(SOURCES, path)).update(readFileSync(path));
    }
  };
  walk(SOURCES);
  return hash.digest('hex').slice(0, 12);
}

function cachedJob(dir: string): AnalyticsJobFiles | undefined {
  try {
    const marker = JSON.parse(readFileSync(join(dir, MARKER), 'utf8')) as BuiltMarker;
    const libs = join(dir, 'libs');
    if (
      existsSync(join(dir, JAR)) &&
      marker.jars.length > 0 &&
      marker.jars.every((jar) => existsSync(join(libs, jar)))
    ) {
      return { jar: join(dir, JAR), libs, built: false };
    }
  } catch {
    // No marker, or an unreadable one: build again.
  }
  return undefined;
}

/**
 * Returns the job jar and its runtime classpath, building them with Maven only when the cache
 * has no build of these sources for this Flink version: the first start resolves ~100 MB of
 * jars from Maven Central (a progress line every 2 s), later starts run offline. Maven works in
 * a scratch folder that is renamed into place, so an interrupted build never looks complete.
 */
export async function buildAnalyticsJob(options: BuildJobOptions): Promise<AnalyticsJobFiles> {
  const { flinkVersion } = options;
  if (!/^\d+\.\d+\.\d+[0-9A-Za-z.-]*$/.test(flinkVersion)) {
    throw new AnalyticsError(
      `Invalid Flink version "${flinkVersion}": expected something like ${DEFAULT_FLINK_VERSION}.`,
    );
  }
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const dir = jobCacheDir(flinkVersion, options.cacheRoot, env);
  const cached = cachedJob(dir);
  if (cached) return cached;

  const mvn = findMaven(env, "The analytics job's jars (Apache Flink)");
  const scratch = `${dir}.partial-${process.pid}`;
  await rm(scratch, { recursive: true, force: true });
  await mkdir(scratch, { recursive: true });
  log(
    `building the analytics job for Flink ${flinkVersion} into ${dir} (the first time resolves ~100 MB from Maven Central) …`,
  );
  const started = Date.now();
  try {
    const progress = await runMaven(mvn, env, log, [
      '-B',
      '-f',
      ANALYTICS_POM,
      'package',
      'dependency:copy-dependencies',
      '-Druntime-only',
      '-Dmaven.test.skip=true',
      `-Dflink.version=${flinkVersion}`,
      `-Danalytics.build.directory=${join(scratch, 'build')}`,
      `-DoutputDirectory=${join(scratch, 'libs')}`,
      '-DincludeScope=runtime',
    ]);
    await rename(join(scratch, 'build', JAR), join(scratch, JAR));
    await rm(join(scratch, 'build'), { recursive: true, force: true });
    const jars = (await readdir(join(scratch, 'libs'))).filter((name) => name.endsWith('.jar')).sort();
    if (jars.length === 0)
      throw new AnalyticsError(`Maven built the analytics job but copied no jars into ${scratch}.`);
    const marker: BuiltMarker = { flinkVersion, jars };
    await writeFile(join(scratch, MARKER), `${JSON.stringify(marker, null, 2)}\n`);
    // Another process (a parallel test) may have finished first: keep its complete copy, and never
    // remove it, since a JVM may already run from it and loads its jars lazily. A rename onto a
    // folder that exists fails, so of two builds finishing together exactly one moves into place.
    const finishedMeanwhile = cachedJob(dir);
    if (finishedMeanwhile) return { ...finishedMeanwhile, built: true };
    try {
      await rename(scratch, dir);
    } catch (error) {
      const other = cachedJob(dir);
      if (other) return { ...other, built: true };
      // An incomplete folder no build leaves (renames are atomic), e.g. emptied by hand: replace it.
      await rm(dir, { recursive: true, force: true });
      await rename(scratch, dir).catch(() => {
        throw error;
      });
    }
    await removeOlderBuilds(dir, flinkVersion);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    log(
      `analytics job built in ${seconds} s: ${jars.length} jars on its classpath (downloaded ${progress.describe()})`,
    );
    return { jar: join(dir, JAR), libs: join(dir, 'libs'), built: true };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * Every edit of the job is a new 100 MB folder; keep only the newest build of this Flink version.
 * A job still running from an older folder keeps working: it opened its jars at start (the class
 * path is searched jar by jar), and Linux keeps a deleted file's data while it is open.
 */
export async function removeOlderBuilds(dir: string, flinkVersion: string): Promise<void> {
  const root = dirname(dir);
  const prefix = `analytics-${flinkVersion}-`;
  for (const name of await readdir(root)) {
    const other = join(root, name);
    if (other !== dir && name.startsWith(prefix) && !name.includes('.partial-')) {
      await rm(other, { recursive: true, force: true });
    }
  }
}

function runMaven(
  mvn: string,
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
  args: string[],
): Promise<MavenProgress> {
  return new Promise((resolve, reject) => {
    const child = spawn(mvn, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const progress = new MavenProgress();
    let output = '';
    let partial = '';
    let lastLine = 0;
    const keep = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      output = (output + text).slice(-64 * 1024);
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      let changed = false;
      for (const line of lines) changed = progress.read(line) || changed;
      if (changed && Date.now() - lastLine >= 2000) {
        lastLine = Date.now();
        log(`resolving Apache Flink from Maven Central: ${progress.describe()}`);
      }
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (error) => reject(new AnalyticsError(`Could not run ${mvn}: ${error.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve(progress);
      else reject(new AnalyticsError(describeBuildFailure(output, code, signal)));
    });
  });
}

/** A compile error names its file and line; anything else is about resolving jars. */
function describeBuildFailure(output: string, code: number | null, signal: NodeJS.Signals | null): string {
  const compile = /\[ERROR\] (\/\S+\.java:\[\d+,\d+\] [^\n]*)/.exec(output);
  if (compile?.[1]) return `The analytics job does not compile: ${compile[1]}`;
  return describeMavenFailure(output, code, signal, {
    what: "the analytics job's jars (Apache Flink)",
    version: 'the Flink version (--flink-version)',
  });
}
