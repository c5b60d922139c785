import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Delivery } from '@tickstream/analytics';
import {
  type CheckpointTail,
  checkpointTail,
  collectorName,
  formatCheckpointTail,
  gcPauseKinds,
  jobCheckpoints,
  jvmPauses,
} from './checkpoint-tail.js';
import { FillProbe, FillTimeline, type ProbeFill, startFillStack } from './fill-path.js';
import { type CheckpointBreakdown, CheckpointSampler } from './flink-checkpoints.js';
import { javaThreadNames, type ThreadWait, threadSchedules, threadWaitsBetween } from './jvm-threads.js';
import { FILL_ENGINE_PRODUCERS, formatRequestTimes, requestTimes } from './kafka-request-times.js';
import { cpuSeconds } from './processes.js';
import { interleavedRuns, median } from './stats.js';

/**
 * Order → fill latency (issue 21's floor: a market order fills ≤ 100 ms after the next tick),
 * measured with every part real and in its own process: a broker, the producer, the analytics
 * job (the Flink fill engine) and an edge (fill-path.ts). One trader posts market orders one
 * after another over HTTP and listens on the WebSocket for the pushes of its orders. Per fill,
 * where its time went, from the filling tick's exchange time (the floor's start):
 *   tick → on Kafka: the tick readable by a fresh reader of `ticks` (the producer's batching, Kafka);
 *   tick → written: the fill on `fills` read_uncommitted (the engine read the tick, matched, sent);
 *   tick → committed: read_committed (the checkpoint after it completed, its transaction committed);
 *   tick → client: the OrderUpdated push (the edge read it read_committed and pushed it).
 * The same from the POST's 201 (accepted → …), and the fill engine job's checkpoints: their
 * durations from Flink's log, and per vertex (trigger → its acknowledgement) from its REST API.
 */
export interface FillLatencyResult {
  orders: number;
  filled: number;
  delivery: Delivery;
  /** The fill engine job's checkpoint interval. */
  checkpointIntervalMs: number;
  /** The fill engine job's checkpoint settings as given (`100`, `20c2u`: see --ab). */
  variant: string;
  acceptedToClientMs: Percentiles;
  acceptedToWrittenMs: Percentiles;
  acceptedToCommittedMs: Percentiles;
  tickToKafkaMs: Percentiles;
  tickToWrittenMs: Percentiles;
  tickToCommittedMs: Percentiles;
  tickToClientMs: Percentiles;
  /** Medians of each fill's own steps (so they add up per fill, not across percentiles). */
  steps: { kafkaToWrittenMs: number; writtenToCommittedMs: number; committedToClientMs: number };
  /** The fill engine job's checkpoints, from Flink's log: each commits the fills before it. */
  checkpointMs: Percentiles;
  /** Of checkpointMs, the JobManager's part after the last acknowledgement. */
  checkpointFinalizationMs: Percentiles;
  /** From one checkpoint's trigger to the next: the interval, or the duration when that is longer. */
  checkpointCadenceMs: Percentiles;
  checkpoints: CheckpointBreakdown | null;
  /** written → committed, per fill, split at the checkpoint that committed it (commitStages). */
  commit: CommitStages;
  /** Cores the analytics JVM (both jobs) used while the orders were placed. */
  analyticsCores: number;
  /** The fill engine's checkpoints while the orders ran, against the JVM's pauses and the analytics job's checkpoints. */
  tail: CheckpointTail;
  /** The JVM's garbage collector, from its log ("G1"). */
  collector: string;
  /** Its pauses by kind over the whole run, start-up included. */
  gcPauses: string;
  /** The analytics JVM's threads that waited longest for a core while the orders ran. */
  threadWaits: ThreadWait[];
}

export interface Percentiles {
  p50: number;
  p99: number;
  max: number;
}

export interface FillLatencyOptions {
  orders?: number;
  /** Between one order's fill (or timeout) and the next order. */
  gapMs?: number;
  /** The fill engine job's (--trading-checkpoint-interval); default the job's. */
  checkpointIntervalMs?: number;
  /** --trading-concurrent-checkpoints; default the job's. */
  concurrentCheckpoints?: number;
  /** --trading-unaligned-checkpoints; default the job's. */
  unalignedCheckpoints?: boolean;
  /** --paced-checkpoints true|false; default the job's. */
  pacedCheckpoints?: boolean;
  /** A named set of analytics JVM options (JVM_PRESETS); default none. */
  jvm?: string;
  /** The fill engine in a JVM of its own (`--jobs trading`), the analytics job in another. */
  ownJvm?: boolean;
  delivery?: Delivery;
  /** An existing cluster (e.g. `tickstream kafka`); unset: an embedded broker of its own. */
  brokers?: string;
  progress?: (line: string) => void;
}

