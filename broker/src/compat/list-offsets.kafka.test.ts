import { fileURLToPath } from 'node:url';
import { kafkaLz4Codec } from '@tickstream/schemas/lz4-node';
import { CompressionCodecs, CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../protocol/errors.js';
import { Writer } from '../protocol/writer.js';
import { selectedBackend, startTestKafka, type TestKafka, uniqueName } from '../testing/kafka-backend.js';
import { RawKafkaClient } from '../testing/raw-client.js';
import { createTestTopic } from '../testing/test-topics.js';
import { until } from '../testing/until.js';
import { parseClientJson, runClient, SYSTEM_PYTHON } from './run-client.js';

CompressionCodecs[CompressionTypes.LZ4] = kafkaLz4Codec;

// Offsets by timestamp at record precision (issue 18, item 1), through kafkajs, librdkafka and
// raw ListOffsets requests of every version kind, against whichever broker KAFKA_BACKEND selects.

const BASE = Date.now() - 3_600_000;
/** Timestamps that wander, with repeats: the first record ≥ a target is not always the nearest. */
const wandering = (i: number): number => BASE + i * 10 + ((i * 7919) % 13) * 3 - 18;

/** By definition: the first record, in offset order, whose timestamp is ≥ target. */
function firstAtOrAfter(timestamps: readonly number[], target: number): { offset: number; timestamp: number } | null {
  const offset = timestamps.findIndex((timestamp) => timestamp >= target);
  return offset < 0 ? null : { offset, timestamp: timestamps[offset] as number };
}

interface RawAnswer {
  errorCode: number;
  timestamp: number;
  offset: number;
  leaderEpoch: number;
}

/** One ListOffsets request for partition 0 of `topic`, at `version` (v1+), encoded by hand. */
async function listOffsetsRaw(
  bootstrap: string,
  version: number,
  topic: string,
  timestamp: number,
  isolationLevel = 0,
): Promise<RawAnswer> {
  const flexible = version >= 6;
  const body = new Writer().int32(-1);
  if (version >= 2) body.int8(isolationLevel);
  const partition = (w: Writer): void => {
    w.int32(0);
    if (version >= 4) w.int32(-1);
    w.int64(timestamp);
    if (flexible) w.taggedFields();
  };
  if (flexible)
    body.compactArray([topic], (w, name) => w.compactString(name).compactArray([0], partition).taggedFields());
  else body.array([topic], (w, name) => w.string(name).array([0], partition));
  if (version >= 10) body.int32(30_000);
  if (flexible) body.taggedFields();
  const client = await RawKafkaClient.connect(bootstrap);
  try {
    const reader = await client.request(2, version, Buffer.concat(body.finish()), flexible);
    if (flexible) reader.taggedFields(); // response header v1
    if (version >= 2) reader.int32(); // throttle time
    const readPartition = (): RawAnswer => {
      reader.int32();
      const answer = {
        errorCode: reader.int16(),
        timestamp: reader.int64(),
        offset: reader.int64(),
        leaderEpoch: version >= 4 ? reader.int32() : -1,
      };
      if (flexible) reader.taggedFields();
      return answer;
    };
    const [answer] = flexible
      ? reader.compactArray((r) => {
          r.compactString();
          const [p] = r.compactArray(readPartition);
          r.taggedFields();
          return p as RawAnswer;
        })
      : reader.array((r) => {
          r.string();
          return r.array(readPartition)[0] as RawAnswer;
        });
    return answer as RawAnswer;
  } finally {
    client.close();
  }
}

describe(`ListOffsets by timestamp at record precision (${selectedBackend()} backend)`, () => {
  let kafka: TestKafka;
  const client = (): Kafka => new Kafka({ brokers: kafka.brokers, logLevel: logLevel.NOTHING });

  beforeAll(async () => {
    kafka = await startTestKafka();
  }, 240_000);

  afterAll(async () => {
    await kafka?.close();
  }, 60_000);

  async function offsetByTimestamp(topic: string, target: number): Promise<number> {
    const admin = client().admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsetsByTimestamp(topic, target);
      return Number(offsets.find((p) => p.partition === 0)?.offset);
    } finally {
      await admin.disconnect();
    }
  }

  const targets = (count: number): number[] => [
    BASE - 1_000,
    BASE,
    BASE + 1,
    BASE + Math.floor(count * 3.3),
    BASE + count * 5 + 7,
    BASE + count * 10 - 40,
    BASE + count * 10 + 1_000,
  ];

  it('finds the record inside one large lz4 batch, through kafkajs and every ListOffsets version kind', async () => {
    const topic = uniqueName('time-one-batch');
    await createTestTopic(kafka.brokers, topic);
    const count = 1_000;
    const timestamps = Array.from({ length: count }, (_, i) => wandering(i));
    const producer = client().producer();
    await producer.connect();
    // One send to one partition is one record batch.
    await producer.send({
      topic,
      compression: CompressionTypes.LZ4,
      acks: -1,
      messages: timestamps.map((timestamp, i) => ({
        key: `k${i % 37}`,
        value: `v${i}`,
        partition: 0,
        timestamp: String(timestamp),
      })),
    });
    await producer.disconnect();

    for (const target of targets(count)) {
      const expected = firstAtOrAfter(timestamps, target);
      // kafkajs answers the log end offset when no record is that late.
      expect(await offsetByTimestamp(topic, target), `kafkajs, target +${target - BASE}`).toBe(
        expected?.offset ?? count,
      );
      for (const version of [1, 3, 5, 6, 11]) {
        const answer = await listOffsetsRaw(kafka.bootstrap, version, topic, target);
        expect(answer, `v${version}, target +${target - BASE}`).toMatchObject({
          errorCode: ErrorCode.NONE,
          offset: expected?.offset ?? -1,
          timestamp: expected?.timestamp ?? -1,
        });
      }
    }

    const newest = Math.max(...timestamps);
    expect(await listOffsetsRaw(kafka.bootstrap, 7, topic, -3)).toMatchObject({
      errorCode: ErrorCode.NONE,
      offset: timestamps.indexOf(newest),
      timestamp: newest,
    });
    expect(await listOffsetsRaw(kafka.bootstrap, 11, topic, -1)).toMatchObject({ offset: count, timestamp: -1 });
    expect(await listOffsetsRaw(kafka.bootstrap, 11, topic, -1, 1)).toMatchObject({ offset: count, timestamp: -1 });
    expect(await listOffsetsRaw(kafka.bootstrap, 11, topic, -2)).toMatchObject({ offset: 0, timestamp: -1 });
    expect(await listOffsetsRaw(kafka.bootstrap, 8, topic, -4)).toMatchObject({ offset: 0, timestamp: -1 });
    // No tiered storage: nothing tiered, nothing pending upload.
    expect(await listOffsetsRaw(kafka.bootstrap, 9, topic, -5)).toEqual({
      errorCode: ErrorCode.NONE,
      offset: -1,
      timestamp: -1,
      leaderEpoch: -1,
    });
    expect(await listOffsetsRaw(kafka.bootstrap, 11, topic, -6)).toMatchObject({
      errorCode: ErrorCode.NONE,
      offset: -1,
    });
    // A kind the version does not know yet, or no kind at all.
    expect(await listOffsetsRaw(kafka.bootstrap, 6, topic, -3)).toMatchObject({
      errorCode: ErrorCode.UNSUPPORTED_VERSION,
    });
    expect(await listOffsetsRaw(kafka.bootstrap, 7, topic, -4)).toMatchObject({
      errorCode: ErrorCode.UNSUPPORTED_VERSION,
    });
    expect(await listOffsetsRaw(kafka.bootstrap, 11, topic, -7)).toMatchObject({
      errorCode: ErrorCode.UNSUPPORTED_VERSION,
      offset: -1,
    });
  }, 120_000);

  it('finds records across segments (segment.ms rolls one per batch)', async () => {
    const topic = uniqueName('time-segments');
    await createTestTopic(kafka.brokers, topic, { configs: { 'segment.ms': '1000' } });
    const producer = client().producer();
    await producer.connect();
    const timestamps: number[] = [];
    for (let batch = 0; batch < 12; batch++) {
      // Each batch starts more than segment.ms after the previous one: each lands in a new segment.
      const batchStart = BASE + batch * 2_000;
      const batchTimestamps = Array.from({ length: 40 }, (_, i) => batchStart + ((i * 37) % 40) * 10);
      timestamps.push(...batchTimestamps);
      await producer.send({
        topic,
        compression: batch % 2 === 0 ? CompressionTypes.GZIP : CompressionTypes.None,
        acks: -1,
        messages: batchTimestamps.map((timestamp, i) => ({
          key: `k${i}`,
          value: `b${batch}-${i}`,
          partition: 0,
          timestamp: String(timestamp),
        })),
      });
    }
    await producer.disconnect();
    for (const target of [BASE, BASE + 5, BASE + 4_001, BASE + 9_995, BASE + 13_390, BASE + 22_390, BASE + 22_391]) {
      const expected = firstAtOrAfter(timestamps, target);
      expect(await listOffsetsRaw(kafka.bootstrap, 11, topic, target), `target +${target - BASE}`).toMatchObject({
        offset: expected?.offset ?? -1,
        timestamp: expected?.timestamp ?? -1,
      });
      expect(await offsetByTimestamp(topic, target)).toBe(expected?.offset ?? timestamps.length);
    }
  }, 120_000);

  it('under read_committed offers no record of an open transaction: by timestamp, MAX_TIMESTAMP or latest', async () => {
    const topic = uniqueName('time-transaction');
    await createTestTopic(kafka.brokers, topic);
    const plain = client().producer();
    await plain.connect();
    await plain.send({
      topic,
      acks: -1,
      messages: [0, 1, 2].map((i) => ({ value: `plain-${i}`, partition: 0, timestamp: String(BASE + i) })),
    });
    await plain.disconnect();
    const producer = client().producer({
      transactionalId: uniqueName('time-txn'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    const transaction = await producer.transaction();
    await transaction.send({
      topic,
      acks: -1,
      messages: [10, 11, 12].map((i) => ({ value: `txn-${i}`, partition: 0, timestamp: String(BASE + i) })),
    });
    const committed = 1;
    const uncommitted = 0;
    try {
      // Offsets 3-5 are the open transaction: the last stable offset is 3.
      expect(await listOffsetsRaw(kafka.bootstrap, 7, topic, BASE + 1, committed)).toMatchObject({ offset: 1 });
      expect(await listOffsetsRaw(kafka.bootstrap, 7, topic, BASE + 10, committed)).toMatchObject({
        errorCode: ErrorCode.NONE,
        offset: -1,
        timestamp: -1,
      });
      expect(await listOffsetsRaw(kafka.bootstrap, 7, topic, BASE + 10, uncommitted)).toMatchObject({
        offset: 3,
        timestamp: BASE + 10,
      });
      expect(await listOffsetsRaw(kafka.bootstrap, 7, topic, -3, committed)).toMatchObject({ offset: -1 });
      expect(await listOffsetsRaw(kafka.bootstrap, 7, topic, -3, uncommitted)).toMatchObject({
        offset: 5,
        timestamp: BASE + 12,
      });
      expect(await listOffsetsRaw(kafka.bootstrap, 7, topic, -1, committed)).toMatchObject({ offset: 3 });
      expect(await listOffsetsRaw(kafka.bootstrap, 7, topic, -1, uncommitted)).toMatchObject({ offset: 6 });
      await transaction.commit();
      await until(
        async () => (await listOffsetsRaw(kafka.bootstrap, 7, topic, -1, committed)).offset === 7,
        10_000,
        'the last stable offset to pass the commit marker',
      );
      expect(await listOffsetsRaw(kafka.bootstrap, 7, topic, BASE + 10, committed)).toMatchObject({
        offset: 3,
        timestamp: BASE + 10,
      });
    } finally {
      await producer.disconnect();
    }
  }, 120_000);

  for (const codec of ['snappy', 'zstd', 'gzip'] as const) {
    it(`finds the record inside one ${codec} batch written by librdkafka, and librdkafka finds it too`, async () => {
      const topic = uniqueName(`time-${codec}`);
      await createTestTopic(kafka.brokers, topic);
      const count = 600;
      const timestamps = Array.from({ length: count }, (_, i) => wandering(i));
      const lookups = targets(count);
      const run = await runClient(
        SYSTEM_PYTHON,
        [fileURLToPath(new URL('./python/timed_records.py', import.meta.url)), kafka.bootstrap, topic, codec],
        { input: JSON.stringify({ timestamps, targets: lookups }) },
      );
      const { offsets } = parseClientJson<{ offsets: number[] }>(run, 'timed_records.py');
      expect(offsets).toEqual(lookups.map((target) => firstAtOrAfter(timestamps, target)?.offset ?? -1));
      for (const target of lookups) {
        const expected = firstAtOrAfter(timestamps, target);
        expect(await listOffsetsRaw(kafka.bootstrap, 11, topic, target)).toMatchObject({
          offset: expected?.offset ?? -1,
          timestamp: expected?.timestamp ?? -1,
        });
      }
    }, 120_000);
  }
});
