import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { findJava, findOnPath } from '@tickstream/broker';
import { AnalyticsError } from './errors.js';
import { buildAnalyticsJob, DEFAULT_FLINK_VERSION } from './job-build.js';
import { probeTransactions, type TransactionSupport } from './transactions-probe.js';

export type Delivery = 'exactly-once' | 'at-least-once';

export interface AnalyticsTopics {
  ticks: string;
  events: string;
  candles: string;
  correlations: string;
  /** Alert rules (compacted), read into the evaluator's broadcast state. */
  alerts: string;
  /** Where the alert evaluator writes triggers. */
  alertEvents: string;
  /** Paper trading: commands the fill engine reads, and its updates and portfolios. */
  orders: string;
  fills: string;
  portfolios: string;
}

export const DEFAULT_TOPICS: AnalyticsTopics = {
  ticks: 'ticks',
  events: 'market_events',
  candles: 'candles',
  correlations: 'correlations',
  alerts: 'alerts',
  alertEvents: 'alert_events',
  orders: 'orders',
  fills: 'fills',
  portfolios: 'portfolios',
};

/**
 * The job JVM's heap. Both jobs' state and the Kafka clients' fetched records keep ~110-160 MB
 * live at 100,000 ticks/s: in 256 MB G1 collected 7 times a second and marked the old generation
 * back to back (IHOP 45 % was always exceeded). 512 MB costs ~260 MB more RSS and took 0.2-0.4
 * cores off the JVM at that rate (docs/analytics.md, Performance, "GC and the JIT").
 */
export const DEFAULT_MAX_HEAP = '512m';

export interface AnalyticsOptions {
  /** Kafka bootstrap, host:port,… */
  brokers: string;
  parallelism?: number;
  /** Default ./data/analytics/checkpoints; Flink's log goes beside it (analytics.log). */
  checkpointDir?: string;
  checkpointIntervalMs?: number;
  /** The fill engine's own job (default 100 ms): its fills are seen once its checkpoint commits them. */
  tradingCheckpointIntervalMs?: number;
  /** The fill engine's checkpoints in flight at once (--trading-concurrent-checkpoints; the job's default unless set). */
  tradingConcurrentCheckpoints?: number;
  /** Unaligned checkpoints for the fill engine (--trading-unaligned-checkpoints; the job's default unless set). */
  tradingUnalignedCheckpoints?: boolean;
  /**
   * Both jobs' checkpoints triggered by one pacer in the JVM, the analytics job's right after one of
   * the fill engine's (--paced-checkpoints; the job's default unless set; only with both jobs).
   */
  pacedCheckpoints?: boolean;
  flinkVersion?: string;
  /**
   * Unset: exactly-once where the broker advertises Kafka transactions (EndTxn: Apache Kafka and the
   * embedded broker do), at-least-once (said in one line) where it does not. Set: exactly that,
   * refused if the broker cannot.
   */
  delivery?: Delivery;
  /** Prometheus text at http://HOST:PORT/metrics; unset: none. */
  metricsPort?: number;
  /** The MiniCluster's REST API (Flink's checkpoint statistics) on 127.0.0.1:PORT; unset: a free port. */
  restPort?: number;
  /** "latest" (default), "none", or the path of a checkpoint or savepoint. */
  restore?: string;
  topics?: Partial<AnalyticsTopics>;
  /** Names the consumer group and the transactional ids: one running job per name. */
  instance?: string;
  /** A new paper account's cash in currency units (default 100,000). */
  startingCash?: number;
  /** Without a checkpoint, ticks are read from this far back. Default 15 min. */
  backfillMs?: number;
  /**
   * The watermarks' bound on tick disorder (--out-of-orderness-ms; the job's default unless set):
   * a detection is written once the watermark passes its tick, so this is most of its latency.
   */
  outOfOrdernessMs?: number;
  /**
   * Which jobs this JVM runs (`--jobs`): both (default), or one, the other run by a JVM of its own
   * (a fill engine that does not stop for the analytics job's collections: docs/trading.md).
   */
  jobs?: 'all' | 'analytics' | 'trading';
  /** -Xmx of the JVM. Default DEFAULT_MAX_HEAP. */
  maxHeap?: string;
  /** More JVM flags, after the launcher's own (so they win): the bench's `--jvm-options`, for trying JVM tuning. */
  jvmOptions?: readonly string[];
  /**
   * A hot standby: the JVM starts its MiniClusters and builds the job graphs, then waits for
   * takeOver() before it restores the newest checkpoint and submits (AnalyticsWithStandby).
   */
  standby?: boolean;
  cacheRoot?: string;
  env?: NodeJS.ProcessEnv;
  /** Progress and the job's own lines ("running: …"), without a prefix. */
  log?: (line: string) => void;
}

