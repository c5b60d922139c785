import { hostname } from 'node:os';
import {
  type FigureSelection,
  type MetricsRegistry,
  processSelections,
  SystemMetricsReporter,
} from '@tickstream/schemas/system-metrics-reporter';
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;

/** The embedded broker's figures on system_metrics: its /metrics series (broker/src/metrics.ts), once a second. */
const BROKER_FIGURES: FigureSelection[] = [
  {
    metric: 'tickstream_broker_request_bytes_total',
    figure: 'produce_bytes_per_s',
    as: 'rate',
    where: { api: 'Produce' },
  },
  {
    metric: 'tickstream_broker_response_bytes_total',
    figure: 'fetch_bytes_per_s',
    as: 'rate',
    where: { api: 'Fetch' },
  },
  { metric: 'tickstream_broker_log_end_offset', figure: 'records_per_s', as: 'rate', by: 'topic' },
  { metric: 'tickstream_broker_log_bytes', figure: 'log_bytes', as: 'value', by: 'topic' },
  { metric: 'tickstream_broker_connections', figure: 'connections', as: 'value' },
  ...processSelections('tickstream_broker_'),
];

/**
 * Reports the embedded broker this process runs (tickstream broker, up) to system_metrics. The
 * broker writes through its own Kafka port like any client: it has no producer of its own.
 */
export function brokerReporter(
  bootstrap: string,
  registry: MetricsRegistry,
  log: (line: string) => void,
): SystemMetricsReporter {
  const componentId = `broker-${hostname()}-${bootstrap.split(':').pop() ?? ''}`;
  const kafka = new Kafka({
    clientId: `tickstream-${componentId}`,
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 1 },
  });
  return new SystemMetricsReporter({ kafka, componentId, kind: 'broker', registry, selections: BROKER_FIGURES, log });
}
