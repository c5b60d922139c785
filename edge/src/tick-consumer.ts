import {
  authenticationAdvice,
  describeKafkaSecurity,
  isAuthenticationFailure,
  isSecured,
  type KafkaSecurity,
  kafkaSecurityFromEnv,
} from '@tickstream/schemas/kafka-security';
import type { Admin, Kafka } from 'kafkajs';
import { edgeKafkaClient } from './kafka-client.js';
import { DISCONNECT_TIMEOUT_MS, disconnectWithin } from './kafka-disconnect.js';
import type { FetchPace } from './kafka-fetch-reader.js';
import { type PartitionReader, partitionReaderFor, type ReaderHooks } from './partition-reader.js';

/** No fetch answered for this long means Kafka is gone (an idle fetch returns every 500 ms). */
const SILENCE_MS = 3000;
/** Once a second, with the edge's other per-second timers: judging silence of 3 s needs no finer grain. */
const HEALTH_CHECK_MS = 1000;
/** A health check this late means our own event loop stalled: silence then says nothing about Kafka. */
const STALLED_CHECK_MS = 2500;
const TICKS = 0;

export interface TickConsumerOptions {
  brokers: string[];
  topic: string;
  eventsTopic: string;
  /** Client id, and the kafkajs group id (private to this edge process: every edge reads every partition). */
  groupId: string;
  historyMs: number;
  /** How far back market events are read at start (for /api/events and badges); 0: from the end. */
  eventsHistoryMs: number;
  /** A tick record's value, `bytes[start, end)`; `bytes` may be reused once this returns. */
  onTick: (bytes: Uint8Array, start: number, end: number) => void;
  /** A market event; `live` false for one read back from before the edge started. */
  onEvent: (value: Uint8Array, live: boolean) => void;
  /** Called each batch with the partition's remaining records. */
  onLag: (partition: number, lag: number) => void;
  /** Kafka became reachable (true) or was lost (false), with why; `health` has the latest word in between. */
  onHealth: (up: boolean, reason: string) => void;
  /** History up to the end offsets seen at start has been applied. */
  onReady: () => void;
  log: (line: string) => void;
  /** TLS and SASL (docs/operations.md); default: read from KAFKA_SSL* / KAFKA_SASL_*. */
  security?: KafkaSecurity;
  /**
   * Asked before each Fetch: how long Kafka may gather ticks before answering (kafka-fetch-reader.ts).
   * The edge says `unhurried` while no client waits, and with clients the time left until its
   * next window closes; either costs a fraction of fetching each batch as it is produced. Default: prompt.
   */
  pace?: () => FetchPace;
}

/**
 * Reads the ticks and market events topics for one edge. It starts `historyMs` back in the
 * ticks topic and says when it has caught up to where the topic ended at start, so a restarted
 * edge serves charts at once; market events are read from `eventsHistoryMs` back, those from
 * before the start marked as not live. Both read_committed (the analytics job writes its events
 * in transactions; the producer's records are not transactional, which reads the same). It keeps its
 * own position per partition, and a reader that restarts (after Kafka was lost, a leader moved)
 * resumes there, so the state never gets a tick twice (double volume) nor misses one. Ticks are
 * applied synchronously as each Fetch answer is read, before the next Fetch: a slow edge falls
 * behind in Kafka (consumer lag grows) instead of buffering in memory. The reading itself is the
 * edge's own Fetch reader, or kafkajs when TLS or SASL is configured (partition-reader.ts).
 */
export class TickConsumer {
  private readonly kafka: Kafka;
  private readonly admin: Admin;
  private readonly reader: PartitionReader;
  private readonly topics: string[];
  /** Next offset to read, per topic and partition. */
  private readonly positions = new Map<string, number>();
  private historyStart = new Map<number, number>();
  private eventsStart = new Map<number, number>();
  private eventsEndAtStart = new Map<number, number>();
  private endAtStart = new Map<number, number>();
  private ready = false;
  private up = false;
  private healthDetail = 'connecting to Kafka';
  private lastFetchMs = 0;
  /** Fetches Kafka answered (tickstream_edge_tick_fetches_total): how the pace below works out. */
  fetchesAnswered = 0;
  private lastHealthCheckMs = 0;
  private healthTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly security: KafkaSecurity;

