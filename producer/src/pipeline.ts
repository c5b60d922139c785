import { hostname } from 'node:os';
import { type KafkaSecurity, kafkajsSecurity, kafkaSecurityFromEnv } from '@tickstream/schemas/kafka-security';
import {
  type FigureSelection,
  processSelections,
  SystemMetricsReporter,
} from '@tickstream/schemas/system-metrics-reporter';
import kafkajs from 'kafkajs';
import { ControlListener } from './control-listener.js';
import { ProducerMetrics } from './metrics.js';
import type { RunningProducer } from './producer.js';

const { Kafka, logLevel } = kafkajs;

export interface PipelineOptions {
  brokers: string[];
  security?: KafkaSecurity;
  /** The producer's id in system_metrics and for chaos --target; default producer-HOST-PID. */
  componentId?: string;
  /** Verifies control commands; null: the producer takes no commands (said once). */
  authSecret: string | null;
  /** The registry /metrics serves, when there is one; else one is made for the reporter. */
  metrics?: ProducerMetrics;
  log: (line: string) => void;
}

export interface ProducerInPipeline {
  componentId: string;
  /** Resolves once control commands written from now on are seen (immediately without a secret). */
  listening: Promise<void>;
  stop(): Promise<void>;
}

/** The producer's figures on system_metrics: its /metrics series, read once a second. */
const PRODUCER_FIGURES: FigureSelection[] = [
  { metric: 'tickstream_producer_ticks_acked_total', figure: 'ticks_per_s', as: 'rate', by: 'writer' },
  { metric: 'tickstream_producer_ticks_generated_total', figure: 'generated_per_s', as: 'rate', by: 'writer' },
  { metric: 'tickstream_producer_bytes_acked_total', figure: 'bytes_per_s', as: 'rate' },
  { metric: 'tickstream_producer_buffered_ticks', figure: 'buffered', as: 'value', by: 'writer' },
  { metric: 'tickstream_producer_errors_total', figure: 'errors', as: 'value' },
  { metric: 'tickstream_producer_dropped_ticks_total', figure: 'dropped', as: 'value' },
  { metric: 'tickstream_producer_target_ticks_per_second', figure: 'target_ticks_per_s', as: 'value' },
  { metric: 'tickstream_producer_behind_target_ticks', figure: 'behind_target', as: 'value' },
  ...processSelections('tickstream_producer_'),
];

/**
 * Puts a running producer into the pipeline view: its figures on system_metrics each second, and
 * (with the auth secret) the control commands of tickstream chaos.
 */
export async function joinPipeline(producer: RunningProducer, options: PipelineOptions): Promise<ProducerInPipeline> {
  const componentId = options.componentId ?? `producer-${hostname()}-${process.pid}`;
  const kafka = new Kafka({
    clientId: `tickstream-${componentId}`,
    brokers: options.brokers,
    ...kafkajsSecurity(options.security ?? kafkaSecurityFromEnv()),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    retry: { initialRetryTime: 250, maxRetryTime: 2000, retries: 5 },
  });
  const reporter = new SystemMetricsReporter({
    kafka,
    componentId,
    kind: 'producer',
    registry: (options.metrics ?? new ProducerMetrics(producer)).registry,
    selections: PRODUCER_FIGURES,
    extra: () => [{ name: 'rate_factor', label: '', value: producer.rateFactor }],
    problem: () =>
      !producer.stats().connected
        ? 'Kafka unreachable'
        : producer.rateFactor === 0
          ? 'paused (tickstream chaos)'
          : producer.rateFactor !== 1
            ? `bursting at ${producer.rateFactor}× (tickstream chaos)`
            : '',
    log: options.log,
  });
  reporter.start();
  let control: ControlListener | null = null;
  if (options.authSecret === null) {
    options.log('control: no auth secret (--auth-secret or TICKSTREAM_AUTH_SECRET): tickstream chaos is refused');
  } else {
    control = new ControlListener({ kafka, producer, componentId, secret: options.authSecret, log: options.log });
    control.start().catch((error: Error) => options.log(`control: not listening: ${error.message}`));
  }
  return {
    componentId,
    listening: control?.listening ?? Promise.resolve(),
    async stop() {
      await Promise.all([reporter.stop(), control?.stop()]);
    },
  };
}
