import {
  type AnalyticsOptions,
  AnalyticsWithStandby,
  DEFAULT_FLINK_VERSION,
  DEFAULT_MAX_HEAP,
  DEFAULT_TOPICS,
  startAnalytics,
} from '@tickstream/analytics';
import { createLogger, lineLogger } from '@tickstream/schemas/logger';
import { analyticsReporter } from '../analytics-reporter.js';
import type { Command, Flags } from '../command.js';
import { parseChoice, parseDurationMs, parseInteger } from '../option-values.js';
import { runUntilSignal } from '../run-until-signal.js';
import { UsageError } from '../usage-error.js';

export const analyticsCommand: Command = {
  name: 'analytics',
  summary:
    'Run the analytics job (Apache Flink, one JVM): candles with indicators, patterns, anomalies and correlations from the ticks into Kafka.',
  flags: {
    brokers: {
      type: 'string',
      value: 'HOST:PORT,…',
      description: 'Kafka bootstrap servers (default $KAFKA_BROKERS, else 127.0.0.1:9092)',
    },
    parallelism: { type: 'string', value: 'N', description: 'parallel instances of every operator', default: '1' },
    'checkpoint-dir': {
      type: 'string',
      value: 'DIR',
      description: "checkpoints and savepoints; a start resumes from the newest (Flink's log goes beside it)",
      default: './data/analytics/checkpoints',
    },
    'checkpoint-interval': {
      type: 'string',
      value: 'DURATION',
      description: 'how often state is checkpointed (and, exactly-once, output committed)',
      default: '200ms',
    },
    'trading-checkpoint-interval': {
      type: 'string',
      value: 'DURATION',
      description: "the same for the fill engine's own job: fills are seen once committed (docs/trading.md)",
      default: '100ms',
    },
    'flink-version': {
      type: 'string',
      value: 'VERSION',
      description: 'org.apache.flink version to build against',
      default: DEFAULT_FLINK_VERSION,
    },
    delivery: {
      type: 'string',
      value: 'exactly-once|at-least-once',
      description:
        'output guarantee (default: exactly-once where the broker serves Kafka transactions, at-least-once where not)',
    },
    'metrics-port': { type: 'string', value: 'N', description: 'serve Prometheus text at http://HOST:N/metrics' },
    restore: {
      type: 'string',
      value: 'latest|none|PATH',
      description: 'what to resume from: the newest checkpoint, nothing, or this checkpoint',
      default: 'latest',
    },
    backfill: {
      type: 'string',
      value: 'DURATION',
      description: 'without a checkpoint, read ticks from this far back',
      default: '15m',
    },
    'ticks-topic': { type: 'string', value: 'NAME', description: 'topic of the ticks', default: DEFAULT_TOPICS.ticks },
    'events-topic': {
      type: 'string',
      value: 'NAME',
      description: 'where detections go',
      default: DEFAULT_TOPICS.events,
    },
    'candles-topic': {
      type: 'string',
      value: 'NAME',
      description: 'where bars go',
      default: DEFAULT_TOPICS.candles,
    },
    'correlations-topic': {
      type: 'string',
      value: 'NAME',
      description: 'where correlation matrices go',
      default: DEFAULT_TOPICS.correlations,
    },
    'alerts-topic': {
      type: 'string',
      value: 'NAME',
      description: 'alert rules the job evaluates (compacted)',
      default: DEFAULT_TOPICS.alerts,
    },
    'alert-events-topic': {
      type: 'string',
      value: 'NAME',
      description: 'where alert triggers go',
      default: DEFAULT_TOPICS.alertEvents,
    },
    'orders-topic': {
      type: 'string',
      value: 'NAME',
      description: 'paper-trading orders',
      default: DEFAULT_TOPICS.orders,
    },
    'fills-topic': {
      type: 'string',
      value: 'NAME',
      description: 'where order updates go',
      default: DEFAULT_TOPICS.fills,
    },
    'portfolios-topic': {
      type: 'string',
      value: 'NAME',
      description: 'where portfolios go (compacted)',
      default: DEFAULT_TOPICS.portfolios,
    },
    'starting-cash': { type: 'string', value: 'AMOUNT', description: "a new paper account's cash", default: '100000' },
    instance: {
      type: 'string',
      value: 'NAME',
      description: 'consumer group and transactional id prefix (one running job per name)',
      default: 'tickstream-analytics',
    },
    'max-heap': { type: 'string', value: 'SIZE', description: 'the JVM heap (-Xmx)', default: DEFAULT_MAX_HEAP },
    standby: {
      type: 'boolean',
      description:
        "keep a hot standby JVM (MiniClusters up, idle) that takes over from the last checkpoint when the job's JVM dies",
    },
  },
  notes:
    'Needs Java 17+ and Maven (apt-get install openjdk-17-jdk-headless maven): the first start builds the job and\n' +
    'resolves Apache Flink (~100 MB) into ~/.cache/tickstream; later starts run offline from there.\n' +
    'The job, its parameters and its metrics: docs/analytics.md. With --metrics-port its figures (records/s, watermark\n' +
    'lag, back-pressure, checkpoint age) also go to the system_metrics topic each second (the Pipeline tab).',
  async run(flags) {
    const options = analyticsOptionsFrom(flags, process.env);
    // The launcher's own lines; the JVM's (Flink's log4j2, JSON too) go to the job's log file.
    const logger = createLogger({ component: 'analytics' });
    const pair = flags.boolean('standby') ? new AnalyticsWithStandby({ ...options, log: lineLogger(logger) }) : null;
    let job = pair ? await pair.start() : await startAnalytics({ ...options, log: lineLogger(logger) });
    try {
      await job.ready;
    } catch (error) {
      await (pair ?? job).stop(5000);
      throw error;
    }
    const running = (): void =>
      logger.info(
        { pid: job.pid, delivery: job.delivery, logFile: job.logFile },
        `job running (pid ${job.pid}, ${job.delivery}${options.metricsPort ? `, metrics on :${options.metricsPort}/metrics` : ''}${job.standby ? ', taken over by the hot standby' : ''}); Flink's log: ${job.logFile}`,
      );
    running();
    const reporter = options.metricsPort
      ? analyticsReporter({
          metricsUrl: `http://127.0.0.1:${options.metricsPort}/metrics`,
          brokers: options.brokers,
          log: lineLogger(logger),
        })
      : null;
    reporter?.start();
    let stopping = false;
    // Ends when a JVM that ran the job exits and no standby takes over (or the one that did failed to start).
    const ended = (async (): Promise<void> => {
      for (;;) {
        const { code, signal } = await job.exited;
        if (stopping || pair === null) return;
        logger.warn(`the job's JVM exited (${signal ?? `status ${code}`}); the hot standby takes over`);
        job = await pair.takeOver();
        try {
          await job.ready;
        } catch {
          return;
        }
        running();
      }
    })();
    const code = await runUntilSignal(
      async () => {
        stopping = true;
        await reporter?.stop();
        return (pair ?? job).stop();
      },
      ended,
      logger,
    );
    await reporter?.stop();
    const { code: jvmCode, signal } = await job.exited;
    if (!stopping && (jvmCode !== 0 || signal !== null)) {
      logger.error(`the job's JVM exited (${signal ?? `status ${jvmCode}`}); see ${job.logFile}`);
      return 1;
    }
    return code;
  },
};

