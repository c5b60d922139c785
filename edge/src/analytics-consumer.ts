import {
  BAR_TIMEFRAME_US,
  type BarTimeframe,
  CandleBarReader,
  type CorrelationMatrixFields,
  decodeCorrelationMatrix,
  ProtocolError,
} from '@tickstream/schemas';
import { type KafkaSecurity, kafkaSecurityFromEnv } from '@tickstream/schemas/kafka-security';
import type { Admin, Kafka } from 'kafkajs';
import { edgeKafkaClient } from './kafka-client.js';
import { disconnectWithin } from './kafka-disconnect.js';
import { type PartitionReader, partitionReaderFor, type ReaderHooks } from './partition-reader.js';

/** How often the edge looks for the analytics topics while they are missing (the job may start any time). */
const TOPIC_POLL_MS = 5000;
const BAD_RECORDS_LOGGED = 5;

export interface AnalyticsConsumerOptions {
  brokers: string[];
  security?: KafkaSecurity;
  clientId: string;
  candlesTopic: string;
  correlationsTopic: string;
  /** Bars to load per timeframe: partition T is read from ListOffsets(now − barsKept[T] × T). */
  barsKept: readonly number[];
  /** Newest `correlations` records read back at start (the newest matrix per group is kept). */
  correlationsBacklog: number;
  /** A bar, read in place: the reader holds it until the next one (copy what is kept). */
  onBar: (bar: CandleBarReader) => void;
  onMatrix: (matrix: CorrelationMatrixFields) => void;
  /** `candles` read up to where it ended at start, or found absent: history is complete. */
  onLoaded: (summary: AnalyticsLoad) => void;
  log: (line: string) => void;
  /** Where "now" comes from (tests of the history depth); Date.now by default. */
  now?: () => number;
}

export interface AnalyticsLoad {
  /** `candles` exists. */
  present: boolean;
  bars: number;
  millis: number;
}

/** What the edge has seen of the job's output, for judging whether the job is alive (analytics-status.ts). */
export interface AnalyticsSeen {
  /** Whether `candles` exists; undefined until first looked at. */
  present: boolean | undefined;
  /** Bars read since start. */
  bars: number;
  /** End (start + length, µs) of the newest bar read, per timeframe; 0 for none. */
  newestEndUs: number[];
  /** Wall clock of the last record read, ms; 0 for none. */
  lastRecordMs: number;
  badRecords: number;
}

const CANDLES = 0;

/**
 * Reads the analytics job's output for one edge: `candles` (finished bars with indicators; one
 * partition per timeframe) and `correlations`. At start each `candles` partition is read from
 * the time its timeframe's kept bars reach back to (ListOffsets by timestamp: bars are stamped
 * with their start) up to where it ended, so an edge has days of history within seconds; then it
 * follows both topics. Everything is read read_committed: the job writes in transactions, and a
 * transaction it aborts (a failure between checkpoints) never reaches a chart.
 *
 * Where the job has never run the topics do not exist: the edge says so once, counts history as
 * loaded (bars come from ticks only), and looks again every few seconds.
 */
export class AnalyticsConsumer {
  readonly seen: AnalyticsSeen = {
    present: undefined,
    bars: 0,
    newestEndUs: [0, 0, 0, 0, 0, 0, 0],
    lastRecordMs: 0,
    badRecords: 0,
  };
  private readonly kafka: Kafka;
  private readonly admin: Admin;
  private readonly security: KafkaSecurity;
  private readonly now: () => number;
  private reader: PartitionReader | null = null;
  private readonly bar = new CandleBarReader();
  /** The topics the running reader reads ([candles] or [candles, correlations]). */
  private topics: string[] = [];
  private readonly positions = new Map<string, number>();
  private starts = new Map<string, number>();
  private endsAtStart = new Map<number, number>();
  private loadStartedMs = 0;
  private loaded = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private said = '';

  constructor(private readonly options: AnalyticsConsumerOptions) {
    this.security = options.security ?? kafkaSecurityFromEnv();
    this.now = options.now ?? Date.now;
    this.kafka = edgeKafkaClient(options.clientId, options.brokers, this.security);
    this.admin = this.kafka.admin({ retry: { retries: 0 } });
  }

  get isLoaded(): boolean {
    return this.loaded;
  }

  async start(): Promise<void> {
    this.loadStartedMs = Date.now();
    await this.look();
  }

