import {
  authenticationAdvice,
  isAuthenticationFailure,
  type KafkaSecurity,
  kafkajsSecurity,
  kafkaSecurityFromEnv,
} from '@tickstream/schemas/kafka-security';
import { kafkaLz4Codec } from '@tickstream/schemas/lz4-node';
import kafkajs, { type Message, type PartitionMetadata, type Producer } from 'kafkajs';
import { connectWithRetry, fatalError } from './connect-retry.js';
import { emptyLatency, type LatencyCounts, observeLatency } from './produce-latency.js';

// kafkajs is CommonJS without named exports Node can see: take them from the default export.
const { CompressionCodecs, CompressionTypes, Kafka, logLevel, Partitioners } = kafkajs;
CompressionCodecs[CompressionTypes.LZ4] = kafkaLz4Codec;

/**
 * Messages per produce request. kafkajs groups a request's messages by partition in time
 * quadratic in their number, so past a few thousand it gets slower; 6,000 measured best here
 * (docs/producer.md).
 */
const MAX_MESSAGES_PER_REQUEST = 6000;
/** A produce request unanswered for this long means the broker is gone (they take ms). */
const STALL_MS = 2500;

export interface KafkaSinkOptions {
  brokers: string[];
  topic: string;
  eventsTopic: string;
  /** Partitions of the ticks topic when this sink has to create it. */
  partitions: number;
  acks: 0 | 1 | -1;
  idempotent: boolean;
  /** Give up on the first connection after this long (the broker is retried with backoff until then). */
  connectTimeoutMs: number;
  /** Ticks held while Kafka is unreachable; beyond this, new ticks are dropped and counted. */
  bufferTicks: number;
  clientId: string;
  /** Off for the workers' sinks: the main thread has made the topics already. */
  createTopics: boolean;
  log: (line: string) => void;
  /** TLS and SASL (docs/operations.md); default: read from KAFKA_SSL* / KAFKA_SASL_*. */
  security?: KafkaSecurity;
}

export interface SinkStats {
  /** Ticks Kafka acknowledged. */
  acked: number;
  ackedBytes: number;
  batches: number;
  /** Sends that failed (each is retried by kafkajs first; a failed batch stays buffered). */
  errors: number;
  /** Ticks dropped because the buffer was full while Kafka was away. */
  dropped: number;
  buffered: number;
  connected: boolean;
  /** How long produce requests took to be answered (the acknowledged ones). */
  latency: LatencyCounts;
}

/** The part of a batch that goes to one partition. */
interface Chunk {
  batch: TickBatch;
  messages: Message[];
}

/** A batch of encoded ticks ready for Kafka: one record per tick, keyed by symbol. */
export interface TickBatch {
  messages: Message[];
  bytes: number;
  /** Called once the batch is acknowledged by Kafka or dropped. */
  settled?: () => void;
}

/**
 * Writes tick batches to Kafka with kafkajs: lz4, key = symbol (so kafkajs' murmur2 partitioner
 * keeps each symbol in one partition), bounded in-flight sends and a bounded buffer for the
 * time Kafka is away. It never invents data: what cannot be written is counted as dropped.
 */