/**
 * When each step of a start happened, ms since the epoch, as the JVM tells it (StartupTimes.java):
 * `jvm` (the JVM's own start), `main`, `topics`, `clusters` (both MiniClusters up), `take-over`
 * (a standby told to take over), `submitted`, `job-running`, `tasks-running` (every task restored
 * and running), `first-checkpoint` (the first commit of exactly-once output),
 * `trading-first-checkpoint`.
 */
export type StartupTimes = Record<string, number>;

export interface RunningAnalytics {
  pid: number;
  delivery: Delivery;
  logFile: string;
  /** Whether it was started as a standby (it runs the job only after takeOver()). */
  standby: boolean;
  /** Resolves once the job runs (and reads ticks); rejects if the JVM ends first. */
  ready: Promise<void>;
  /** A standby: resolves once its MiniClusters are up and its graphs built (rejects if the JVM ends first). */
  standingBy: Promise<void>;
  /**
   * A standby: resolves once its warm-up (StandbyWarmUp.java: the job's operators run once on
   * synthetic ticks, its largest state written and read back) has ended, done or failed; a
   * take-over before then stops it. Rejects if the JVM ends first.
   */
  warmedUp: Promise<void>;
  /** Resolves with the JVM's startup times once the job runs (MiniCluster mode). */
  startup: Promise<StartupTimes>;
  /** A standby: restore the newest checkpoint and run the job now (call once the active JVM is gone). */
  takeOver(): void;
  /** Whether the JVM has exited. */
  gone(): boolean;
  /** Resolves when the JVM has exited, with its exit code or the signal that ended it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM (the job stops with a savepoint), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL, as a crash would; the next start resumes from the last checkpoint. */
  kill(): Promise<void>;
}

/** Every JVM this process started and has not yet seen exit; killed if Node exits first. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function track(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const jvm of running) jvm.kill('SIGKILL');
    });
  }
  running.add(child);
  child.once('exit', () => running.delete(child));
}

/**
 * Chooses the delivery guarantee: exactly-once needs the broker to serve Kafka transactions.
 * Apache Kafka and the embedded broker both do; a Kafka-compatible service may not (Azure Event
 * Hubs, for one), and KafkaSink's EXACTLY_ONCE would then restart the job forever waiting for
 * InitProducerId. So the broker is asked (probeTransactions), never assumed.
 */
export async function chooseDelivery(
  brokers: string,
  requested: Delivery | undefined,
  log: (line: string) => void,
): Promise<Delivery> {
  if (requested === 'at-least-once') return requested;
  return deliveryFor(await probeTransactions(brokers), requested, log);
}

