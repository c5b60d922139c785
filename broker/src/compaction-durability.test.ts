import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnAckedProducer } from './testing/acked-producer.js';
import { exited, freePort, startBrokerProcess } from './testing/broker-process.js';

// kill -9 the embedded broker while its cleaner compacts a topic under an acks=all producer of
// keyed records, until a kill has landed in the middle of a cleaning: afterwards, every key's
// latest acknowledged value (or a later one) must be there, at the offset it was acknowledged
// with. Keys written once (u<n>) stay in cleaned segments for good, so a cleaning that lost
// them would show.
const KEYS = 40;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const valueNumber = (value: string): number => Number(value.slice(1, value.indexOf('-')));
const keyOf = (n: number): string => (n % 10 === 9 ? `u${n}` : `k${n % KEYS}`);

describe('embedded broker compaction durability', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('loses no latest value per key when killed -9 in the middle of cleanings', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tickstream-compaction-kill9-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const port = await freePort();
    const bootstrap = `127.0.0.1:${port}`;
    const topic = 'compacted';
    let log = '';
    const start = () =>
      startBrokerProcess(port, dataDir, ['--log-cleaner-backoff', '20ms'], (text) => {
        log += text;
      });

    let broker = await start();
    cleanups.push(async () => {
      broker.kill('SIGKILL');
      await exited(broker);
    });
    const admin = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        {
          topic,
          numPartitions: 1,
          configEntries: [
            { name: 'cleanup.policy', value: 'compact' },
            // A segment per batch or so, and clean at any dirt: the cleaner is always busy.
            { name: 'segment.ms', value: '1' },
            { name: 'min.cleanable.dirty.ratio', value: '0.01' },
          ],
        },
      ],
    });
    await admin.disconnect();

    const producer = spawnAckedProducer(bootstrap, topic, { keys: KEYS });
    cleanups.push(() => producer.kill());
    const { acks } = producer;
    const waitForAcks = (atLeast: number) => producer.waitForAcks(atLeast, 30_000);

    const interrupted = (): number => (log.match(/had not finished|finished putting cleaned segment/g) ?? []).length;
    await waitForAcks(30);
    let kills = 0;
    while (kills < 5 || (interrupted() === 0 && kills < 25)) {
      await sleep(150 + ((kills * 37) % 100));
      broker.kill('SIGKILL');
      await exited(broker);
      kills++;
      const acksAtKill = acks.length;
      broker = await start();
      await waitForAcks(acksAtKill + 10);
    }
    await producer.stop();
    expect(interrupted(), 'a kill landed in the middle of a cleaning').toBeGreaterThan(0);
    console.log(
      `compaction kill -9: ${kills} kills, ${(log.match(/had not finished/g) ?? []).length} unfinished cleanings dropped, ` +
        `${(log.match(/finished putting cleaned segment/g) ?? []).length} swaps completed at start-up, ${acks.length} batches acknowledged`,
    );
    expect((log.match(/cleaned \d+ segment group/g) ?? []).length).toBeGreaterThan(5);

    // Read the whole partition back.
    const client = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING });
    const admin2 = client.admin();
    await admin2.connect();
    const [end] = await admin2.fetchTopicOffsets(topic);
    await admin2.disconnect();
    const high = Number(end?.high);
    const present = new Map<number, { key: string; value: string }>();
    const consumer = client.consumer({ groupId: 'verify' });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read up to ${Math.max(...present.keys())} of ${high}`)), 30_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          present.set(Number(message.offset), {
            key: message.key?.toString() ?? '',
            value: message.value?.toString() ?? '',
          });
          if (Number(message.offset) >= high - 1) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();

    // Per key: the newest acknowledged value, where it was acknowledged.
    const latestAcked = new Map<string, { n: number; offset: number }>();
    for (const ack of acks) {
      for (let i = 0; i < ack.count; i++) {
        const n = ack.firstN + i;
        latestAcked.set(keyOf(n), { n, offset: ack.baseOffset + i });
      }
    }
    const newestPresent = new Map<string, { n: number; offset: number }>();
    for (const [offset, { key, value }] of present) {
      const n = valueNumber(value);
      expect(key, `record at ${offset}`).toBe(keyOf(n));
      const seen = newestPresent.get(key);
      if (seen === undefined || n > seen.n) newestPresent.set(key, { n, offset });
    }
    // Every hot key but k9, k19… (those slots hold the once-only keys), and one once-only key per batch.
    expect(latestAcked.size).toBe(KEYS - KEYS / 10 + acks.length);
    for (const [key, acked] of latestAcked) {
      const newest = newestPresent.get(key);
      expect(newest, `key ${key}`).toBeDefined();
      // A later value may be there (written before a kill, never acknowledged); never an older one.
      expect(newest?.n, `key ${key}`).toBeGreaterThanOrEqual(acked.n);
      if (newest?.n === acked.n) expect(newest.offset, `key ${key} offset`).toBe(acked.offset);
    }
    // Compaction did its work: far fewer records than were written.
    expect(present.size).toBeLessThan(acks.length * 10);
  }, 180_000);
});