export function analyticsOptionsFrom(flags: Flags, env: NodeJS.ProcessEnv): AnalyticsOptions {
  const delivery = flags.string('delivery');
  const metricsPort = flags.string('metrics-port');
  const maxHeap = flags.required('max-heap');
  if (!/^\d+[mgMG]$/.test(maxHeap))
    throw new UsageError(`--max-heap must be a size such as 256m or 1g, got '${maxHeap}'`);
  const checkpointIntervalMs = parseDurationMs('checkpoint-interval', flags.required('checkpoint-interval'));
  if (checkpointIntervalMs < 100) {
    throw new UsageError(
      `--checkpoint-interval must be at least 100ms, got '${flags.required('checkpoint-interval')}'`,
    );
  }
  const tradingCheckpointIntervalMs = parseDurationMs(
    'trading-checkpoint-interval',
    flags.required('trading-checkpoint-interval'),
  );
  if (tradingCheckpointIntervalMs < 20) {
    throw new UsageError(
      `--trading-checkpoint-interval must be at least 20ms, got '${flags.required('trading-checkpoint-interval')}'`,
    );
  }
  const backfillMs = parseDurationMs('backfill', flags.required('backfill'));
  if (backfillMs < 0) throw new UsageError(`--backfill must be a duration such as 15m or 0, got '-1'`);
  return {
    brokers: flags.string('brokers') ?? (env.KAFKA_BROKERS?.trim() || '127.0.0.1:9092'),
    parallelism: parseInteger('parallelism', flags.required('parallelism'), { min: 1, max: 64 }),
    checkpointDir: flags.required('checkpoint-dir'),
    checkpointIntervalMs,
    tradingCheckpointIntervalMs,
    flinkVersion: flags.required('flink-version'),
    ...(delivery ? { delivery: parseChoice('delivery', delivery, ['exactly-once', 'at-least-once'] as const) } : {}),
    ...(metricsPort ? { metricsPort: parseInteger('metrics-port', metricsPort, { min: 1, max: 65_535 }) } : {}),
    restore: flags.required('restore'),
    backfillMs,
    topics: {
      ticks: flags.required('ticks-topic'),
      events: flags.required('events-topic'),
      candles: flags.required('candles-topic'),
      correlations: flags.required('correlations-topic'),
      alerts: flags.required('alerts-topic'),
      alertEvents: flags.required('alert-events-topic'),
      orders: flags.required('orders-topic'),
      fills: flags.required('fills-topic'),
      portfolios: flags.required('portfolios-topic'),
    },
    startingCash: parseInteger('starting-cash', flags.required('starting-cash'), { min: 1, max: 1_000_000_000 }),
    instance: flags.required('instance'),
    maxHeap,
  };
}
