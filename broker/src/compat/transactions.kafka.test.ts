import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectedBackend, startTestKafka, type TestKafka, uniqueName } from '../testing/kafka-backend.js';
import { fetchPartitionOffsets, listOffset, ReadIsolation } from '../testing/partition-offsets.js';
import { until } from '../testing/until.js';
import { parseClientJson, runClient, SYSTEM_PYTHON } from './run-client.js';

const confluentScript = fileURLToPath(new URL('./python/confluent_kafka_transactions.py', import.meta.url));

// Transactions (KIP-98) through kafkajs 2.2.4 and librdkafka 2.0.2 (Debian's confluent-kafka
// 1.7), on whichever broker KAFKA_BACKEND selects.
describe(`transactions (${selectedBackend()} backend)`, () => {
  let kafka: TestKafka;
  const client = (): Kafka => new Kafka({ brokers: kafka.brokers, logLevel: logLevel.NOTHING });

  beforeAll(async () => {
    kafka = await startTestKafka();
  }, 240_000);

  afterAll(async () => {
    await kafka?.close();
  }, 60_000);

  async function createTopic(prefix: string, numPartitions: number): Promise<string> {
    const topic = uniqueName(prefix);
    const admin = client().admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true });
    await admin.disconnect();
    return topic;
  }

  async function transactionalProducer(transactionalId: string, transactionTimeout = 60_000): Promise<Producer> {
    const producer = client().producer({
      transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout,
    });
    await producer.connect();
    return producer;
  }

  /**
   * Every value a consumer reads from `topic` until it has seen the value `end` in each of its
   * partitions (a last committed transaction writes one there, so everything before it in the
   * log has been decided and delivered or dropped).
   */
  async function readUntilEnd(topic: string, partitions: number, readUncommitted: boolean): Promise<string[]> {
    const consumer = client().consumer({ groupId: uniqueName('txn-reader'), readUncommitted, maxWaitTimeInMs: 200 });
    const values: string[] = [];
    const ended = new Set<number>();
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const value = message.value?.toString() ?? '';
        if (value === 'end') ended.add(partition);
        else values.push(value);
      },
    });
    try {
      await until(
        () => ended.size === partitions,
        30_000,
        () => `the end of ${topic}, read ${values.length} values`,
      );
    } finally {
      await consumer.disconnect();
    }
    return values.sort();
  }

  const endEveryPartition = async (producer: Producer, topic: string, partitions: number): Promise<void> => {
    const transaction = await producer.transaction();
    await transaction.send({
      topic,
      messages: Array.from({ length: partitions }, (_, partition) => ({ value: 'end', partition })),
    });
    await transaction.commit();
  };

  it('commits twice and aborts once: read_committed sees exactly the committed records, read_uncommitted all', async () => {
    const topic = await createTopic('kafkajs-txn', 2);
    const producer = await transactionalProducer(uniqueName('kafkajs-txn'));
    const sent = { committed: [] as string[], aborted: [] as string[] };
    for (const [name, outcome] of [
      ['first', 'commit'],
      ['second', 'abort'],
      ['third', 'commit'],
    ] as const) {
      const transaction = await producer.transaction();
      const values = Array.from({ length: 6 }, (_, i) => `${name}-${i}`);
      await transaction.send({
        topic,
        messages: values.map((value, i) => ({ key: `k${i}`, value, partition: i % 2 })),
      });
      if (outcome === 'commit') {
        await transaction.commit();
        sent.committed.push(...values);
      } else {
        await transaction.abort();
        sent.aborted.push(...values);
      }
    }
    await endEveryPartition(producer, topic, 2);
    await producer.disconnect();

    expect(await readUntilEnd(topic, 2, false)).toEqual(sent.committed.sort());
    expect(await readUntilEnd(topic, 2, true)).toEqual([...sent.committed, ...sent.aborted].sort());

    // The log itself: every transaction decided (LSO = HW), the aborted one listed for read_committed.
    for (const partition of [0, 1]) {
      const committed = await fetchPartitionOffsets(kafka.bootstrap, topic, partition, ReadIsolation.committed);
      expect(committed.errorCode).toBe(0);
      expect(committed.lastStableOffset).toBe(committed.highWatermark);
      expect(committed.abortedTransactions).toHaveLength(1);
      const uncommitted = await fetchPartitionOffsets(kafka.bootstrap, topic, partition, ReadIsolation.uncommitted);
      expect(uncommitted.lastStableOffset).toBe(uncommitted.highWatermark);
      expect(uncommitted.abortedTransactions ?? []).toEqual([]);
    }
  }, 120_000);

  it('holds the last-stable offset at an open transaction and serves read_committed only below it', async () => {
    const topic = await createTopic('kafkajs-lso', 1);
    const producer = await transactionalProducer(uniqueName('kafkajs-lso'));
    const plain = client().producer();
    await plain.connect();
    // Record timestamps a second apart, for ListOffsets by time below.
    const t0 = Date.now() - 60_000;
    const at = (seconds: number): string => String(t0 + seconds * 1000);
    await plain.send({ topic, acks: -1, messages: [{ value: 'before', partition: 0, timestamp: at(0) }] });

    const transaction = await producer.transaction();
    await transaction.send({
      topic,
      messages: [
        { value: 'open-1', partition: 0, timestamp: at(1) },
        { value: 'open-2', partition: 0, timestamp: at(1) },
      ],
    });
    await plain.send({ topic, acks: -1, messages: [{ value: 'beside', partition: 0, timestamp: at(2) }] });

    const open = await fetchPartitionOffsets(kafka.bootstrap, topic, 0, ReadIsolation.committed);
    expect(open.highWatermark).toBe(4);
    expect(open.lastStableOffset).toBe(1); // the transaction's first offset
    const fromLso = await fetchPartitionOffsets(kafka.bootstrap, topic, 0, ReadIsolation.committed, 1);
    expect(fromLso.recordBytes).toBe(0);
    const uncommitted = await fetchPartitionOffsets(kafka.bootstrap, topic, 0, ReadIsolation.uncommitted, 1);
    expect(uncommitted.recordBytes).toBeGreaterThan(0);
    expect(uncommitted.lastStableOffset).toBe(1);
    // ListOffsets "latest" is as far as each level may read; a timestamp found past that is none.
    const LATEST = -1;
    expect(await listOffset(kafka.bootstrap, topic, 0, LATEST, ReadIsolation.committed)).toBe(1);
    expect(await listOffset(kafka.bootstrap, topic, 0, LATEST, ReadIsolation.uncommitted)).toBe(4);
    const afterBefore = t0 + 500;
    expect(await listOffset(kafka.bootstrap, topic, 0, t0, ReadIsolation.committed)).toBe(0);
    expect(await listOffset(kafka.bootstrap, topic, 0, afterBefore, ReadIsolation.committed)).toBe(-1);
    expect(await listOffset(kafka.bootstrap, topic, 0, afterBefore, ReadIsolation.uncommitted)).toBe(1);

    await transaction.abort();
    // Apache Kafka answers EndTxn once the decision is logged and writes markers after; the
    // embedded broker once the markers are written. Either way the marker lands.
    let decided = open;
    await until(
      async () => {
        decided = await fetchPartitionOffsets(kafka.bootstrap, topic, 0, ReadIsolation.committed);
        return decided.lastStableOffset === decided.highWatermark;
      },
      10_000,
      'the ABORT marker',
    );
    expect(decided.highWatermark).toBe(5); // the ABORT marker takes an offset
    expect(decided.lastStableOffset).toBe(5);
    expect(decided.abortedTransactions).toEqual([{ producerId: expect.any(Number), firstOffset: 1 }]);

    await endEveryPartition(producer, topic, 1);
    await Promise.all([producer.disconnect(), plain.disconnect()]);
    expect(await readUntilEnd(topic, 1, false)).toEqual(['before', 'beside']);
  }, 120_000);

  it('answers a read_committed Fetch parked at the last-stable offset when the transaction commits, not at its max wait', async () => {
    // The edge reads `fills` read_committed with a long poll: a fill reaches the trader as soon
    // as the broker wakes that parked Fetch for the COMMIT marker. Were it woken only by
    // appends the reader may read, the fill would wait out the max wait.
    const topic = await createTopic('kafkajs-parked', 1);
    const producer = await transactionalProducer(uniqueName('kafkajs-parked'));
    const MAX_WAIT_MS = 20_000;
    const parked = fetchPartitionOffsets(kafka.bootstrap, topic, 0, ReadIsolation.committed, 0, MAX_WAIT_MS).then(
      (answer) => ({ answer, at: Date.now() }),
    );
    const transaction = await producer.transaction();
    await transaction.send({ topic, messages: [{ value: 'fill', partition: 0 }] });
    // The uncommitted append may wake the Fetch; it finds nothing it may read and waits again.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const committing = Date.now();
    await transaction.commit();
    const { answer, at } = await parked;
    expect(answer.errorCode).toBe(0);
    expect(answer.recordBytes).toBeGreaterThan(0);
    expect(answer.lastStableOffset).toBe(2); // the record and its COMMIT marker
    expect(at).toBeGreaterThanOrEqual(committing);
    // Far below the max wait even on a loaded machine (measured: a few ms on both backends).
    expect(at - committing).toBeLessThan(MAX_WAIT_MS / 4);
    await producer.disconnect();
  }, 60_000);

  it('DeleteRecords past the start of an open transaction: the last-stable offset is the new log start until it ends', async () => {
    const topic = await createTopic('kafkajs-lso-delete', 1);
    const producer = await transactionalProducer(uniqueName('kafkajs-lso-delete'));
    const plain = client().producer();
    await plain.connect();
    const transaction = await producer.transaction();
    await transaction.send({
      topic,
      messages: [
        { value: 'open-1', partition: 0 },
        { value: 'open-2', partition: 0 },
      ],
    });
    await plain.send({ topic, acks: -1, messages: ['a', 'b', 'c'].map((value) => ({ value, partition: 0 })) });
    const admin = client().admin();
    await admin.connect();
    try {
      await admin.fetchTopicMetadata({ topics: [topic] });
      await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '3' }] });
      // The transaction opened at 0, below the new log start 3. Apache Kafka bounds the LSO by the
      // log start as offset metadata: the base offset of the batch holding it, 2 ('a', 'b', 'c'
      // were one batch at 2-4), not 3.
      const cut = await fetchPartitionOffsets(kafka.bootstrap, topic, 0, ReadIsolation.committed, 3);
      expect(cut).toMatchObject({ errorCode: 0, highWatermark: 5, lastStableOffset: 2, recordBytes: 0 });
      // kafkajs asks for "latest" at read_committed: the last-stable offset, so below "low" here.
      const latest = await admin.fetchTopicOffsets(topic);
      expect(latest.find((p) => p.partition === 0)).toMatchObject({ low: '3', high: '2' });

      await transaction.commit();
      await until(
        async () => {
          const decided = await fetchPartitionOffsets(kafka.bootstrap, topic, 0, ReadIsolation.committed, 3);
          return decided.lastStableOffset === decided.highWatermark && decided.highWatermark === 6;
        },
        10_000,
        'the COMMIT marker',
      );
    } finally {
      await Promise.all([admin.disconnect(), producer.disconnect(), plain.disconnect()]);
    }
  }, 120_000);

  it('fences the first producer once a second one initialises the same transactional id', async () => {
    const topic = await createTopic('kafkajs-fence', 1);
    const transactionalId = uniqueName('kafkajs-fence');
    const zombie = await transactionalProducer(transactionalId);
    const zombieTransaction = await zombie.transaction();
    await zombieTransaction.send({ topic, messages: [{ value: 'zombie', partition: 0 }] });

    // kafkajs sends the transactional InitProducerId at its first transaction(): the newcomer's
    // aborts the zombie's open transaction and bumps the epoch, fencing the zombie.
    const newcomer = await transactionalProducer(transactionalId);
    const transaction = await newcomer.transaction();
    await expect(zombieTransaction.commit()).rejects.toThrow(/fenced|epoch/i);
    await transaction.send({ topic, messages: [{ value: 'newcomer', partition: 0 }] });
    await transaction.commit();
    await endEveryPartition(newcomer, topic, 1);
    await newcomer.disconnect();
    await zombie.disconnect().catch(() => {});

    expect(await readUntilEnd(topic, 1, false)).toEqual(['newcomer']);
  }, 120_000);

  it('aborts a transaction left open past its timeout, and the last-stable offset moves on', async () => {
    const topic = await createTopic('kafkajs-timeout', 1);
    const abandoned = await transactionalProducer(uniqueName('kafkajs-abandoned'), 2_000);
    const transaction = await abandoned.transaction();
    await transaction.send({ topic, messages: [{ value: 'abandoned', partition: 0 }] });
    const open = await fetchPartitionOffsets(kafka.bootstrap, topic, 0, ReadIsolation.committed);
    expect(open.lastStableOffset).toBe(0);

    // Both brokers look for timed-out transactions every 10 s (transaction.abort.timed.out.
    // transaction.cleanup.interval.ms), so the abort lands 2-12 s after the send.
    let state = open;
    await until(
      async () => {
        state = await fetchPartitionOffsets(kafka.bootstrap, topic, 0, ReadIsolation.committed);
        return state.lastStableOffset === state.highWatermark;
      },
      30_000,
      () =>
        `the coordinator to abort the abandoned transaction (LSO ${state.lastStableOffset}, HW ${state.highWatermark})`,
      500,
    );
    expect(state.highWatermark).toBe(2); // the record and the ABORT marker
    expect(state.abortedTransactions).toEqual([{ producerId: expect.any(Number), firstOffset: 0 }]);
    await expect(transaction.commit()).rejects.toThrow();
    await abandoned.disconnect().catch(() => {});
  }, 60_000);

  const confluent = async <T>(mode: string, topic: string, partitions: number): Promise<T> => {
    const args = [confluentScript, mode, kafka.bootstrap, topic, String(partitions), uniqueName(`confluent-${mode}`)];
    return parseClientJson<T>(await runClient(SYSTEM_PYTHON, args, { timeoutMs: 120_000 }), `confluent-kafka ${mode}`);
  };

  it('librdkafka commits twice and aborts once: read_committed sees exactly the committed records', async () => {
    const topic = await createTopic('confluent-txn', 2);
    const result = await confluent<{
      committed: string[];
      aborted: string[];
      read_committed: string[];
      read_uncommitted: string[];
    }>('commit-abort', topic, 2);
    expect(result.committed).toHaveLength(12);
    expect(result.read_committed).toEqual(result.committed);
    expect(result.read_uncommitted).toEqual([...result.committed, ...result.aborted].sort());
  }, 150_000);

  it('librdkafka: a second producer with the same transactional.id fences the first', async () => {
    const topic = await createTopic('confluent-fence', 1);
    const result = await confluent<{
      zombie_error: { name: string; fatal: boolean; text: string } | null;
      read_committed: string[];
    }>('fence', topic, 1);
    expect(result.zombie_error, 'the fenced producer must fail to commit').not.toBeNull();
    expect(result.zombie_error?.fatal).toBe(true);
    expect(result.zombie_error?.name).toMatch(/FENCED|INVALID_PRODUCER_EPOCH/);
    expect(result.read_committed).toEqual(['newcomer']);
  }, 150_000);
});
