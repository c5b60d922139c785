import { hostname } from 'node:os';
import type { Kafka, Producer } from 'kafkajs';
import {
  type ComponentKindName,
  type MetricFigureFields,
  SYSTEM_METRICS_TOPIC,
  SystemMetricEncoder,
} from './system-metrics-codec.js';

/**
 * Every tier's reporter to `system_metrics` (docs/operations.md, "The pipeline"): once a second it
 * reads the figures the tier already keeps for /metrics (its prom-client registry, through the
 * same collectors a Prometheus scrape runs), turns counters into rates, and writes one record keyed
 * by the component's id. Nothing on a hot path changes: the registry reads counters that exist.
 */

/** One series of a prom-client registry's JSON (Registry.getMetricsAsJSON()), as far as it is read here. */
export interface RegistrySeries {
  name: string;
  values: ReadonlyArray<{
    value: number;
    labels: Readonly<Partial<Record<string, string | number>>>;
    metricName?: string;
  }>;
}

/** A prom-client Registry, or anything that answers the same. */
export interface MetricsRegistry {
  getMetricsAsJSON(): Promise<ReadonlyArray<RegistrySeries>>;
  /** One series by name (prom-client has it): the reporter then collects only the series it writes. */
  getSingleMetric?(name: string): { get(): Promise<RegistrySeries> } | undefined;
}

/** Which /metrics series becomes which figure. */
export interface FigureSelection {
  /** The series' name in the tier's registry, e.g. tickstream_edge_ticks_consumed_total. */
  metric: string;
  /** The figure's name in the record, e.g. ticks_per_s. */
  figure: string;
  /** 'rate': a counter, written as its increase per second; 'value': a gauge, written as read. */
  as: 'rate' | 'value';
  /** The label naming the part (partition, writer, topic): one figure per value. Absent: one figure, summed. */
  by?: string;
  /** Only the values whose labels match, e.g. { api: 'Produce' }. */
  where?: Readonly<Record<string, string>>;
}

/** Turns registry reads into figures; keeps each counter's previous reading for its rate. */
export class FigureSampler {
  private readonly previous = new Map<string, { value: number; atMs: number }>();

  constructor(private readonly selections: readonly FigureSelection[]) {}

  sample(series: ReadonlyArray<RegistrySeries>, nowMs: number): MetricFigureFields[] {
    const byName = new Map(series.map((one) => [one.name, one]));
    const figures: MetricFigureFields[] = [];
    for (const selection of this.selections) {
      const found = byName.get(selection.metric);
      if (found === undefined) continue;
      const sums = new Map<string, number>();
      for (const { value, labels, metricName } of found.values) {
        // A histogram's JSON carries its buckets too; only plain series are figures here.
        if (metricName !== undefined && metricName !== selection.metric) continue;
        if (selection.where && Object.entries(selection.where).some(([key, want]) => String(labels[key]) !== want))
          continue;
        const part = selection.by === undefined ? '' : String(labels[selection.by] ?? '');
        sums.set(part, (sums.get(part) ?? 0) + value);
      }
      for (const [label, value] of sums) {
        if (selection.as === 'value') {
          figures.push({ name: selection.figure, label, value });
          continue;
        }
        const key = `${selection.figure}\u0000${label}`;
        const before = this.previous.get(key);
        this.previous.set(key, { value, atMs: nowMs });
        // A counter that went down was reset (a restarted writer): no rate this time rather than a negative one.
        if (before === undefined || nowMs <= before.atMs || value < before.value) continue;
        figures.push({ name: selection.figure, label, value: ((value - before.value) * 1000) / (nowMs - before.atMs) });
      }
    }
    return figures;
  }
}

export interface SystemMetricsReporterOptions {
  /** A kafkajs client with the tier's brokers, TLS and SASL. */
  kafka: Kafka;
  componentId: string;
  kind: ComponentKindName;
  registry: MetricsRegistry;
  selections: readonly FigureSelection[];
  /** Figures kept outside the registry (e.g. the producer's injected rate factor). */
  extra?: () => MetricFigureFields[];
  /** "" while healthy, else why not. */
  problem?: () => string;
  /**
   * False while the component cannot be read (a job whose metrics do not answer): no record is
   * written, so the pipeline shows it silent rather than repeating stale figures.
   */
  readable?: () => boolean;
  intervalMs?: number;
  topic?: string;
  log: (line: string) => void;
}

/** Records on `system_metrics` live an hour: the pipeline view shows 15 minutes. */
const RETENTION_MS = 60 * 60_000;

export class SystemMetricsReporter {
  private readonly sampler: FigureSampler;
  private readonly encoder = new SystemMetricEncoder();
  private readonly producer: Producer;
  private readonly intervalMs: number;
  private readonly topic: string;
  private readonly host = hostname();
  private timer: NodeJS.Timeout | undefined;
  private connected = false;
  /** A record still being written: the next second is skipped rather than queued (Kafka may be away). */
  private writing = false;
  private lastReportMs = 0;
  private failure = '';
  /** Records written so far. */
  written = 0;

