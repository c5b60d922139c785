import { type TickFields, TickWriter } from '@tickstream/schemas';
import {
  errorName,
  isRetriable,
  KafkaError,
  needsNewProducerId,
  type PartitionProduceResult,
} from '@tickstream/schemas/kafka-protocol';
import { connectWithRetry } from './connect-retry.js';
import type { SinkStats } from './kafka-sink.js';
import { partitionForKey } from './murmur2-partitioner.js';
import { ProduceClient } from './produce-client.js';
import { emptyLatency, observeLatency } from './produce-latency.js';
import { type EncodedBatch, encodeRecordKey, RecordBatchBuilder, stampProducer } from './record-batch-encoder.js';

/** A batch whose first send is unanswered (or unacknowledged through retries) this long means Kafka is gone. */
const STALL_MS = 2500;
/**
 * Uncompressed record bytes per batch at most: lz4 never grows data by more than 0.4 %, so the
 * batch stays under Kafka's default max.message.bytes (1 MiB).
 */
const MAX_RECORD_BYTES = 768 * 1024;
/** How long the leader may wait for acks=all replicas before answering REQUEST_TIMED_OUT. */
const PRODUCE_TIMEOUT_MS = 10_000;
/** Past this without an answer the connection is dropped and the request retried (kafkajs: 10 s). */
const REQUEST_TIMEOUT_MS = 15_000;
const CONNECT_TIMEOUT_MS = 3000;
/** A partition's batch is retried after 200 ms, doubling up to 2 s (kafkajs reconnected 0.5 → 5 s). */
const FIRST_RETRY_MS = 200;
const MAX_RETRY_MS = 2000;

export interface RecordBatchSinkOptions {
  brokers: string[];
  topic: string;
  acks: 0 | 1 | -1;
  idempotent: boolean;
  /** Give up on the first connection after this long (retried with backoff until then). */
  connectTimeoutMs: number;
  /** Ticks held while Kafka is unreachable; beyond this, new ticks are dropped and counted. */
  bufferTicks: number;
  clientId: string;
  /** Each symbol index's name: its record key, which decides its partition. */
  symbolNames: readonly string[];
  /** Each symbol index's sector, as its ticks carry it. */
  symbolSectors: readonly string[];
  log: (line: string) => void;
}

/** One write()'s completion: `settled` runs once every partition's part of it is acknowledged or dropped. */
interface Settlement {
  remaining: number;
  readonly settled: () => void;
}

interface QueuedBatch {
  readonly encoded: EncodedBatch;
  readonly settlements: Settlement[];
  /** The producer id generation whose sequence numbers the bytes carry; -1 before the first send. */
  generation: number;
  /** When it was first sent (0: not yet), for the stall watchdog. */
  firstSentAt: number;
}

/** One partition: records being collected, sealed batches in order, and at most one request in flight. */
class PartitionQueue {
  readonly builder = new RecordBatchBuilder();
  /** Settlements of the writes with records in `builder`. */
  openSettlements: Settlement[] = [];
  lastSettlement: Settlement | null = null;
  /** Sealed batches, oldest first; the head is the one in flight or to be retried. */
  readonly batches: QueuedBatch[] = [];
  inFlight = false;
  leader = -1;
  retryAt = 0;
  failures = 0;
  lastError = '';
  /** Idempotence: the next batch's base sequence within `sequenceGeneration`. */
  nextSequence = 0;
  sequenceGeneration = -1;

  constructor(readonly partition: number) {}

  get idle(): boolean {
    return !this.inFlight && this.batches.length === 0 && this.builder.recordCount === 0;
  }

  seal(): void {
    this.batches.push({
      encoded: this.builder.seal(),
      settlements: this.openSettlements,
      generation: -1,
      firstSentAt: 0,
    });
    this.openSettlements = [];
    this.lastSettlement = null;
  }
}