/** The job's default --trading-checkpoint-interval (AnalyticsOptions.java). */
export const DEFAULT_TRADING_CHECKPOINT_INTERVAL_MS = 100;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The value below which `p` % of `values` lie (nearest rank). */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

export function percentiles(values: readonly number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? Number.NaN };
}

/**
 * One job's completed checkpoints in Flink's log ("… for job ID (… checkpointDuration=123 ms,
 * finalizationTime=4 ms)"): trigger → completed, and of that the JobManager's finalization
 * (writing `_metadata`) after the last acknowledgement.
 */
function checkpointDurations(logFile: string, jobId: string): { duration: number; finalization: number }[] {
  const log = readFileSync(logFile, 'utf8');
  return [
    ...log.matchAll(
      /Completed checkpoint \d+ for job (\w+) .*?checkpointDuration=(\d+) ms, finalizationTime=(\d+) ms/g,
    ),
  ]
    .filter((match) => match[1] === jobId)
    .map((match) => ({ duration: Number(match[2]), finalization: Number(match[3]) }));
}

/** Time between one job's checkpoint triggers in Flink's log ("Triggering checkpoint N (…) @ <ms> for job ID"). */
function checkpointCadence(logFile: string, jobId: string): number[] {
  const log = readFileSync(logFile, 'utf8');
  const triggers = [...log.matchAll(/Triggering checkpoint \d+ \(.*?\) @ (\d+) for job (\w+)/g)]
    .filter((match) => match[2] === jobId)
    .map((match) => Number(match[1]));
  return triggers.slice(1).map((at, i) => at - (triggers[i] as number));
}

/** One of the fill engine job's checkpoints in Flink's log: triggered at, completed (logged) at. */
interface CheckpointTimes {
  id: number;
  triggeredAt: number;
  completedAt: number;
}

/**
 * The job's completed checkpoints with their trigger time ("Triggering checkpoint N (…) @ <ms>")
 * and the log line's time of "Completed checkpoint N" (after the JobManager's finalization;
 * the sinks' committers are told after it).
 */
function checkpointTimes(logFile: string, jobId: string): CheckpointTimes[] {
  const triggered = new Map<number, number>();
  const completed: CheckpointTimes[] = [];
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.includes(jobId)) continue;
    const trigger = /Triggering checkpoint (\d+) \(.*?\) @ (\d+) for job/.exec(line);
    if (trigger !== null) triggered.set(Number(trigger[1]), Number(trigger[2]));
    const done = /"time":"([^"]+)".*Completed checkpoint (\d+) for job/.exec(line);
    const at = triggered.get(Number(done?.[2]));
    if (done !== null && at !== undefined)
      completed.push({ id: Number(done[2]), triggeredAt: at, completedAt: Date.parse(done[1] as string) });
  }
  return completed.sort((a, b) => a.completedAt - b.completedAt);
}

/**
 * Each fill's filling tick → client, split in the job's own times: the tick until the fill
 * engine emitted the fill (its `sent-ms` header: the producer's batching, Kafka, the Flink
 * source, the engine), then until the trigger of the checkpoint that committed it (the last one
 * completed before the committed reader or the client saw the fill; negative when the fill was emitted after
 * the trigger but before the barrier reached the engine), the checkpoint (trigger → completed:
 * the barriers, the sinks' flush, acknowledgements, the JobManager's finalization), and completed
 * → client (the completion's notice to the task, the committers' EndTxn, the COMMIT markers,
 * the edge's Fetch and push). Also completed → committed at the bench's own reader.
 */
export interface CommitStages {
  fills: number;
  tickToEngineMs: Percentiles;
  engineToTriggerMs: Percentiles;
  triggerToCompletedMs: Percentiles;
  completedToCommittedMs: Percentiles;
  completedToClientMs: Percentiles;
  /** The slowest fills (tick → client), each step in ms, to see what a p99 is made of. */
  slowest: string[];
}

