import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type AnalyticsTopics, type RunningAnalytics, startAnalytics } from '@tickstream/analytics';
import { decodeCandleBar, decodeMarketEvent, MarketEventKind, TickEncoder } from '@tickstream/schemas';
import { kafkaLz4Codec } from '@tickstream/schemas/lz4-node';
import kafkajs from 'kafkajs';
import { type CheckpointStats, checkpointStats, completedCheckpoints, describeTasks } from './checkpoint-stats.js';
import {
  compilerCpuSeconds,
  flightRecording,
  javaThreadNames,
  jitCpuSeconds,
  type ThreadCpuShare,
  threadCpuBetween,
  threadCpuSeconds,
} from './jvm-threads.js';
import { cpuSeconds, endOffsetTotal, freePort, rssMb, spawnCli, startBrokerProcess, stopChild } from './processes.js';
import { median } from './stats.js';
import { drainTarget, type JobSample, jitSettled, lagFlat, type SpanFigures, spanFigures } from './sustained.js';

const { CompressionCodecs, CompressionTypes, Kafka, logLevel } = kafkajs;
// The job's sinks write lz4 batches; kafkajs ships without lz4.
CompressionCodecs[CompressionTypes.LZ4] = kafkaLz4Codec;

/**
 * Analytics benchmark (`tickstream bench --only analytics`): the Flink job as `tickstream
 * analytics` runs it (one JVM, a MiniCluster), against the embedded broker in a process of its own.
 * - throughput (the cold drain): a backlog of ticks written first (`tickstream producer --rate
 *   max`), then read by a JVM started for it, at parallelism 1 and 2; its rate and CPU give ticks
 *   per core-second while the JIT still compiles (C2 0.4 cores through the span, quiet machine);
 * - sustained (a warm JVM): the job reads live ticks at a set rate until its C2 compiler goes
 *   quiet (lag flat at that rate, measured), then drains a burst written at `--rate max`: ticks
 *   per core-second at steady state, the issue's floor;
 * - the default load (500 symbols, 5,000 ticks/s): CPU per 1,000 ticks, checkpoint duration and
 *   size, and recovery after a kill -9 (until a candle newer than the kill is written);
 * - detection latency: a market in which a symbol falls 3 % in a second every half second; for
 *   each FlashCrash, the time from the exchange time of the tick that completed the fall to the
 *   event arriving at a Kafka consumer of market_events: a read_committed one (as edges read it:
 *   under exactly-once that waits for the checkpoint that commits it) and a read_uncommitted one
 *   (when the job wrote it: the detection itself).
 */
export interface AnalyticsBenchResult {
  machine: { cpus: number; model: string; memoryGb: number; node: string };
  delivery: string;
  throughput: {
    parallelism: number;
    ticksPerSecond: number;
    jvmCores: number;
    ticksPerCoreSecond: number;
    /**
     * The span measured, as shares of the backlog read (`fromShare` once the JIT had settled,
     * `toShare` SPAN_END), its length, and the JIT compiler threads' cores at each poll from
     * 20 % of the backlog until the span began.
     */
    span: { fromShare: number; toShare: number; seconds: number; jitCoresBefore: number[] };
    /** Ticks per core-second between 20 % and 80 % of the backlog (the span used until 2026-12-07 17:00 UTC): JIT warm-up included. */
    earlyTicksPerCoreSecond: number;
    /** The analytics job's checkpoints completed over the span. */
    checkpoints: number;
    /** The same span's CPU by thread: the JVM also runs the alert evaluator and the fill engine. */
    threads: { byOwner: ThreadCpuShare[]; byKind: ThreadCpuShare[] };
  }[];
  backlogTicks: number;
  /** The warm JVM, parallelism by parallelism (the `sustained` part). */
  sustained: SustainedRow[];
  /** Extra flags every job JVM of the run had (`--jvm-options`), beside the launcher's own. */
  jvmOptions: string[];
  live: {
    ticksPerSecond: number;
    jvmCores: number;
    cpuMsPer1000Ticks: number;
    checkpointMs: number;
    checkpointBytes: number;
    lateTicks: number;
    rssMb: number;
    /** Flink's own statistics, task by task (REST API): which state makes a checkpoint large or slow. */
    checkpoints?: CheckpointStats;
  };
  /** Kill -9 → a 1s bar newer than the kill committed, the way `tickstream up` restarts the job (hot standby). */
  recoverySeconds: number[];
  /** Of which: kill to the restarted job running (JVM, MiniCluster, restore). */
  restartSeconds: number[];
  /** Every kill, interleaved: the hot standby taking over, and a cold restart (a new JVM), with its breakdown. */
  recoveries: Recovery[];
  /** The idle standby JVM beside the running job: RSS and CPU (cores) over the seconds before a kill. */
  standby: { rssMb: number; idleCores: number }[];
  /** At a read_committed consumer: what edges and `tickstream watch` see. */
  latency: { events: number; p50Ms: number; p99Ms: number; maxMs: number };
  /** The JVM's CPU over the latency part's second half (its market: 200 symbols, 2,000 ticks/s). */
  latencyJvmCores: number;
  /** The latency part's checkpoints (Flink's statistics): their duration adds to what a read_committed reader waits. */
  latencyCheckpoints?: CheckpointStats;
  /** At a read_uncommitted consumer: when the job wrote the event, before its transaction commits. */
  writtenLatency: { events: number; p50Ms: number; p99Ms: number; maxMs: number };
  checkpointIntervalMs: number;
  /** The watermarks' bound on tick disorder the job ran with; undefined: the job's default. */
  outOfOrdernessMs?: number;
}

/**
 * One kill -9 and what followed, each step in ms after the kill: the JVM's own startup times
 * (`jvm`, `main`, `clusters`, `take-over`, `submitted`, `job-running`, `tasks-running`,
 * `first-checkpoint`; StartupTimes.java), then, from Kafka, `first-written` (the first candle
 * the new job wrote, read_uncommitted), `first-committed` (the first it committed, what the chaos
 * bench times) and `recovered` (a committed 1s bar that started after the kill). A record is the
 * new job's when it lies at or past its partition's end half a second after the kill.
 */
export interface Recovery {
  mode: 'standby' | 'cold';
  steps: Record<string, number>;
}

/** One warm-JVM run: warm-up at a set rate, that rate measured, then a drain of a burst. */
export interface SustainedRow {
  parallelism: number;
  /** The live ticks' set rate (`tickstream producer --rate`). */
  rate: number;
  warmUp: {
    seconds: number;
    /** Whether C2 went quiet (C2_SETTLED_CORES over SETTLED_WINDOWS windows) before the warm-up's limit. */
    settled: boolean;
    /** Every warm-up window: C2 falling as the JIT settles. */
    windows: {
      atSeconds: number;
      c2Cores: number;
      c1Cores: number;
      jvmCores: number;
      ticksPerSecond: number;
      lag: number;
    }[];
  };
  /** The set rate after the warm-up: whether the job kept up (lag flat) and its CPU. */
  fixedRate: SpanFigures & { flat: boolean };
  /** The burst's drain, from the burst's end until DRAIN_SHARE of what was behind was read. */
  drain: SpanFigures & { burstTicks: number };
  /** The drain's CPU by thread. */
  threads: { byOwner: ThreadCpuShare[]; byKind: ThreadCpuShare[] };
}