export class KafkaSink {
  private readonly kafka: InstanceType<typeof Kafka>;
  private readonly security: KafkaSecurity;
  private producer: Producer;
  /** kafkajs' idempotent producer cannot resend after a failed request: it needs a new producer id. */
  private renewProducer = false;
  /** The ticks topic's partitions, for computing each key's partition as kafkajs does. */
  private partitionMetadata: PartitionMetadata[] = [];
  private readonly partitioner = Partitioners.DefaultPartitioner();
  private readonly partitionByKey = new Map<string, number>();
  /**
   * Waiting ticks, per partition, in order. Each partition has at most one request in flight, so
   * a failed request goes back to the head of its partition's queue and nothing overtakes it.
   */
  private readonly queues = new Map<number, Chunk[]>();
  private readonly sending = new Map<number, number>(); // partition → when its request left
  private queued = 0;
  private inFlight = 0;
  /** Chunks of each batch not yet acknowledged: `settled` runs when it reaches 0. */
  private readonly unsettled = new Map<TickBatch, number>();
  private stopping = false;
  private wasConnected = false;
  private retryTimer: NodeJS.Timeout | undefined;
  /** kafkajs retries a send quietly while a broker is away: this notices and says so. */
  private readonly watchdog: NodeJS.Timeout;
  private stalledSince = 0;
  private readonly idleWaiters: (() => void)[] = [];
  readonly stats: SinkStats = {
    acked: 0,
    ackedBytes: 0,
    batches: 0,
    errors: 0,
    dropped: 0,
    buffered: 0,
    connected: false,
    latency: emptyLatency(),
  };