export function commitStages(
  fills: readonly ProbeFill[],
  checkpoints: readonly CheckpointTimes[],
  describe: (checkpointId: number) => string = () => '',
): CommitStages {
  const rows: { fill: ProbeFill; checkpoint: CheckpointTimes }[] = [];
  for (const fill of fills) {
    // The bench's readers and client stamp late under load: the earlier of the two.
    const seen = Math.min(fill.committedAt ?? fill.clientAt, fill.clientAt);
    const checkpoint = checkpoints.findLast((c) => c.completedAt <= seen);
    if (checkpoint !== undefined) rows.push({ fill, checkpoint });
  }
  type Row = (typeof rows)[number];
  const of = (pick: (row: Row) => number | undefined): Percentiles =>
    percentiles(
      rows.flatMap((row) => {
        const value = pick(row);
        return value === undefined ? [] : [value];
      }),
    );
  const step = (from: number | undefined, to: number | undefined): string =>
    from === undefined || to === undefined ? '–' : `${to - from}`;
  const slowest = [...rows]
    .sort((a, b) => b.fill.clientAt - b.fill.tickAt - (a.fill.clientAt - a.fill.tickAt))
    .slice(0, 3)
    .map(
      ({ fill, checkpoint: c }) =>
        `tick → client ${fill.clientAt - fill.tickAt} ms = engine ${step(fill.tickAt, fill.engineSentAt)}, ` +
        `trigger ${step(fill.engineSentAt, c.triggeredAt)}, checkpoint ${c.id} ${c.completedAt - c.triggeredAt}, ` +
        `client ${step(c.completedAt, fill.clientAt)} (tick on Kafka ${step(fill.tickAt, fill.tickOnKafkaAt)}, committed reader ${step(c.completedAt, fill.committedAt)})` +
        (describe(c.id) === '' ? '' : `\n        checkpoint ${c.id}: ${describe(c.id)}`),
    );
  return {
    fills: rows.length,
    tickToEngineMs: of(({ fill }) => (fill.engineSentAt === undefined ? undefined : fill.engineSentAt - fill.tickAt)),
    engineToTriggerMs: of(({ fill, checkpoint }) =>
      fill.engineSentAt === undefined ? undefined : checkpoint.triggeredAt - fill.engineSentAt,
    ),
    triggerToCompletedMs: of(({ checkpoint }) => checkpoint.completedAt - checkpoint.triggeredAt),
    completedToCommittedMs: of(({ fill, checkpoint }) =>
      fill.committedAt === undefined ? undefined : fill.committedAt - checkpoint.completedAt,
    ),
    completedToClientMs: of(({ fill, checkpoint }) => fill.clientAt - checkpoint.completedAt),
    slowest,
  };
}

/** Per fill, `to − from` where both were seen. */
function spans(
  fills: readonly ProbeFill[],
  from: (f: ProbeFill) => number | undefined,
  to: (f: ProbeFill) => number | undefined,
): number[] {
  return fills.flatMap((fill) => {
    const start = from(fill);
    const end = to(fill);
    return start === undefined || end === undefined ? [] : [end - start];
  });
}

const medianOrNaN = (values: number[]): number => (values.length === 0 ? Number.NaN : median(values));

/** The breakdown of `fills` (fill-path.ts's probe fills). */
export function fillBreakdown(
  fills: readonly ProbeFill[],
): Omit<
  FillLatencyResult,
  | 'orders'
  | 'filled'
  | 'delivery'
  | 'checkpointIntervalMs'
  | 'variant'
  | 'checkpointMs'
  | 'checkpointFinalizationMs'
  | 'checkpointCadenceMs'
  | 'checkpoints'
  | 'commit'
  | 'analyticsCores'
  | 'tail'
  | 'collector'
  | 'gcPauses'
  | 'threadWaits'
> {
  const accepted = (f: ProbeFill): number => f.acceptedAt;
  const tick = (f: ProbeFill): number => f.tickAt;
  const onKafka = (f: ProbeFill): number | undefined => f.tickOnKafkaAt;
  const written = (f: ProbeFill): number | undefined => f.writtenAt;
  const committed = (f: ProbeFill): number | undefined => f.committedAt;
  const client = (f: ProbeFill): number => f.clientAt;
  return {
    acceptedToClientMs: percentiles(spans(fills, accepted, client)),
    acceptedToWrittenMs: percentiles(spans(fills, accepted, written)),
    acceptedToCommittedMs: percentiles(spans(fills, accepted, committed)),
    tickToKafkaMs: percentiles(spans(fills, tick, onKafka)),
    tickToWrittenMs: percentiles(spans(fills, tick, written)),
    tickToCommittedMs: percentiles(spans(fills, tick, committed)),
    tickToClientMs: percentiles(spans(fills, tick, client)),
    steps: {
      kafkaToWrittenMs: medianOrNaN(spans(fills, onKafka, written)),
      writtenToCommittedMs: medianOrNaN(spans(fills, written, committed)),
      committedToClientMs: medianOrNaN(spans(fills, committed, client)),
    },
  };
}

