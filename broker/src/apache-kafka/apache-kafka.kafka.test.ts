import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../testing/unique-name.js';
import { type ApacheKafka, startApacheKafka } from './apache-kafka.js';
import { ApacheKafkaError } from './errors.js';
import { randomClusterId } from './storage.js';

const run = promisify(execFile);

// Each of these starts JVMs (10+ s on two cores), so they run only when asked for.
const enabled = process.env.KAFKA_BACKEND === 'apache' || process.env.TICKSTREAM_APACHE_KAFKA_TESTS === '1';
if (!enabled) {
  console.log(
    'Apache Kafka process tests skipped: set KAFKA_BACKEND=apache or TICKSTREAM_APACHE_KAFKA_TESTS=1 to run them.',
  );
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(!enabled)('Apache Kafka, one node', () => {
  let dataDir: string;
  let kafka: ApacheKafka;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tickstream-kafka-1-'));
    kafka = await startApacheKafka({ nodes: 1, port: 0, dataDir });
  }, 240_000);

  afterAll(async () => {
    await kafka?.close();
    await rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('is listed by kcat -L', async () => {
    const { stdout } = await run('kcat', ['-L', '-b', kafka.bootstrap, '-m', '15']);
    expect(stdout).toContain('1 brokers:');
    expect(stdout).toContain(`broker 1 at ${kafka.bootstrap} (controller)`);
  });

  it('carries records from a kafkajs producer to a kafkajs consumer group', async () => {
    const topic = uniqueName('apache-one');
    const client = new Kafka({ brokers: kafka.brokers, clientId: 'apache-kafka-test', logLevel: logLevel.NOTHING });
    const producer = client.producer();
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: [
        { key: 'AAPL', value: 'tick-1' },
        { key: 'MSFT', value: 'tick-2' },
      ],
    });
    await producer.disconnect();

    const consumer = client.consumer({ groupId: uniqueName('apache-one-group') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const values: string[] = [];
    await new Promise<void>((done, fail) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            values.push(message.value?.toString() ?? '');
            if (values.length === 2) done();
          },
        })
        .catch(fail);
    });
    await consumer.disconnect();
    expect(values.sort()).toEqual(['tick-1', 'tick-2']);
  }, 60_000);

  it('refuses a data dir formatted for another cluster id, naming both ids', async () => {
    const other = randomClusterId();
    const attempt = startApacheKafka({ nodes: 1, port: 0, dataDir, clusterId: other });
    await expect(attempt).rejects.toBeInstanceOf(ApacheKafkaError);
    await expect(attempt).rejects.toThrow(`was formatted for cluster id ${kafka.clusterId}, not ${other}`);
  });

  it('refuses to start a 3-node cluster in a 1-node data dir', async () => {
    await expect(startApacheKafka({ nodes: 3, port: 0, dataDir })).rejects.toThrow(/different number of nodes/);
  });

  it('stops its JVM on close()', async () => {
    const pid = kafka.pid(1);
    expect(pid).toBeDefined();
    await kafka.close();
    expect(isAlive(pid as number)).toBe(false);
  }, 60_000);
});

describe.skipIf(!enabled)('Apache Kafka, three nodes', () => {
  let dataDir: string;
  let kafka: ApacheKafka;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tickstream-kafka-3-'));
    kafka = await startApacheKafka({ nodes: 3, port: 0, dataDir });
  }, 240_000);

  afterAll(async () => {
    await kafka?.close();
    await rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('keeps accepting acks=all writes when a partition leader is killed, and heals after a restart', async () => {
    const topic = uniqueName('apache-three');
    const client = new Kafka({ brokers: kafka.brokers, clientId: 'apache-kafka-test', logLevel: logLevel.NOTHING });
    const admin = client.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic, numPartitions: 1, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] },
      ],
    });
    const partitionOf = async () => {
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      const partition = metadata.topics[0]?.partitions[0];
      if (!partition) throw new Error(`no partition 0 in the metadata of ${topic}`);
      return partition;
    };
    const leader = (await partitionOf()).leader;

    const killedPid = kafka.pid(leader) as number;
    await kafka.kill(leader);
    expect(isAlive(killedPid)).toBe(false);

    const producer = client.producer({ retry: { retries: 30, initialRetryTime: 300, maxRetryTime: 2000 } });
    await producer.connect();
    const [written] = await producer.send({ topic, acks: -1, messages: [{ value: 'after the leader died' }] });
    expect(written?.errorCode).toBe(0);
    const afterKill = await partitionOf();
    expect(afterKill.leader).not.toBe(leader);
    expect(afterKill.isr).not.toContain(leader);

    await kafka.restart(leader);
    const deadline = Date.now() + 90_000;
    let isr = afterKill.isr;
    while (isr.length < 3 && Date.now() < deadline) {
      await new Promise((wait) => setTimeout(wait, 500));
      isr = (await partitionOf()).isr;
    }
    expect([...isr].sort()).toEqual([1, 2, 3]);
    await producer.disconnect();
    await admin.disconnect();
  }, 240_000);

  it('leaves no JVM behind on close(), killed node included', async () => {
    const pids = kafka.nodes.map((node) => kafka.pid(node.nodeId)).filter((pid) => pid !== undefined);
    await kafka.kill(2);
    await kafka.close();
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
  }, 90_000);
});
