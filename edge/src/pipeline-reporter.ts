import {
  type FigureSelection,
  type MetricsRegistry,
  processSelections,
  SystemMetricsReporter,
} from '@tickstream/schemas/system-metrics-reporter';
import type { Kafka } from 'kafkajs';

/** An edge's figures on system_metrics: its /metrics series (metrics.ts), read once a second. */
const EDGE_FIGURES: FigureSelection[] = [
  { metric: 'tickstream_edge_ticks_consumed_total', figure: 'ticks_per_s', as: 'rate' },
  { metric: 'tickstream_edge_consumer_lag', figure: 'lag', as: 'value', by: 'partition' },
  { metric: 'tickstream_edge_kafka_up', figure: 'kafka_up', as: 'value' },
  { metric: 'tickstream_edge_connections', figure: 'clients', as: 'value' },
  { metric: 'tickstream_edge_frames_sent_total', figure: 'frames_per_s', as: 'rate' },
  { metric: 'tickstream_edge_bytes_sent_total', figure: 'bytes_per_s', as: 'rate' },
  { metric: 'tickstream_edge_updates_sent_total', figure: 'updates_per_s', as: 'rate' },
  { metric: 'tickstream_edge_deltas_skipped_total', figure: 'deltas_skipped_per_s', as: 'rate' },
  { metric: 'tickstream_edge_slow_client_closes_total', figure: 'slow_client_closes', as: 'value' },
  { metric: 'tickstream_edge_analytics_lag_seconds', figure: 'analytics_lag_s', as: 'value' },
  ...processSelections('tickstream_edge_'),
];

export interface EdgeReporterOptions {
  kafka: Kafka;
  edgeId: string;
  topic: string;
  registry: MetricsRegistry;
  problem: () => string;
  log: (line: string) => void;
}

/** The component id of an edge in system_metrics and /api/pipeline. */
export const edgeComponentId = (edgeId: string): string => `edge-${edgeId}`;

export function edgeReporter(options: EdgeReporterOptions): SystemMetricsReporter {
  return new SystemMetricsReporter({
    kafka: options.kafka,
    componentId: edgeComponentId(options.edgeId),
    kind: 'edge',
    topic: options.topic,
    registry: options.registry,
    selections: EDGE_FIGURES,
    problem: options.problem,
    log: (line) => options.log(line),
  });
}
