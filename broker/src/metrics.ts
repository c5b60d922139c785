import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { LogManager } from './log/index.js';

/** What the network layer reports of each request it served (server.ts). */
export interface RequestObserver {
  request(api: string, seconds: number, requestBytes: number, responseBytes: number): void;
}

/**
 * The embedded broker's /metrics (tickstream broker --metrics-port): requests, their latency and
 * bytes per API (Produce request bytes are the produce rate, Fetch response bytes the fetch rate),
 * open connections, and per topic the log's size and end offset (its rate is records/s written).
 * Latency is from a request read to its answer written, so a Fetch parked waiting for data counts
 * its wait, as Kafka's own TotalTimeMs does.
 */
export class BrokerMetrics implements RequestObserver {
  readonly registry = new Registry();
  private readonly seconds = new Histogram({
    name: 'tickstream_broker_request_seconds',
    help: 'From a request read to its answer written, per API',
    labelNames: ['api'] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });
  private readonly requestBytes = new Counter({
    name: 'tickstream_broker_request_bytes_total',
    help: 'Request bytes received, per API (Produce: the produce rate)',
    labelNames: ['api'] as const,
    registers: [this.registry],
  });
  private readonly responseBytes = new Counter({
    name: 'tickstream_broker_response_bytes_total',
    help: 'Response bytes sent, per API (Fetch: the fetch rate)',
    labelNames: ['api'] as const,
    registers: [this.registry],
  });

  constructor(log: LogManager, connections: () => number) {
    collectDefaultMetrics({ register: this.registry, prefix: 'tickstream_broker_' });
    const registers = [this.registry];
    new Gauge({
      name: 'tickstream_broker_connections',
      help: 'Open client connections',
      registers,
      collect() {
        this.set(connections());
      },
    });
    const perTopic = (name: string, help: string, figure: (topic: string) => number): void => {
      new Gauge({
        name,
        help,
        labelNames: ['topic'] as const,
        registers,
        collect() {
          this.reset();
          for (const topic of log.topicNames()) this.set({ topic }, figure(topic));
        },
      });
    };
    const partitions = (topic: string) =>
      Array.from({ length: log.partitionCount(topic) ?? 0 }, (_, index) => log.partition(topic, index)).filter(
        (partition) => partition !== undefined,
      );
    perTopic('tickstream_broker_log_bytes', 'Bytes of the log on disk, per topic', (topic) =>
      partitions(topic).reduce((sum, partition) => sum + partition.sizeBytes, 0),
    );
    perTopic('tickstream_broker_log_end_offset', 'Sum of the partitions’ log end offsets (rate = records/s)', (topic) =>
      partitions(topic).reduce((sum, partition) => sum + partition.logEndOffset, 0),
    );
    perTopic('tickstream_broker_partitions', 'Partitions, per topic', (topic) => log.partitionCount(topic) ?? 0);
  }

  request(api: string, seconds: number, requestBytes: number, responseBytes: number): void {
    this.seconds.observe({ api }, seconds);
    this.requestBytes.inc({ api }, requestBytes);
    if (responseBytes > 0) this.responseBytes.inc({ api }, responseBytes);
  }
}