export async function runFillLatencyBench(options: FillLatencyOptions = {}): Promise<FillLatencyResult> {
  const orderCount = options.orders ?? 100;
  const gapMs = options.gapMs ?? 100;
  const progress = options.progress ?? (() => {});
  const jvmOptions = JVM_PRESETS[options.jvm ?? ''];
  if (jvmOptions === undefined)
    throw new Error(`no JVM preset named ${options.jvm}: ${Object.keys(JVM_PRESETS).join(', ')}`);
  // The JVM's stop-the-world pauses (GC and others), read against the checkpoints (checkpoint-tail.ts).
  const gcLog = join(mkdtempSync(join(tmpdir(), 'fill-latency-gc-')), 'gc.log');
  const stack = await startFillStack({
    jvmOptions,
    pauseLog: gcLog,
    ...(options.ownJvm ? { ownJvm: true } : {}),
    ...(options.checkpointIntervalMs === undefined ? {} : { checkpointIntervalMs: options.checkpointIntervalMs }),
    ...(options.concurrentCheckpoints === undefined ? {} : { concurrentCheckpoints: options.concurrentCheckpoints }),
    ...(options.unalignedCheckpoints === undefined ? {} : { unalignedCheckpoints: options.unalignedCheckpoints }),
    ...(options.pacedCheckpoints === undefined ? {} : { pacedCheckpoints: options.pacedCheckpoints }),
    ...(options.delivery === undefined ? {} : { delivery: options.delivery }),
    ...(options.brokers === undefined ? {} : { brokers: options.brokers }),
    progress,
  });
  let timeline: FillTimeline | undefined;
  let probe: FillProbe | undefined;
  try {
    timeline = await FillTimeline.start(stack.bootstrap, { written: true });
    probe = await FillProbe.open(stack, timeline);
    progress(`job, edge and client ready; placing ${orderCount} market orders`);
    const fills: ProbeFill[] = [];
    const sampler = new CheckpointSampler(stack.job.logFile, stack.tradingJobId);
    const sampleCheckpoints = (): Promise<void> =>
      sampler.sample().then(
        () => {},
        (error: Error) => progress(`checkpoint details not read: ${error.message}`),
      );
    const javaNames = await javaThreadNames(stack.job.pid);
    const schedulesBefore = threadSchedules(stack.job.pid);
    // Both JVMs when the fill engine has its own.
    const jvmCpu = (): number =>
      cpuSeconds(stack.job.pid) + (stack.analyticsJvm === undefined ? 0 : cpuSeconds(stack.analyticsJvm.pid));
    const cpuBefore = jvmCpu();
    const startedAt = Date.now();
    const started = performance.now();
    let sampledAt = 0;
    for (let i = 0; i < orderCount; i++) {
      const fill = await probe.buy(stack.symbols[i % stack.symbols.length] as string);
      if (fill !== null) fills.push(fill);
      // Flink keeps the last 10 checkpoints' details: read them while the fills flow.
      if (performance.now() - sampledAt > 500) {
        sampledAt = performance.now();
        await sampleCheckpoints();
      }
      if ((i + 1) % 25 === 0) progress(`${i + 1}/${orderCount} orders, ${fills.length} fills seen`);
      await sleep(gapMs);
    }
    const seconds = (performance.now() - started) / 1000;
    const analyticsCores = (jvmCpu() - cpuBefore) / seconds;
    const threadWaits = threadWaitsBetween(
      stack.job.pid,
      schedulesBefore,
      threadSchedules(stack.job.pid),
      javaNames,
      seconds,
    ).slice(0, 8);
    const endedAt = Date.now();
    await sampleCheckpoints();
    const checkpoints = checkpointDurations(stack.job.logFile, stack.tradingJobId);
    const log = readFileSync(stack.job.logFile, 'utf8');
    const analyticsLog = stack.analyticsJvm === undefined ? log : readFileSync(stack.analyticsJvm.logFile, 'utf8');
    const pauseLog = readFileSync(gcLog, 'utf8');
    return {
      orders: orderCount,
      filled: fills.length,
      delivery: stack.job.delivery,
      checkpointIntervalMs: options.checkpointIntervalMs ?? DEFAULT_TRADING_CHECKPOINT_INTERVAL_MS,
      variant: variantName(options),
      ...fillBreakdown(fills),
      checkpointMs: percentiles(checkpoints.map((checkpoint) => checkpoint.duration)),
      checkpointFinalizationMs: percentiles(checkpoints.map((checkpoint) => checkpoint.finalization)),
      checkpointCadenceMs: percentiles(checkpointCadence(stack.job.logFile, stack.tradingJobId)),
      checkpoints: sampler.breakdown(),
      commit: commitStages(fills, checkpointTimes(stack.job.logFile, stack.tradingJobId), (id) => sampler.describe(id)),
      analyticsCores,
      tail: checkpointTail(
        jobCheckpoints(log, stack.tradingJobId),
        jobCheckpoints(analyticsLog, stack.analyticsJobId),
        jvmPauses(pauseLog),
        startedAt,
        endedAt,
      ),
      collector: collectorName(pauseLog),
      gcPauses: gcPauseKinds(pauseLog)
        .map((k) => `${k.kind} ×${k.count} (max ${k.maxMs.toFixed(0)}, total ${k.totalMs.toFixed(0)} ms)`)
        .join('; '),
      threadWaits,
    };
  } finally {
    probe?.close();
    await timeline?.stop();
    await stack.close();
    rmSync(dirname(gcLog), { recursive: true, force: true });
  }
}

