import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defaultProducerOptions } from '@tickstream/producer';
import kafkajs from 'kafkajs';
import { metricValue, producerWorkersFor } from './edge.js';
import {
  type BrokerProcess,
  cpuSeconds,
  type EdgeProcess,
  recentOutput,
  spawnProducer,
  startBrokerProcess,
  startEdgeProcess,
  stopChild,
} from './processes.js';

const { Kafka, logLevel } = kafkajs;

/**
 * An edge following a steady producer live (issue 24: "following 250 k ticks/s for 60 s with
 * flat lag"): a broker, the `ticks` topic created empty, an edge started on it with no history,
 * then `tickstream producer --rate RATE` (2 workers above 50 k ticks/s). Once a second the bench reads the edge's ticks applied
 * (its /metrics) and then the topic's end offsets (ListOffsets to the broker): since the edge
 * started at offset 0 of every partition, its lag is exactly end offsets − ticks applied, not
 * what the edge says of itself. Reading the edge first and the broker second can only overstate
 * the lag (by what was produced between the two reads, a few ms' worth), never hide it.
 * The edge's own gauge (tickstream_edge_consumer_lag, summed over partitions, as of its last
 * Fetch answer) is kept beside it.
 */
export interface LagSample {
  /** Seconds since the first sample. */
  atSeconds: number;
  /** Sum of the `ticks` topic's end offsets. */
  endOffsets: number;
  /** Ticks the edge applied (tickstream_edge_ticks_consumed_total). */
  applied: number;
  /** endOffsets − applied. */
  lag: number;
  /** The edge's own tickstream_edge_consumer_lag, summed over partitions. */
  edgeGauge: number;
}

/** How the lag moved over a run: `slope` is the least-squares line through (atSeconds, lag), in ticks/s. */
export interface LagTrend {
  start: number;
  end: number;
  max: number;
  mean: number;
  slope: number;
}

/** Least-squares slope and the lag's start, end, max and mean over `samples` (at least 2, at distinct times). */
export function lagTrend(samples: readonly Pick<LagSample, 'atSeconds' | 'lag'>[]): LagTrend {
  if (samples.length < 2) throw new RangeError(`a lag trend needs at least 2 samples, got ${samples.length}`);
  let sumT = 0;
  let sumLag = 0;
  let max = Number.NEGATIVE_INFINITY;
  for (const { atSeconds, lag } of samples) {
    sumT += atSeconds;
    sumLag += lag;
    if (lag > max) max = lag;
  }
  const meanT = sumT / samples.length;
  const mean = sumLag / samples.length;
  let covariance = 0;
  let variance = 0;
  for (const { atSeconds, lag } of samples) {
    covariance += (atSeconds - meanT) * (lag - mean);
    variance += (atSeconds - meanT) ** 2;
  }
  if (variance === 0) throw new RangeError('a lag trend needs samples at different times');
  return {
    start: samples[0]?.lag ?? Number.NaN,
    end: samples[samples.length - 1]?.lag ?? Number.NaN,
    max,
    mean,
    slope: covariance / variance,
  };
}

export interface FollowLagRun {
  rate: number;
  symbols: number;
  samples: LagSample[];
  trend: LagTrend;
  /** Ticks/s the producer wrote and the edge applied over the sampled span. */
  producedPerSecond: number;
  appliedPerSecond: number;
  /** CPU-seconds per second over the sampled span, per process. */
  cores: { edge: number; producer: number; broker: number };
  /** 1-, 5- and 15-minute load averages at the end of the span. */
  loadAverage: number[];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The edge's ticks applied and its own lag gauge (summed over partitions), from one /metrics read. */
async function edgeFigures(base: string): Promise<{ applied: number; gauge: number }> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return {
    applied: metricValue(text, 'tickstream_edge_ticks_consumed_total'),
    gauge: metricValue(text, 'tickstream_edge_consumer_lag'),
  };
}

function alive(child: ChildProcess, what: string): void {
  if (child.exitCode !== null || child.signalCode !== null)
    throw new Error(`the ${what} exited (${child.exitCode ?? child.signalCode}): ${recentOutput(child).trim()}`);
}