  constructor(private readonly options: SystemMetricsReporterOptions) {
    this.sampler = new FigureSampler(options.selections);
    this.intervalMs = options.intervalMs ?? 1000;
    this.topic = options.topic ?? SYSTEM_METRICS_TOPIC;
    this.producer = options.kafka.producer({ allowAutoTopicCreation: true, retry: { retries: 1 } });
  }

  start(): void {
    this.lastReportMs = Date.now();
    this.timer = setInterval(() => void this.report(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.connected) await this.producer.disconnect().catch(() => {});
  }

  private async report(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      if (!this.connected) {
        await this.createTopic();
        await this.producer.connect();
        this.connected = true;
      }
      const nowMs = Date.now();
      if (this.options.readable?.() === false) {
        this.lastReportMs = nowMs;
        return;
      }
      const figures = this.sampler.sample(await this.selectedSeries(), nowMs);
      if (this.options.extra) figures.push(...this.options.extra());
      const value = this.encoder.encode({
        componentId: this.options.componentId,
        kind: this.options.kind,
        timeUs: nowMs * 1000,
        intervalMs: nowMs - this.lastReportMs,
        problem: this.options.problem?.() ?? '',
        host: this.host,
        pid: process.pid,
        figures,
      });
      this.lastReportMs = nowMs;
      if (this.timer === undefined) return;
      await this.producer.send({
        topic: this.topic,
        acks: 1,
        messages: [{ key: this.options.componentId, value: Buffer.from(value), timestamp: String(nowMs) }],
      });
      this.written++;
      if (this.failure !== '') this.options.log(`system_metrics: writing again`);
      this.failure = '';
    } catch (error) {
      const reason = (error as Error).message;
      // Said once per distinct reason: Kafka away for a minute is one line, not sixty.
      if (reason !== this.failure) this.options.log(`system_metrics: not written (${reason}); retrying each second`);
      this.failure = reason;
    } finally {
      this.writing = false;
    }
  }

  private async createTopic(): Promise<void> {
    const admin = this.options.kafka.admin();
    await admin.connect();
    try {
      if ((await admin.listTopics()).includes(this.topic)) return;
      // One partition: a few records a second, read whole by every edge.
      await admin.createTopics({
        topics: [
          {
            topic: this.topic,
            numPartitions: 1,
            configEntries: [{ name: 'retention.ms', value: String(RETENTION_MS) }],
          },
        ],
      });
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * The series the selections name. Collecting the whole registry every second would run every
   * series' collect(), read or not: an edge's candle-memory gauge alone walks every symbol's bars.
   */
  private async selectedSeries(): Promise<ReadonlyArray<RegistrySeries>> {
    const registry = this.options.registry;
    if (registry.getSingleMetric === undefined) return registry.getMetricsAsJSON();
    return readSeries(
      registry,
      this.options.selections.map((selection) => selection.metric),
    );
  }
}

/** prom-client's event-loop lag series that `nodejs_eventloop_lag_seconds`' collect() sets. */
const EVENT_LOOP_LAG_SERIES = /nodejs_eventloop_lag_(?:min|max|mean|stddev|p50|p90|p99)_seconds$/;

/** The named series of `registry`, each collected on its own (names it lacks are left out). */
export async function readSeries(
  registry: Pick<MetricsRegistry, 'getSingleMetric'>,
  metricNames: readonly string[],
): Promise<RegistrySeries[]> {
  const names = new Set(metricNames);
  // prom-client sets every event-loop lag series (p50, p99, …) only in the collect() of
  // `nodejs_eventloop_lag_seconds`, which a /metrics scrape runs; read it first, or those
  // series hold whatever the last scrape left, or nothing with no scraper.
  const lagSetters = [...names].flatMap((name) => {
    const setter = name.replace(EVENT_LOOP_LAG_SERIES, 'nodejs_eventloop_lag_seconds');
    return setter !== name ? [setter] : [];
  });
  for (const setter of new Set(lagSetters)) await registry.getSingleMetric?.(setter)?.get();
  const read = await Promise.all([...names].map((name) => registry.getSingleMetric?.(name)?.get()));
  return read.filter((series): series is RegistrySeries => series !== undefined);
}

/** What every Node tier reports of its process, from prom-client's default metrics under `prefix`. */
export function processSelections(prefix: string): FigureSelection[] {
  return [
    { metric: `${prefix}process_cpu_seconds_total`, figure: 'cpu_cores', as: 'rate' },
    { metric: `${prefix}process_resident_memory_bytes`, figure: 'rss_bytes', as: 'value' },
    { metric: `${prefix}nodejs_eventloop_lag_p99_seconds`, figure: 'event_loop_delay_p99_s', as: 'value' },
  ];
}