const ms = (value: number): string => (Number.isNaN(value) ? '–' : `${value.toFixed(0)} ms`);

export function formatFillLatency(result: FillLatencyResult): string {
  const line = (label: string, p: Percentiles): string =>
    `${label} p50 ${ms(p.p50)}, p99 ${ms(p.p99)}, max ${ms(p.max)}`;
  const breakdown = result.checkpoints;
  return [
    `${result.filled}/${result.orders} market orders filled; delivery ${result.delivery}, the fill engine's checkpoints every ${result.checkpointIntervalMs} ms (variant ${result.variant})`,
    line('accepted (201) → fill at the client:  ', result.acceptedToClientMs),
    line('accepted → fill written on fills:     ', result.acceptedToWrittenMs),
    line('accepted → fill committed on fills:   ', result.acceptedToCommittedMs),
    line('filling tick → tick on Kafka:         ', result.tickToKafkaMs),
    line('filling tick → fill written:          ', result.tickToWrittenMs),
    line('filling tick → fill committed:        ', result.tickToCommittedMs),
    line('filling tick → fill at the client:    ', result.tickToClientMs),
    `filling tick → client per fill in the job's times (${result.commit.fills} fills, each at the checkpoint that committed it):`,
    line('  tick → engine emitted (sent-ms):     ', result.commit.tickToEngineMs),
    line("  emitted → that checkpoint's trigger: ", result.commit.engineToTriggerMs),
    line('  trigger → completed (Flink log):     ', result.commit.triggerToCompletedMs),
    line('  completed → client:                  ', result.commit.completedToClientMs),
    line('  completed → committed (bench reader):', result.commit.completedToCommittedMs),
    ...result.commit.slowest.map((row) => `  slow: ${row}`),
    `per fill, medians: tick on Kafka → written ${ms(result.steps.kafkaToWrittenMs)}, written → committed ${ms(result.steps.writtenToCommittedMs)}, committed → client ${ms(result.steps.committedToClientMs)}`,
    line("fill engine's checkpoints (log):      ", result.checkpointMs),
    line('  of which finalization (JobManager):  ', result.checkpointFinalizationMs),
    line('from one checkpoint to the next:      ', result.checkpointCadenceMs),
    breakdown === null ? '' : line('trigger → last ack (Flink REST):      ', breakdown.endToEnd),
    breakdown === null
      ? "fill engine's checkpoints per vertex:  not read (REST unreachable)"
      : `fill engine's checkpoints per vertex (trigger → ack, median of ${breakdown.sampled} sampled while orders ran): ${Object.entries(
          breakdown.vertexMedians,
        )
          .map(([name, value]) => `${name} ${ms(value)}`)
          .join('; ')}`,
    breakdown?.engineTask
      ? `  fill engine's task (medians): barrier arrives ${ms(breakdown.engineTask.startDelay)} after the trigger, alignment ${ms(breakdown.engineTask.alignment)}, sync part ${ms(breakdown.engineTask.sync)} (sink flush), async part ${ms(breakdown.engineTask.async)}`
      : '',
    `analytics JVM (both jobs): ${result.analyticsCores.toFixed(2)} cores while the orders were placed`,
    ...formatCheckpointTail(result.tail, result.collector),
    `  the collector's pauses over the whole run: ${result.gcPauses}`,
    `analytics JVM threads that waited longest for a core (run-queue wait per second; share of the time they wanted one): ${result.threadWaits
      .map(
        (t) =>
          `${t.name} ${t.waiting.toFixed(3)} s/s (${(t.waitShare * 100).toFixed(0)} %, ${t.cores.toFixed(2)} cores)`,
      )
      .join('; ')}`,
  ].join('\n');
}

