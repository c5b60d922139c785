import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { Writer } from '../protocol/writer.js';
import { exited, freePort, startBrokerProcess } from '../testing/broker-process.js';
import { fetchPartitionOffsets, ReadIsolation } from '../testing/partition-offsets.js';
import { RawKafkaClient } from '../testing/raw-client.js';

// kill -9 the embedded broker with a transaction open, one committed and one aborted: after the
// restart the open one is still open (and can be committed), the last-stable offset and the
// aborted-transaction list are what they were.

/** DescribeTransactions v0 (flexible) for one id: its state and producer id. */
async function describeTransaction(bootstrap: string, transactionalId: string) {
  const client = await RawKafkaClient.connect(bootstrap);
  try {
    const body = Buffer.concat(
      new Writer()
        .compactArray([transactionalId], (w, id) => w.compactString(id))
        .taggedFields()
        .finish(),
    );
    const reader = await client.request(65, 0, body, true);
    reader.taggedFields(); // response header v1
    reader.int32(); // throttle
    const [state] = reader.compactArray((r) => {
      const errorCode = r.int16();
      r.compactString();
      const transactionState = r.compactString();
      r.int32();
      r.int64();
      const producerId = r.int64();
      r.int16();
      const topics = r.compactArray((t) => {
        const topic = t.compactString();
        const partitions = t.compactArray((p) => p.int32());
        t.taggedFields();
        return { topic, partitions };
      });
      r.taggedFields();
      return { errorCode, transactionState, producerId, topics };
    });
    return state;
  } finally {
    client.close();
  }
}

describe('transactions across kill -9 of the embedded broker', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('keeps an open transaction open, the LSO and the aborted list, and commits it afterwards', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tickstream-txn-kill9-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const port = await freePort();
    const bootstrap = `127.0.0.1:${port}`;
    let broker = await startBrokerProcess(port, dataDir);
    cleanups.push(async () => {
      broker.kill('SIGKILL');
      await exited(broker);
    });
    const kafka = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'txn', numPartitions: 1 }] });
    await admin.disconnect();

    const producer = kafka.producer({ transactionalId: 'durable', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (const [values, commit] of [
      [['c1', 'c2'], true],
      [['a1', 'a2'], false],
      [['o1', 'o2'], null],
    ] as const) {
      const transaction = await producer.transaction();
      await transaction.send({ topic: 'txn', messages: values.map((value) => ({ value, partition: 0 })) });
      if (commit === true) await transaction.commit();
      if (commit === false) await transaction.abort();
      if (commit === null) {
        const before = await fetchPartitionOffsets(bootstrap, 'txn', 0, ReadIsolation.committed);
        // c1 c2 COMMIT a1 a2 ABORT o1 o2: the open transaction starts at 6.
        expect(before).toMatchObject({ highWatermark: 8, lastStableOffset: 6 });
        const producerId = before.abortedTransactions?.[0]?.producerId;
        expect(before.abortedTransactions).toEqual([{ producerId, firstOffset: 3 }]);

        broker.kill('SIGKILL');
        await exited(broker);
        broker = await startBrokerProcess(port, dataDir);

        const after = await fetchPartitionOffsets(bootstrap, 'txn', 0, ReadIsolation.committed);
        expect(after).toEqual(before);
        expect(await describeTransaction(bootstrap, 'durable')).toEqual({
          errorCode: 0,
          transactionState: 'Ongoing',
          producerId,
          topics: [{ topic: 'txn', partitions: [0] }],
        });
        await transaction.commit();
      }
    }
    await producer.disconnect();

    const decided = await fetchPartitionOffsets(bootstrap, 'txn', 0, ReadIsolation.committed);
    expect(decided).toMatchObject({ highWatermark: 9, lastStableOffset: 9 });
    const consumer = kafka.consumer({ groupId: 'reader' });
    const values: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: 'txn', fromBeginning: true });
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          values.push(message.value?.toString() ?? '');
          if (values.length === 4) resolve();
        },
      });
    });
    await consumer.disconnect();
    expect(values).toEqual(['c1', 'c2', 'o1', 'o2']);
  }, 120_000);
});