/** The guarantee for a broker that does or does not serve transactions (chooseDelivery's decision). */
export function deliveryFor(
  { broker, serves }: TransactionSupport,
  requested: Delivery | undefined,
  log: (line: string) => void,
): Delivery {
  if (requested === 'at-least-once' || serves) return requested ?? 'exactly-once';
  if (requested === 'exactly-once') {
    throw Object.assign(
      new AnalyticsError(
        `--delivery exactly-once needs Kafka transactions, and the broker at ${broker} does not serve them ` +
          '(no EndTxn in its ApiVersions): use --delivery at-least-once, or Apache Kafka (tickstream kafka)',
      ),
      { exitCode: 2 },
    );
  }
  log(
    `the broker at ${broker} does not serve Kafka transactions (no EndTxn in its ApiVersions): running at-least-once, ` +
      'so candles and events written after the last checkpoint may repeat after a crash',
  );
  return 'at-least-once';
}

/**
 * Runs the analytics job (analytics/, Apache Flink) on a MiniCluster in one JVM: builds or
 * takes the job from the cache, chooses the delivery guarantee, spawns Java and returns at
 * once; `ready` says when the job runs. Flink's log goes to `logFile`.
 */
export async function startAnalytics(options: AnalyticsOptions): Promise<RunningAnalytics> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const java = await findJava(env, 'The analytics job (Apache Flink)');
  const delivery = await chooseDelivery(options.brokers, options.delivery, log);
  const job = await buildAnalyticsJob({
    flinkVersion: options.flinkVersion ?? DEFAULT_FLINK_VERSION,
    cacheRoot: options.cacheRoot,
    env,
    log,
  });
  const checkpointDir = resolve(options.checkpointDir ?? './data/analytics/checkpoints');
  const logFile = join(dirname(checkpointDir), 'analytics.log');
  await mkdir(checkpointDir, { recursive: true });
  const topics = { ...DEFAULT_TOPICS, ...options.topics };
  const args = [
    '--brokers',
    options.brokers,
    '--parallelism',
    String(options.parallelism ?? 1),
    '--checkpoint-dir',
    checkpointDir,
    '--delivery',
    delivery,
    '--restore',
    options.restore ?? 'latest',
    '--ticks-topic',
    topics.ticks,
    '--events-topic',
    topics.events,
    '--candles-topic',
    topics.candles,
    '--correlations-topic',
    topics.correlations,
    '--alerts-topic',
    topics.alerts,
    '--alert-events-topic',
    topics.alertEvents,
    '--orders-topic',
    topics.orders,
    '--fills-topic',
    topics.fills,
    '--portfolios-topic',
    topics.portfolios,
    '--instance',
    options.instance ?? 'tickstream-analytics',
  ];
  if (options.checkpointIntervalMs !== undefined)
    args.push('--checkpoint-interval', String(options.checkpointIntervalMs));
  if (options.tradingCheckpointIntervalMs !== undefined)
    args.push('--trading-checkpoint-interval', String(options.tradingCheckpointIntervalMs));
  if (options.tradingConcurrentCheckpoints !== undefined)
    args.push('--trading-concurrent-checkpoints', String(options.tradingConcurrentCheckpoints));
  if (options.tradingUnalignedCheckpoints !== undefined)
    args.push('--trading-unaligned-checkpoints', String(options.tradingUnalignedCheckpoints));
  if (options.pacedCheckpoints !== undefined) args.push('--paced-checkpoints', String(options.pacedCheckpoints));
  if (options.metricsPort !== undefined) args.push('--metrics-port', String(options.metricsPort));
  if (options.restPort !== undefined) args.push('--rest-port', String(options.restPort));
  if (options.backfillMs !== undefined) args.push('--backfill-ms', String(options.backfillMs));
  if (options.outOfOrdernessMs !== undefined) args.push('--out-of-orderness-ms', String(options.outOfOrdernessMs));
  if (options.startingCash !== undefined) args.push('--starting-cash', String(options.startingCash));
  if (options.standby) args.push('--standby', 'true');
  if (options.jobs !== undefined) args.push('--jobs', options.jobs);
  const jvm = [
    `-Xmx${options.maxHeap ?? DEFAULT_MAX_HEAP}`,
    '-XX:+ExitOnOutOfMemoryError',
    ...(options.jvmOptions ?? []),
    `-Danalytics.log.file=${logFile}`,
    '-cp',
    `${job.jar}:${join(job.libs, '*')}`,
    'tickstream.analytics.AnalyticsMain',
    ...args,
  ];
  // setpriv makes the kernel SIGTERM the JVM when this process dies, even by SIGKILL.
  const setpriv = process.platform === 'linux' ? findOnPath('setpriv', env) : undefined;
  const [command, commandArgs] = setpriv ? [setpriv, ['--pdeathsig', 'TERM', '--', java, ...jvm]] : [java, jvm];
  // A standby reads its take-over from stdin; a closed stdin (this process gone) ends it.
  const child = spawn(command, commandArgs, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  track(child);
  // A take-over written as the JVM dies is an EPIPE here, not a crash of this process.
  child.stdin?.on('error', () => {});

  const recent: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  let resolveStandingBy: () => void = () => {};
  const standingBy = new Promise<void>((resolve, reject) => {
    resolveStandingBy = resolve;
    void exited.then(({ code, signal }) =>
      reject(
        new AnalyticsError(
          `the analytics standby JVM exited (${signal ?? `status ${code}`}) before it stood by: ${recent.join(' | ') || 'no output'} (log: ${logFile})`,
        ),
      ),
    );
  });
  let resolveWarmedUp: () => void = () => {};
  const warmedUp = new Promise<void>((resolve, reject) => {
    resolveWarmedUp = resolve;
    void exited.then(({ code, signal }) =>
      reject(
        new AnalyticsError(`the analytics standby JVM exited (${signal ?? `status ${code}`}) before its warm-up ended`),
      ),
    );
  });
  let resolveStartup: (times: StartupTimes) => void = () => {};
  const startup = new Promise<StartupTimes>((resolve) => {
    resolveStartup = resolve;
  });
  const ready = new Promise<void>((resolveReady, rejectReady) => {
    const onLine = (line: string): void => {
      const text = line.replace(/^analytics: /, '');
      recent.push(text);
      if (recent.length > 5) recent.shift();
      log(text);
      if (text.startsWith('standby: ready')) resolveStandingBy();
      else if (text.startsWith('standby: warm-up ')) resolveWarmedUp();
      else if (text.startsWith('startup: ')) resolveStartup(parseStartupTimes(text.slice('startup: '.length)));
      else if (text.startsWith('running: ')) resolveReady();
    };
    createInterface({ input: child.stdout }).on('line', onLine);
    createInterface({ input: child.stderr }).on('line', onLine);
    void exited.then(({ code, signal }) =>
      rejectReady(
        new AnalyticsError(
          `the analytics JVM exited (${signal ?? `status ${code}`}) before the job ran: ${recent.join(' | ') || 'no output'} (log: ${logFile})`,
        ),
      ),
    );
  });
  ready.catch(() => {});
  standingBy.catch(() => {});
  warmedUp.catch(() => {});

  const gone = (): boolean => child.exitCode !== null || child.signalCode !== null;
  return {
    pid: child.pid ?? -1,
    delivery,
    logFile,
    standby: options.standby === true,
    ready,
    standingBy,
    warmedUp,
    startup,
    exited,
    gone,
    takeOver() {
      if (!options.standby) throw new AnalyticsError('takeOver() is for a JVM started as a standby');
      child.stdin?.write('take-over\n');
    },
    async stop(graceMs = 30_000) {
      if (gone()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      if (gone()) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** "jvm=1733530000000 main=… clusters=…" (StartupTimes.java) as step → ms since the epoch. */
export function parseStartupTimes(text: string): StartupTimes {
  const times: StartupTimes = {};
  for (const pair of text.trim().split(/\s+/)) {
    const [step, at] = pair.split('=');
    if (step && at && /^\d+$/.test(at)) times[step] = Number(at);
  }
  return times;
}