/**
 * One run: broker, empty topic, edge (no history), producer at `rate`; `warmupSeconds` after the
 * edge serves every symbol, then a sample every second for `seconds`. Everything started is
 * stopped before it returns or throws. `edgeNodeArgs` go to the edge's node (e.g. --cpu-prof).
 */
export async function followLagOnce(options: {
  rate: number;
  symbols: number;
  seconds: number;
  warmupSeconds: number;
  edgeNodeArgs?: string[];
  progress?: (line: string) => void;
}): Promise<FollowLagRun> {
  const progress = options.progress ?? (() => {});
  const dataDir = mkdtempSync(join(tmpdir(), 'tickstream-follow-lag-'));
  let broker: BrokerProcess | null = null;
  let edge: EdgeProcess | null = null;
  let producer: ChildProcess | null = null;
  const admin = (): ReturnType<InstanceType<typeof Kafka>['admin']> =>
    new Kafka({ brokers: [(broker as BrokerProcess).bootstrap], logLevel: logLevel.NOTHING }).admin();
  let offsets: ReturnType<typeof admin> | null = null;
  try {
    broker = await startBrokerProcess(dataDir);
    offsets = admin();
    await offsets.connect();
    // Created empty, as the producer would create them, so the edge starts at offset 0.
    await offsets.createTopics({
      topics: [
        { topic: defaultProducerOptions.topic, numPartitions: defaultProducerOptions.partitions },
        { topic: defaultProducerOptions.eventsTopic, numPartitions: 1 },
      ],
      waitForLeaders: true,
    });
    edge = await startEdgeProcess(broker.bootstrap, {
      history: '0',
      ...(options.edgeNodeArgs ? { nodeArgs: options.edgeNodeArgs } : {}),
    });
    producer = spawnProducer(broker.bootstrap, {
      symbols: options.symbols,
      rate: options.rate,
      // 2 above 50 k ticks/s, as the e2e and edge benches: one worker wakes every 5 ms for at most
      // 2,000 ticks, and on a busy machine its wake-ups come late.
      workers: producerWorkersFor({ rate: options.rate, producerWorkers: null }),
      clock: 'real',
    });
    const topic = defaultProducerOptions.topic;
    const endOffsets = async (): Promise<number> =>
      (await (offsets as NonNullable<typeof offsets>).fetchTopicOffsets(topic)).reduce(
        (sum, p) => sum + Number(p.high),
        0,
      );
    for (const started = Date.now(); ; await sleep(200)) {
      alive(producer, 'producer');
      alive(edge.child, 'edge');
      const health = (await (await fetch(`${edge.base}/health`)).json()) as { symbols: number };
      if (health.symbols >= options.symbols) break;
      if (Date.now() - started > 60_000)
        throw new Error(`the edge serves ${health.symbols} of ${options.symbols} symbols after 60 s`);
    }
    progress(`follow: the edge serves ${options.symbols} symbols; ${options.warmupSeconds} s of warm-up`);
    await sleep(options.warmupSeconds * 1000);
    const pids = { edge: edge.child.pid ?? 0, producer: producer.pid ?? 0, broker: broker.pid };
    const cpuAtStart = {
      edge: cpuSeconds(pids.edge),
      producer: cpuSeconds(pids.producer),
      broker: cpuSeconds(pids.broker),
    };
    const samples: LagSample[] = [];
    const began = performance.now();
    for (let i = 0; i <= options.seconds; i++) {
      // On a fixed schedule, so a slow read does not stretch the run.
      const wait = began + i * 1000 - performance.now();
      if (wait > 0) await sleep(wait);
      alive(producer, 'producer');
      alive(edge.child, 'edge');
      const atSeconds = (performance.now() - began) / 1000;
      const { applied, gauge } = await edgeFigures(edge.base);
      const end = await endOffsets();
      samples.push({ atSeconds, endOffsets: end, applied, lag: end - applied, edgeGauge: gauge });
      if (i > 0 && i % 10 === 0)
        progress(`follow: ${i} s, lag ${(end - applied).toLocaleString('en-US')} ticks (edge's gauge ${gauge})`);
    }
    const span = (performance.now() - began) / 1000;
    const coresOf = (name: keyof typeof pids): number => (cpuSeconds(pids[name]) - cpuAtStart[name]) / span;
    const cores = { edge: coresOf('edge'), producer: coresOf('producer'), broker: coresOf('broker') };
    const first = samples[0] as LagSample;
    const last = samples[samples.length - 1] as LagSample;
    const sampled = last.atSeconds - first.atSeconds;
    return {
      rate: options.rate,
      symbols: options.symbols,
      samples,
      trend: lagTrend(samples),
      producedPerSecond: (last.endOffsets - first.endOffsets) / sampled,
      appliedPerSecond: (last.applied - first.applied) / sampled,
      cores,
      loadAverage: loadavg(),
    };
  } finally {
    if (producer) await stopChild(producer);
    if (edge) await stopChild(edge.child);
    await offsets?.disconnect().catch(() => {});
    await broker?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export function formatFollowLag(run: FollowLagRun): string {
  const n = (value: number): string => Math.round(value).toLocaleString('en-US');
  const { trend, cores } = run;
  return [
    `edge following ${n(run.rate)} ticks/s of ${run.symbols} symbols for ${n(run.samples.length - 1)} s: ${n(run.producedPerSecond)} ticks/s produced, ${n(run.appliedPerSecond)} applied`,
    `  lag (end offsets − ticks applied): start ${n(trend.start)}, end ${n(trend.end)}, max ${n(trend.max)}, mean ${n(trend.mean)} ticks; slope ${n(trend.slope)} ticks/s (${((trend.slope / run.rate) * 100).toFixed(2)} % of the rate)`,
    `  cores: edge ${cores.edge.toFixed(3)}, producer ${cores.producer.toFixed(3)}, broker ${cores.broker.toFixed(3)}; load average ${run.loadAverage.map((l) => l.toFixed(2)).join(', ')}`,
  ].join('\n');
}

const NUMBER_FLAGS = new Map<string, 'rate' | 'seconds' | 'symbols'>([
  ['--rate', 'rate'],
  ['--seconds', 'seconds'],
  ['--symbols', 'symbols'],
]);

/** The command line of `node bench/dist/follow-lag.js`, or what is wrong with it (with the usage). */
export function parseFollowLagArgs(
  args: readonly string[],
): { rate: number; seconds: number; symbols: number; cpuProfDir: string | null } | string {
  const usage = 'usage: node bench/dist/follow-lag.js [--rate 250000] [--seconds 60] [--symbols 1000] [--cpu-prof DIR]';
  const parsed = { rate: 250_000, seconds: 60, symbols: 1000, cpuProfDir: null as string | null };
  for (let i = 0; i < args.length; i += 2) {
    const flag = args[i] as string;
    const value = args[i + 1];
    if (flag === '--cpu-prof') {
      if (value === undefined || value.startsWith('--')) return `--cpu-prof needs a directory\n${usage}`;
      parsed.cpuProfDir = value;
      continue;
    }
    const key = NUMBER_FLAGS.get(flag);
    if (key === undefined) return `unknown option '${flag}'\n${usage}`;
    const number = Number(value);
    if (!Number.isInteger(number) || number < 1)
      return `${flag} needs a positive integer, got '${value ?? ''}'\n${usage}`;
    parsed[key] = number;
  }
  if (parsed.seconds < 2) return `--seconds must be at least 2 (a slope needs samples)\n${usage}`;
  return parsed;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const parsed = parseFollowLagArgs(process.argv.slice(2));
  if (typeof parsed === 'string') {
    process.stderr.write(`bench follow-lag: ${parsed}\n`);
    process.exit(2);
  }
  const run = await followLagOnce({
    rate: parsed.rate,
    seconds: parsed.seconds,
    symbols: parsed.symbols,
    warmupSeconds: 3,
    ...(parsed.cpuProfDir === null ? {} : { edgeNodeArgs: ['--cpu-prof', '--cpu-prof-dir', parsed.cpuProfDir] }),
    progress: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${formatFollowLag(run)}\n`);
}