/**
 * The workers' fast Kafka writer: each tick generated is written straight into its partition's
 * lz4 record batch v2 (record-batch-encoder.ts; its FlatBuffers bytes by TickWriter, with no
 * builder and no batch between), sent with a minimal Produce client (produce-client.ts) instead
 * of kafkajs, whose per-record JavaScript encoding bounded the producer (docs/producer.md). Same policy and log lines as KafkaSink: key = symbol, kafkajs'
 * murmur2 partitioning, one request in flight per partition (a failed batch is resent, same
 * bytes, before anything after it), a stall watchdog, a bounded buffer with drops counted.
 */
export class RecordBatchSink {
  private readonly client: ProduceClient;
  private partitions: PartitionQueue[] = [];
  private partitionOfSymbol = new Int32Array(0);
  private readonly recordKeys: Uint8Array[];
  private readonly tickWriter: TickWriter;
  /** The write open between beginWrite() and endWrite(). */
  private open: { settlement: Settlement | null; timestampMs: number; ticks: number; dropping: boolean } = {
    settlement: null,
    timestampMs: 0,
    ticks: 0,
    dropping: false,
  };
  private producerId = -1;
  private producerEpoch = -1;
  /** Bumped with every new producer id: batches stamped under an older one are re-stamped. */
  private generation = 0;
  private renewing = false;
  private refreshing = false;
  private stopping = false;
  private inFlightRequests = 0;
  /** Wakes pump() when the earliest partition backoff ends. */
  private pumpTimer: NodeJS.Timeout | undefined;
  private pumpTimerAt = Number.POSITIVE_INFINITY;
  private readonly watchdog: NodeJS.Timeout;
  /** When the current outage began (0: none): from the watchdog, or a connection lost. */
  private outageSince = 0;
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

  constructor(private readonly options: RecordBatchSinkOptions) {
    this.client = new ProduceClient({
      brokers: options.brokers,
      clientId: options.clientId,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
    });
    this.recordKeys = options.symbolNames.map((name) => encodeRecordKey(Buffer.from(name)));
    this.tickWriter = new TickWriter(options.symbolNames, options.symbolSectors);
    this.watchdog = setInterval(() => this.checkStall(), 500);
    this.watchdog.unref();
  }

  /** Learns the partitions and their leaders (and a producer id), retrying with backoff until the connect timeout. */
  async start(): Promise<void> {
    try {
      await connectWithRetry(this.options, async () => {
        await this.loadPartitions();
        if (this.options.idempotent) await this.newProducerId();
      });
    } catch (error) {
      this.client.close();
      throw error;
    }
    this.stats.connected = true;
  }

  /** The partition count is fixed by the first answer, so a symbol's partition never changes mid-run. */
  private async loadPartitions(): Promise<void> {
    const metadata = await this.client.topicMetadata(this.options.topic);
    if (this.partitions.length === 0) {
      if (metadata.partitions.length === 0) throw new Error(`topic ${this.options.topic} has no partitions`);
      this.partitions = metadata.partitions.map((_, index) => new PartitionQueue(index));
      const count = this.partitions.length;
      this.partitionOfSymbol = Int32Array.from(this.options.symbolNames, (name) =>
        partitionForKey(Buffer.from(name), count),
      );
    }
    for (const queue of this.partitions) queue.leader = -1;
    for (const { partition, leader } of metadata.partitions) {
      const queue = this.partitions[partition];
      if (queue !== undefined) queue.leader = leader;
    }
  }

  private async newProducerId(): Promise<void> {
    const { producerId, producerEpoch } = await this.client.initProducerId();
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
    this.generation++;
  }

  /** True when the buffer can take `ticks` more; the caller drops (and counts) them otherwise. */
  hasRoom(ticks: number): boolean {
    return this.stats.buffered + ticks <= this.options.bufferTicks;
  }