type Variant = Pick<
  FillLatencyOptions,
  'checkpointIntervalMs' | 'concurrentCheckpoints' | 'unalignedCheckpoints' | 'pacedCheckpoints' | 'jvm' | 'ownJvm'
>;

/**
 * Analytics JVM options to compare (`--ab 100,100@serial`), on the JVM's command line after the
 * launcher's own flags, so that a preset's -Xmx wins over the default heap.
 */
export const JVM_PRESETS: Record<string, readonly string[]> = {
  '': [],
  serial: ['-XX:+UseSerialGC'],
  parallel: ['-XX:+UseParallelGC'],
  zgc: ['-XX:+UseZGC'],
  shenandoah: ['-XX:+UseShenandoahGC'],
  g1p10: ['-XX:MaxGCPauseMillis=10'],
  heap256: ['-Xmx256m'],
  heap512: ['-Xmx512m'],
};

/**
 * `100`: checkpoints every 100 ms; `20c2u`: every 20 ms, 2 in flight at once, unaligned; `100j`:
 * the fill engine in a JVM of its own; `100p` / `100f`: both jobs' checkpoints paced by the JVM
 * (--paced-checkpoints true) / each on Flink's own timer (false); `@serial`: JVM_PRESETS.
 */
function parseVariant(spec: string): Variant | null {
  const match = /^(\d+)(?:c(\d+))?(u)?(j)?([pf])?(?:@(\w+))?$/.exec(spec);
  if (match === null || (match[6] !== undefined && JVM_PRESETS[match[6]] === undefined)) return null;
  return {
    checkpointIntervalMs: Number(match[1]),
    ...(match[2] === undefined ? {} : { concurrentCheckpoints: Number(match[2]) }),
    ...(match[3] === undefined ? {} : { unalignedCheckpoints: true }),
    ...(match[4] === undefined ? {} : { ownJvm: true }),
    ...(match[5] === undefined ? {} : { pacedCheckpoints: match[5] === 'p' }),
    ...(match[6] === undefined ? {} : { jvm: match[6] }),
  };
}

function variantName(variant: Variant): string {
  return (
    `${variant.checkpointIntervalMs ?? DEFAULT_TRADING_CHECKPOINT_INTERVAL_MS}` +
    (variant.concurrentCheckpoints === undefined ? '' : `c${variant.concurrentCheckpoints}`) +
    (variant.unalignedCheckpoints ? 'u' : '') +
    (variant.ownJvm ? 'j' : '') +
    (variant.pacedCheckpoints === undefined ? '' : variant.pacedCheckpoints ? 'p' : 'f') +
    (variant.jvm ? `@${variant.jvm}` : '')
  );
}

