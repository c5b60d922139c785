import {
  authenticationAdvice,
  isAuthenticationFailure,
  type KafkaSecurity,
  kafkajsSecurity,
  kafkaSecurityFromEnv,
} from '@tickstream/schemas/kafka-security';
import { kafkaLz4Codec } from '@tickstream/schemas/lz4-node';
import kafkajs, { type Admin, type Consumer, type EachBatchPayload } from 'kafkajs';

const { CompressionCodecs, CompressionTypes, Kafka, logLevel } = kafkajs;
// kafkajs ships without LZ4, and the producer writes lz4 batches: without this an edge in its own
// process (`tickstream edge`) fails on the first batch.
CompressionCodecs[CompressionTypes.LZ4] = kafkaLz4Codec;

/** No fetch answered for this long means Kafka is gone (an idle fetch returns every 500 ms). */
const SILENCE_MS = 3000;
const FETCH_WAIT_MS = 500;
const HEALTH_CHECK_MS = 500;
const DISCONNECT_TIMEOUT_MS = 3000;
/** A health check this late means our own event loop stalled: silence then says nothing about Kafka. */
const STALLED_CHECK_MS = 1500;

export interface TickConsumerOptions {
  brokers: string[];
  topic: string;
  eventsTopic: string;
  /** Group id, private to this edge process: every edge reads every partition. */
  groupId: string;
  historyMs: number;
  onTick: (value: Buffer) => void;
  onEvent: (value: Buffer) => void;
  /** Called each batch with the partition's remaining records. */
  onLag: (partition: number, lag: number) => void;
  /** Kafka became reachable (true) or was lost (false), with why. */
  onHealth: (up: boolean, reason: string) => void;
  /** History up to the end offsets seen at start has been applied. */
  onReady: () => void;
  log: (line: string) => void;
  /** TLS and SASL (docs/operations.md); default: read from KAFKA_SSL* / KAFKA_SASL_*. */
  security?: KafkaSecurity;
}

/**
 * Reads the ticks and market events topics with kafkajs for one edge. It starts `historyMs`
 * back in the ticks topic and says when it has caught up to where the topic ended at start, so
 * a restarted edge serves charts at once. It keeps its own position per partition and seeks
 * there whenever the consumer (re)joins, so a crash-restart of the kafkajs consumer neither
 * replays ticks into the state (double volume) nor skips any. Ticks are applied synchronously
 * inside eachBatch, and kafkajs fetches no more for a partition until its batch is done: a
 * slow edge falls behind in Kafka (consumer lag grows) instead of buffering in memory.
 */
export class TickConsumer {
  private readonly kafka: InstanceType<typeof Kafka>;
  private readonly admin: Admin;
  private readonly consumer: Consumer;
  /** Next offset to read, per topic and partition. */
  private readonly positions = new Map<string, number>();
  private historyStart = new Map<number, number>();
  private endAtStart = new Map<number, number>();
  private ready = false;
  private up = false;
  private lastFetchMs = 0;
  private lastHealthCheckMs = 0;
  private healthTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly security: KafkaSecurity;

  constructor(private readonly options: TickConsumerOptions) {
    this.security = options.security ?? kafkaSecurityFromEnv();
    this.kafka = new Kafka({
      clientId: options.groupId,
      brokers: options.brokers,
      ...kafkajsSecurity(this.security),
      logLevel: logLevel.NOTHING,
      connectionTimeout: 2000,
      retry: { initialRetryTime: 250, maxRetryTime: 3000, retries: 10 },
    });
    this.admin = this.kafka.admin({ retry: { retries: 0 } });
    this.consumer = this.kafka.consumer({
      groupId: options.groupId,
      maxWaitTimeInMs: FETCH_WAIT_MS,
      allowAutoTopicCreation: false,
      // Never give up: the edge outlives any Kafka outage and resumes where it stopped.
      retry: { initialRetryTime: 250, maxRetryTime: 3000, retries: 5, restartOnFailure: async () => true },
    });
  }