export type AnalyticsBenchPart = 'throughput' | 'sustained' | 'live' | 'latency';

export interface AnalyticsBenchOptions {
  quick?: boolean;
  /** Which parts to run (default all): `node bench/dist/analytics.js --parts throughput`. */
  parts?: readonly AnalyticsBenchPart[];
  /** The job's checkpoint interval (default the job's, 200 ms): under exactly-once, how often output is committed. */
  checkpointIntervalMs?: number;
  /** The watermarks' bound on tick disorder (the job's --out-of-orderness-ms; default the job's). */
  outOfOrdernessMs?: number;
  /** Both jobs' checkpoints from one pacer in the JVM (the job's --paced-checkpoints; default the job's). */
  pacedCheckpoints?: boolean;
  /** The live part's kills, in turn (default standby, cold, standby, cold; --quick: standby): `--kills standby,standby`. */
  kills?: readonly Recovery['mode'][];
  /**
   * A JFR profile of the parallelism-1 drain's measured span, written to this file (`--jfr FILE`):
   * the sustained part's warm drain when that part runs, else the cold drain's.
   * The recording costs the JVM some CPU: take figures from runs without it.
   */
  flightRecording?: string;
  /**
   * Seconds of `--rate max` written as the drain's backlog (default 12, --quick 6; `--backlog-seconds`):
   * on a loaded machine the producer writes fewer ticks a second, and a longer write keeps the span
   * measured past the JIT's warm-up.
   */
  backlogSeconds?: number;
  /** The sustained part's live rate (default 100,000 ticks/s; `--sustained-rate`). */
  sustainedRate?: number;
  /** Its warm-up's limit in seconds (default 300, --quick 30; `--warm-up-seconds`): it ends sooner once C2 is quiet. */
  warmUpSeconds?: number;
  /** Seconds of `--rate max` written as its burst (default 8, --quick 3; `--burst-seconds`). */
  burstSeconds?: number;
  /** The parallelisms the throughput and sustained parts run (default 1 and 2, --quick 1; `--parallelism 1,2`). */
  parallelisms?: readonly number[];
  /** Extra flags for every job JVM (`--jvm-options "-XX:+UseParallelGC"`): JVM tuning measured side by side. */
  jvmOptions?: readonly string[];
  progress?: (line: string) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * How often the drain's progress (the committed offsets of the job's ticks source, from the
 * broker) and the JVM's CPU are read. Reading the job's Prometheus endpoint instead rendered every
 * task's and Kafka client's metrics inside the JVM measured: 11 % of its CPU at 200 ms, 17 % of
 * its allocation at 1 s (JFR profiles of the drain, 2026-12-07).
 */
const THROUGHPUT_POLL_MS = 1000;

/**
 * The drain's measured span (ticks per core-second, the issue's floor: ticks drained over the
 * JVM's CPU-seconds). It starts past the JVM's warm-up: at 20 % of the backlog at the earliest,
 * at the first poll after which the JIT's compiler threads used at most JIT_SETTLED_CORES (a
 * sustained rate is a compiled one; C2 took 0.28 of 1.82 cores over a 20-80 % span on the quiet
 * machine), at 50 % at the latest; it ends at 90 %, before the backlog runs out.
 */
const SPAN_EARLIEST = 0.2;
const SPAN_LATEST_START = 0.5;
const SPAN_END = 0.9;
const JIT_SETTLED_CORES = 0.1;

interface DrainSample {
  ms: number;
  ticks: number;
  /** The JVM's CPU seconds so far. */
  cpu: number;
  /** Its JIT compiler threads' CPU seconds so far. */
  jit: number;
  /** Every thread's CPU seconds so far, by native id. */
  threads: Map<number, number>;
}

/**
 * The sustained part's warm-up: windows of WARM_UP_WINDOW_MS, until C2 used at most
 * C2_SETTLED_CORES in each of the last SETTLED_WINDOWS (or the warm-up's limit). Then the set
 * rate measured over FIXED_RATE_MS, and the burst's drain until DRAIN_SHARE of the lag at its
 * start was read (the last tenth: the job waiting for ticks would count as idle CPU).
 */
const WARM_UP_WINDOW_MS = 10_000;
const C2_SETTLED_CORES = 0.05;
const SETTLED_WINDOWS = 2;
const FIXED_RATE_MS = 20_000;
const DRAIN_SHARE = 0.9;

/** The job's own default (AnalyticsOptions.java). */
const DEFAULT_CHECKPOINT_INTERVAL_MS = 200;

/** "jvm +312 ms, main +1,020 ms, …" in the order the steps happened. */
export function describeSteps(steps: Record<string, number>): string {
  return Object.entries(steps)
    .filter(([, ms]) => Number.isFinite(ms))
    .sort((a, b) => a[1] - b[1])
    .map(([step, ms]) => `${step} ${ms >= 0 ? '+' : ''}${(ms / 1000).toFixed(2)} s`)
    .join(', ');
}

/** Latencies in arrival order; the first crashes meet a cold JVM, so the second half is summarised. */
function latencySummary(latencies: readonly number[]): AnalyticsBenchResult['latency'] {
  const sorted = latencies.slice(Math.floor(latencies.length / 2)).sort((a, b) => a - b);
  return {
    events: latencies.length,
    p50Ms: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
    maxMs: sorted.at(-1) ?? Number.NaN,
  };
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/** The sum of a metric's samples whose labels contain every `labels` fragment, from Prometheus text. */
export function metricSum(text: string, name: string, ...labels: string[]): number {
  let sum = Number.NaN;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!labels.every((label) => line.includes(label))) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) sum = (Number.isNaN(sum) ? 0 : sum) + value;
  }
  return sum;
}

export async function scrape(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  return response.text();
}

const SOURCE_OUT = 'flink_taskmanager_job_task_operator_numRecordsOut';
const SOURCE = 'operator_name="Source:_ticks"';

/** Ticks the job's sources have emitted so far; 0 until their metrics exist. */
/** The last lines of a job's log file, for a failure's message. */
function logTail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch (error) {
    return `(no log: ${(error as Error).message})`;
  }
}