  /**
   * Opens a write of at most `maxTicks` ticks, each then handed to appendTick() and written
   * straight into its partition's record batch (no packed batch between); endWrite() closes it.
   * When the buffer has no room for `maxTicks`, the ticks are dropped (counted); `settled` runs
   * once all of them are acknowledged or dropped.
   */
  beginWrite(maxTicks: number, settled?: () => void): void {
    const open = this.open;
    open.settlement = settled === undefined ? null : { remaining: 0, settled };
    open.timestampMs = Date.now();
    open.ticks = 0;
    open.dropping = !this.hasRoom(maxTicks);
  }

  /** Writes one tick of symbol `index` (tick.symbol and tick.sector its names) into the open write. */
  appendTick(index: number, tick: TickFields): void {
    const open = this.open;
    open.ticks++;
    if (open.dropping) return;
    const queue = this.partitions[this.partitionOfSymbol[index] as number] as PartitionQueue;
    queue.builder.appendTick(this.recordKeys[index] as Uint8Array, this.tickWriter, index, tick, open.timestampMs);
    const settlement = open.settlement;
    if (settlement !== null && queue.lastSettlement !== settlement) {
      queue.openSettlements.push(settlement);
      queue.lastSettlement = settlement;
      settlement.remaining++;
    }
    // A partition that cannot send for a while keeps sealing full batches, in order.
    if (queue.builder.recordBytes >= MAX_RECORD_BYTES) queue.seal();
  }

  /** Closes the open write: its ticks are buffered and sent (or, without room, dropped and settled). */
  endWrite(): void {
    const { ticks, dropping, settlement } = this.open;
    this.open.settlement = null;
    if (dropping) {
      this.stats.dropped += ticks;
      settlement?.settled();
      return;
    }
    // Nothing appended (a halted shard): nothing will acknowledge it.
    if (settlement !== null && settlement.remaining === 0) settlement.settled();
    this.stats.buffered += ticks;
    this.pump();
  }

  /**
   * Sends, for every partition with nothing in flight, its oldest sealed batch (or what it has
   * collected, sealed now), one Produce request per leader.
   */
  private pump(): void {
    if (this.stopping || this.renewing) return;
    const now = Date.now();
    let retryAt = Number.POSITIVE_INFINITY;
    let byLeader: Map<number, PartitionQueue[]> | null = null;
    for (const queue of this.partitions) {
      if (queue.inFlight) continue;
      if (queue.retryAt > now) {
        retryAt = Math.min(retryAt, queue.retryAt);
        continue;
      }
      if (queue.batches.length === 0) {
        if (queue.builder.recordCount === 0) continue;
        queue.seal();
      }
      if (queue.leader < 0) {
        // No leader (an election, or the topic just made): ask again shortly, not in a tight loop.
        queue.retryAt = now + FIRST_RETRY_MS;
        retryAt = Math.min(retryAt, queue.retryAt);
        this.refreshLeaders();
        continue;
      }
      byLeader ??= new Map();
      const group = byLeader.get(queue.leader);
      if (group === undefined) byLeader.set(queue.leader, [queue]);
      else group.push(queue);
    }
    if (retryAt < this.pumpTimerAt) {
      clearTimeout(this.pumpTimer);
      this.pumpTimerAt = retryAt;
      this.pumpTimer = setTimeout(
        () => {
          this.pumpTimerAt = Number.POSITIVE_INFINITY;
          this.pump();
        },
        Math.max(1, retryAt - now),
      );
      this.pumpTimer.unref();
    }
    if (byLeader !== null) for (const [leader, queues] of byLeader) this.send(leader, queues, now);
  }

