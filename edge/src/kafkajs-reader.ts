import { kafkaLz4Codec } from '@tickstream/schemas/lz4-node';
import kafkajs, { type Consumer, type EachBatchPayload, type Kafka } from 'kafkajs';
import type { PartitionReader, ReaderHooks } from './partition-reader.js';

const { CompressionCodecs, CompressionTypes } = kafkajs;
// kafkajs ships without LZ4, and the producer writes lz4 batches.
CompressionCodecs[CompressionTypes.LZ4] = kafkaLz4Codec;

const FETCH_WAIT_MS = 500;

/**
 * Reads the edge's topics with a kafkajs consumer: the way for TLS and SASL, which the edge's
 * own Fetch reader does not speak. A group private to this edge process assigns it every
 * partition; at every (re)join it seeks each one to where the TickConsumer says, so a restart of
 * the kafkajs consumer neither replays records nor skips any. kafkajs fetches no more for a
 * partition until its batch is handed over: a slow edge falls behind in Kafka, not in memory.
 * kafkajs consumers read read_committed by default, aborted transactions filtered, as the
 * edge's own reader does.
 */
export class KafkajsReader implements PartitionReader {
  private readonly consumer: Consumer;

  constructor(
    /** `kafka`: the TickConsumer's client, which carries the brokers, TLS and SASL. */
    private readonly options: { kafka: Kafka; groupId: string; topics: string[] },
    private readonly hooks: ReaderHooks,
  ) {
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      maxWaitTimeInMs: FETCH_WAIT_MS,
      allowAutoTopicCreation: false,
      // Never give up: the edge outlives any Kafka outage and resumes where it stopped.
      retry: { initialRetryTime: 250, maxRetryTime: 3000, retries: 5, restartOnFailure: async () => true },
    });
  }

  async start(): Promise<void> {
    const { consumer, hooks } = this;
    // A Fetch the broker answered (kafkajs emits FETCH for failed attempts too, so that event proves nothing).
    consumer.on(consumer.events.REQUEST, ({ payload }) => {
      if (payload.apiName === 'Fetch') hooks.onFetchAnswered();
    });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => this.seek(payload.memberAssignment));
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      hooks.log(`Kafka consumer failed (${payload.error.message}); restarting it`);
    });
    await consumer.connect();
    await consumer.subscribe({ topics: this.options.topics, fromBeginning: false });
    await consumer.run({ autoCommit: false, eachBatch: (payload) => this.eachBatch(payload) });
  }

  private seek(assignment: Record<string, number[]>): void {
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const partition of partitions) {
        const offset = this.hooks.startOffset(topic, partition);
        if (offset !== undefined) this.consumer.seek({ topic, partition, offset: String(offset) });
      }
    }
  }

  private async eachBatch({ batch, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const topic = this.options.topics.indexOf(batch.topic);
    let next = this.hooks.startOffset(batch.topic, batch.partition) ?? -1;
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) break;
      const offset = Number(message.offset);
      // After a seek kafkajs may hand back records before the position: they were applied already.
      if (offset < next) continue;
      next = offset + 1;
      if (this.hooks.onRecord) this.hooks.onRecord(topic, batch.partition, message.key, message.value, offset);
      else if (message.value !== null)
        this.hooks.onValue(topic, batch.partition, message.value, 0, message.value.length, offset);
    }
    if (next >= 0) this.hooks.onPartitionRead(topic, batch.partition, next, Number(batch.highWatermark));
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}
