import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Per-send counts kept as plain numbers by the fan-out (a labelled prom-client inc per send costs too much). */
export interface SendCounts {
  frames: Map<string, number>;
  bytes: number;
  updates: number;
  skipped: number;
}

/** Resolution of the event-loop delay histogram (prom-client's default is 10 ms). */
const EVENT_LOOP_SAMPLE_MS = 100;

function mirror(counter: Counter<string>, value: () => number): void {
  counter.reset();
  counter.inc(value());
}

/** Everything /metrics reports, in one registry per edge (tests run several edges in a process). */
export class EdgeMetrics {
  readonly registry = new Registry();
  readonly connections = new Gauge({
    name: 'tickstream_edge_connections',
    help: 'Open WebSocket connections',
    registers: [this.registry],
  });
  readonly channels = new Gauge({
    name: 'tickstream_edge_channels',
    help: 'Distinct subscriptions (clients asking for the same symbols share one)',
    registers: [this.registry],
  });
  readonly subscribedSymbols = new Gauge({
    name: 'tickstream_edge_subscribed_symbols',
    help: 'Symbols subscribed, summed over connections',
    registers: [this.registry],
  });
  readonly symbols = new Gauge({
    name: 'tickstream_edge_symbols',
    help: 'Symbols known to this edge',
    registers: [this.registry],
  });
  readonly conflated = new Counter({
    name: 'tickstream_edge_conflated_ticks_total',
    help: 'Ticks folded into an update for the same symbol within one window',
    registers: [this.registry],
  });
  readonly slowCloses = new Counter({
    name: 'tickstream_edge_slow_client_closes_total',
    help: 'Clients closed for not reading (4008)',
    registers: [this.registry],
  });
  readonly clientErrors = new Counter({
    name: 'tickstream_edge_client_errors_total',
    help: 'Error frames sent to clients',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly consumerLag = new Gauge({
    name: 'tickstream_edge_consumer_lag',
    help: 'Records between the edge and the end of each partition',
    labelNames: ['partition'] as const,
    registers: [this.registry],
  });
  readonly kafkaUp = new Gauge({
    name: 'tickstream_edge_kafka_up',
    help: '1 while the edge receives from Kafka',
    registers: [this.registry],
  });
  readonly windowSeconds = new Histogram({
    name: 'tickstream_edge_window_seconds',
    help: 'Time to publish one window (diff, encode, compress, send)',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
    registers: [this.registry],
  });
  readonly tickToSendSeconds = new Histogram({
    name: 'tickstream_edge_tick_to_send_seconds',
    help: 'From a tick’s exchange time to the Delta carrying it being sent',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [this.registry],
  });

  readonly analyticsUp = new Gauge({
    name: 'tickstream_edge_analytics_up',
    help: '1 while the analytics job’s bars keep up with the ticks (docs/edge.md, "Analytics")',
    registers: [this.registry],
  });
  readonly analyticsLagSeconds = new Gauge({
    name: 'tickstream_edge_analytics_lag_seconds',
    help: 'Exchange time of the newest tick minus the end of the analytics job’s newest bar',
    registers: [this.registry],
  });

  /** `ingest` counts per tick in plain numbers: a prom-client inc() per tick costs more than the tick. */
  constructor(
    sent: SendCounts,
    ingest: {
      ticks: () => number;
      badRecords: () => number;
      lateTicks: () => number;
      finalBars: () => number;
      candleBytes: () => number;
      fetches: () => number;
    },
  ) {
    // The event-loop delay monitor samples every 100 ms, not prom-client's default 10 ms: its
    // timer, 100 wake-ups a second, was most of an idle edge's. Every stall of 100 ms or more is
    // still caught; a shorter one only when a sample falls inside it.
    collectDefaultMetrics({
      register: this.registry,
      prefix: 'tickstream_edge_',
      eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS,
    });
    const registers = [this.registry];
    new Counter({
      name: 'tickstream_edge_ticks_consumed_total',
      help: 'Ticks read from Kafka and applied',
      registers,
      collect() {
        mirror(this, ingest.ticks);
      },
    });
    new Counter({
      name: 'tickstream_edge_tick_fetches_total',
      help: 'Fetches of the ticks and market events topics Kafka answered (their pace: docs/edge.md, "Reading Kafka")',
      registers,
      collect() {
        mirror(this, ingest.fetches);
      },
    });
    new Counter({
      name: 'tickstream_edge_bad_records_total',
      help: 'Kafka records that did not decode (skipped, logged)',
      registers,
      collect() {
        mirror(this, ingest.badRecords);
      },
    });
    new Counter({
      name: 'tickstream_edge_late_ticks_total',
      help: 'Ticks older than their symbol’s newest 1s bar: folded into no bar (the analytics job counts its own as late_ticks)',
      registers,
      collect() {
        mirror(this, ingest.lateTicks);
      },
    });
    new Counter({
      name: 'tickstream_edge_final_bars_total',
      help: 'Finished bars taken from the analytics job (candles topic), history included',
      registers,
      collect() {
        mirror(this, ingest.finalBars);
      },
    });
    new Gauge({
      name: 'tickstream_edge_candle_bytes',
      help: 'Memory held by candles (every symbol and timeframe)',
      registers,
      collect() {
        this.set(ingest.candleBytes());
      },
    });
    new Counter({
      name: 'tickstream_edge_frames_sent_total',
      help: 'WebSocket frames sent, by message type',
      labelNames: ['type'] as const,
      registers,
      collect() {
        this.reset();
        for (const [type, count] of sent.frames) this.inc({ type }, count);
      },
    });
    new Counter({
      name: 'tickstream_edge_bytes_sent_total',
      help: 'WebSocket payload bytes sent',
      registers,
      collect() {
        mirror(this, () => sent.bytes);
      },
    });
    new Counter({
      name: 'tickstream_edge_updates_sent_total',
      help: 'Symbol updates delivered (one per symbol per Delta per client)',
      registers,
      collect() {
        mirror(this, () => sent.updates);
      },
    });
    new Counter({
      name: 'tickstream_edge_deltas_skipped_total',
      help: 'Deltas not sent to clients over their soft buffer limit (they resync)',
      registers,
      collect() {
        mirror(this, () => sent.skipped);
      },
    });
  }
}
