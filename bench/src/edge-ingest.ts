import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  cli,
  cpuSeconds,
  endOffsetTotal,
  freePort,
  spawnProducer,
  startBrokerProcess,
  stopChild,
  waitForEdge,
} from './processes.js';
import { interleavedRuns, median } from './stats.js';

/**
 * Edge ingest benchmark: how fast one edge reads ticks from Kafka into its state and candles,
 * alone on the machine. The topic is filled first (the producer at --rate max, then stopped);
 * then an edge starts with --history covering all of it, and the time and CPU until it says
 * "history loaded" give ticks per second and CPU per tick. Nothing else runs meanwhile, so
 * this is the edge's Kafka path (fetch, decompress, decode, state, 7 candle timeframes) by
 * itself. `--edge` takes other builds' `cli/bin/tickstream.js` to compare them in one run.
 */
export interface EdgeIngestResult {
  runs: number;
  ticks: number;
  symbols: number;
  variants: { edge: string; ticksPerSecond: number; cpuMicrosPerTick: number; perRun: number[] }[];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Fills the topic `ticks` with the producer at --rate max for `seconds`; returns the ticks stored. */
export async function fillTopic(bootstrap: string, seconds: number, symbols: number): Promise<number> {
  const args = [cli, 'producer', '--brokers', bootstrap, '--rate', 'max', '--workers', '2'];
  args.push('--symbol-count', String(symbols), '--duration', `${seconds}s`, '--clock', 'real');
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-2000);
  };
  // Its log is on stdout (JSON lines), a usage error on stderr: both read, so neither pipe fills.
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`producer exited with ${code}: ${output}`);
  return endOffsetTotal(bootstrap, 'ticks');
}

/**
 * One edge loading the whole topic as history: wall seconds and CPU seconds until it is ready,
 * and both at its "listening on" line (`startupSeconds`, `startupCpu`), which it prints as its
 * Kafka consumer starts: what process start-up (Node, modules, connections) took of the totals.
 */
export async function loadOnce(
  edgeCli: string,
  bootstrap: string,
): Promise<{ seconds: number; cpu: number; ticks: number; startupSeconds: number; startupCpu: number }> {
  const args = [edgeCli, 'edge', '--port', '0', '--host', '127.0.0.1', '--brokers', bootstrap, '--history', '1d'];
  const started = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let startupSeconds = Number.NaN;
  let startupCpu = Number.NaN;
  try {
    for (;;) {
      if (Number.isNaN(startupCpu) && output.includes('listening on')) {
        startupCpu = cpuSeconds(child.pid ?? 0);
        startupSeconds = (performance.now() - started) / 1000;
      }
      const loaded = /history loaded: \d+ symbols, ([\d,]+) ticks/.exec(output);
      if (loaded) {
        const cpu = cpuSeconds(child.pid ?? 0);
        const ticks = Number(loaded[1]?.replaceAll(',', ''));
        return { seconds: (performance.now() - started) / 1000, cpu, ticks, startupSeconds, startupCpu };
      }
      if (child.exitCode !== null) throw new Error(`edge exited with ${child.exitCode}: ${output}`);
      if (performance.now() - started > 300_000) throw new Error(`edge did not load its history in 300 s: ${output}`);
      await sleep(5);
    }
  } finally {
    child.kill('SIGKILL');
    await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(null)));
  }
}

export async function runEdgeIngestBench(options: {
  runs: number;
  seconds: number;
  symbols: number;
  edges: string[];
  log?: (line: string) => void;
}): Promise<EdgeIngestResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const dataDir = mkdtempSync(join(tmpdir(), 'tickstream-ingest-bench-'));
  const broker = await startBrokerProcess(dataDir);
  try {
    const ticks = await fillTopic(broker.bootstrap, options.seconds, options.symbols);
    log(`topic filled: ${ticks.toLocaleString('en-US')} ticks of ${options.symbols} symbols`);
    const perRun = await interleavedRuns(options.runs, options.edges, async (edge, run) => {
      const result = await loadOnce(edge, broker.bootstrap);
      if (result.ticks !== ticks) throw new Error(`${edge} loaded ${result.ticks} ticks of ${ticks}`);
      log(
        `run ${run + 1}/${options.runs} ${edge}: ${Math.round(ticks / result.seconds).toLocaleString('en-US')} ticks/s, ${((result.cpu / ticks) * 1e6).toFixed(2)} µs CPU per tick`,
      );
      return result;
    });
    return {
      runs: options.runs,
      ticks,
      symbols: options.symbols,
      variants: options.edges.map((edge, index) => {
        const runs = perRun[index] ?? [];
        return {
          edge,
          ticksPerSecond: median(runs.map((r) => ticks / r.seconds)),
          cpuMicrosPerTick: median(runs.map((r) => (r.cpu / ticks) * 1e6)),
          perRun: runs.map((r) => ticks / r.seconds),
        };
      }),
    };
  } finally {
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export interface EdgeFollowResult {
  runs: number;
  rate: number;
  symbols: number;
  seconds: number;
  warmupSeconds: number;
  variants: { edge: string; cores: number; cpuMicrosPerTick: number; perRun: number[] }[];
}

/** Ticks the edge on `port` has applied, from its /metrics. */
async function ticksConsumed(port: number): Promise<number> {
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(/^tickstream_edge_ticks_consumed_total (\d+)/m.exec(metrics)?.[1] ?? Number.NaN);
}

/** One edge following the topic live, no clients: the cores it uses over `seconds`. */
async function followOnce(
  edgeCli: string,
  bootstrap: string,
  seconds: number,
  warmupSeconds: number,
): Promise<{ cores: number; ticks: number }> {
  const port = await freePort();
  const args = [
    edgeCli,
    'edge',
    '--port',
    String(port),
    '--host',
    '127.0.0.1',
    '--brokers',
    bootstrap,
    '--history',
    '0',
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'ignore'] });
  try {
    await waitForEdge(port, { minSymbols: 1, child });
    // Past start-up: module loading, precompressing the dashboard, the first bars of every symbol and
    // timeframe, and V8's memory reducer, whose full collections come in the first ~30 s of a new edge.
    await sleep(warmupSeconds * 1000);
    const cpu = cpuSeconds(child.pid ?? 0);
    const ticks = await ticksConsumed(port);
    await sleep(seconds * 1000);
    return { cores: (cpuSeconds(child.pid ?? 0) - cpu) / seconds, ticks: (await ticksConsumed(port)) - ticks };
  } finally {
    await stopChild(child);
  }
}