  private send(leader: number, queues: PartitionQueue[], now: number): void {
    const parts = queues.map((queue) => {
      const batch = queue.batches[0] as QueuedBatch;
      if (this.options.idempotent && batch.generation !== this.generation) this.stampSequence(queue, batch);
      if (batch.firstSentAt === 0) batch.firstSentAt = now;
      queue.inFlight = true;
      return { partition: queue.partition, batch: batch.encoded.bytes };
    });
    this.inFlightRequests++;
    const sentAt = performance.now();
    this.client
      .produce(leader, this.options.topic, this.options.acks, PRODUCE_TIMEOUT_MS, parts)
      .then(
        (results) => {
          observeLatency(this.stats.latency, (performance.now() - sentAt) / 1000);
          this.onAnswered(queues, results);
        },
        (error: Error) => this.onRequestFailed(queues, error),
      )
      .finally(() => {
        this.inFlightRequests--;
        this.pump();
        this.notifyIfIdle();
      });
  }

  /**
   * Sequence numbers are given when a batch first leaves under the current producer id, so they
   * follow the order batches really go out in; a retry under the same id resends the same bytes,
   * which the broker recognises if the first try was written.
   */
  private stampSequence(queue: PartitionQueue, batch: QueuedBatch): void {
    if (queue.sequenceGeneration !== this.generation) {
      queue.sequenceGeneration = this.generation;
      queue.nextSequence = 0;
    }
    const baseSequence = queue.nextSequence;
    queue.nextSequence = (baseSequence + batch.encoded.recordCount) % 2 ** 31; // Kafka's sequences wrap
    stampProducer(batch.encoded.bytes, {
      producerId: this.producerId,
      producerEpoch: this.producerEpoch,
      baseSequence,
    });
    batch.generation = this.generation;
  }

  private onAnswered(queues: readonly PartitionQueue[], results: readonly PartitionProduceResult[]): void {
    for (const queue of queues) {
      queue.inFlight = false;
      const result = results.find((r) => r.partition === queue.partition);
      const code = result?.errorCode ?? KafkaError.NETWORK_EXCEPTION;
      // DUPLICATE_SEQUENCE_NUMBER: an earlier try of these very bytes was written.
      if (code === KafkaError.NONE || code === KafkaError.DUPLICATE_SEQUENCE_NUMBER) this.acknowledged(queue);
      else if (isRetriable(code)) {
        this.stats.errors++;
        this.retryLater(queue, errorName(code));
      } else if (this.options.idempotent && needsNewProducerId(code)) {
        this.stats.errors++;
        queue.lastError = errorName(code);
        this.renewProducerId(`${errorName(code)} on partition ${queue.partition}`);
      } else this.refused(queue, code);
    }
  }

  private acknowledged(queue: PartitionQueue): void {
    const batch = queue.batches.shift() as QueuedBatch;
    queue.failures = 0;
    queue.retryAt = 0;
    queue.lastError = '';
    this.stats.acked += batch.encoded.recordCount;
    this.stats.ackedBytes += batch.encoded.valueBytes;
    this.stats.buffered -= batch.encoded.recordCount;
    this.stats.batches++;
    settle(batch);
    if (this.outageSince !== 0) {
      this.options.log(
        `Kafka is back after ${((Date.now() - this.outageSince) / 1000).toFixed(1)} s; sending ${this.stats.buffered} buffered ticks`,
      );
      this.outageSince = 0;
      this.stats.connected = true;
    }
  }

  /**
   * A retriable error (leader moved, not enough replicas, connection lost, …): the same batch
   * again after a backoff, the leaders read again meanwhile. Each partition recovers on its own.
   */
  private retryLater(queue: PartitionQueue, reason: string): void {
    queue.failures++;
    queue.lastError = reason;
    queue.retryAt = Date.now() + Math.min(FIRST_RETRY_MS * 2 ** (queue.failures - 1), MAX_RETRY_MS);
    this.refreshLeaders();
  }

  /** An error no retry can fix (a corrupt or oversized batch): say so, count the ticks as dropped. */
  private refused(queue: PartitionQueue, code: number): void {
    const batch = queue.batches.shift() as QueuedBatch;
    const ticks = batch.encoded.recordCount;
    this.stats.errors++;
    this.stats.dropped += ticks;
    this.stats.buffered -= ticks;
    this.options.log(
      `Kafka refused ${ticks} ticks for ${this.options.topic}-${queue.partition}: ${errorName(code)}; dropped`,
    );
    settle(batch);
  }