/** `--ab 100,20c2 --pairs 2`: the stack started once per run, the variants interleaved (A B A B …). */
async function runPairs(orders: number, variants: Variant[], pairs: number): Promise<void> {
  const samples = await interleavedRuns(pairs, variants, async (variant, run) => {
    process.stderr.write(`pair ${run + 1}/${pairs}: variant ${variantName(variant)}\n`);
    const result = await runFillLatencyBench({
      orders,
      ...variant,
      ...(process.env.KAFKA_BROKERS ? { brokers: process.env.KAFKA_BROKERS } : {}),
      progress: (line) => process.stderr.write(`  ${line}\n`),
    });
    process.stdout.write(`--- pair ${run + 1}, variant ${result.variant}\n${formatFillLatency(result)}\n`);
    return result;
  });
  for (const [index, variant] of variants.entries()) {
    const runs = samples[index] ?? [];
    const of = (pick: (r: FillLatencyResult) => number): string => ms(median(runs.map(pick)));
    process.stdout.write(
      `=== ${variantName(variant)}, medians of ${runs.length} runs: tick → client p50 ${of((r) => r.tickToClientMs.p50)} p99 ${of((r) => r.tickToClientMs.p99)}; ` +
        `tick → committed p50 ${of((r) => r.tickToCommittedMs.p50)}; written → committed ${of((r) => r.steps.writtenToCommittedMs)}; ` +
        `checkpoints p50 ${of((r) => r.checkpointMs.p50)} p99 ${of((r) => r.checkpointMs.p99)}; ` +
        `tick → engine p50 ${of((r) => r.commit.tickToEngineMs.p50)}; emitted → trigger p50 ${of((r) => r.commit.engineToTriggerMs.p50)}; ` +
        `trigger → completed p50 ${of((r) => r.commit.triggerToCompletedMs.p50)} p99 ${of((r) => r.commit.triggerToCompletedMs.p99)}; ` +
        `completed → client p50 ${of((r) => r.commit.completedToClientMs.p50)} p99 ${of((r) => r.commit.completedToClientMs.p99)}; analytics JVM ${median(runs.map((r) => r.analyticsCores)).toFixed(2)} cores; ` +
        `checkpoints while orders ran p50 ${of((r) => r.tail.all.p50)} p99 ${of((r) => r.tail.all.p99)}, JVM paused ${(median(runs.map((r) => r.tail.pausedShare)) * 100).toFixed(1)} %\n`,
    );
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // node bench/dist/fill-latency.js [orders] [trading-checkpoint-interval-ms]
  // node bench/dist/fill-latency.js [orders] --ab 100,20c2 [--pairs 2]
  // KAFKA_BROKERS=… uses that cluster.
  const args = process.argv.slice(2);
  const usage = (): never => {
    process.stderr.write(
      'usage: node bench/dist/fill-latency.js [orders] [trading-checkpoint-interval-ms]\n' +
        '       node bench/dist/fill-latency.js [orders] --ab VARIANT,VARIANT[,…] [--pairs N]\n' +
        '         VARIANT: INTERVAL_MS[cCONCURRENT][u][j][p|f][@JVM], e.g. 100 or 20c2u (2 checkpoints in flight, unaligned)\n' +
        '         or 100j (the fill engine in a JVM of its own)\n' +
        "         or 100p / 100f (both jobs' checkpoints paced by the JVM / on Flink's own timers)\n" +
        `         or 100@serial (JVM options: ${Object.keys(JVM_PRESETS).filter(Boolean).join(', ')})\n`,
    );
    process.exit(2);
  };
  const flag = (name: string): string | undefined => {
    const at = args.indexOf(name);
    if (at < 0) return undefined;
    const value = args[at + 1];
    if (value === undefined) usage();
    args.splice(at, 2);
    return value;
  };
  const ab = flag('--ab');
  const pairs = flag('--pairs') ?? '2';
  const [orders = '100', interval] = args;
  const variants = (ab?.split(',') ?? []).map(parseVariant);
  if (![orders, interval ?? '1', pairs].every((value) => /^\d+$/.test(value))) usage();
  if (ab !== undefined) {
    if (variants.some((variant) => variant === null)) usage();
    await runPairs(Number(orders), variants as Variant[], Number(pairs));
  } else {
    const result = await runFillLatencyBench({
      orders: Number(orders),
      ...(interval === undefined ? {} : { checkpointIntervalMs: Number(interval) }),
      ...(process.env.KAFKA_BROKERS ? { brokers: process.env.KAFKA_BROKERS } : {}),
      progress: (line) => process.stderr.write(`${line}\n`),
    });
    process.stdout.write(`${formatFillLatency(result)}\n`);
  }
  const trace = process.env.FILL_BENCH_KAFKA_TRACE;
  if (trace)
    process.stdout.write(
      `the fill engine's producers, per request (client side, ${trace}):\n${formatRequestTimes(requestTimes(readFileSync(trace, 'utf8'), FILL_ENGINE_PRODUCERS))}\n`,
    );
}