  /** Looks for the topics and (re)starts the reader when the set found changed; then again later. */
  private async look(): Promise<void> {
    if (this.stopped) return;
    const { candlesTopic, correlationsTopic } = this.options;
    try {
      await this.admin.connect();
      const existing = new Set(await this.admin.listTopics());
      const wanted = [candlesTopic, correlationsTopic].filter((topic) => existing.has(topic));
      this.seen.present = existing.has(candlesTopic);
      if (!existing.has(candlesTopic)) {
        this.say(
          `no '${candlesTopic}' topic: the analytics job has never run against this Kafka; candles come from ticks only (looking again every ${TOPIC_POLL_MS / 1000} s)`,
        );
        this.markLoaded();
      } else if (wanted.join() !== this.topics.join()) {
        await this.plan(wanted);
        await this.restartReader(wanted);
        this.said = '';
      }
    } catch (error) {
      // Kafka itself is the TickConsumer's to report; this only says why analytics is not read.
      this.say(`could not look for the analytics topics (${(error as Error).message}); retrying`);
    }
    // Once both topics are read there is nothing more to look for.
    if (!this.stopped && this.topics.length < 2) {
      this.timer = setTimeout(() => void this.look(), TOPIC_POLL_MS);
      this.timer.unref();
    }
  }

  /** Where each partition not yet read starts, and where `candles` ends now. */
  private async plan(topics: string[]): Promise<void> {
    const { candlesTopic, correlationsTopic, barsKept, correlationsBacklog } = this.options;
    if (!this.topics.includes(candlesTopic)) {
      const ends = await this.admin.fetchTopicOffsets(candlesTopic);
      this.endsAtStart = new Map(ends.map((p) => [p.partition, Number(p.high)]));
      const now = this.now();
      let records = 0;
      for (const { partition, high } of ends) {
        // Partition T holds timeframe T's bars; an unknown partition (more than 7) is read from its end.
        const lengthUs = BAR_TIMEFRAME_US[partition as BarTimeframe];
        let start = Number(high);
        if (lengthUs !== undefined) {
          const fromMs = now - ((barsKept[partition] ?? 0) * lengthUs) / 1000;
          const found = await this.admin.fetchTopicOffsetsByTimestamp(candlesTopic, fromMs);
          start = Number(found.find((p) => p.partition === partition)?.offset ?? high);
        }
        this.starts.set(`${candlesTopic}:${partition}`, start);
        records += Number(high) - start;
      }
      this.options.log(
        `loading ${records.toLocaleString('en-US')} bars of history from '${candlesTopic}' (${ends.length} timeframes)`,
      );
    }
    if (topics.includes(correlationsTopic) && !this.topics.includes(correlationsTopic)) {
      for (const { partition, high, low } of await this.admin.fetchTopicOffsets(correlationsTopic)) {
        this.starts.set(`${correlationsTopic}:${partition}`, Math.max(Number(low), Number(high) - correlationsBacklog));
      }
    }
  }

  private async restartReader(topics: string[]): Promise<void> {
    await this.reader?.stop();
    this.topics = topics;
    const hooks: ReaderHooks = {
      startOffset: (topic, partition) => {
        const key = `${topic}:${partition}`;
        return this.positions.get(key) ?? this.starts.get(key);
      },
      onValue: (topic, _partition, bytes, start, end) => this.receive(topic, bytes.subarray(start, end)),
      onPartitionRead: (topic, partition, next) => {
        this.positions.set(`${this.topics[topic]}:${partition}`, next);
        if (topic === CANDLES && !this.loaded) this.checkLoaded();
      },
      onFetchAnswered: () => {},
      log: this.options.log,
    };
    this.reader = partitionReaderFor(
      {
        kafka: this.kafka,
        admin: this.admin,
        brokers: this.options.brokers,
        clientId: this.options.clientId,
        security: this.security,
        groupId: `${this.options.clientId}-analytics`,
        topics,
      },
      hooks,
    );
    await this.reader.start();
    this.checkLoaded();
  }

  private receive(topic: number, value: Uint8Array): void {
    const seen = this.seen;
    seen.lastRecordMs = Date.now();
    try {
      if (topic === CANDLES) {
        const bar = this.bar;
        bar.read(value);
        seen.bars++;
        const end = bar.startTimeUs + BAR_TIMEFRAME_US[bar.timeframe];
        if (end > (seen.newestEndUs[bar.timeframe] as number)) seen.newestEndUs[bar.timeframe] = end;
        this.options.onBar(bar);
      } else {
        this.options.onMatrix(decodeCorrelationMatrix(value));
      }
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      if (seen.badRecords++ < BAD_RECORDS_LOGGED)
        this.options.log(`skipping a '${this.topics[topic]}' record that does not decode: ${error.message}`);
    }
  }

  private checkLoaded(): void {
    if (this.loaded) return;
    for (const [partition, end] of this.endsAtStart) {
      const key = `${this.options.candlesTopic}:${partition}`;
      if ((this.positions.get(key) ?? this.starts.get(key) ?? end) < end) return;
    }
    this.markLoaded();
  }

  private markLoaded(): void {
    if (this.loaded) return;
    this.loaded = true;
    this.options.onLoaded({
      present: this.seen.present === true,
      bars: this.seen.bars,
      millis: Date.now() - this.loadStartedMs,
    });
  }

  private say(line: string): void {
    if (line !== this.said) this.options.log(line);
    this.said = line;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await disconnectWithin([this.reader?.stop(), this.admin.disconnect()]);
  }
}