  constructor(private readonly options: KafkaSinkOptions) {
    this.security = options.security ?? kafkaSecurityFromEnv();
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      ...kafkajsSecurity(this.security),
      // Its retry chatter would bury the one line we print per outage; errors reach us as rejections.
      logLevel: logLevel.NOTHING,
      connectionTimeout: 3000,
      requestTimeout: 10_000,
      // Enough retries to ride out a leader election (seconds) inside one send.
      retry: { initialRetryTime: 200, maxRetryTime: 5000, retries: 8 },
    });
    this.producer = this.createProducer();
    this.watchdog = setInterval(() => this.checkStall(), 500);
    this.watchdog.unref();
  }

  private createProducer(): Producer {
    const producer = this.kafka.producer({
      allowAutoTopicCreation: false,
      idempotent: this.options.idempotent,
      maxInFlightRequests: this.options.idempotent ? 1 : undefined,
    });
    producer.on(producer.events.DISCONNECT, () => {
      if (producer === this.producer) this.lost('disconnected');
    });
    return producer;
  }

  private checkStall(): void {
    if (this.inFlight === 0 || this.stalledSince !== 0 || !this.stats.connected) return;
    const oldest = Math.min(...this.sending.values());
    const waited = Date.now() - oldest;
    if (waited < STALL_MS) return;
    this.stalledSince = oldest;
    this.stats.connected = false;
    this.options.log(
      `lost Kafka: no answer for ${(waited / 1000).toFixed(1)} s; buffering up to ${this.options.bufferTicks} ticks while kafkajs retries`,
    );
  }

  /** Connects (retrying with backoff until the connect timeout) and makes sure both topics exist. */
  async start(): Promise<void> {
    await connectWithRetry(
      this.options,
      async () => {
        await this.probeAndPrepareTopics();
        await this.producer.connect();
      },
      // Wrong credentials or an untrusted certificate: no retry will cure them, so say so now.
      (error) =>
        isAuthenticationFailure(error)
          ? fatalError(
              `authentication with Kafka at ${this.options.brokers.join(',')} failed (${(error as Error).message}): ${authenticationAdvice(this.security)}`,
            )
          : undefined,
    );
    this.stats.connected = true;
    this.wasConnected = true;
  }

  /** One quick round trip (no kafkajs retries: our loop retries), then creates what is missing. */
  private async probeAndPrepareTopics(): Promise<void> {
    const probe = new Kafka({
      clientId: this.options.clientId,
      brokers: this.options.brokers,
      ...kafkajsSecurity(this.security),
      logLevel: logLevel.NOTHING,
      connectionTimeout: 3000,
      retry: { retries: 0 },
    }).admin();
    await probe.connect();
    const existing = new Set(await probe.listTopics().finally(() => probe.disconnect()));
    if (!this.options.createTopics) {
      await this.loadPartitions();
      return;
    }
    const missing = [
      { topic: this.options.topic, numPartitions: this.options.partitions },
      { topic: this.options.eventsTopic, numPartitions: 1 },
    ].filter(({ topic }) => !existing.has(topic));
    if (missing.length === 0) {
      await this.loadPartitions();
      return;
    }
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: missing, waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
    for (const { topic, numPartitions } of missing) {
      this.options.log(`created topic ${topic} with ${numPartitions} partition${numPartitions === 1 ? '' : 's'}`);
    }
    await this.loadPartitions();
  }

  private async loadPartitions(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: [this.options.topic] });
      this.partitionMetadata = metadata.topics[0]?.partitions ?? [];
    } finally {
      await admin.disconnect();
    }
  }

  /** True when the buffer can take `ticks` more; the caller drops (and counts) them otherwise. */
  hasRoom(ticks: number): boolean {
    return this.stats.buffered + ticks <= this.options.bufferTicks;
  }

  /** Queues a batch, or drops it (counted) when the buffer is full. */
  write(batch: TickBatch): void {
    if (!this.hasRoom(batch.messages.length)) {
      this.stats.dropped += batch.messages.length;
      batch.settled?.();
      return;
    }
    const chunks = this.splitByPartition(batch);
    this.unsettled.set(batch, chunks.size);
    for (const [partition, messages] of chunks) {
      let queue = this.queues.get(partition);
      if (queue === undefined) {
        queue = [];
        this.queues.set(partition, queue);
      }
      queue.push({ batch, messages });
    }
    this.queued += batch.messages.length;
    this.stats.buffered += batch.messages.length;
    this.pump();
  }

  /** Scenario starts/ends and halts, on their own topic, written at once (they are rare). */
  async writeEvent(key: string, value: Uint8Array, timestampMs: number): Promise<void> {
    try {
      await this.producer.send({
        topic: this.options.eventsTopic,
        acks: this.options.acks,
        messages: [{ key, value: Buffer.from(value), timestamp: String(timestampMs) }],
      });
    } catch (error) {
      this.stats.errors++;
      this.options.log(`market event not written: ${(error as Error).message}`);
    }
  }

  /**
   * Sends each partition's waiting ticks as one request, for every partition with none in
   * flight. One partition per request also matters for correctness: kafkajs re-sends a failed
   * multi-broker request only to brokers that have not answered yet, so after a leader moved to
   * a broker that had answered, the moved partitions' messages would be dropped yet reported sent.
   */
  private pump(): void {
    if (this.stopping || !this.stats.connected) return;
    for (const [partition, queue] of this.queues) {
      if (queue.length === 0 || this.sending.has(partition)) continue;
      const chunks: Chunk[] = [];
      let count = 0;
      while (queue.length > 0 && count < MAX_MESSAGES_PER_REQUEST) {
        const chunk = queue.shift() as Chunk;
        chunks.push(chunk);
        count += chunk.messages.length;
      }
      this.queued -= count;
      this.send(partition, chunks);
    }
  }

  private send(partition: number, chunks: Chunk[]): void {
    const messages = chunks.length === 1 ? (chunks[0] as Chunk).messages : chunks.flatMap((c) => c.messages);
    this.inFlight++;
    this.sending.set(partition, Date.now());
    const sentAt = performance.now();
    this.producer
      .send({ topic: this.options.topic, acks: this.options.acks, compression: CompressionTypes.LZ4, messages })
      .then(
        () => {
          observeLatency(this.stats.latency, (performance.now() - sentAt) / 1000);
          this.stats.acked += messages.length;
          this.stats.ackedBytes += bytesOf(messages);
          this.stats.buffered -= messages.length;
          this.stats.batches++;
          for (const { batch } of chunks) {
            const left = (this.unsettled.get(batch) ?? 1) - 1;
            if (left > 0) this.unsettled.set(batch, left);
            else {
              this.unsettled.delete(batch);
              batch.settled?.();
            }
          }
          if (this.stalledSince !== 0) {
            this.options.log(
              `Kafka is back after ${((Date.now() - this.stalledSince) / 1000).toFixed(1)} s; sending ${this.stats.buffered} buffered ticks`,
            );
            this.stalledSince = 0;
            this.stats.connected = true;
          }
        },
        (error: Error) => {
          // Back to the head of its partition's queue: the partition's ticks stay in sequence.
          this.stats.errors++;
          this.queues.get(partition)?.unshift(...chunks);
          this.queued += messages.length;
          // A failed request may or may not have been written; an idempotent producer resends
          // under a new producer id (at-least-once across such a failure, docs/producer.md).
          if (this.options.idempotent) this.renewProducer = true;
          this.lost(error.message);
        },
      )
      .finally(() => {
        this.inFlight--;
        this.sending.delete(partition);
        this.pump();
        if (this.inFlight === 0 && this.queued === 0) {
          for (const resolve of this.idleWaiters.splice(0)) resolve();
        }
      });
  }

  /** A batch's messages by the partition kafkajs' default partitioner gives each key. */
  private splitByPartition(batch: TickBatch): Map<number, Message[]> {
    const groups = new Map<number, Message[]>();
    for (const message of batch.messages) {
      const partition = this.partitionOf(message);
      let group = groups.get(partition);
      if (group === undefined) {
        group = [];
        groups.set(partition, group);
      }
      group.push(message);
    }
    return groups;
  }

  private partitionOf(message: Message): number {
    const key = message.key ?? null;
    if (key === null || this.partitionMetadata.length === 0) return 0;
    const name = typeof key === 'string' ? key : key.toString('latin1');
    let partition = this.partitionByKey.get(name);
    if (partition === undefined) {
      partition = this.partitioner({ topic: this.options.topic, partitionMetadata: this.partitionMetadata, message });
      if (this.partitionByKey.size < 100_000) this.partitionByKey.set(name, partition);
    }
    return partition;
  }

  /** Kafka went away: say so once, then reconnect in the background until it is back. */
  private lost(reason: string): void {
    if (this.stopping) return;
    // Already reported by the stall watchdog, or already reconnecting: do not say it twice.
    const news = this.stats.connected;
    const reconnecting = this.retryTimer !== undefined;
    this.stats.connected = false;
    this.stalledSince = 0;
    if (news) {
      this.options.log(`lost Kafka (${reason}); buffering up to ${this.options.bufferTicks} ticks while reconnecting`);
    }
    if (!reconnecting) this.scheduleReconnect(500);
  }

  private scheduleReconnect(delay: number): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(async () => {
      this.retryTimer = undefined;
      try {
        if (this.renewProducer) {
          const old = this.producer;
          this.producer = this.createProducer();
          this.renewProducer = false;
          await old.disconnect().catch(() => {});
        }
        await this.producer.connect();
        this.stats.connected = true;
        this.options.log(`Kafka is back; sending ${this.stats.buffered} buffered ticks`);
        this.pump();
      } catch (error) {
        const next = Math.min(delay * 2, 5000);
        this.options.log(`Kafka still unreachable (${(error as Error).message}); retrying in ${next} ms`);
        if (!this.stopping) this.scheduleReconnect(next);
      }
    }, delay);
    this.retryTimer.unref();
  }

  /** Sends what is buffered (waiting up to `timeoutMs`, also for Kafka to come back), then disconnects. */
  async stop(timeoutMs = 10_000): Promise<void> {
    const flushed = new Promise<void>((resolve) => {
      if (this.inFlight === 0 && this.queued === 0) resolve();
      else this.idleWaiters.push(resolve);
    });
    await Promise.race([flushed, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
    this.stopping = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.watchdog);
    if (this.wasConnected) await this.producer.disconnect().catch(() => {});
  }
}

function bytesOf(messages: readonly Message[]): number {
  let bytes = 0;
  for (const message of messages) bytes += message.value?.length ?? 0;
  return bytes;
}
