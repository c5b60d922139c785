import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;

/** The `tickstream` command as users run it: benchmarks measure the real processes. */
export const cli = fileURLToPath(new URL('../../cli/bin/tickstream.js', import.meta.url));

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface BrokerProcess {
  bootstrap: string;
  pid: number;
  close(): Promise<void>;
}

/**
 * `tickstream broker` in a process of its own, so its CPU is its own; resolves once it listens.
 * `onLog` gets each line it writes (its log: JSON lines on stdout).
 */
export async function startBrokerProcess(
  dataDir: string,
  extraArgs: readonly string[] = [],
  onLog?: (line: string) => void,
): Promise<BrokerProcess> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [cli, 'broker', '--port', String(port), '--data-dir', dataDir, ...extraArgs],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    let partial = '';
    const read = (text: string): void => {
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line.includes('broker listening')) resolve();
        onLog?.(line);
      }
    };
    child.stdout?.setEncoding('utf8').on('data', read);
    child.stderr?.setEncoding('utf8').on('data', read);
    child.once('exit', (code) => reject(new Error(`broker exited with ${code}`)));
  });
  return {
    bootstrap: `127.0.0.1:${port}`,
    pid: child.pid ?? 0,
    close: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/** Sum of a topic's end offsets: what was really stored, whatever a client says it sent. */
export async function endOffsetTotal(bootstrap: string, topic: string): Promise<number> {
  const admin = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

/**
 * CPU seconds used so far in user and kernel mode, from /proc/<which>/stat: a live process (its
 * pid), this thread ('thread-self') or one thread of a process (`<pid>/task/<tid>`); NaN once it is gone.
 */
export function cpuTimes(which: number | 'thread-self' | `${number}/task/${string}`): { user: number; system: number } {
  try {
    const fields = readFileSync(`/proc/${which}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return { user: Number(fields[11]) / CLOCK_TICKS, system: Number(fields[12]) / CLOCK_TICKS };
  } catch {
    return { user: Number.NaN, system: Number.NaN };
  }
}

/** CPU seconds (user + system) used so far by a live process; NaN once it is gone. */
export function cpuSeconds(pid: number): number {
  const { user, system } = cpuTimes(pid);
  return user + system;
}

/** Resident set size of a live process in MB (MiB), from /proc; 0 once it is gone. */
export function rssMb(pid: number): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/);
    return Number(line?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

const OUTPUT_TAIL_BYTES = 4000;
const outputFiles = new WeakMap<ChildProcess, string>();
let outputDir: string | null = null;

/** One folder for every child's output, removed when this process exits. */
function childOutputDir(): string {
  if (outputDir === null) {
    const dir = mkdtempSync(join(tmpdir(), 'tickstream-bench-output-'));
    outputDir = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return outputDir;
}

let spawned = 0;

/**
 * `tickstream ARGS` (with `nodeArgs` for node itself, e.g. --cpu-prof) in a process of its own;
 * `script` is another build's CLI when a bench compares two.
 * Its stdout and stderr go to a file, not a pipe: the tiers log synchronously (pino), which sleeps
 * 100 ms on every EAGAIN of a full pipe, and a busy benchmark drains a pipe late. Measured: with
 * one line per order, the edge slept 24 % of an `orders.js --fills` run while autocannon's 1,000
 * connections kept this process busy. The last 4 KB are read back for error messages (`recentOutput`).
 */
export function spawnCli(args: string[], nodeArgs: string[] = [], script: string = cli): ChildProcess {
  const path = join(childOutputDir(), `child-${++spawned}.log`);
  const fd = openSync(path, 'a');
  try {
    const child = spawn(process.execPath, [...nodeArgs, script, ...args], { stdio: ['ignore', fd, fd] });
    outputFiles.set(child, path);
    return child;
  } finally {
    closeSync(fd);
  }
}

/** The last 4 KB a process started by `spawnCli` wrote. */
export function recentOutput(child: ChildProcess): string {
  const path = outputFiles.get(child);
  if (path === undefined) return '';
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const tail = Buffer.alloc(Math.min(size, OUTPUT_TAIL_BYTES));
    readSync(fd, tail, 0, tail.length, size - tail.length);
    return tail.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Stops a child and waits for it; one that ignores the signal for 10 s is killed: a bench never leaves one behind. */
export function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Resolves once the edge on `port` answers /health 200 with at least `minSymbols` symbols. Throws
 * after `timeoutMs`, or at once if `child` (the edge's process) exits, with what it last wrote.
 */
export async function waitForEdge(
  port: number,
  options: { minSymbols?: number; timeoutMs?: number; child?: ChildProcess } = {},
): Promise<void> {
  const { minSymbols = 0, timeoutMs = 60_000, child } = options;
  const output = (): string => (child ? `: ${recentOutput(child).trim()}` : '');
  for (const started = Date.now(); ; await sleep(200)) {
    if (child && child.exitCode !== null) throw new Error(`the edge exited with ${child.exitCode}${output()}`);
    const health = await fetch(`http://127.0.0.1:${port}/health`).catch(() => null);
    if (health?.status === 200 && ((await health.json()) as { symbols: number }).symbols >= minSymbols) return;
    if (Date.now() - started > timeoutMs) {
      const what = minSymbols > 0 ? `serving ${minSymbols} symbols` : 'healthy';
      throw new Error(`edge on port ${port} not ${what} after ${Math.round(timeoutMs / 1000)} s${output()}`);
    }
  }
}

/** An edge a benchmark started: its process and where it listens. */
export interface EdgeProcess {
  child: ChildProcess;
  port: number;
  /** `http://127.0.0.1:<port>` */
  base: string;
}

/**
 * `tickstream edge` for a benchmark on a free local port, reading `bootstrap`; resolves once it
 * serves `minSymbols` symbols. `history` is `--history` (the CLI's default when not given),
 * `args` any other flags, `nodeArgs` Node's own (a profiler). An edge that does not come up is
 * stopped before the error is thrown, so a caller only owns an edge that started.
 */
export async function startEdgeProcess(
  bootstrap: string,
  options: { history?: string; minSymbols?: number; args?: readonly string[]; nodeArgs?: string[] } = {},
): Promise<EdgeProcess> {
  const port = await freePort();
  const history = options.history === undefined ? [] : ['--history', options.history];
  const child = spawnCli(
    [
      'edge',
      '--brokers',
      bootstrap,
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      ...history,
      ...(options.args ?? []),
    ],
    options.nodeArgs,
  );
  try {
    await waitForEdge(port, { minSymbols: options.minSymbols ?? 0, child });
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return { child, port, base: `http://127.0.0.1:${port}` };
}

/**
 * `tickstream producer` for a benchmark: `symbols` symbols at `rate` ticks/s into `bootstrap`,
 * with `workers`, `--clock` and `--scenario` only when given (the CLI's defaults otherwise).
 */
export function spawnProducer(
  bootstrap: string,
  options: { symbols: number; rate: number; workers?: number; clock?: 'real' | 'sim'; scenario?: string },
): ChildProcess {
  const args = ['producer', '--brokers', bootstrap, '--symbol-count', String(options.symbols)];
  args.push('--rate', String(options.rate));
  if (options.workers !== undefined) args.push('--workers', String(options.workers));
  if (options.clock !== undefined) args.push('--clock', options.clock);
  if (options.scenario !== undefined) args.push('--scenario', options.scenario);
  return spawnCli(args);
}
