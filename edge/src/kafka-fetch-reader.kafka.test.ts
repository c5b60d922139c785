import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freePort } from '../../broker/src/testing/broker-process.js';
import { selectedBackend, startTestKafka, type TestKafka, uniqueName } from '../../broker/src/testing/kafka-backend.js';
import { kafkaLz4Codec } from '../../schemas/src/lz4-node.js';
import { type FetchPace, KafkaFetchReader } from './kafka-fetch-reader.js';
import type { ReaderHooks } from './partition-reader.js';

const { CompressionCodecs, CompressionTypes, Kafka, logLevel } = kafkajs;
CompressionCodecs[CompressionTypes.LZ4] = kafkaLz4Codec;

interface Reading {
  values: Map<number, string[]>;
  next: Map<number, number>;
  lines: string[];
  /** When each Fetch was answered, and each value handed over (performance.now() ms). */
  answeredAt: number[];
  valueAt: number[];
  hooks: ReaderHooks;
}

/** Hooks that record what the reader hands over, per partition (one topic). */
function recordingHooks(start: (partition: number) => number | undefined): Reading {
  const values = new Map<number, string[]>();
  const next = new Map<number, number>();
  const lines: string[] = [];
  const answeredAt: number[] = [];
  const valueAt: number[] = [];
  return {
    values,
    next,
    lines,
    answeredAt,
    valueAt,
    hooks: {
      startOffset: (_, partition) => next.get(partition) ?? start(partition),
      onValue: (_, partition, bytes, start, end) => {
        const list = values.get(partition) ?? [];
        list.push(Buffer.from(bytes.subarray(start, end)).toString());
        values.set(partition, list);
        valueAt.push(performance.now());
      },
      onPartitionRead: (_, partition, offset) => next.set(partition, offset),
      onFetchAnswered: () => answeredAt.push(performance.now()),
      log: (line) => lines.push(line),
    },
  };
}

