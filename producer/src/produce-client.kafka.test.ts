import { KafkaError } from '@tickstream/schemas/kafka-protocol';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../broker/src/testing/broker-process.js';
import { selectedBackend, startTestKafka, type TestKafka, uniqueName } from '../../broker/src/testing/kafka-backend.js';
import { kafkaLz4Codec } from '../../schemas/src/lz4-node.js';
import { ProduceClient } from './produce-client.js';
import { type EncodedBatch, encodeRecordKey, RecordBatchBuilder, stampProducer } from './record-batch-encoder.js';

const { CompressionCodecs, CompressionTypes, Kafka, logLevel } = kafkajs;
CompressionCodecs[CompressionTypes.LZ4] = kafkaLz4Codec;

// The minimal Produce client against a real broker (KAFKA_BACKEND picks which), over real sockets.
describe(`produce client (${selectedBackend()} backend)`, () => {
  let kafka: TestKafka;
  let admin: ReturnType<InstanceType<typeof Kafka>['admin']>;
  const clients: ProduceClient[] = [];
  const newClient = (brokers: string[] = kafka.brokers): ProduceClient => {
    const client = new ProduceClient({
      brokers,
      clientId: 'produce-client-test',
      connectTimeoutMs: 3000,
      requestTimeoutMs: 15_000,
    });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    kafka = await startTestKafka();
    admin = new Kafka({ brokers: kafka.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
  }, 240_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await admin?.disconnect();
    await kafka?.close();
  }, 60_000);

  const createTopic = async (partitions: number): Promise<string> => {
    const topic = uniqueName('produce-client');
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
    return topic;
  };

  const endOffsets = async (topic: string): Promise<number[]> =>
    (await admin.fetchTopicOffsets(topic)).sort((a, b) => a.partition - b.partition).map((p) => Number(p.high));

  const batchOf = (values: string[], key = 'KEY'): EncodedBatch => {
    const builder = new RecordBatchBuilder();
    const encodedKey = encodeRecordKey(Buffer.from(key));
    const bytes = Buffer.from(values.join(''));
    let start = 0;
    for (const value of values) {
      builder.append(encodedKey, bytes, start, start + Buffer.byteLength(value), Date.now());
      start += Buffer.byteLength(value);
    }
    return builder.seal();
  };

  it('reads partitions and leaders, writes one batch per partition in one request, and kafkajs reads them back', async () => {
    const topic = await createTopic(3);
    const client = newClient();
    const metadata = await client.topicMetadata(topic);
    expect(metadata.partitions.map((p) => p.partition)).toEqual([0, 1, 2]);
    const leader = metadata.partitions[0]?.leader ?? -1;
    expect(leader).toBeGreaterThanOrEqual(0);

    const parts = [0, 1, 2].map((partition) => ({
      partition,
      batch: batchOf(
        Array.from({ length: 100 + partition }, (_, i) => `p${partition}-v${i}`),
        `key-${partition}`,
      ),
    }));
    const results = await client.produce(
      leader,
      topic,
      1,
      5000,
      parts.map(({ partition, batch }) => ({ partition, batch: batch.bytes })),
    );
    // Apache Kafka answers the partitions in an order of its own.
    expect(results.sort((a, b) => a.partition - b.partition)).toEqual(
      [0, 1, 2].map((partition) => ({ partition, errorCode: 0, baseOffset: 0 })),
    );
    expect(await endOffsets(topic)).toEqual([100, 101, 102]);

    const consumer = new Kafka({ brokers: kafka.brokers, logLevel: logLevel.NOTHING }).consumer({
      groupId: uniqueName('produce-client-read'),
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: { partition: number; offset: number; key: string; value: string }[] = [];
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          seen.push({
            partition,
            offset: Number(message.offset),
            key: message.key?.toString() ?? '',
            value: message.value?.toString() ?? '',
          });
          if (seen.length === 303) resolve();
        },
      });
    });
    await consumer.disconnect();
    for (const partition of [0, 1, 2]) {
      const mine = seen.filter((m) => m.partition === partition).sort((a, b) => a.offset - b.offset);
      expect(mine.map((m) => m.value)).toEqual(
        Array.from({ length: 100 + partition }, (_, i) => `p${partition}-v${i}`),
      );
      expect(new Set(mine.map((m) => m.key))).toEqual(new Set([`key-${partition}`]));
    }
  }, 60_000);

  it('pipelines requests on one connection and gets the answers matched to them, in order', async () => {
    const topic = await createTopic(1);
    const client = newClient();
    const leader = (await client.topicMetadata(topic)).partitions[0]?.leader ?? -1;
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        client.produce(leader, topic, -1, 5000, [{ partition: 0, batch: batchOf([`a${i}`, `b${i}`]).bytes }]),
      ),
    );
    expect(answers.map((a) => a[0]?.baseOffset)).toEqual(Array.from({ length: 50 }, (_, i) => 2 * i));
    expect(await endOffsets(topic)).toEqual([100]);
  }, 60_000);

  it('as an idempotent producer: the same bytes sent twice are stored once; a sequence gap is refused', async () => {
    const topic = await createTopic(1);
    const client = newClient();
    const leader = (await client.topicMetadata(topic)).partitions[0]?.leader ?? -1;
    const { producerId, producerEpoch } = await client.initProducerId();
    expect(producerId).toBeGreaterThanOrEqual(0);
    expect(producerEpoch).toBeGreaterThanOrEqual(0);
    const send = (batch: Buffer) => client.produce(leader, topic, -1, 5000, [{ partition: 0, batch }]);

    const first = batchOf(['one', 'two', 'three']).bytes;
    stampProducer(first, { producerId, producerEpoch, baseSequence: 0 });
    expect((await send(first))[0]).toMatchObject({ errorCode: 0, baseOffset: 0 });
    // A retry of a request whose answer was lost: the broker recognises it.
    const again = (await send(first))[0];
    expect([KafkaError.NONE, KafkaError.DUPLICATE_SEQUENCE_NUMBER]).toContain(again?.errorCode);
    expect(await endOffsets(topic)).toEqual([3]);

    const next = batchOf(['four']).bytes;
    stampProducer(next, { producerId, producerEpoch, baseSequence: 3 });
    expect((await send(next))[0]).toMatchObject({ errorCode: 0, baseOffset: 3 });

    const gap = batchOf(['six']).bytes;
    stampProducer(gap, { producerId, producerEpoch, baseSequence: 5 });
    expect((await send(gap))[0]?.errorCode).toBe(KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(await endOffsets(topic)).toEqual([4]);
  }, 60_000);

  it('with acks=0 resolves once the bytes are sent, and they are stored', async () => {
    const topic = await createTopic(1);
    const client = newClient();
    const leader = (await client.topicMetadata(topic)).partitions[0]?.leader ?? -1;
    const results = await client.produce(leader, topic, 0, 5000, [{ partition: 0, batch: batchOf(['x', 'y']).bytes }]);
    expect(results).toEqual([{ partition: 0, errorCode: 0, baseOffset: -1 }]);
    for (let i = 0; i < 50 && (await endOffsets(topic))[0] !== 2; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await endOffsets(topic)).toEqual([2]);
  }, 60_000);

  it('answers a partition that does not exist with UNKNOWN_TOPIC_OR_PARTITION, and a missing topic with an error', async () => {
    const topic = await createTopic(1);
    const client = newClient();
    const leader = (await client.topicMetadata(topic)).partitions[0]?.leader ?? -1;
    const results = await client.produce(leader, topic, 1, 5000, [{ partition: 7, batch: batchOf(['x']).bytes }]);
    expect(results[0]?.errorCode).toBe(KafkaError.UNKNOWN_TOPIC_OR_PARTITION);
    await expect(client.topicMetadata(uniqueName('no-such-topic'))).rejects.toThrow(/UNKNOWN_TOPIC_OR_PARTITION/);
  }, 60_000);

  it('rejects with the address when nothing listens', async () => {
    const port = await freePort();
    const client = newClient([`127.0.0.1:${port}`]);
    await expect(client.topicMetadata('ticks')).rejects.toThrow(`127.0.0.1:${port}`);
  });
});