  constructor(private readonly options: TickConsumerOptions) {
    this.security = options.security ?? kafkaSecurityFromEnv();
    this.topics = [options.topic, options.eventsTopic];
    this.kafka = edgeKafkaClient(options.groupId, options.brokers, this.security);
    this.admin = this.kafka.admin({ retry: { retries: 0 } });
    const hooks: ReaderHooks = {
      startOffset: (topic, partition) => this.startOffset(topic, partition),
      onValue: (topic, partition, bytes, start, end, offset) => {
        if (topic === TICKS) options.onTick(bytes, start, end);
        else options.onEvent(bytes.subarray(start, end), offset >= (this.eventsEndAtStart.get(partition) ?? 0));
      },
      onPartitionRead: (topic, partition, next, highWatermark) =>
        this.partitionRead(topic, partition, next, highWatermark),
      onFetchAnswered: () => {
        this.fetchesAnswered++;
        this.lastFetchMs = Date.now();
      },
      log: options.log,
    };
    if (isSecured(this.security))
      options.log(
        `Kafka security ${describeKafkaSecurity(this.security)}: reading with kafkajs (the edge's own Fetch reader speaks PLAINTEXT only)`,
      );
    this.reader = partitionReaderFor(
      {
        kafka: this.kafka,
        admin: this.admin,
        brokers: options.brokers,
        clientId: options.groupId,
        security: this.security,
        groupId: options.groupId,
        topics: this.topics,
        ...(options.pace ? { pace: options.pace } : {}),
      },
      hooks,
    );
  }

  /** Starts reading; resolves once the reader runs (history may still be loading). Retries until Kafka answers. */
  async start(): Promise<void> {
    this.lastHealthCheckMs = Date.now();
    this.healthTimer = setInterval(() => this.checkHealth(), HEALTH_CHECK_MS);
    this.healthTimer.unref();
    if (!(await this.findTopicAndPlanHistory())) return;
    await this.reader.start();
    this.checkReady();
  }