/**
 * Edge ingest at a steady rate: the producer writes `rate` ticks/s (real clock) and each edge
 * variant in turn follows the topic live with no clients, so its CPU is what reading Kafka and
 * keeping the state costs at that rate, fixed per-Fetch overhead included (which the bulk
 * load above amortises away). `--follow RATE` on the command line.
 */
export async function runEdgeFollowBench(options: {
  runs: number;
  seconds: number;
  /** Seconds the edge follows before the measurement starts (default 3). */
  warmupSeconds?: number;
  rate: number;
  symbols: number;
  edges: string[];
  log?: (line: string) => void;
}): Promise<EdgeFollowResult> {
  const warmupSeconds = options.warmupSeconds ?? 3;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const dataDir = mkdtempSync(join(tmpdir(), 'tickstream-follow-bench-'));
  const broker = await startBrokerProcess(dataDir);
  const producer = spawnProducer(broker.bootstrap, {
    symbols: options.symbols,
    rate: options.rate,
    workers: 1,
    clock: 'real',
  });
  try {
    const perRun = await interleavedRuns(options.runs, options.edges, async (edge, run) => {
      const { cores, ticks } = await followOnce(edge, broker.bootstrap, options.seconds, warmupSeconds);
      log(
        `run ${run + 1}/${options.runs} ${edge}: ${cores.toFixed(3)} cores at ${Math.round(ticks / options.seconds).toLocaleString('en-US')} ticks/s`,
      );
      return cores;
    });
    return {
      runs: options.runs,
      rate: options.rate,
      symbols: options.symbols,
      seconds: options.seconds,
      warmupSeconds,
      variants: options.edges.map((edge, index) => {
        const cores = median(perRun[index] ?? []);
        return { edge, cores, cpuMicrosPerTick: (cores / options.rate) * 1e6, perRun: perRun[index] ?? [] };
      }),
    };
  } finally {
    await stopChild(producer);
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export function formatEdgeFollowBench(result: EdgeFollowResult): string {
  const lines = [
    `edge following ${result.rate.toLocaleString('en-US')} ticks/s of ${result.symbols} symbols live, no clients, ${result.seconds} s per run after ${result.warmupSeconds} s of following, medians of ${result.runs}`,
  ];
  for (const variant of result.variants) {
    lines.push(
      `  ${variant.edge}: ${variant.cores.toFixed(3)} cores, ${variant.cpuMicrosPerTick.toFixed(1)} µs of edge CPU per tick`,
    );
  }
  return lines.join('\n');
}

export function formatEdgeIngestBench(result: EdgeIngestResult): string {
  const lines = [
    `edge ingest: ${result.ticks.toLocaleString('en-US')} ticks of ${result.symbols} symbols loaded as history, medians of ${result.runs}`,
  ];
  for (const variant of result.variants) {
    lines.push(
      `  ${variant.edge}: ${Math.round(variant.ticksPerSecond).toLocaleString('en-US')} ticks/s, ${variant.cpuMicrosPerTick.toFixed(2)} µs of edge CPU per tick`,
    );
  }
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // node bench/dist/edge-ingest.js [runs] [--seconds 10] [--symbols 1000] [--follow RATE [--warmup 3]] [--edge PATH …]
  const args = process.argv.slice(2);
  const flag = (name: string, fallback: string): string => {
    const at = args.indexOf(name);
    return at >= 0 ? (args[at + 1] ?? fallback) : fallback;
  };
  const edges = args.flatMap((arg, i) => (args[i - 1] === '--edge' ? [arg] : []));
  const runs = Number(args[0] && !args[0].startsWith('--') ? args[0] : 5);
  if (args.includes('--follow')) {
    const result = await runEdgeFollowBench({
      runs,
      seconds: Number(flag('--seconds', '10')),
      warmupSeconds: Number(flag('--warmup', '3')),
      rate: Number(flag('--follow', '5000')),
      symbols: Number(flag('--symbols', '1000')),
      edges: edges.length > 0 ? edges : [cli],
    });
    process.stdout.write(`${formatEdgeFollowBench(result)}\n`);
    process.exit(0);
  }
  const result = await runEdgeIngestBench({
    runs,
    seconds: Number(flag('--seconds', '10')),
    symbols: Number(flag('--symbols', '1000')),
    edges: edges.length > 0 ? edges : [cli],
  });
  process.stdout.write(`${formatEdgeIngestBench(result)}\n`);
}