  private onRequestFailed(queues: readonly PartitionQueue[], error: Error): void {
    // Whether it was written is unknown: each batch stays at the head of its partition's queue.
    this.stats.errors++;
    this.lost(error.message);
    for (const queue of queues) {
      queue.inFlight = false;
      this.retryLater(queue, error.message);
    }
  }

  private refreshLeaders(): void {
    if (this.refreshing || this.stopping) return;
    this.refreshing = true;
    this.loadPartitions()
      .catch((error: Error) => {
        if (this.outageSince === 0) this.lost(error.message);
        else {
          const next = Math.min(...this.partitions.map((queue) => queue.retryAt)) - Date.now();
          this.options.log(`Kafka still unreachable (${error.message}); retrying in ${Math.max(0, next)} ms`);
        }
      })
      .finally(() => {
        this.refreshing = false;
        this.pump();
      });
  }

  /**
   * The broker refused this producer id's sequence (its state was lost, or a batch went missing):
   * continue under a new id. Batches in doubt then may be written twice: at-least-once across
   * such a failure, as with kafkajs (docs/producer.md).
   */
  private renewProducerId(reason: string): void {
    if (this.renewing) return;
    this.renewing = true;
    const old = this.producerId;
    void (async () => {
      for (let delay = 250; !this.stopping; delay = Math.min(delay * 2, 5000)) {
        try {
          await this.newProducerId();
          this.options.log(
            `Kafka refused producer id ${old} (${reason}); continuing as producer id ${this.producerId}`,
          );
          return;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, delay).unref());
        }
      }
    })().finally(() => {
      this.renewing = false;
      this.pump();
    });
  }

  private checkStall(): void {
    if (this.outageSince !== 0 || !this.stats.connected) return;
    let oldest = Number.POSITIVE_INFINITY;
    let lastError = '';
    for (const queue of this.partitions) {
      const head = queue.batches[0];
      if (head !== undefined && head.firstSentAt !== 0 && head.firstSentAt < oldest) {
        oldest = head.firstSentAt;
        lastError = queue.lastError;
      }
    }
    const waited = Date.now() - oldest;
    if (waited < STALL_MS) return;
    this.outageSince = oldest;
    this.stats.connected = false;
    this.options.log(
      `lost Kafka: no answer for ${(waited / 1000).toFixed(1)} s${lastError ? ` (${lastError})` : ''}; buffering up to ${this.options.bufferTicks} ticks while retrying`,
    );
  }

  /** A connection failed: say so once per outage; the partitions retry on their own. */
  private lost(reason: string): void {
    if (this.stopping || !this.stats.connected) return;
    this.stats.connected = false;
    this.outageSince = Date.now();
    this.options.log(`lost Kafka (${reason}); buffering up to ${this.options.bufferTicks} ticks while reconnecting`);
  }

  private get idle(): boolean {
    return this.inFlightRequests === 0 && this.partitions.every((queue) => queue.idle);
  }

  private notifyIfIdle(): void {
    if (this.idleWaiters.length > 0 && this.idle) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** Sends what is buffered (waiting up to `timeoutMs`, also for Kafka to come back), then disconnects. */
  async stop(timeoutMs = 10_000): Promise<void> {
    const flushed = new Promise<void>((resolve) => {
      if (this.idle) resolve();
      else this.idleWaiters.push(resolve);
    });
    await Promise.race([flushed, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
    this.stopping = true;
    clearTimeout(this.pumpTimer);
    clearInterval(this.watchdog);
    this.client.close();
  }
}

function settle(batch: QueuedBatch): void {
  for (const settlement of batch.settlements) if (--settlement.remaining === 0) settlement.settled();
}