/** The offsets consumer group `group` has committed on `topic`, summed over its partitions (0 where none). */
async function committedTotal(admin: kafkajs.Admin, group: string, topic: string): Promise<number> {
  const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  return (offsets?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
}

export async function ticksRead(port: number): Promise<number> {
  const read = metricSum(await scrape(port).catch(() => ''), SOURCE_OUT, SOURCE);
  return Number.isNaN(read) ? 0 : read;
}

export interface JobRun {
  job: RunningAnalytics;
  metricsPort: number;
  /** The launcher's and the JVM's own last lines (stderr), for a failure's message. */
  lastLines: string[];
}

export async function startJob(
  bootstrap: string,
  topics: AnalyticsTopics,
  checkpointDir: string,
  instance: string,
  extra: {
    parallelism?: number;
    backfillMs?: number;
    restore?: string;
    checkpointIntervalMs?: number;
    maxHeap?: string;
    outOfOrdernessMs?: number;
    pacedCheckpoints?: boolean;
    /** Flink's REST API (checkpoint statistics) on this port; default any free one. */
    restPort?: number;
    /** A standby takes over its predecessor's metrics port; it is returned once it stands by. */
    metricsPort?: number;
    standby?: boolean;
    /** Extra JVM flags (`--jvm-options`). */
    jvmOptions?: readonly string[];
    /** The job's own lines ("running: …", "restore: …"). */
    log?: (line: string) => void;
  } = {},
): Promise<JobRun> {
  const metricsPort = extra.metricsPort ?? (await freePort());
  const lastLines: string[] = [];
  const job = await startAnalytics({
    brokers: bootstrap,
    topics,
    checkpointDir,
    instance,
    ...extra,
    metricsPort,
    log: (line) => {
      extra.log?.(line);
      lastLines.push(line);
      if (lastLines.length > 20) lastLines.shift();
    },
  });
  await (extra.standby ? job.standingBy : job.ready);
  return { job, metricsPort, lastLines };
}

/**
 * A check to call between a measurement's steps: true while the job's JVM runs, and once it has
 * exited, an error with its last lines and log (a JVM that died mid-measurement would otherwise
 * read as 0 ticks and NaN cores).
 */
function exitWatch(run: JobRun, parallelism: number, doing: string): () => true {
  let died: Error | null = null;
  void run.job.exited.then(({ code, signal }) => {
    died = new Error(
      `the job (parallelism ${parallelism}) exited (${signal ?? code}) ${doing}; its last lines:\n${run.lastLines.join('\n')}\nits log ends:\n${logTail(run.job.logFile)}`,
    );
  });
  return () => {
    if (died) throw died;
    return true;
  };
}

export function topicsFor(name: string): AnalyticsTopics {
  return {
    ticks: name,
    events: `${name}-events`,
    candles: `${name}-candles`,
    correlations: `${name}-corr`,
    alerts: `${name}-alerts`,
    alertEvents: `${name}-alert-events`,
    orders: `${name}-orders`,
    fills: `${name}-fills`,
    portfolios: `${name}-portfolios`,
  };
}

interface SustainedPlan {
  parallelism: number;
  rate: number;
  warmUpMs: number;
  burstSeconds: number;
  measureMs: number;
  /** Passed to every job start (checkpoint interval, bound, JVM flags). */
  extra: Parameters<typeof startJob>[4];
  /** A JFR profile of the burst's drain, written to this file. */
  recording?: string;
  progress: (line: string) => void;
}

/**
 * One warm-JVM run (the `sustained` part): a producer at `rate` on a topic of its own, the job
 * reading it from its start; warm-up windows until C2 is quiet (or the limit), the set rate
 * measured (lag at both ends), then `--rate max` for `burstSeconds` and the drain that follows,
 * measured from the burst's end until DRAIN_SHARE of the lag then was read.
 */
async function sustainedRun(
  kafka: InstanceType<typeof Kafka>,
  bootstrap: string,
  checkpointDir: string,
  plan: SustainedPlan,
): Promise<{ row: SustainedRow; delivery: string }> {
  const { parallelism, rate, progress } = plan;
  const topic = `bench-analytics-sustained-${Date.now()}-p${parallelism}`;
  const producerArgs = (rateFlag: string, more: string[] = []): string[] => [
    'producer',
    ...['--brokers', bootstrap, '--topic', topic, '--events-topic', `${topic}-announcements`],
    ...['--rate', rateFlag, '--symbol-count', '500', ...more],
  ];
  const admin = kafka.admin();
  await admin.connect();
  let run: JobRun | undefined;
  let producer: ChildProcess | undefined;
  try {
    // The topic first (the producer's 6 partitions), the job, then the ticks: a backlog written
    // while the JVM starts would make the warm-up a cold drain.
    await admin.createTopics({ topics: [{ topic, numPartitions: 6 }] });
    const instance = `${topic}-job`;
    run = await startJob(bootstrap, { ...topicsFor(instance), ticks: topic }, checkpointDir, instance, {
      parallelism,
      backfillMs: 24 * 3_600_000,
      restore: 'none',
      ...plan.extra,
    });
    const job = run;
    const pid = job.job.pid;
    producer = spawnCli(producerArgs(String(rate)));
    const alive = exitWatch(job, parallelism, 'in the sustained part');
    const sample = async (): Promise<JobSample & { threads: Map<number, number> }> => {
      const ticks = await committedTotal(admin, instance, topic);
      const written = (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
      return {
        ms: Date.now(),
        ticks,
        written,
        cpu: cpuSeconds(pid),
        ...compilerCpuSeconds(pid),
        threads: threadCpuSeconds(pid),
      };
    };
    const described = (f: SpanFigures): string =>
      `${Math.round(f.ticksPerSecond).toLocaleString('en-US')} ticks/s on ${f.jvmCores.toFixed(2)} cores (C2 ${f.c2Cores.toFixed(2)}, C1 ${f.c1Cores.toFixed(2)}), lag ${f.lagStart.toLocaleString('en-US')} → ${f.lagEnd.toLocaleString('en-US')}`;

    // Warm-up: the job at the set rate until C2 has been quiet for SETTLED_WINDOWS windows.
    progress(
      `sustained, parallelism ${parallelism}: warming up at ${rate.toLocaleString('en-US')} ticks/s (at most ${plan.warmUpMs / 1000} s)`,
    );
    const first = await sample();
    let previous = first;
    const windows: SustainedRow['warmUp']['windows'] = [];
    let settled = false;
    while (previous.ms - first.ms < plan.warmUpMs) {
      await sleep(WARM_UP_WINDOW_MS);
      alive();
      const now = await sample();
      const f = spanFigures(previous, now);
      const atSeconds = Math.round((now.ms - first.ms) / 1000);
      windows.push({
        atSeconds,
        c2Cores: f.c2Cores,
        c1Cores: f.c1Cores,
        jvmCores: f.jvmCores,
        ticksPerSecond: f.ticksPerSecond,
        lag: f.lagEnd,
      });
      progress(`  warm-up ${atSeconds} s: ${described(f)}`);
      previous = now;
      settled = jitSettled(
        windows.map((w) => w.c2Cores),
        C2_SETTLED_CORES,
        SETTLED_WINDOWS,
      );
      if (settled) break;
    }

    // The set rate, warm: does the job keep up, and at what CPU?
    const rateStart = await sample();
    await sleep(plan.measureMs);
    alive();
    const rateEnd = await sample();
    const fixed = spanFigures(rateStart, rateEnd);
    const fixedRate = { ...fixed, flat: lagFlat(fixed, rate) };
    progress(
      `  at the set rate, warm: ${described(fixed)}${fixedRate.flat ? ', lag flat' : ', lag GROWING: the job does not keep up'}`,
    );

    // The burst: a backlog written as fast as the producer can, then drained by the warm job.
    const javaNames = await javaThreadNames(pid);
    await stopChild(producer);
    const writtenBefore = (await sample()).written;
    const burst = spawnCli(producerArgs('max', ['--duration', `${plan.burstSeconds}s`]));
    await new Promise((resolve) => burst.once('exit', resolve));
    alive();
    if (plan.recording) await flightRecording(pid, 'start', plan.recording);
    const drainStart = await sample();
    const burstTicks = drainStart.written - writtenBefore;
    const target = drainTarget(drainStart, DRAIN_SHARE);
    // At 20,000 ticks/s at least, plus a minute: a loaded machine is slow, a stuck job fails.
    const deadline = Date.now() + 60_000 + (drainStart.written - drainStart.ticks) / 20;
    let drainEnd = drainStart;
    while (drainEnd.ticks < target) {
      if (Date.now() > deadline)
        throw new Error(
          `the warm job (parallelism ${parallelism}) read ${drainEnd.ticks - drainStart.ticks} of the burst's ${burstTicks} ticks before the deadline`,
        );
      await sleep(THROUGHPUT_POLL_MS);
      alive();
      drainEnd = await sample();
    }
    const drain = { ...spanFigures(drainStart, drainEnd), burstTicks };
    const threads = threadCpuBetween(pid, drainStart.threads, drainEnd.threads, javaNames, drain.seconds);
    if (plan.recording) {
      await flightRecording(pid, 'stop', plan.recording);
      progress(`JFR profile of the warm drain: ${plan.recording}`);
    }
    progress(
      `  draining a burst of ${burstTicks.toLocaleString('en-US')} ticks, warm: ${described(drain)} = ${Math.round(drain.ticksPerCoreSecond).toLocaleString('en-US')} ticks per core-second`,
    );
    return {
      row: {
        parallelism,
        rate,
        warmUp: { seconds: (previous.ms - first.ms) / 1000, settled, windows },
        fixedRate,
        drain,
        threads,
      },
      delivery: job.job.delivery,
    };
  } finally {
    if (producer) await stopChild(producer);
    await admin.disconnect();
    await run?.job.kill();
  }
}

export async function runAnalyticsBench(options: AnalyticsBenchOptions = {}): Promise<AnalyticsBenchResult> {
  const quick = options.quick ?? false;
  const progress = options.progress ?? (() => {});
  // The sustained part takes minutes (its warm-up): not in --quick (CI's smoke run) unless asked for.
  const parts = new Set(
    options.parts ?? (quick ? ['throughput', 'live', 'latency'] : ['throughput', 'sustained', 'live', 'latency']),
  );
  const parallelisms = options.parallelisms ?? (quick ? [1] : [1, 2]);
  const jvmOptions = [...(options.jvmOptions ?? [])];
  const jvm = jvmOptions.length > 0 ? { jvmOptions } : {};
  const interval = {
    ...(options.checkpointIntervalMs === undefined ? {} : { checkpointIntervalMs: options.checkpointIntervalMs }),
    ...(options.outOfOrdernessMs === undefined ? {} : { outOfOrdernessMs: options.outOfOrdernessMs }),
    ...(options.pacedCheckpoints === undefined ? {} : { pacedCheckpoints: options.pacedCheckpoints }),
  };
  const scratch = mkdtempSync(join(tmpdir(), 'tickstream-bench-analytics-'));
  const broker = await startBrokerProcess(join(scratch, 'broker'));
  const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  let delivery = 'unknown';
  try {
    // ---- throughput: drain a backlog --------------------------------------------------------
    const throughput: AnalyticsBenchResult['throughput'] = [];
    let backlogTicks = 0;
    if (parts.has('throughput')) {
      const backlog = `bench-analytics-backlog-${Date.now()}`;
      const backlogSeconds = options.backlogSeconds ?? (quick ? 6 : 12);
      progress(`writing a backlog of ticks (${backlogSeconds} s of --rate max)`);
      const writer = spawnCli([
        'producer',
        ...['--brokers', broker.bootstrap, '--topic', backlog, '--events-topic', `${backlog}-events`],
        ...['--rate', 'max', '--symbol-count', '500', '--duration', `${backlogSeconds}s`],
      ]);
      await new Promise((resolve) => writer.once('exit', resolve));
      backlogTicks = await endOffsetTotal(broker.bootstrap, backlog);
      for (const parallelism of parallelisms) {
        const name = `${backlog}-p${parallelism}`;
        // Flink's REST API: the analytics job's completed checkpoints over the span.
        const restPort = await freePort();
        const run = await startJob(
          broker.bootstrap,
          { ...topicsFor(name), ticks: backlog },
          join(scratch, name),
          name,
          {
            parallelism,
            backfillMs: 24 * 3_600_000,
            restore: 'none',
            restPort,
            // The default heap, as `tickstream analytics` runs: the alert evaluator's tick history is
            // bounded per symbol whatever the rate (TickHistory), so a full-speed drain fits in it.
            ...interval,
            ...jvm,
          },
        );
        delivery = run.job.delivery;
        const admin = kafka.admin();
        await admin.connect();
        const alive = exitWatch(run, parallelism, 'while draining the backlog');
        try {
          // 3 minutes, or longer for a long backlog (--backlog-seconds 40: ~56 M ticks): at 50,000 ticks/s.
          const limitMs = Math.max(180_000, backlogTicks / 50);
          const deadline = Date.now() + limitMs;
          const pid = run.job.pid;
          // Progress from the offsets the job's ticks source commits at each checkpoint (its consumer
          // group is the instance name), asked of the broker: not from the job's Prometheus
          // endpoint, whose every read renders all of Flink's and Kafka's metrics inside the JVM
          // measured (a JFR profile of the drain: 17 % of its allocation at one read a second).
          const sample = async (): Promise<DrainSample> => {
            const ticks = await committedTotal(admin, name, backlog);
            // The JVM's and its threads' CPU read together, right after the ticks.
            return {
              ms: Date.now(),
              ticks,
              cpu: cpuSeconds(pid),
              jit: jitCpuSeconds(pid),
              threads: threadCpuSeconds(pid),
            };
          };
          let last = await sample();
          while (alive() && last.ticks < SPAN_EARLIEST * backlogTicks && Date.now() < deadline) {
            await sleep(THROUGHPUT_POLL_MS);
            last = await sample();
          }
          // The 20-80 % span earlier reports gave: the same run, for comparison.
          const early = last;
          // The names first: the thread dump takes a moment, outside the span measured.
          const javaNames = await javaThreadNames(pid);
          // Past the JVM's warm-up: from the first poll whose JIT compiler threads used at most
          // JIT_SETTLED_CORES, at the latest from SPAN_LATEST_START of the backlog.
          const jitSeries: number[] = [];
          for (;;) {
            const previous = last;
            await sleep(THROUGHPUT_POLL_MS);
            last = await sample();
            const jitCores = Math.max(0, last.jit - previous.jit) / ((last.ms - previous.ms) / 1000);
            jitSeries.push(jitCores);
            if (!alive() || Date.now() >= deadline) break;
            if (jitCores <= JIT_SETTLED_CORES || last.ticks >= SPAN_LATEST_START * backlogTicks) break;
          }
          // With the sustained part too, the profile is of the warm drain (below).
          const recording = parallelism === 1 && !parts.has('sustained') ? options.flightRecording : undefined;
          if (recording) await flightRecording(pid, 'start', recording);
          const checkpoints0 = await completedCheckpoints(restPort, 'tickstream analytics');
          const start = await sample();
          let legacyEnd: DrainSample | undefined;
          let end = start;
          while (alive() && end.ticks < SPAN_END * backlogTicks && Date.now() < deadline) {
            await sleep(THROUGHPUT_POLL_MS);
            end = await sample();
            if (!legacyEnd && end.ticks >= 0.8 * backlogTicks) legacyEnd = end;
          }
          alive();
          if (end.ticks < SPAN_END * backlogTicks)
            throw new Error(
              `the job (parallelism ${parallelism}) read ${end.ticks} of ${backlogTicks} backlog ticks in ${Math.round(limitMs / 1000)} s`,
            );
          const seconds = (end.ms - start.ms) / 1000;
          const cores = (end.cpu - start.cpu) / seconds;
          const threads = threadCpuBetween(pid, start.threads, end.threads, javaNames, seconds);
          const checkpoints = (await completedCheckpoints(restPort, 'tickstream analytics')) - checkpoints0;
          if (recording) {
            await flightRecording(pid, 'stop', recording);
            progress(`JFR profile of the drain: ${recording}`);
          }
          const ticksPerSecond = (end.ticks - start.ticks) / seconds;
          const legacy = legacyEnd ?? end;
          const earlyTicksPerCoreSecond = (legacy.ticks - early.ticks) / (legacy.cpu - early.cpu);
          throughput.push({
            parallelism,
            ticksPerSecond,
            jvmCores: cores,
            ticksPerCoreSecond: ticksPerSecond / cores,
            span: {
              fromShare: start.ticks / backlogTicks,
              toShare: end.ticks / backlogTicks,
              seconds,
              jitCoresBefore: jitSeries.map((cores) => Math.round(cores * 100) / 100),
            },
            earlyTicksPerCoreSecond,
            checkpoints,
            threads,
          });
          progress(
            `parallelism ${parallelism}: ${Math.round(ticksPerSecond)} ticks/s on ${cores.toFixed(2)} cores (${Math.round(ticksPerSecond / cores)} per core-second; 20-80 %: ${Math.round(earlyTicksPerCoreSecond)})`,
          );
        } finally {
          await admin.disconnect();
          await run.job.kill();
        }
      }
    }

    // ---- sustained: a warm JVM at a set rate, then draining a burst -------------------------
    const sustained: SustainedRow[] = [];
    if (parts.has('sustained')) {
      const rate = options.sustainedRate ?? 100_000;
      const warmUpMs = (options.warmUpSeconds ?? (quick ? 30 : 300)) * 1000;
      const burstSeconds = options.burstSeconds ?? (quick ? 3 : 8);
      for (const parallelism of parallelisms) {
        const { row, delivery: jobDelivery } = await sustainedRun(
          kafka,
          broker.bootstrap,
          join(scratch, `sustained-p${parallelism}`),
          {
            parallelism,
            rate,
            warmUpMs,
            burstSeconds,
            measureMs: quick ? FIXED_RATE_MS / 2 : FIXED_RATE_MS,
            extra: { ...interval, ...jvm },
            ...(parallelism === 1 && options.flightRecording ? { recording: options.flightRecording } : {}),
            progress,
          },
        );
        sustained.push(row);
        delivery = jobDelivery;
      }
    }

    // ---- the default load: CPU, checkpoints, recovery ---------------------------------------
    let live: AnalyticsBenchResult['live'] = {
      ticksPerSecond: Number.NaN,
      jvmCores: Number.NaN,
      cpuMsPer1000Ticks: Number.NaN,
      checkpointMs: Number.NaN,
      checkpointBytes: Number.NaN,
      lateTicks: Number.NaN,
      rssMb: Number.NaN,
    };
    const recoverySeconds: number[] = [];
    const restartSeconds: number[] = [];
    const recoveries: Recovery[] = [];
    const standbyCost: AnalyticsBenchResult['standby'] = [];
    if (parts.has('live')) {
      const liveTopic = `bench-analytics-live-${Date.now()}`;
      const producer = spawnCli([
        'producer',
        ...['--brokers', broker.bootstrap, '--topic', liveTopic, '--events-topic', `${liveTopic}-events`],
      ]);
      try {
        await sleep(2000);
        const checkpointDir = join(scratch, liveTopic);
        // Its own REST port, for Flink's checkpoint statistics (a standby started later takes any free one).
        const restPort = await freePort();
        let run = await startJob(broker.bootstrap, topicsFor(liveTopic), checkpointDir, liveTopic, {
          backfillMs: 0,
          ...interval,
          ...jvm,
          restPort,
        });
        delivery = run.job.delivery;
        // The JIT compiles Flink's code paths for the first minute (measured: 1.1 cores after 15 s,
        // 0.4-0.6 after 45 s at the same load). Quick (CI's smoke test) does not wait for it.
        progress('default load (500 symbols, 5,000 ticks/s): warming up');
        await sleep(quick ? 15_000 : 60_000);
        const t0 = Date.now();
        const cpu0 = cpuSeconds(run.job.pid);
        const read0 = await ticksRead(run.metricsPort);
        const checkpointMs: number[] = [];
        const checkpointBytes: number[] = [];
        while (Date.now() - t0 < (quick ? 10_000 : 20_000)) {
          await sleep(2000);
          const text = await scrape(run.metricsPort);
          checkpointMs.push(metricSum(text, 'flink_jobmanager_job_lastCheckpointDuration'));
          checkpointBytes.push(metricSum(text, 'flink_jobmanager_job_lastCheckpointSize'));
        }
        const seconds = (Date.now() - t0) / 1000;
        const ticks = (await ticksRead(run.metricsPort)) - read0;
        const cores = (cpuSeconds(run.job.pid) - cpu0) / seconds;
        live = {
          ticksPerSecond: ticks / seconds,
          jvmCores: cores,
          cpuMsPer1000Ticks: ((cores * seconds) / ticks) * 1000 * 1000,
          checkpointMs: median(checkpointMs.filter(Number.isFinite)),
          checkpointBytes: median(checkpointBytes.filter(Number.isFinite)),
          lateTicks: metricSum(await scrape(run.metricsPort), 'flink_taskmanager_job_task_operator_late_ticks'),
          rssMb: rssMb(run.job.pid),
        };
        try {
          live.checkpoints = await checkpointStats(restPort, 'tickstream analytics');
        } catch (error) {
          progress(`no checkpoint statistics: ${(error as Error).message}`);
        }
        progress(
          `default load: ${live.jvmCores.toFixed(2)} cores, ${live.cpuMsPer1000Ticks.toFixed(1)} CPU-ms per 1,000 ticks, checkpoint ${live.checkpointMs} ms / ${Math.round(live.checkpointBytes / 1024)} KB`,
        );
        if (live.checkpoints) progress(`checkpoint by task: ${describeTasks(live.checkpoints.tasks, 30)}`);

        // Committed bars (as edges read them) and written ones (read_uncommitted: before the commit).
        // A record at or past a partition's end offset at the kill is the new job's: the killed
        // one's open transactions lie below it (and are aborted), its committed ones too.
        const candlesTopic = `${liveTopic}-candles`;
        const candles = kafka.consumer({ groupId: `${liveTopic}-reader` });
        const writtenCandles = kafka.consumer({ groupId: `${liveTopic}-written`, readUncommitted: true });
        const admin = kafka.admin();
        let newestBarMs = 0;
        let endsAtKill = new Map<number, number>();
        const firstAfterKill = { written: Number.NaN, committed: Number.NaN };
        const seen = (which: 'written' | 'committed', partition: number, offset: string): void => {
          const end = endsAtKill.get(partition);
          if (end !== undefined && Number(offset) >= end && Number.isNaN(firstAfterKill[which]))
            firstAfterKill[which] = Date.now();
        };
        await admin.connect();
        await candles.connect();
        await candles.subscribe({ topic: candlesTopic });
        await candles.run({
          eachMessage: async ({ message, partition }) => {
            seen('committed', partition, message.offset);
            if (partition !== 0 || !message.value) return;
            newestBarMs = Math.max(newestBarMs, decodeCandleBar(new Uint8Array(message.value)).startTimeUs / 1000);
          },
        });
        await writtenCandles.connect();
        await writtenCandles.subscribe({ topic: candlesTopic });
        await writtenCandles.run({
          eachMessage: async ({ message, partition }) => seen('written', partition, message.offset),
        });
        let standby: JobRun | undefined;
        // The restored job's slowest tasks (AnalyticsMain): where a recovery's time went; the standby's warm-up.
        const restoreLines = (line: string): void => {
          if (line.startsWith('restore: ') || line.startsWith('standby: warm-up ')) progress(line);
        };
        try {
          // Interleaved A/B: the hot standby taking over (what up does), then a cold restart.
          const modes: readonly Recovery['mode'][] =
            options.kills ?? (quick ? ['standby'] : ['standby', 'cold', 'standby', 'cold']);
          for (const mode of modes) {
            if (mode === 'standby') {
              try {
                standby = await startJob(broker.bootstrap, topicsFor(liveTopic), checkpointDir, liveTopic, {
                  backfillMs: 0,
                  ...interval,
                  ...jvm,
                  metricsPort: run.metricsPort,
                  standby: true,
                  log: restoreLines,
                });
              } catch (error) {
                // Said, and this kill restarts cold: the rest of the bench still measures.
                progress(`the standby did not stand by: ${(error as Error).message}`);
              }
            }
            if (standby !== undefined) {
              // Its idle cost, beside the running job, once its start and warm-up have settled (a
              // kill long after the standby started finds it so).
              await Promise.race([standby.job.warmedUp.catch(() => {}), sleep(120_000)]);
              await sleep(3000);
              const cpuBefore = cpuSeconds(standby.job.pid);
              await sleep(5000);
              standbyCost.push({
                rssMb: rssMb(standby.job.pid),
                idleCores: (cpuSeconds(standby.job.pid) - cpuBefore) / 5,
              });
            } else {
              await sleep(5000);
            }
            const killedAt = Date.now();
            await run.job.kill();
            firstAfterKill.written = Number.NaN;
            firstAfterKill.committed = Number.NaN;
            endsAtKill = new Map();
            // Half a second on: what the killed JVM had sent before it died has reached the broker
            // by then, and the new job cannot write yet (its tasks take seconds to deploy).
            const boundary = sleep(500)
              .then(() => admin.fetchTopicOffsets(candlesTopic))
              .then((offsets) => {
                endsAtKill = new Map(offsets.map(({ partition, high }) => [partition, Number(high)]));
              });
            const took: Recovery['mode'] = standby === undefined ? 'cold' : 'standby';
            if (standby !== undefined) {
              standby.job.takeOver();
              await standby.job.ready;
              run = standby;
              standby = undefined;
            } else {
              run = await startJob(broker.bootstrap, topicsFor(liveTopic), checkpointDir, liveTopic, {
                backfillMs: 0,
                ...interval,
                ...jvm,
                log: restoreLines,
              });
            }
            const runningAt = Date.now();
            await boundary;
            // Recovered: a 1s bar that started after the kill has been written.
            while (newestBarMs < killedAt && Date.now() - killedAt < 120_000) await sleep(50);
            // NaN when not seen within the two minutes (a loaded machine), never the cut-off itself.
            const recoveredAt = newestBarMs >= killedAt ? Date.now() : Number.NaN;
            const steps: Record<string, number> = {};
            for (const [step, at] of Object.entries(await run.job.startup)) steps[step] = at - killedAt;
            const deadline = Date.now() + 30_000;
            while (Number.isNaN(firstAfterKill.committed) && Date.now() < deadline) await sleep(20);
            steps['first-written'] = firstAfterKill.written - killedAt;
            steps['first-committed'] = firstAfterKill.committed - killedAt;
            steps.recovered = recoveredAt - killedAt;
            recoveries.push({ mode: took, steps });
            if (took === 'standby') {
              restartSeconds.push((runningAt - killedAt) / 1000);
              recoverySeconds.push((recoveredAt - killedAt) / 1000);
            }
            progress(`recovery after kill -9 (${took}): ${describeSteps(steps)}`);
          }
        } finally {
          await candles.disconnect();
          await writtenCandles.disconnect();
          await admin.disconnect();
          await standby?.job.kill();
          await run.job.kill();
        }
      } finally {
        await stopChild(producer);
      }
    }

    // ---- detection latency -----------------------------------------------------------------
    let latency = latencySummary([]);
    let writtenLatency = latencySummary([]);
    let latencyJvmCores = Number.NaN;
    let latencyCheckpoints: CheckpointStats | undefined;
    if (parts.has('latency')) {
      const latencyTopic = `bench-analytics-crashes-${Date.now()}`;
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: latencyTopic, numPartitions: 3 }] });
      await admin.disconnect();
      const latencyRestPort = await freePort();
      const run = await startJob(broker.bootstrap, topicsFor(latencyTopic), join(scratch, latencyTopic), latencyTopic, {
        backfillMs: 0,
        ...interval,
        ...jvm,
        restPort: latencyRestPort,
      });
      delivery = run.job.delivery;
      const committed: number[] = [];
      const written: number[] = [];
      const readers = [
        { latencies: committed, consumer: kafka.consumer({ groupId: `${latencyTopic}-committed` }) },
        {
          latencies: written,
          consumer: kafka.consumer({ groupId: `${latencyTopic}-written`, readUncommitted: true }),
        },
      ];
      for (const { latencies, consumer } of readers) {
        await consumer.connect();
        await consumer.subscribe({ topic: `${latencyTopic}-events` });
        await consumer.run({
          eachMessage: async ({ message }) => {
            if (!message.value) return;
            const event = decodeMarketEvent(new Uint8Array(message.value));
            if (event.kind === MarketEventKind.FlashCrash) latencies.push(Date.now() - event.timeUs / 1000);
          },
        });
      }
      const market = new CrashingMarket(kafka, latencyTopic);
      try {
        await market.start();
        progress(`detection latency: a 3 % fall every 0.5 s for ${quick ? 20 : 60} s`);
        // The JVM's CPU over the second half, the half whose crashes are summarised.
        const halfMs = quick ? 10_000 : 30_000;
        await sleep(halfMs);
        const cpu0 = cpuSeconds(run.job.pid);
        await sleep(halfMs);
        latencyJvmCores = (cpuSeconds(run.job.pid) - cpu0) / (halfMs / 1000);
        latencyCheckpoints = await checkpointStats(latencyRestPort, 'tickstream analytics').catch((error: Error) => {
          progress(`no checkpoint statistics: ${error.message}`);
          return undefined;
        });
      } finally {
        await market.stop();
        await sleep(2000);
        for (const { consumer } of readers) await consumer.disconnect();
        await run.job.kill();
      }
      latency = latencySummary(committed);
      writtenLatency = latencySummary(written);
      progress(
        `tick → FlashCrash over the second half's crashes: read_committed p50 ${latency.p50Ms} ms, p99 ${latency.p99Ms} ms; ` +
          `read_uncommitted (written) p50 ${writtenLatency.p50Ms} ms, p99 ${writtenLatency.p99Ms} ms`,
      );
    }
    return {
      machine: {
        cpus: cpus().length,
        model: cpus()[0]?.model ?? 'unknown',
        memoryGb: Math.round(totalmem() / 2 ** 30),
        node: process.versions.node,
      },
      delivery,
      throughput,
      backlogTicks,
      sustained,
      jvmOptions,
      live,
      recoverySeconds,
      restartSeconds,
      recoveries,
      standby: standbyCost,
      latency,
      latencyJvmCores,
      ...(latencyCheckpoints ? { latencyCheckpoints } : {}),
      writtenLatency,
      checkpointIntervalMs: options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS,
      ...(options.outOfOrdernessMs === undefined ? {} : { outOfOrdernessMs: options.outOfOrdernessMs }),
    };
  } finally {
    await broker.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * 200 symbols ticking 10 times a second in real time (exchange time = now), one of them falling
 * 3 % over a second every half second, round robin (each symbol every 100 s: past the pattern's
 * 60 s cooldown, so every fall is reported).
 */
class CrashingMarket {
  private readonly producer;
  private readonly encoder = new TickEncoder();
  private readonly prices = Array.from({ length: 200 }, () => 1_000_000);
  private readonly sequences = new Array<number>(200).fill(0);
  private timer: NodeJS.Timeout | undefined;
  private startedMs = 0;
  private lastMs = 0;
  private sending: Promise<unknown> = Promise.resolve();

  constructor(
    kafka: InstanceType<typeof Kafka>,
    private readonly topic: string,
  ) {
    this.producer = kafka.producer();
  }

  async start(): Promise<void> {
    await this.producer.connect();
    this.startedMs = Date.now();
    this.lastMs = this.startedMs;
    this.timer = setInterval(() => {
      this.sending = this.sending.then(() => this.round()).catch(() => {});
    }, 20);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sending;
    await this.producer.disconnect();
  }

  private async round(): Promise<void> {
    const now = Date.now();
    const messages: { key: string; value: Buffer }[] = [];
    // Each symbol ticks every 100 ms, at its own phase: at times t with t ≡ phase (mod 100).
    for (let i = 0; i < this.prices.length; i++) {
      const phase = (i * 7) % 100;
      const first = this.lastMs + 1 + ((((phase - this.lastMs - 1) % 100) + 100) % 100);
      for (let at = first; at <= now; at += 100) {
        const sinceStart = at - this.startedMs;
        const crashing = Math.floor(sinceStart / 500) % this.prices.length === i && sinceStart % 500 < 400;
        // 3 % over 0.4 s in 4 steps; a little noise otherwise.
        const price = this.prices[i] as number;
        const next = crashing ? Math.round(price * 0.9925) : Math.round(price * (1 + ((at % 7) - 3) * 0.00002));
        this.prices[i] = next;
        this.sequences[i] = (this.sequences[i] as number) + 1;
        messages.push({
          key: `CR${i}`,
          value: Buffer.from(
            this.encoder.encode({
              symbol: `CR${i}`,
              sector: 'Crash',
              price: next,
              size: 10,
              bid: next - 100,
              ask: next + 100,
              exchangeTimeUs: at * 1000,
              sequence: this.sequences[i] as number,
            }),
          ),
        });
      }
    }
    this.lastMs = now;
    if (messages.length > 0) await this.producer.send({ topic: this.topic, messages });
  }
}

/** How many thread kinds the summary names (the JSON result has them all). */
const THREADS_LISTED = 10;

function describeShares(shares: readonly ThreadCpuShare[], count: number): string {
  return shares
    .slice(0, count)
    .map((share) => `${share.name} ${share.cores.toFixed(2)}`)
    .join(', ');
}

function describeSpan(f: SpanFigures): string {
  return `${Math.round(f.ticksPerSecond).toLocaleString('en-US')} ticks/s on ${f.jvmCores.toFixed(2)} cores = ${Math.round(f.ticksPerCoreSecond).toLocaleString('en-US')} ticks per core-second, C2 ${f.c2Cores.toFixed(2)} cores, lag ${f.lagStart.toLocaleString('en-US')} → ${f.lagEnd.toLocaleString('en-US')} ticks over ${f.seconds.toFixed(1)} s`;
}

export function formatAnalyticsBench(result: AnalyticsBenchResult): string {
  // Only the parts that ran (`--parts`): the others' figures are NaN or empty.
  const lines = [
    `analytics (Flink MiniCluster, one JVM, ${result.delivery}, checkpoints every ${result.checkpointIntervalMs} ms${result.outOfOrdernessMs === undefined ? '' : `, out-of-orderness ${result.outOfOrdernessMs} ms`}), ${result.machine.cpus} cores:`,
    ...result.throughput.flatMap((row) => [
      `  cold drain (a JVM started for it), parallelism ${row.parallelism}: ${Math.round(row.ticksPerSecond).toLocaleString('en-US')} ticks/s draining a backlog of ${result.backlogTicks.toLocaleString('en-US')} on ${row.jvmCores.toFixed(2)} cores = ${Math.round(row.ticksPerCoreSecond).toLocaleString('en-US')} ticks per core-second`,
      `    span ${Math.round(row.span.fromShare * 100)}-${Math.round(row.span.toShare * 100)} % of the backlog (${row.span.seconds.toFixed(1)} s), after the JIT's compiler threads used ${row.span.jitCoresBefore.map((cores) => cores.toFixed(2)).join(', ')} cores a poll from 20 %; 20-80 % (warm-up included): ${Math.round(row.earlyTicksPerCoreSecond).toLocaleString('en-US')} ticks per core-second`,
      `    the analytics job's checkpoints over the span: ${row.checkpoints} (${(row.checkpoints / row.span.seconds).toFixed(1)} a second); checkpoint writers (both jobs) ${((1000 * (row.threads.byOwner.find((owner) => owner.name.startsWith('checkpoint writers'))?.cores ?? 0) * row.span.seconds) / row.checkpoints).toFixed(1)} CPU-ms per analytics checkpoint`,
      `    the JVM's cores by owner: ${describeShares(row.threads.byOwner, row.threads.byOwner.length)}`,
      `    busiest threads: ${describeShares(row.threads.byKind, THREADS_LISTED)}`,
    ]),
    ...result.sustained.flatMap((row) => {
      const c2 = row.warmUp.windows.map((w) => w.c2Cores);
      return [
        `  sustained (a warm JVM), parallelism ${row.parallelism}: warm-up ${Math.round(row.warmUp.seconds)} s at ${row.rate.toLocaleString('en-US')} ticks/s, C2 ${c2.map((cores) => cores.toFixed(2)).join(', ')} cores a ${WARM_UP_WINDOW_MS / 1000} s window (${row.warmUp.settled ? 'settled' : 'not settled by the limit'})`,
        `    at the set rate: ${describeSpan(row.fixedRate)} (${row.fixedRate.flat ? 'lag flat' : 'lag growing: not sustained'})`,
        `    draining a burst of ${row.drain.burstTicks.toLocaleString('en-US')} ticks: ${describeSpan(row.drain)}`,
        `    the drain's cores by owner: ${describeShares(row.threads.byOwner, row.threads.byOwner.length)}`,
        `    its busiest threads: ${describeShares(row.threads.byKind, THREADS_LISTED)}`,
      ];
    }),
  ];
  if (result.jvmOptions.length > 0) lines.push(`  extra JVM flags: ${result.jvmOptions.join(' ')}`);
  if (!Number.isNaN(result.live.ticksPerSecond))
    lines.push(
      `  default load: ${Math.round(result.live.ticksPerSecond)} ticks/s on ${result.live.jvmCores.toFixed(2)} cores, ${result.live.cpuMsPer1000Ticks.toFixed(1)} CPU-ms per 1,000 ticks, ${result.live.lateTicks} late ticks, RSS ${Math.round(result.live.rssMb)} MB`,
      `  checkpoint: ${result.live.checkpointMs} ms, ${Math.round(result.live.checkpointBytes / 1024)} KB (median)`,
    );
  const stats = result.live.checkpoints;
  if (stats)
    lines.push(
      `  checkpoints (Flink's statistics over the last ${Math.min(stats.completed, 10)}): duration p50 ${Math.round(stats.durationMs.p50)} / p99 ${Math.round(stats.durationMs.p99)} ms, size p50 ${Math.round(stats.bytes.p50 / 1024)} KB`,
      `    largest tasks: ${describeTasks(stats.tasks)}`,
    );
  for (const mode of ['standby', 'cold'] as const) {
    const runs = result.recoveries.filter((recovery) => recovery.mode === mode);
    if (runs.length === 0) continue;
    const recovered = runs.map((recovery) => (recovery.steps.recovered ?? Number.NaN) / 1000);
    lines.push(
      `  recovery after kill -9, ${mode === 'standby' ? 'hot standby taking over' : 'cold restart (a new JVM)'}: median ${median(recovered).toFixed(1)} s (${recovered.map((s) => `${s.toFixed(1)} s`).join(', ')})`,
      ...runs.map((recovery) => `    ${describeSteps(recovery.steps)}`),
    );
  }
  if (result.standby.length > 0)
    lines.push(
      `  hot standby beside the job, idle: RSS ${result.standby.map((one) => `${Math.round(one.rssMb)} MB`).join(', ')}; CPU ${result.standby.map((one) => `${one.idleCores.toFixed(3)} cores`).join(', ')}`,
    );
  if (result.latency.events > 0 || result.writtenLatency.events > 0)
    lines.push(
      `  tick → FlashCrash at a read_committed consumer: p50 ${result.latency.p50Ms} ms, p99 ${result.latency.p99Ms} ms, max ${result.latency.maxMs} ms (${result.latency.events} events)`,
      `  tick → FlashCrash written (read_uncommitted): p50 ${result.writtenLatency.p50Ms} ms, p99 ${result.writtenLatency.p99Ms} ms, max ${result.writtenLatency.maxMs} ms`,
      `  the JVM over the latency part's second half: ${result.latencyJvmCores.toFixed(2)} cores` +
        (result.latencyCheckpoints
          ? `; checkpoints p50 ${result.latencyCheckpoints.durationMs.p50} / p99 ${Math.round(result.latencyCheckpoints.durationMs.p99)} ms, ${Math.round(result.latencyCheckpoints.bytes.p50 / 1024)} KB`
          : ''),
    );
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // node bench/dist/analytics.js [--quick] [--parts throughput,live,latency] [--checkpoint-interval MS]
  //   [--out-of-orderness MS] [--kills standby,cold|none] [--jfr FILE] [--backlog-seconds S]
  //   [--parallelism 1,2] [--sustained-rate N] [--warm-up-seconds S] [--burst-seconds S] [--jvm-options "FLAGS"]
  //   [--paced-checkpoints true|false]
  const argument = (name: string): string | undefined =>
    process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined;
  const partsArgument = argument('--parts');
  const intervalArgument = argument('--checkpoint-interval');
  const boundArgument = argument('--out-of-orderness');
  const killsArgument = argument('--kills');
  const pacedArgument = argument('--paced-checkpoints');
  if (pacedArgument !== undefined && pacedArgument !== 'true' && pacedArgument !== 'false') {
    process.stderr.write(`--paced-checkpoints takes true or false (got ${pacedArgument})\n`);
    process.exit(2);
  }
  const jfrArgument = argument('--jfr');
  const backlogArgument = argument('--backlog-seconds');
  if (backlogArgument !== undefined && !(Number(backlogArgument) >= 1 && Number(backlogArgument) <= 600)) {
    process.stderr.write(`--backlog-seconds takes 1 to 600 (got ${backlogArgument})\n`);
    process.exit(2);
  }
  const numberFlag = (name: string, min: number, max: number): number | undefined => {
    const text = argument(name);
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!(Number.isInteger(value) && value >= min && value <= max)) {
      process.stderr.write(`${name} takes a whole number from ${min} to ${max} (got ${text})\n`);
      process.exit(2);
    }
    return value;
  };
  const sustainedRate = numberFlag('--sustained-rate', 1000, 5_000_000);
  const warmUpSeconds = numberFlag('--warm-up-seconds', 10, 1800);
  const burstSeconds = numberFlag('--burst-seconds', 1, 120);
  const parallelismArgument = argument('--parallelism');
  const parallelisms = parallelismArgument?.split(',').map(Number);
  if (parallelisms?.some((p) => !(Number.isInteger(p) && p >= 1 && p <= 8))) {
    process.stderr.write(`--parallelism takes 1 to 8, comma-separated (got ${parallelismArgument})\n`);
    process.exit(2);
  }
  const jvmOptions = argument('--jvm-options')
    ?.split(/\s+/)
    .filter((flag) => flag.length > 0);
  if (jvmOptions?.some((flag) => !flag.startsWith('-'))) {
    process.stderr.write(`--jvm-options takes JVM flags, each starting with - (got ${argument('--jvm-options')})\n`);
    process.exit(2);
  }
  // `--kills none`: the default load's figures only, no recovery.
  const kills = killsArgument === 'none' ? [] : killsArgument?.split(',');
  if (kills?.some((kill) => kill !== 'standby' && kill !== 'cold')) {
    process.stderr.write(`--kills takes standby and cold, comma-separated, or none (got ${killsArgument})\n`);
    process.exit(2);
  }
  const result = await runAnalyticsBench({
    quick: process.argv.includes('--quick'),
    ...(partsArgument ? { parts: partsArgument.split(',') as AnalyticsBenchPart[] } : {}),
    ...(intervalArgument ? { checkpointIntervalMs: Number(intervalArgument) } : {}),
    ...(boundArgument ? { outOfOrdernessMs: Number(boundArgument) } : {}),
    ...(pacedArgument === undefined ? {} : { pacedCheckpoints: pacedArgument === 'true' }),
    ...(kills ? { kills: kills as Recovery['mode'][] } : {}),
    ...(jfrArgument ? { flightRecording: resolvePath(jfrArgument) } : {}),
    ...(backlogArgument ? { backlogSeconds: Number(backlogArgument) } : {}),
    ...(sustainedRate === undefined ? {} : { sustainedRate }),
    ...(warmUpSeconds === undefined ? {} : { warmUpSeconds }),
    ...(burstSeconds === undefined ? {} : { burstSeconds }),
    ...(parallelisms ? { parallelisms } : {}),
    ...(jvmOptions ? { jvmOptions } : {}),
    progress: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${formatAnalyticsBench(result)}\n`);
}
