import { hostname } from 'node:os';
import { type AnalyticsJobFigures, AnalyticsJobMetrics } from '@tickstream/edge';
import {
  type FigureSelection,
  type MetricsRegistry,
  type RegistrySeries,
  SystemMetricsReporter,
} from '@tickstream/schemas/system-metrics-reporter';
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;

/** Back-pressured for more than half of each second: the job cannot keep up. */
const BACKPRESSURE_DEGRADED_MS = 500;
/** No checkpoint for this long (it checkpoints every 500 ms by default): exactly-once output is stalled. */
const CHECKPOINT_DEGRADED_MS = 30_000;

/** The job's figures (edge/src/analytics-job-metrics.ts, from Flink's Prometheus reporter) and their names on system_metrics. */
const JOB_FIGURES: [keyof AnalyticsJobFigures, string][] = [
  ['recordsInPerSecond', 'records_per_s'],
  ['recordsOutPerSecond', 'records_out_per_s'],
  ['watermarkLagMs', 'watermark_lag_ms'],
  ['pendingRecords', 'pending_records'],
  ['checkpointAgeMs', 'checkpoint_age_ms'],
  ['lastCheckpointDurationMs', 'checkpoint_duration_ms'],
  ['failedCheckpoints', 'failed_checkpoints'],
  ['backPressuredMsPerSecond', 'backpressured_ms_per_s'],
  ['lateTicks', 'late_ticks'],
  ['restarts', 'restarts'],
];
const SELECTIONS: FigureSelection[] = JOB_FIGURES.map(([, figure]) => ({ metric: figure, figure, as: 'value' }));

export interface AnalyticsReporter {
  componentId: string;
  start(): void;
  stop(): Promise<void>;
}

/**
 * Reports the analytics job to system_metrics from beside it (up, tickstream analytics): the JVM
 * has no Kafka producer of its own for this, but it serves Flink's Prometheus reporter, which this
 * reads every 2 s as the edges' /api/analytics does. While that does not answer, nothing is
 * written: the job shows silent.
 */
export function analyticsReporter(options: {
  metricsUrl: string;
  brokers: string;
  componentId?: string;
  log: (line: string) => void;
}): AnalyticsReporter {
  const port = new URL(options.metricsUrl).port;
  const componentId = options.componentId ?? `analytics-${hostname()}-${port}`;
  const job = new AnalyticsJobMetrics(options.metricsUrl, () => {});
  const registry: MetricsRegistry = {
    getMetricsAsJSON: async () => {
      const figures = job.figures;
      if (figures === null) return [];
      return JOB_FIGURES.flatMap(([field, name]): RegistrySeries[] => {
        const value = figures[field];
        return typeof value === 'number' ? [{ name, values: [{ value, labels: {} }] }] : [];
      });
    },
  };
  const reporter = new SystemMetricsReporter({
    kafka: new Kafka({
      clientId: `tickstream-${componentId}`,
      brokers: options.brokers.split(','),
      logLevel: logLevel.NOTHING,
      retry: { retries: 1 },
    }),
    componentId,
    kind: 'analytics',
    registry,
    selections: SELECTIONS,
    readable: () => job.figures !== null,
    problem: () => {
      const figures = job.figures;
      if (figures === null) return job.problem;
      if (figures.backPressuredMsPerSecond > BACKPRESSURE_DEGRADED_MS)
        return `back-pressured ${Math.round(figures.backPressuredMsPerSecond / 10)} % (${figures.backPressuredTask})`;
      if (figures.checkpointAgeMs !== null && figures.checkpointAgeMs > CHECKPOINT_DEGRADED_MS)
        return `no checkpoint for ${Math.round(figures.checkpointAgeMs / 1000)} s`;
      return '';
    },
    log: options.log,
  });
  return {
    componentId,
    start() {
      job.start();
      reporter.start();
    },
    async stop() {
      job.stop();
      await reporter.stop();
    },
  };
}
