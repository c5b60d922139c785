import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { kafkaLz4Codec } from '@tickstream/schemas/lz4-node';
import { CompressionCodecs, CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectedBackend, startTestKafka, type TestKafka, uniqueName } from '../testing/kafka-backend.js';
import { until } from '../testing/until.js';

CompressionCodecs[CompressionTypes.LZ4] = kafkaLz4Codec;

// The client every tickstream tier uses, against whichever broker KAFKA_BACKEND selects.
describe(`kafkajs (${selectedBackend()} backend)`, () => {
  let kafka: TestKafka;
  const client = (extra: Partial<ConstructorParameters<typeof Kafka>[0]> = {}): Kafka =>
    new Kafka({ brokers: kafka.brokers, logLevel: logLevel.NOTHING, ...extra });

  beforeAll(async () => {
    kafka = await startTestKafka();
  }, 240_000);

  afterAll(async () => {
    await kafka?.close();
  }, 60_000);

  /** Reads `count` records of `topic` from the beginning with a throwaway group. */
  async function consumeAll(topic: string, count: number): Promise<{ key: string; value: string; offset: number }[]> {
    const consumer = client().consumer({ groupId: uniqueName('reader') });
    const records: { key: string; value: string; offset: number }[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          records.push({
            key: message.key?.toString() ?? '',
            value: message.value?.toString() ?? '',
            offset: Number(message.offset),
          });
          if (records.length >= count) resolve();
        },
      });
    });
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, 30_000).unref());
    await Promise.race([done, timeout]);
    await consumer.disconnect();
    return records;
  }

  for (const codec of ['lz4', 'gzip'] as const) {
    it(`produces ${codec} batches and reads them back in order per key`, async () => {
      const topic = uniqueName(`kafkajs-${codec}`);
      const producer = client().producer({ allowAutoTopicCreation: true });
      await producer.connect();
      const messages = Array.from({ length: 300 }, (_, i) => ({ key: `S${i % 7}`, value: `${codec}-${i}` }));
      await producer.send({
        topic,
        compression: codec === 'lz4' ? CompressionTypes.LZ4 : CompressionTypes.GZIP,
        acks: -1,
        messages,
      });
      await producer.disconnect();

      const records = await consumeAll(topic, messages.length);
      expect(records.map((r) => r.value).sort()).toEqual(messages.map((m) => m.value).sort());
      for (let key = 0; key < 7; key++) {
        const sent = messages.filter((m) => m.key === `S${key}`).map((m) => m.value);
        expect(records.filter((r) => r.key === `S${key}`).map((r) => r.value)).toEqual(sent);
      }
    }, 60_000);
  }

  it('answers a retried idempotent batch with its first offset instead of appending it twice', async () => {
    const topic = uniqueName('kafkajs-idempotent');
    // Keep a copy of every Produce request kafkajs writes, to replay it as a network retry would.
    const produceRequests: Buffer[] = [];
    const producer = client({
      socketFactory: ({ host, port, onConnect }) => {
        const socket = net.connect({ host, port }, onConnect);
        const write = socket.write.bind(socket) as (chunk: Buffer, encoding: BufferEncoding) => boolean;
        socket.write = ((chunk: Buffer, encoding: BufferEncoding) => {
          if (Buffer.isBuffer(chunk) && chunk.length > 6 && chunk.readInt16BE(4) === 0) {
            produceRequests.push(Buffer.from(chunk));
          }
          return write(chunk, encoding);
        }) as typeof socket.write;
        return socket;
      },
    }).producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: true });
    await producer.connect();

    // The request that was answered for each send: kafkajs itself may have retried one (Apache
    // Kafka answers a Produce to a topic it is still creating with a retriable error).
    const answeredRequests: Buffer[] = [];
    const firstOffsets: number[] = [];
    for (let i = 0; i < 5; i++) {
      const before = produceRequests.length;
      const [metadata] = await producer.send({ topic, acks: -1, messages: [{ key: 'AAPL', value: `tick-${i}` }] });
      expect(produceRequests.length).toBeGreaterThan(before);
      answeredRequests.push(produceRequests[produceRequests.length - 1] as Buffer);
      firstOffsets.push(Number(metadata?.baseOffset));
    }

    const [host, port] = splitHostPort(kafka.brokers[0] ?? '');
    for (const [i, request] of answeredRequests.entries()) {
      const answer = parseProduceResponse(await roundTrip(host, port, request));
      expect(answer.errorCode).toBe(0);
      expect(answer.baseOffset).toBe(firstOffsets[i]);
    }
    await producer.disconnect();

    const admin = client().admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    const total = offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
    expect(total).toBe(5);
  }, 60_000);

  it('splits three partitions between two members, and gives all to the survivor when one is killed', async () => {
    const topic = uniqueName('kafkajs-group');
    const groupId = uniqueName('group');
    const admin = client().admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();

    const sessionTimeout = 6000; // Apache Kafka's group.min.session.timeout.ms
    const survivor = client().consumer({ groupId, sessionTimeout, heartbeatInterval: 500 });
    let survivorPartitions: number[] = [];
    survivor.on(survivor.events.GROUP_JOIN, ({ payload }) => {
      survivorPartitions = [...(payload.memberAssignment[topic] ?? [])].sort();
    });
    await survivor.connect();
    await survivor.subscribe({ topic, fromBeginning: true });
    await survivor.run({ eachMessage: async () => {} });
    await until(() => survivorPartitions.length === 3, 20_000, 'the first member to own all partitions');

    const member = spawn(
      process.execPath,
      [groupMemberScript, kafka.brokers.join(','), topic, groupId, String(sessionTimeout)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let memberPartitions: number[] = [];
    member.stdout.setEncoding('utf8').on('data', (text: string) => {
      const last = text.trim().split('\n').pop() ?? '';
      memberPartitions = last.replace('assigned ', '').split(',').filter(Boolean).map(Number);
    });
    try {
      await until(
        () => memberPartitions.length > 0 && survivorPartitions.length + memberPartitions.length === 3,
        30_000,
        'the two members to split the partitions',
      );
      expect([...survivorPartitions, ...memberPartitions].sort()).toEqual([0, 1, 2]);

      member.kill('SIGKILL');
      const killedAt = Date.now();
      await until(() => survivorPartitions.length === 3, 30_000, 'the survivor to own all partitions');
      // Within the session timeout of the dead member, plus one rebalance round.
      expect(Date.now() - killedAt).toBeLessThan(sessionTimeout + 8000);
    } finally {
      member.kill('SIGKILL');
      await survivor.disconnect();
    }
  }, 90_000);

  it('holds a Fetch until min_bytes are there (or max_wait passes), as Apache Kafka does', async () => {
    const topic = uniqueName('kafkajs-min-bytes');
    const admin = client().admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const consumer = client().consumer({ groupId: uniqueName('min-bytes'), minBytes: 4000, maxWaitTimeInMs: 5000 });
    const batchSizes: number[] = [];
    let joined = false;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      joined = true;
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        if (batch.messages.length > 0) batchSizes.push(batch.messages.length);
      },
    });
    await until(() => joined, 30_000, 'the consumer to join');
    const producer = client().producer();
    await producer.connect();
    // 40 appends of ~270 B, 25 ms apart: 4,000 bytes are there after ~15 of them.
    for (let i = 0; i < 40; i++) {
      await producer.send({ topic, acks: 1, messages: [{ key: 'K', value: 'x'.repeat(200) }] });
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await producer.disconnect();
    await until(() => batchSizes.reduce((a, b) => a + b, 0) >= 40, 20_000, 'all 40 records');
    await consumer.disconnect();
    // Answered at the first append, the first batch would hold one record.
    expect(batchSizes[0]).toBeGreaterThanOrEqual(10);
  }, 90_000);

  it('finds offsets by timestamp', async () => {
    const topic = uniqueName('kafkajs-time');
    const producer = client().producer({ allowAutoTopicCreation: true });
    await producer.connect();
    const start = Date.now() - 60_000;
    for (let i = 0; i < 4; i++) {
      await producer.send({
        topic,
        messages: [{ key: 'MSFT', value: `m${i}`, timestamp: String(start + i * 10_000), partition: 0 }],
      });
    }
    await producer.disconnect();

    const admin = client().admin();
    await admin.connect();
    try {
      const at = async (timestamp: number): Promise<number> => {
        const offsets = await admin.fetchTopicOffsetsByTimestamp(topic, timestamp);
        return Number(offsets.find((p) => p.partition === 0)?.offset);
      };
      expect(await at(start - 1)).toBe(0);
      expect(await at(start + 10_000)).toBe(1);
      expect(await at(start + 15_000)).toBe(2);
      // Later than every record: the log end offset.
      expect(await at(start + 3_600_000)).toBe(4);
    } finally {
      await admin.disconnect();
    }
  }, 60_000);
});

const groupMemberScript = fileURLToPath(new URL('./node/group-member.mjs', import.meta.url));

function splitHostPort(address: string): [string, number] {
  const colon = address.lastIndexOf(':');
  return [address.slice(0, colon), Number(address.slice(colon + 1))];
}

/** Sends one size-prefixed request on a fresh connection and returns the response body. */
function roundTrip(host: string, port: number, request: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port }, () => socket.write(request));
    let received = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 4 && received.length >= 4 + received.readInt32BE(0)) {
        socket.end();
        resolve(received.subarray(4, 4 + received.readInt32BE(0)));
      }
    });
    socket.on('error', reject);
  });
}

/** The first partition's answer in a Produce v3-v8 response. */
function parseProduceResponse(body: Buffer): { errorCode: number; baseOffset: number } {
  let at = 4 + 4; // correlation id, topic count
  at += 2 + body.readInt16BE(at); // topic name
  at += 4 + 4; // partition count, partition index
  return { errorCode: body.readInt16BE(at), baseOffset: Number(body.readBigInt64BE(at + 2)) };
}
