import { Counter, collectDefaultMetrics, Gauge, type Metric, Registry } from 'prom-client';
import { PRODUCE_LATENCY_BUCKETS } from './produce-latency.js';
import type { RunningProducer, WriterFigures } from './producer.js';

type Figure = (writer: WriterFigures) => number;

/**
 * The producer's /metrics (tickstream producer --metrics-port): per writer (a worker writing
 * Kafka itself, or the main thread) ticks generated and acknowledged, bytes, batches, errors,
 * dropped and buffered ticks, whether Kafka answers, and the produce-request latency histogram;
 * for the whole producer the target rate and how far behind it the market is. Figures are read
 * from the producer when Prometheus scrapes: nothing is counted twice on the hot path.
 */
export class ProducerMetrics {
  readonly registry = new Registry();

  constructor(producer: RunningProducer) {
    collectDefaultMetrics({ register: this.registry, prefix: 'tickstream_producer_' });
    const registers = [this.registry];
    const perWriter = (name: string, help: string, kind: 'counter' | 'gauge', figure: Figure): void => {
      const Kind = kind === 'counter' ? Counter : Gauge;
      new Kind({
        name,
        help,
        labelNames: ['writer'] as const,
        registers,
        collect(this: Counter<'writer'> | Gauge<'writer'>) {
          this.reset();
          for (const writer of producer.writers()) this.inc({ writer: writer.writer }, figure(writer));
        },
      });
    };
    perWriter(
      'tickstream_producer_ticks_generated_total',
      'Ticks the market model generated',
      'counter',
      (w) => w.generated,
    );
    perWriter('tickstream_producer_ticks_acked_total', 'Ticks Kafka acknowledged', 'counter', (w) => w.stats.acked);
    perWriter(
      'tickstream_producer_bytes_acked_total',
      'Tick bytes Kafka acknowledged',
      'counter',
      (w) => w.stats.ackedBytes,
    );
    perWriter('tickstream_producer_batches_total', 'Produce requests acknowledged', 'counter', (w) => w.stats.batches);
    perWriter(
      'tickstream_producer_errors_total',
      'Produce requests that failed (retried or dropped)',
      'counter',
      (w) => w.stats.errors,
    );
    perWriter(
      'tickstream_producer_dropped_ticks_total',
      'Ticks dropped: the buffer was full while Kafka was away',
      'counter',
      (w) => w.stats.dropped,
    );
    perWriter('tickstream_producer_buffered_ticks', 'Ticks waiting to be written', 'gauge', (w) => w.stats.buffered);
    perWriter('tickstream_producer_kafka_up', '1 while this writer is connected to Kafka', 'gauge', (w) =>
      w.stats.connected ? 1 : 0,
    );
    new Gauge({
      name: 'tickstream_producer_target_ticks_per_second',
      help: 'The rate asked for (0: --rate max)',
      registers,
      collect() {
        this.set(producer.targetRate === 'max' ? 0 : producer.targetRate);
      },
    });
    new Gauge({
      name: 'tickstream_producer_behind_target_ticks',
      help: 'Ticks the market is behind the target rate (it cannot keep up on this machine)',
      registers,
      collect() {
        this.set(producer.stats().behind);
      },
    });
    this.registry.registerMetric(latencyHistogram(producer));
  }
}

/**
 * prom-client's Histogram observes values itself; the latencies here were observed in the
 * workers and arrive as bucket counts, so this metric renders those counts in the histogram
 * exposition format (cumulative `_bucket{le}`, `_sum`, `_count`) through the registry.
 */
function latencyHistogram(producer: RunningProducer): Metric {
  const name = 'tickstream_producer_produce_latency_seconds';
  const help = 'From a produce request sent to Kafka to its answer';
  const get = async () => ({
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    values: producer.writers().flatMap(({ writer, stats: { latency } }) => {
      let cumulative = 0;
      const buckets = [...PRODUCE_LATENCY_BUCKETS, Number.POSITIVE_INFINITY].map((bound, index) => {
        cumulative += latency.counts[index] ?? 0;
        const le = bound === Number.POSITIVE_INFINITY ? '+Inf' : String(bound);
        return { metricName: `${name}_bucket`, labels: { writer, le }, value: cumulative };
      });
      return [
        ...buckets,
        { metricName: `${name}_sum`, labels: { writer }, value: latency.sumSeconds },
        { metricName: `${name}_count`, labels: { writer }, value: latency.count },
      ];
    }),
  });
  return { name, help, type: 'histogram', get, reset: () => {} } as unknown as Metric;
}