  /**
   * Waits for the ticks topic, then plans history; any failure of either retries both, so Kafka
   * going away in between is retried too. False when stopped first.
   */
  private async findTopicAndPlanHistory(): Promise<boolean> {
    let said = '';
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        await this.admin.connect();
        const topics = await this.admin.listTopics();
        if (topics.includes(this.options.topic)) {
          if (!topics.includes(this.options.eventsTopic)) {
            await this.admin.createTopics({ topics: [{ topic: this.options.eventsTopic, numPartitions: 1 }] });
          }
          await this.planHistory();
          return !this.stopped;
        }
        if (said !== 'topic') this.options.log(`waiting for topic ${this.options.topic} (start a producer)`);
        said = 'topic';
        this.setHealth(true, 'Kafka reachable; no ticks topic yet');
      } catch (error) {
        // Wrong credentials are retried too (they may be rotated in Kafka), but said as what they are.
        const reason = isAuthenticationFailure(error)
          ? `authentication with Kafka at ${this.options.brokers.join(',')} failed (${(error as Error).message}): ${authenticationAdvice(this.security)}`
          : `Kafka at ${this.options.brokers.join(',')} unreachable (${(error as Error).message})`;
        if (said !== reason) this.options.log(`${reason}; retrying`);
        said = reason;
        this.setHealth(false, reason);
      }
      // Unref'd: a stopped edge must not wait for this pause to exit.
      await new Promise((resolve) => setTimeout(resolve, Math.min(250 * 2 ** attempt, 2000)).unref());
    }
    return false;
  }

  /** Where history starts (offsets by timestamp) and where the topic ends now. */
  private async planHistory(): Promise<void> {
    const { topic, historyMs } = this.options;
    const ends = await this.admin.fetchTopicOffsets(topic);
    this.endAtStart = new Map(ends.map((p) => [p.partition, Number(p.high)]));
    const starts =
      historyMs > 0
        ? await this.admin.fetchTopicOffsetsByTimestamp(topic, Date.now() - historyMs)
        : ends.map((p) => ({ partition: p.partition, offset: p.high }));
    this.historyStart = new Map(
      starts.map((p) => [
        p.partition,
        Number(p.offset) < 0 ? Number(ends.find((e) => e.partition === p.partition)?.high ?? 0) : Number(p.offset),
      ]),
    );
    const { eventsTopic, eventsHistoryMs } = this.options;
    const events = await this.admin.fetchTopicOffsets(eventsTopic);
    this.eventsEndAtStart = new Map(events.map((p) => [p.partition, Number(p.high)]));
    const eventStarts =
      eventsHistoryMs > 0
        ? await this.admin.fetchTopicOffsetsByTimestamp(eventsTopic, Date.now() - eventsHistoryMs)
        : events;
    this.eventsStart = new Map(eventStarts.map((p) => [p.partition, Number(p.offset)]));
    const records = [...this.endAtStart].reduce(
      (sum, [partition, end]) => sum + end - (this.historyStart.get(partition) ?? end),
      0,
    );
    this.options.log(
      `loading ${records.toLocaleString('en-US')} ticks of history (${Math.round(historyMs / 1000)} s) from ${ends.length} partitions`,
    );
  }

  private startOffset(topic: string, partition: number): number | undefined {
    const known = this.positions.get(`${topic}:${partition}`);
    if (known !== undefined) return known;
    return topic === this.options.topic ? this.historyStart.get(partition) : this.eventsStart.get(partition);
  }

  private partitionRead(topic: number, partition: number, next: number, highWatermark: number): void {
    this.positions.set(`${this.topics[topic]}:${partition}`, next);
    if (topic !== TICKS) return;
    this.options.onLag(partition, Math.max(0, highWatermark - next));
    if (!this.ready) this.checkReady();
  }

  private checkReady(): void {
    if (this.ready) return;
    for (const [partition, end] of this.endAtStart) {
      const at = this.positions.get(`${this.options.topic}:${partition}`) ?? this.historyStart.get(partition) ?? end;
      if (at < end) return;
    }
    this.ready = true;
    this.options.onReady();
  }

  private checkHealth(): void {
    const now = Date.now();
    const sinceLastCheckMs = now - this.lastHealthCheckMs;
    this.lastHealthCheckMs = now;
    // After a stall (GC, a long batch, a busy machine) answers queued behind this timer have not
    // been read yet: judge in the next round rather than report a Kafka outage that was ours.
    if (this.lastFetchMs === 0 || sinceLastCheckMs > STALLED_CHECK_MS) return;
    const silentMs = now - this.lastFetchMs;
    if (silentMs > SILENCE_MS) this.setHealth(false, `no answer from Kafka for ${Math.round(silentMs / 1000)} s`);
    else this.setHealth(true, 'receiving from Kafka');
  }

  /** Someone now waits for ticks (the first client): a Fetch held while nobody did is cut short. */
  hurry(): void {
    this.reader.hurry?.();
  }

  /** Whether Kafka answers, and the latest word on it (for /health: kept current between changes). */
  get health(): { up: boolean; detail: string } {
    return { up: this.up, detail: this.healthDetail };
  }

  private setHealth(up: boolean, reason: string): void {
    this.healthDetail = reason;
    if (up === this.up) return;
    this.up = up;
    this.options.onHealth(up, reason);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.healthTimer);
    if (!(await disconnectWithin([this.reader.stop(), this.admin.disconnect()])))
      this.options.log(
        `Kafka did not answer the disconnect within ${DISCONNECT_TIMEOUT_MS / 1000} s; stopping without it`,
      );
  }
}
