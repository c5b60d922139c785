import { Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlType, controlTypeOf } from '../log/control-batch.js';
import { BatchAttribute, LOG_OVERHEAD } from '../log/record-batch.js';
import { batchFields, readRecords } from '../log/records.js';
import { ErrorCode } from '../protocol/errors.js';
import { Writer } from '../protocol/writer.js';
import { selectedBackend, startTestKafka, type TestKafka, uniqueName } from '../testing/kafka-backend.js';
import { fetchPartitionOffsets, ReadIsolation } from '../testing/partition-offsets.js';
import { RawKafkaClient } from '../testing/raw-client.js';
import { createTestTopic } from '../testing/test-topics.js';
import { until } from '../testing/until.js';

// Compacted topics (issue 18, item 4) against whichever broker KAFKA_BACKEND selects. Both run
// their cleaner every 500 ms (log.cleaner.backoff.ms, set for test brokers); segment.ms rolls a
// segment per batch so records leave the active segment, which is never cleaned.

interface Entry {
  offset: number;
  key: string;
  value: string | null;
  /** A transaction marker's type; null for a data record. */
  marker: 'COMMIT' | 'ABORT' | null;
}

/** Every record of partition 0 from the log start (markers too), through raw read_uncommitted Fetch v4 requests. */
async function readPartition(bootstrap: string, topic: string): Promise<Entry[]> {
  const client = await RawKafkaClient.connect(bootstrap);
  const entries: Entry[] = [];
  try {
    for (
      let offset = await earliest(client, topic), highWatermark = Number.POSITIVE_INFINITY;
      offset < highWatermark;
    ) {
      const body = new Writer()
        .int32(-1)
        .int32(0) // max wait
        .int32(0) // min bytes
        .int32(16 << 20)
        .int8(0)
        .array([topic], (w, name) =>
          w.string(name).array([0], (p) =>
            p
              .int32(0)
              .int64(offset)
              .int32(8 << 20),
          ),
        );
      const reader = await client.request(1, 4, Buffer.concat(body.finish()));
      reader.int32(); // throttle
      reader.int32(); // topics
      reader.string();
      reader.int32(); // partitions
      reader.int32();
      const errorCode = reader.int16();
      if (errorCode !== ErrorCode.NONE) throw new Error(`fetch at ${offset}: error ${errorCode}`);
      highWatermark = reader.int64();
      reader.int64(); // last stable offset
      reader.nullableArray((r) => [r.int64(), r.int64()]);
      const records = reader.bytes();
      if (records.length === 0) break;
      for (let at = 0; at + LOG_OVERHEAD <= records.length; ) {
        const size = records.readInt32BE(at + 8) + LOG_OVERHEAD;
        if (at + size > records.length) break;
        const batch = records.subarray(at, at + size);
        const control = (batchFields(batch).attributes & BatchAttribute.control) !== 0;
        const type = control ? controlTypeOf(batch) : null;
        const marker = type === ControlType.commit ? 'COMMIT' : type === ControlType.abort ? 'ABORT' : null;
        for (const record of await readRecords(batch)) {
          if (record.offset >= offset) {
            entries.push({
              offset: record.offset,
              key: control ? '' : (record.key?.toString() ?? ''),
              value: control ? null : (record.value?.toString() ?? null),
              marker,
            });
          }
        }
        offset = Number(batch.readBigInt64BE(0)) + batch.readInt32BE(23) + 1;
        at += size;
      }
    }
  } finally {
    client.close();
  }
  return entries;
}

/**
 * Sends one record with `key` to partition 0 every 250 ms until the returned function is called:
 * a live topic's flow, which keeps rolling segments so the cleaner has dirty ones to clean.
 */
function keepLogMoving(producer: Producer, topic: string, key: string): () => void {
  let n = 0;
  const timer = setInterval(() => {
    void producer.send({ topic, messages: [{ key, value: String(n++), partition: 0 }] }).catch(() => {});
  }, 250);
  return () => clearInterval(timer);
}

async function earliest(client: RawKafkaClient, topic: string): Promise<number> {
  const body = new Writer()
    .int32(-1)
    .int8(0)
    .array([topic], (w, name) => w.string(name).array([0], (p) => p.int32(0).int64(-2)));
  const reader = await client.request(2, 2, Buffer.concat(body.finish()));
  reader.int32();
  reader.int32();
  reader.string();
  reader.int32();
  reader.int32();
  reader.int16();
  reader.int64();
  return reader.int64();
}

