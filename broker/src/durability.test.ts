import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnAckedProducer } from './testing/acked-producer.js';
import { exited, freePort, startBrokerProcess } from './testing/broker-process.js';

// kill -9 the embedded broker under an acks=all producer, five times: everything acknowledged
// must be there afterwards, exactly once, at the offset it was acknowledged with.
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('embedded broker durability', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('keeps every acknowledged record, once, at its offset across five kill -9 restarts', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tickstream-kill9-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const port = await freePort();
    const bootstrap = `127.0.0.1:${port}`;
    const topic = 'durable';
    const partitions = 3;

    let broker = await startBrokerProcess(port, dataDir);
    cleanups.push(async () => {
      broker.kill('SIGKILL');
      await exited(broker);
    });
    const admin = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] });
    await admin.disconnect();

    const producer = spawnAckedProducer(bootstrap, topic, { partitions });
    cleanups.push(() => producer.kill());
    const { acks } = producer;
    const waitForAcks = (atLeast: number) => producer.waitForAcks(atLeast);

    await waitForAcks(5);
    for (let kill = 0; kill < 5; kill++) {
      await sleep(200 + kill * 100);
      broker.kill('SIGKILL');
      await exited(broker);
      const acksAtKill = acks.length;
      broker = await startBrokerProcess(port, dataDir);
      await waitForAcks(acksAtKill + 5); // the producer carries on by itself
    }
    await producer.stop();

    const consumed = new Map<number, Map<number, string>>();
    const consumer = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING }).consumer({ groupId: 'verify' });
    const admin2 = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin2.connect();
    const ends = await admin2.fetchTopicOffsets(topic);
    await admin2.disconnect();
    const total = ends.reduce((sum, p) => sum + Number(p.high), 0);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let seen = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`consumed ${seen} of ${total}`)), 30_000);
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          const byOffset = consumed.get(partition) ?? new Map<number, string>();
          consumed.set(partition, byOffset);
          byOffset.set(Number(message.offset), message.value?.toString() ?? '');
          if (++seen >= total) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();

    const occurrences = new Map<string, number>();
    for (const byOffset of consumed.values()) {
      for (const value of byOffset.values()) occurrences.set(value, (occurrences.get(value) ?? 0) + 1);
    }
    let checked = 0;
    for (const ack of acks) {
      for (let i = 0; i < ack.count; i++) {
        const value = `v${ack.firstN + i}`;
        expect(
          consumed.get(ack.partition)?.get(ack.baseOffset + i),
          `${value} at ${ack.partition}/${ack.baseOffset + i}`,
        ).toBe(value);
        expect(occurrences.get(value), `${value} stored once`).toBe(1);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(250);
  }, 120_000);
});