// The edge's own Fetch reader against a real broker (KAFKA_BACKEND picks which): what kafkajs
// wrote — uncompressed, gzip and lz4 batches, a record without a value — comes back in order.
describe(`edge Fetch reader (${selectedBackend()} backend)`, () => {
  let kafka: TestKafka;
  let client: InstanceType<typeof Kafka>;
  const readers: KafkaFetchReader[] = [];

  beforeAll(async () => {
    kafka = await startTestKafka();
    client = new Kafka({ brokers: kafka.brokers, logLevel: logLevel.NOTHING });
  }, 240_000);

  afterAll(async () => {
    for (const reader of readers) await reader.stop();
    await kafka?.close();
  }, 60_000);

  const topicWith = async (partitions: number): Promise<string> => {
    const admin = client.admin();
    await admin.connect();
    const topic = uniqueName('fetch-reader');
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
    await admin.disconnect();
    return topic;
  };

  const newReader = (
    topic: string,
    reading: Reading,
    brokers = kafka.brokers,
    resetOffset = vi.fn(),
    pace?: () => FetchPace,
  ): KafkaFetchReader => {
    const reader = new KafkaFetchReader(
      { brokers, clientId: 'fetch-reader-test', topics: [topic], resetOffset, ...(pace ? { pace } : {}) },
      reading.hooks,
    );
    readers.push(reader);
    return reader;
  };

  it('reads none, gzip and lz4 batches from a position inside the first batch, then records produced while it runs', async () => {
    const topic = await topicWith(2);
    const producer = client.producer();
    await producer.connect();
    const send = (partition: number, values: (string | null)[], compression: kafkajs.CompressionTypes) =>
      producer.send({ topic, compression, messages: values.map((value) => ({ partition, value })) });
    await send(0, ['a0', 'a1', 'a2', 'a3'], CompressionTypes.None);
    await send(0, ['g4', null, 'g6'], CompressionTypes.GZIP);
    await send(0, ['l7', 'l8'], CompressionTypes.LZ4);
    await send(1, ['p1-0', 'p1-1'], CompressionTypes.LZ4);

    // Partition 0 from offset 2: the first batch holds 0-3, so its first two records are skipped.
    const reading = recordingHooks((partition) => (partition === 0 ? 2 : 0));
    const reader = newReader(topic, reading);
    await reader.start();
    await vi.waitFor(() => expect(reading.next.get(0)).toBe(9), { timeout: 15_000 });
    await vi.waitFor(() => expect(reading.next.get(1)).toBe(2), { timeout: 15_000 });
    expect(reading.values.get(0)).toEqual(['a2', 'a3', 'g4', 'g6', 'l7', 'l8']);
    expect(reading.values.get(1)).toEqual(['p1-0', 'p1-1']);

    await send(1, ['p1-2'], CompressionTypes.LZ4);
    await vi.waitFor(() => expect(reading.values.get(1)).toEqual(['p1-0', 'p1-1', 'p1-2']), { timeout: 15_000 });
    expect(reading.next.get(1)).toBe(3);
    await producer.disconnect();
    await reader.stop();
    expect(reading.lines).toEqual([]);
  });

  it('reads committed transactions only: never an aborted one, nor an open one until it commits', async () => {
    const topic = await topicWith(1);
    const producer = client.producer({ transactionalId: uniqueName('reader-txn'), maxInFlightRequests: 1 });
    await producer.connect();
    const inTransaction = async (values: string[], end: 'commit' | 'abort' | 'leave-open') => {
      const transaction = await producer.transaction();
      await transaction.send({ topic, messages: values.map((value) => ({ value })) });
      if (end === 'commit') await transaction.commit();
      if (end === 'abort') await transaction.abort();
      return transaction;
    };
    await inTransaction(['c1', 'c2'], 'commit');
    await inTransaction(['aborted-1', 'aborted-2'], 'abort');
    await inTransaction(['c3'], 'commit');
    const open = await inTransaction(['pending'], 'leave-open');

    const reading = recordingHooks(() => 0);
    const ends: number[] = [];
    const onPartitionRead = reading.hooks.onPartitionRead;
    reading.hooks.onPartitionRead = (topicIndex, partition, next, end) => {
      ends.push(end);
      onPartitionRead(topicIndex, partition, next, end);
    };
    await newReader(topic, reading).start();
    // c1 c2 COMMIT (0-2), aborted-1 aborted-2 ABORT (3-5), c3 COMMIT (6-7): the open one starts at 8.
    await vi.waitFor(() => expect(reading.next.get(0)).toBe(8), { timeout: 15_000 });
    expect(ends.at(-1)).toBe(8); // the last stable offset, not the high watermark (9)
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(reading.values.get(0)).toEqual(['c1', 'c2', 'c3']);

    await open.commit();
    await vi.waitFor(() => expect(reading.values.get(0)).toEqual(['c1', 'c2', 'c3', 'pending']), { timeout: 15_000 });
    await producer.disconnect();
    expect(reading.lines).toEqual([]);
  });

  it('asks where to go when its position is past the log, and reads on from there', async () => {
    const topic = await topicWith(1);
    const producer = client.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'x0' }, { value: 'x1' }] });
    const reading = recordingHooks(() => 500);
    const resetOffset = vi.fn(async () => 1);
    const reader = newReader(topic, reading, kafka.brokers, resetOffset);
    await reader.start();
    await vi.waitFor(() => expect(reading.values.get(0)).toEqual(['x1']), { timeout: 15_000 });
    expect(resetOffset).toHaveBeenCalledWith(topic, 0, 500);
    expect(reading.lines).toEqual([`${topic}[0]: offset 500 is no longer in the log; reading from 1`]);
    await producer.disconnect();
    await reader.stop();
  });

  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  /** Resolves at the reader's next Fetch answer: the Fetch after it has just been asked. */
  const nextAnswer = async (reading: Reading): Promise<number> => {
    const seen = reading.answeredAt.length;
    await vi.waitFor(() => expect(reading.answeredAt.length).toBeGreaterThan(seen), { timeout: 5_000, interval: 1 });
    return reading.answeredAt.at(-1) as number;
  };

  it('holds a deadline-paced Fetch for its holdMs while less than 16 KB gathers, and answers as soon as more has', async () => {
    const topic = await topicWith(1);
    const producer = client.producer();
    await producer.connect();
    const reading = recordingHooks(() => 0);
    await newReader(topic, reading, kafka.brokers, vi.fn(), () => ({ holdMs: 300 })).start();
    await nextAnswer(reading);

    // A small record every 20 ms or so (a send may take longer on a busy machine): held, the
    // reader asks once per 300 ms, not once per record (60).
    const answersBefore = reading.answeredAt.length;
    const sendingSince = performance.now();
    const sentAt: number[] = [];
    for (let i = 0; i < 60; i++) {
      sentAt.push(performance.now());
      await producer.send({ topic, messages: [{ value: `small-${i}` }] });
      await sleep(20);
    }
    await vi.waitFor(() => expect(reading.values.get(0)).toHaveLength(60), { timeout: 5_000 });
    const answers = reading.answeredAt.length - answersBefore;
    const holds = (performance.now() - sendingSince) / 300;
    expect(answers).toBeGreaterThanOrEqual(2);
    expect(answers).toBeLessThanOrEqual(Math.ceil(holds) + 2);
    // None waited much longer than the hold.
    for (const [i, at] of reading.valueAt.entries()) expect(at - (sentAt[i] as number)).toBeLessThan(300 + 500);

    // 20 KB at once (uncompressed, past minBytes) is answered at once, not at the end of the hold.
    await nextAnswer(reading);
    await sleep(50);
    const bigAt = performance.now();
    await producer.send({ topic, messages: [{ value: 'x'.repeat(20_000) }] });
    await vi.waitFor(() => expect(reading.values.get(0)).toHaveLength(61), { timeout: 5_000, interval: 1 });
    expect((reading.valueAt.at(-1) as number) - bigAt).toBeLessThan(150);
    await producer.disconnect();
    expect(reading.lines).toEqual([]);
  }, 30_000);

  it('hurry() cuts an unhurried Fetch short: a record waiting in the broker comes at once, and reading goes on', async () => {
    const topic = await topicWith(1);
    const producer = client.producer();
    await producer.connect();
    const reading = recordingHooks(() => 0);
    let pace: FetchPace = 'unhurried';
    const reader = newReader(topic, reading, kafka.brokers, vi.fn(), () => pace);
    await reader.start();
    await nextAnswer(reading);
    // Right after an answer the next Fetch is asked and held (1 MB is far off) until 500 ms
    // later. A record is written and the reader hurried within 200 ms of it (a busy machine may
    // take longer: then once more, with the Fetch after).
    let waited = Number.NaN;
    for (let attempt = 0; attempt < 4 && Number.isNaN(waited); attempt++) {
      const heldSince = await nextAnswer(reading);
      const value = `waiting-${attempt}`;
      await producer.send({ topic, messages: [{ value }] });
      if (performance.now() - heldSince > 200 || reading.values.get(0) !== undefined) {
        await vi.waitFor(() => expect(reading.values.get(0)).toEqual([value]), { timeout: 5_000 });
        reading.values.clear();
        reading.valueAt.length = 0;
        continue;
      }
      pace = 'prompt';
      reader.hurry();
      await vi.waitFor(() => expect(reading.values.get(0)).toEqual([value]), { timeout: 5_000, interval: 1 });
      waited = (reading.valueAt[0] as number) - heldSince;
    }
    // Held to its end, the record would come 500 ms or more after the Fetch was asked.
    expect(waited).toBeLessThan(450);
    const read = reading.next.get(0) as number;

    await producer.send({ topic, messages: [{ value: 'after' }] });
    await vi.waitFor(() => expect(reading.values.get(0)?.at(-1)).toBe('after'), { timeout: 5_000 });
    expect(reading.next.get(0)).toBe(read + 1);
    expect(reading.lines, reading.lines.join('\n')).toEqual([]);
    await producer.disconnect();
  }, 30_000);

  it('says that no broker answers, keeps retrying, and stops at once when asked', async () => {
    const port = await freePort();
    const reading = recordingHooks(() => 0);
    const reader = newReader('ticks', reading, [`127.0.0.1:${port}`]);
    await reader.start();
    await vi.waitFor(
      () =>
        expect(reading.lines[0]).toMatch(
          /^Kafka read failed \(no broker answered for metadata: .*ECONNREFUSED.*\); retrying$/,
        ),
      {
        timeout: 10_000,
      },
    );
    const stopping = Date.now();
    await reader.stop();
    expect(Date.now() - stopping).toBeLessThan(1000);
    expect(reading.values.size).toBe(0);
  });
});
