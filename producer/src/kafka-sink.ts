import { kafkaLz4Codec } from '@tickstream/schemas/lz4-node';
import kafkajs, { type Message, type PartitionMetadata, type Producer } from 'kafkajs';

// kafkajs is CommonJS without named exports Node can see: take them from the default export.
const { CompressionCodecs, CompressionTypes, Kafka, logLevel, Partitioners } = kafkajs;
CompressionCodecs[CompressionTypes.LZ4] = kafkaLz4Codec;

/**
 * Messages per round of produce requests (one request per partition). kafkajs groups a
 * request's messages by partition in time quadratic in their number, so past a few thousand per
 * request it gets slower; about 6,000 per partition request measured best here (docs/producer.md).
 */
const MAX_MESSAGES_PER_SEND = 36000;
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
  /** Produce requests in flight at once; more batches wait in the buffer. */
  maxInFlight: number;
  clientId: string;
  /** Off for the workers' sinks: the main thread has made the topics already. */
  createTopics: boolean;
  log: (line: string) => void;
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
  private producer: Producer;
  /** kafkajs' idempotent producer cannot resend after a failed request: it needs a new producer id. */
  private renewProducer = false;
  /** The ticks topic's partitions, for computing each key's partition as kafkajs does. */
  private partitionMetadata: PartitionMetadata[] = [];
  private readonly partitioner = Partitioners.DefaultPartitioner();
  private readonly partitionByKey = new Map<string, number>();
  private readonly queue: TickBatch[] = [];
  private inFlight = 0;
  private stopping = false;
  private wasConnected = false;
  private retryTimer: NodeJS.Timeout | undefined;
  /** kafkajs retries a send quietly while a broker is away: this notices and says so. */
  private readonly watchdog: NodeJS.Timeout;
  private sendStartedAt = 0;
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
  };

  constructor(private readonly options: KafkaSinkOptions) {
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
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
    const waited = Date.now() - this.sendStartedAt;
    if (waited < STALL_MS) return;
    this.stalledSince = this.sendStartedAt;
    this.stats.connected = false;
    this.options.log(
      `lost Kafka: no answer for ${(waited / 1000).toFixed(1)} s; buffering up to ${this.options.bufferTicks} ticks while kafkajs retries`,
    );
  }

  /** Connects (retrying with backoff until the connect timeout) and makes sure both topics exist. */
  async start(): Promise<void> {
    const deadline = Date.now() + this.options.connectTimeoutMs;
    for (let attempt = 1, delay = 250; ; attempt++, delay = Math.min(delay * 2, 5000)) {
      try {
        await this.probeAndPrepareTopics();
        await this.producer.connect();
        this.stats.connected = true;
        this.wasConnected = true;
        return;
      } catch (error) {
        const reason = (error as Error).message;
        if (Date.now() + delay > deadline) {
          throw Object.assign(
            new Error(
              `Kafka at ${this.options.brokers.join(',')} is unreachable after ${attempt} attempts over ${Math.round(this.options.connectTimeoutMs / 1000)} s: ${reason}`,
            ),
            { exitCode: 1 },
          );
        }
        this.options.log(`Kafka at ${this.options.brokers.join(',')} unreachable (${reason}); retrying in ${delay} ms`);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /** One quick round trip (no kafkajs retries: our loop retries), then creates what is missing. */
  private async probeAndPrepareTopics(): Promise<void> {
    const probe = new Kafka({
      clientId: this.options.clientId,
      brokers: this.options.brokers,
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
    this.queue.push(batch);
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

  private pump(): void {
    while (
      !this.stopping &&
      this.stats.connected &&
      this.inFlight < this.options.maxInFlight &&
      this.queue.length > 0
    ) {
      // Everything queued goes out in one request (up to a bound): fewer, bigger lz4 batches.
      const batches: TickBatch[] = [];
      let count = 0;
      while (this.queue.length > 0 && count < MAX_MESSAGES_PER_SEND) {
        const batch = this.queue.shift() as TickBatch;
        batches.push(batch);
        count += batch.messages.length;
      }
      // One request per partition: kafkajs re-sends a failed multi-broker request only to brokers
      // that have not answered yet, so after a leader moves to a broker that already answered,
      // the moved partitions' messages would be dropped yet reported sent. With one partition per
      // request, a retry always goes to the partition's current leader.
      const groups = this.groupByPartition(batches);
      this.inFlight++;
      this.sendStartedAt = Date.now();
      Promise.allSettled(
        groups.map((messages) =>
          this.producer.send({
            topic: this.options.topic,
            acks: this.options.acks,
            compression: CompressionTypes.LZ4,
            messages,
          }),
        ),
      )
        .then((results) => {
          const failed: Message[] = [];
          let failure = '';
          results.forEach((result, i) => {
            const messages = groups[i] as Message[];
            if (result.status === 'fulfilled') {
              this.stats.acked += messages.length;
              this.stats.ackedBytes += bytesOf(messages);
              this.stats.buffered -= messages.length;
            } else {
              failed.push(...messages);
              failure = (result.reason as Error).message;
            }
          });
          for (const batch of batches) batch.settled?.();
          if (failed.length === 0) {
            this.stats.batches++;
            if (this.stalledSince !== 0) {
              this.options.log(
                `Kafka is back after ${((Date.now() - this.stalledSince) / 1000).toFixed(1)} s; sending ${this.stats.buffered} buffered ticks`,
              );
              this.stalledSince = 0;
              this.stats.connected = true;
            }
            return;
          }
          // Back to the front, in their order: each partition's ticks stay in sequence.
          this.stats.errors++;
          this.queue.unshift({ messages: failed, bytes: bytesOf(failed) });
          // A failed request may or may not have been written; an idempotent producer resends
          // under a new producer id (at-least-once across such a failure, docs/producer.md).
          if (this.options.idempotent) this.renewProducer = true;
          this.lost(failure);
        })
        .finally(() => {
          this.inFlight--;
          this.pump();
          if (this.inFlight === 0 && this.queue.length === 0) {
            for (const resolve of this.idleWaiters.splice(0)) resolve();
          }
        });
    }
  }

  /** The batches' messages split by the partition kafkajs' default partitioner gives each key. */
  private groupByPartition(batches: readonly TickBatch[]): Message[][] {
    const groups = new Map<number, Message[]>();
    for (const batch of batches) {
      for (const message of batch.messages) {
        const partition = this.partitionOf(message);
        let group = groups.get(partition);
        if (group === undefined) {
          group = [];
          groups.set(partition, group);
        }
        group.push(message);
      }
    }
    return [...groups.values()];
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
      if (this.inFlight === 0 && this.queue.length === 0) resolve();
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
