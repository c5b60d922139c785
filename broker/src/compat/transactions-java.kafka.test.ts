import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_KAFKA_VERSION } from '../apache-kafka/apache-kafka.js';
import { resolveKafkaJars } from '../apache-kafka/maven.js';
import { findJava } from '../apache-kafka/prerequisites.js';
import { exited, freePort, startBrokerProcess } from '../testing/broker-process.js';
import { selectedBackend, startTestKafka, type TestKafka, uniqueName } from '../testing/kafka-backend.js';
import { parseClientJson, runClient } from './run-client.js';

// Transactions through the Java client, kafka-clients 4.4.0 (Flink's KafkaSink is built on it),
// on whichever broker KAFKA_BACKEND selects. Needs a JDK 17 (javac) and Maven for the jars.
const source = fileURLToPath(new URL('./java/TransactionalClient.java', import.meta.url));
const run = promisify(execFile);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Copier {
  child: ChildProcess;
  exitCode: number | null | undefined;
  stderr: string;
}

describe(`transactions with the Java client (${selectedBackend()} backend)`, () => {
  let kafka: TestKafka;
  let java: string;
  let classpath: string;
  let libs: string;
  const cleanups: (() => Promise<void>)[] = [];
  const client = (brokers: string[]): Kafka => new Kafka({ brokers, logLevel: logLevel.NOTHING });

  beforeAll(async () => {
    kafka = await startTestKafka();
    libs = await resolveKafkaJars({ kafkaVersion: DEFAULT_KAFKA_VERSION });
    java = await findJava();
    const classes = await mkdtemp(join(tmpdir(), 'tickstream-java-client-'));
    cleanups.push(() => rm(classes, { recursive: true, force: true }));
    classpath = `${classes}:${libs}/*`;
    // Compiled once: restarting the copier below must cost a JVM start, not a compile.
    const javac = join(dirname(java), 'javac');
    if (!existsSync(javac)) {
      throw new Error(
        `${javac} is missing: these tests compile Java, install a JDK (apt-get install openjdk-17-jdk-headless)`,
      );
    }
    await run(javac, ['-d', classes, '-cp', `${libs}/*`, source]);
  }, 300_000);

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await kafka?.close();
  }, 60_000);

  async function createTopic(brokers: string[], prefix: string, numPartitions: number): Promise<string> {
    const topic = uniqueName(prefix);
    const admin = client(brokers).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true });
    await admin.disconnect();
    return topic;
  }

  const readValues = async (bootstrap: string, topic: string, isolation: string): Promise<string[]> => {
    const result = await runClient(
      java,
      ['-cp', classpath, 'TransactionalClient', 'read', bootstrap, topic, isolation],
      {
        timeoutMs: 90_000,
      },
    );
    return parseClientJson<string[]>(result, `Java ${isolation} reader`);
  };

  it('commits twice and aborts once: read_committed sees exactly the committed records, read_uncommitted all', async () => {
    const topic = await createTopic(kafka.brokers, 'java-txn', 2);
    const args = ['-cp', classpath, 'TransactionalClient', 'commit-abort', kafka.bootstrap, topic, uniqueName('java')];
    const result = parseClientJson<{
      committed: string[];
      aborted: string[];
      read_committed: string[];
      read_uncommitted: string[];
    }>(await runClient(java, args, { timeoutMs: 120_000 }), 'Java commit-abort');
    expect(result.committed).toHaveLength(12);
    expect(result.read_committed).toEqual(result.committed);
    expect(result.read_uncommitted).toEqual([...result.committed, ...result.aborted].sort());
  }, 150_000);

  it("Apache Kafka's kafka-transactions tool lists and describes an open transaction and its producer", async () => {
    const topic = await createTopic(kafka.brokers, 'tool-txn', 1);
    const transactionalId = uniqueName('tool');
    const producer = client(kafka.brokers).producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const transaction = await producer.transaction();
    await transaction.send({ topic, messages: [{ value: 'open', partition: 0 }] });
    const tool = async (...args: string[]): Promise<string> => {
      const command = ['-cp', `${libs}/*`, 'org.apache.kafka.tools.TransactionsCommand'];
      const result = await runClient(java, [...command, '--bootstrap-server', kafka.bootstrap, ...args], {
        timeoutMs: 60_000,
      });
      expect(result.code, result.stderr).toBe(0);
      return result.stdout;
    };
    try {
      // A row per transactional id: id, coordinator, producer id, state.
      expect(await tool('list')).toMatch(new RegExp(`${transactionalId}\\s+\\d+\\s+\\d+\\s+Ongoing`));
      // id, producer id, epoch, state, timeout, start, duration, partitions.
      const described = await tool('describe', '--transactional-id', transactionalId);
      expect(described).toMatch(new RegExp(`${transactionalId}\\s+\\d+\\s+0\\s+Ongoing\\s+60000\\s`));
      expect(described).toContain(`${topic}-0`);
      // DescribeProducers: producer id, epoch 0, coordinator epoch, last sequence 0, last
      // timestamp, and the open transaction starting at offset 0.
      const producers = await tool('describe-producers', '--topic', topic, '--partition', '0');
      expect(producers).toMatch(/\n\d+\s+0\s+-?\d+\s+0\s+\d+\s+0\s/);
    } finally {
      await transaction.abort();
      await producer.disconnect();
    }
  }, 120_000);

  it(selectedBackend() === 'embedded'
    ? 'copies exactly once through kill -9 of the copier and of the broker (sendOffsetsToTransaction)'
    : 'copies exactly once through kill -9 of the copier (sendOffsetsToTransaction)', async () => {
    // The embedded broker runs as a process of its own here, so it can be killed like a crash.
    let brokerProcess: ChildProcess | undefined;
    let bootstrap = kafka.bootstrap;
    let restartBroker = async (): Promise<void> => {};
    if (selectedBackend() === 'embedded') {
      const dataDir = await mkdtemp(join(tmpdir(), 'tickstream-eos-'));
      const port = await freePort();
      brokerProcess = await startBrokerProcess(port, dataDir);
      bootstrap = `127.0.0.1:${port}`;
      restartBroker = async () => {
        brokerProcess?.kill('SIGKILL');
        if (brokerProcess) await exited(brokerProcess);
        brokerProcess = await startBrokerProcess(port, dataDir);
      };
      cleanups.push(async () => {
        brokerProcess?.kill('SIGKILL');
        if (brokerProcess) await exited(brokerProcess);
        await rm(dataDir, { recursive: true, force: true });
      });
    }

    const count = 2000;
    const input = await createTopic([bootstrap], 'eos-in', 3);
    const output = await createTopic([bootstrap], 'eos-out', 3);
    const group = uniqueName('eos-group');
    const transactionalId = uniqueName('eos-copier');
    const producer = client([bootstrap]).producer({ idempotent: true });
    await producer.connect();
    for (let from = 0; from < count; from += 500) {
      const messages = Array.from({ length: 500 }, (_, i) => ({ key: `k${(from + i) % 50}`, value: `v${from + i}` }));
      await producer.send({ topic: input, acks: -1, messages });
    }
    await producer.disconnect();

    // Every few transactions, kill something while a transaction's records are in the log but
    // not yet committed. The copier is started again whenever it dies, and the broker right
    // after its kill, as a supervisor would do.
    let commits = 0;
    let open = false;
    const startCopier = (): Copier => {
      const args = [
        ...['-cp', classpath, 'TransactionalClient', 'copy'],
        ...[bootstrap, input, output, group, transactionalId, '20', '100'],
      ];
      const child = spawn(java, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      const copier: Copier = { child, exitCode: undefined, stderr: '' };
      child.stdout?.setEncoding('utf8').on('data', (text: string) => {
        for (const line of text.trim().split('\n')) {
          if (line === 'open') open = true;
          if (line.startsWith('committed ')) {
            commits++;
            open = false;
          }
        }
      });
      child.stderr?.setEncoding('utf8').on('data', (text: string) => {
        copier.stderr = (copier.stderr + text).slice(-4000);
      });
      child.on('exit', (code) => {
        copier.exitCode = code;
      });
      return copier;
    };
    const kills: ('copier' | 'broker')[] =
      selectedBackend() === 'embedded'
        ? ['copier', 'broker', 'copier', 'broker', 'broker']
        : ['copier', 'copier', 'copier'];
    const done: string[] = [];
    let copier = startCopier();
    cleanups.push(async () => {
      copier.child.kill('SIGKILL');
      await exited(copier.child);
    });
    let nextKillAt = 5;
    let crashes = 0;
    const deadline = Date.now() + 300_000;
    while (copier.exitCode !== 0) {
      if (Date.now() > deadline) throw new Error(`copying did not finish; copier said: ${copier.stderr}`);
      if (copier.exitCode !== undefined) {
        crashes++;
        copier = startCopier();
      } else if (done.length < kills.length && commits >= nextKillAt && open) {
        const victim = kills[done.length] as 'copier' | 'broker';
        if (victim === 'copier') {
          copier.child.kill('SIGKILL');
          await exited(copier.child);
          copier = startCopier();
        } else {
          await restartBroker();
        }
        open = false;
        done.push(`${victim} at ${commits} commits`);
        nextKillAt = commits + 5;
      }
      await sleep(20);
    }
    expect(done, `every planned kill happened (copier crashed on its own ${crashes} times)`).toHaveLength(kills.length);

    const copied = await readValues(bootstrap, output, 'read_committed');
    const written = await readValues(bootstrap, output, 'read_uncommitted');
    // Kills mid-transaction leave aborted copies in the log, which read_committed must skip.
    console.log(
      `exactly-once copy: kills ${done.join(', ')}; the copier failed by itself ${crashes} times; ${written.length - count} aborted copies in the log`,
    );
    // Each copier kill left a transaction's records in the log, aborted by its successor.
    expect(written.length).toBeGreaterThan(count);
    const expected = Array.from({ length: count }, (_, i) => `copied:v${i}`).sort();
    const duplicates = copied.filter((value, i) => value === copied[i - 1]);
    const missing = expected.filter((value) => !copied.includes(value));
    expect({ duplicates: duplicates.slice(0, 5), missing: missing.slice(0, 5), total: copied.length }).toEqual({
      duplicates: [],
      missing: [],
      total: count,
    });

    const admin = client([bootstrap]).admin();
    await admin.connect();
    const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [input] });
    await admin.disconnect();
    expect((offsets?.partitions ?? []).reduce((sum, p) => sum + Number(p.offset), 0)).toBe(count);
  }, 400_000);
});