  /** Starts reading; resolves once the consumer runs (history may still be loading). Retries until Kafka answers. */
  async start(): Promise<void> {
    this.lastHealthCheckMs = Date.now();
    this.healthTimer = setInterval(() => this.checkHealth(), HEALTH_CHECK_MS);
    this.healthTimer.unref();
    await this.waitForTopic();
    if (this.stopped) return;
    await this.planHistory();
    const { consumer } = this;
    // A Fetch the broker answered (kafkajs emits FETCH for failed attempts too, so that event proves nothing).
    consumer.on(consumer.events.REQUEST, ({ payload }) => {
      if (payload.apiName === 'Fetch') this.lastFetchMs = Date.now();
    });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => this.seekToPositions(payload.memberAssignment));
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.options.log(`Kafka consumer failed (${payload.error.message}); restarting it`);
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [this.options.topic, this.options.eventsTopic], fromBeginning: false });
    await consumer.run({ autoCommit: false, eachBatch: (payload) => this.eachBatch(payload) });
    this.checkReady();
  }

  private async waitForTopic(): Promise<void> {
    let said = '';
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        await this.admin.connect();
        const topics = await this.admin.listTopics();
        if (topics.includes(this.options.topic)) {
          if (!topics.includes(this.options.eventsTopic)) {
            await this.admin.createTopics({ topics: [{ topic: this.options.eventsTopic, numPartitions: 1 }] });
          }
          return;
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
      await new Promise((resolve) => setTimeout(resolve, Math.min(250 * 2 ** attempt, 2000)));
    }
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
    const records = [...this.endAtStart].reduce(
      (sum, [partition, end]) => sum + end - (this.historyStart.get(partition) ?? end),
      0,
    );
    this.options.log(
      `loading ${records.toLocaleString('en-US')} ticks of history (${Math.round(historyMs / 1000)} s) from ${ends.length} partitions`,
    );
  }

  private seekToPositions(assignment: Record<string, number[]>): void {
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const partition of partitions) {
        const known = this.positions.get(`${topic}:${partition}`);
        const offset = known ?? (topic === this.options.topic ? this.historyStart.get(partition) : undefined);
        if (offset !== undefined) this.consumer.seek({ topic, partition, offset: String(offset) });
      }
    }
  }

  private async eachBatch({ batch, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const isTicks = batch.topic === this.options.topic;
    const key = `${batch.topic}:${batch.partition}`;
    let next = this.positions.get(key) ?? -1;
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) break;
      const offset = Number(message.offset);
      // After a seek kafkajs may hand back records before the position: they were applied already.
      if (offset < next) continue;
      next = offset + 1;
      if (message.value === null) continue;
      if (isTicks) this.options.onTick(message.value);
      else this.options.onEvent(message.value);
    }
    if (next >= 0) this.positions.set(key, next);
    if (isTicks) {
      this.options.onLag(batch.partition, Math.max(0, Number(batch.highWatermark) - next));
      if (!this.ready) this.checkReady();
    }
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

  private setHealth(up: boolean, reason: string): void {
    if (up === this.up) return;
    this.up = up;
    this.options.onHealth(up, reason);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.healthTimer);
    // With Kafka unreachable, kafkajs' disconnect can wait on its own reconnect loop for a long
    // time: a shutdown must not, so it gives Kafka a few seconds and then leaves without it.
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), DISCONNECT_TIMEOUT_MS);
    });
    const outcome = await Promise.race([
      Promise.allSettled([this.consumer.disconnect(), this.admin.disconnect()]),
      gaveUp,
    ]);
    clearTimeout(timer);
    if (outcome === 'timeout')
      this.options.log(
        `Kafka did not answer the disconnect within ${DISCONNECT_TIMEOUT_MS / 1000} s; stopping without it`,
      );
  }
}