describe(`compacted topics (${selectedBackend()} backend)`, () => {
  let kafka: TestKafka;
  const client = (): Kafka => new Kafka({ brokers: kafka.brokers, logLevel: logLevel.NOTHING });

  beforeAll(async () => {
    kafka = await startTestKafka();
  }, 240_000);

  afterAll(async () => {
    await kafka?.close();
  }, 60_000);

  it('keeps the latest value per key, and a tombstone removes its key after delete.retention.ms', async () => {
    const topic = uniqueName('compacted');
    await createTestTopic(kafka.brokers, topic, {
      configs: {
        'cleanup.policy': 'compact',
        'segment.ms': '100',
        'min.cleanable.dirty.ratio': '0.01',
        'delete.retention.ms': '1000',
      },
    });
    const producer = client().producer();
    await producer.connect();
    const send = async (messages: { key: string; value: string | null }[]): Promise<void> => {
      await producer.send({ topic, acks: -1, messages: messages.map((m) => ({ ...m, partition: 0 })) });
      // Past segment.ms: the next batch rolls a new segment, so this one becomes cleanable.
      await new Promise((resolve) => setTimeout(resolve, 150));
    };
    const latest = new Map<string, string>();
    for (let round = 0; round < 5; round++) {
      const messages = Array.from({ length: 10 }, (_, k) => ({ key: `user-${k}`, value: `round-${round}-user-${k}` }));
      for (const m of messages) latest.set(m.key, m.value);
      await send(messages);
    }
    await send([{ key: 'user-3', value: null }]);
    latest.delete('user-3');

    const stopMoving = keepLogMoving(producer, topic, 'filler');
    let sawTombstoneAlone = false;
    try {
      await until(
        async () => {
          const entries = await readPartition(kafka.bootstrap, topic);
          const users = entries.filter((entry) => entry.key.startsWith('user-'));
          const user3 = users.filter((entry) => entry.key === 'user-3');
          // Compacted, tombstone still there: the only user-3 record left is the delete.
          if (user3.length === 1 && user3[0]?.value === null && users.length === 10) sawTombstoneAlone = true;
          return users.length === 9 && user3.length === 0;
        },
        60_000,
        'user-3 to be gone and one record per other key',
        500,
      );
    } finally {
      stopMoving();
    }
    const entries = await readPartition(kafka.bootstrap, topic);
    const users = entries.filter((entry) => entry.key.startsWith('user-'));
    expect(new Map(users.map((entry) => [entry.key, entry.value]))).toEqual(latest);
    expect(sawTombstoneAlone).toBe(true);
    const offsets = entries.map((entry) => entry.offset);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));

    // A consumer reading from the start sees the compacted log: each user once, with the latest value.
    const consumer = client().consumer({ groupId: uniqueName('compacted-reader') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen = new Map<string, string | null>();
    const counts = new Map<string, number>();
    await consumer.run({
      eachMessage: async ({ message }) => {
        const key = message.key?.toString() ?? '';
        seen.set(key, message.value?.toString() ?? null);
        counts.set(key, (counts.get(key) ?? 0) + 1);
      },
    });
    await until(() => [...latest.keys()].every((key) => seen.has(key)), 30_000, 'the consumer to read every user');
    await consumer.disconnect();
    await producer.disconnect();
    for (const [key, value] of latest) {
      expect(seen.get(key)).toBe(value);
      expect(counts.get(key)).toBe(1);
    }
    expect(seen.has('user-3')).toBe(false);
  }, 120_000);

  it('refuses a record without a key on a compacted topic with INVALID_RECORD, as Apache Kafka does', async () => {
    const topic = uniqueName('compacted-keyless');
    await createTestTopic(kafka.brokers, topic, { configs: { 'cleanup.policy': 'compact' } });
    const producer = new Kafka({
      brokers: kafka.brokers,
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    }).producer();
    await producer.connect();
    try {
      await expect(
        producer.send({ topic, messages: [{ key: 'a', value: '1' }, { value: 'no key' }] }),
      ).rejects.toMatchObject({
        type: 'INVALID_RECORD',
      });
      await producer.send({ topic, messages: [{ key: 'a', value: null }] });
    } finally {
      await producer.disconnect();
    }
  }, 60_000);

  it('cleanup.policy=compact,delete compacts and also deletes segments past retention.ms', async () => {
    const topic = uniqueName('compact-delete');
    await createTestTopic(kafka.brokers, topic, {
      configs: {
        'cleanup.policy': 'compact,delete',
        'segment.ms': '100',
        'retention.ms': '5000',
        'min.cleanable.dirty.ratio': '0.01',
      },
    });
    const producer = client().producer();
    await producer.connect();
    const old = Date.now() - 60_000;
    for (let round = 0; round < 4; round++) {
      await producer.send({
        topic,
        acks: -1,
        messages: [{ key: `old-${round}`, value: 'x', partition: 0, timestamp: String(old + round * 1000) }],
      });
    }
    const stopMoving = keepLogMoving(producer, topic, 'new');
    try {
      // Records a minute old are past retention.ms: their segments go, so the log start moves on.
      await until(
        async () => {
          const entries = await readPartition(kafka.bootstrap, topic);
          return entries.length > 0 && !entries.some((entry) => entry.key.startsWith('old-'));
        },
        60_000,
        'the minute-old records to be deleted by retention',
        500,
      );
    } finally {
      stopMoving();
      await producer.disconnect();
    }
  }, 120_000);

  it('compacts a topic written in transactions: committed values kept, aborted ones never read committed, then gone with their markers', async () => {
    const topic = uniqueName('compacted-txn');
    await createTestTopic(kafka.brokers, topic, {
      configs: {
        'cleanup.policy': 'compact',
        'segment.ms': '100',
        'min.cleanable.dirty.ratio': '0.01',
        'delete.retention.ms': '1000',
      },
    });
    const transactional = client().producer({
      transactionalId: uniqueName('compacted-txn'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await transactional.connect();
    const latest = new Map<string, string>();
    const inTransaction = async (values: [string, string][], commit: boolean): Promise<void> => {
      const transaction = await transactional.transaction();
      await transaction.send({
        topic,
        acks: -1,
        messages: values.map(([key, value]) => ({ key, value, partition: 0 })),
      });
      await (commit ? transaction.commit() : transaction.abort());
      if (commit) for (const [key, value] of values) latest.set(key, value);
      // Past segment.ms: the next batch rolls a new segment, so this one becomes cleanable.
      await new Promise((resolve) => setTimeout(resolve, 150));
    };
    const keys = ['k0', 'k1', 'k2', 'k3', 'k4'];
    for (let round = 0; round < 3; round++) {
      await inTransaction(
        keys.map((key) => [key, `committed-${round}-${key}`]),
        true,
      );
      await inTransaction(
        keys.map((key) => [key, `aborted-${round}-${key}`]),
        false,
      );
    }
    await inTransaction(
      keys.slice(0, 2).map((key) => [key, `committed-last-${key}`]),
      true,
    );

    /** Every value of the k* keys a read_committed kafkajs consumer reads from the start, in order. */
    const readCommitted = async (): Promise<Map<string, string[]>> => {
      const consumer = client().consumer({ groupId: uniqueName('compacted-txn-reader'), maxWaitTimeInMs: 100 });
      const seen = new Map<string, string[]>();
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          const key = message.key?.toString() ?? '';
          if (keys.includes(key)) seen.set(key, [...(seen.get(key) ?? []), message.value?.toString() ?? '']);
        },
      });
      try {
        await until(
          () => keys.every((key) => seen.get(key)?.includes(latest.get(key) as string)),
          30_000,
          'a read_committed consumer to reach every latest value',
        );
      } finally {
        await consumer.disconnect();
      }
      return seen;
    };
    const aborted = (seen: Map<string, string[]>): string[] =>
      [...seen.values()].flat().filter((value) => value.startsWith('aborted-'));
    expect(aborted(await readCommitted())).toEqual([]);

    const filler = client().producer();
    await filler.connect();
    const stopMoving = keepLogMoving(filler, topic, 'filler');
    try {
      // Aborted records go at the first cleaning; their markers once no batch of theirs is left
      // and delete.retention.ms has passed (two cleanings later).
      await until(
        async () => {
          const entries = await readPartition(kafka.bootstrap, topic);
          const data = entries.filter((entry) => keys.includes(entry.key));
          return (
            !data.some((entry) => entry.value?.startsWith('aborted-')) &&
            !entries.some((entry) => entry.marker === 'ABORT') &&
            data.length === keys.length
          );
        },
        90_000,
        'aborted records and ABORT markers to be gone, and one record per key',
        500,
      );
    } finally {
      stopMoving();
      await filler.disconnect();
      await transactional.disconnect();
    }
    const data = (await readPartition(kafka.bootstrap, topic)).filter((entry) => keys.includes(entry.key));
    expect(new Map(data.map((entry) => [entry.key, entry.value]))).toEqual(latest);

    // With the ABORT markers gone, no abort is listed any more, and read_committed sees each key's
    // latest committed value once (an abort listed without its marker would hide later commits).
    const offsets = await fetchPartitionOffsets(kafka.bootstrap, topic, 0, ReadIsolation.committed);
    expect(offsets.abortedTransactions ?? []).toEqual([]);
    expect(offsets.lastStableOffset).toBe(offsets.highWatermark);
    const seen = await readCommitted();
    expect(aborted(seen)).toEqual([]);
    for (const key of keys) expect(seen.get(key)).toEqual([latest.get(key)]);
  }, 180_000);
});
