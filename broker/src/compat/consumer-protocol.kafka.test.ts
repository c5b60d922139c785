import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_KAFKA_VERSION } from '../apache-kafka/apache-kafka.js';
import { resolveKafkaJars } from '../apache-kafka/maven.js';
import { describeConsumerGroups, RawKafkaClient } from '../testing/consumer-group-wire.js';
import {
  selectedBackend,
  startTestKafka,
  TEST_CONSUMER_SESSION_TIMEOUT_MS,
  type TestKafka,
  uniqueName,
} from '../testing/kafka-backend.js';
import { confluentKafkaPython } from '../testing/python-venv.js';
import { until } from '../testing/until.js';

// A KIP-848 consumer group (group.protocol=consumer) on both backends, with the two client
// families that implement the protocol:
// - Java kafka-clients 4.4.0, its reference implementation: the jars are the ones Apache Kafka
//   is resolved with, and the member program is compiled once with javac;
// - librdkafka through confluent-kafka from PyPI (its wheel bundles librdkafka 2.16), in a venv
//   under the tickstream cache (testing/python-venv.ts).
// Both member programs print the same JSON lines.

const JAVA_SOURCE = fileURLToPath(new URL('./java/ConsumerProtocolMember.java', import.meta.url));
const PYTHON_SOURCE = fileURLToPath(new URL('./python/consumer_protocol_member.py', import.meta.url));
type ClientFamily = 'java' | 'librdkafka';
/** group.consumer.session.timeout.ms of both test backends (kafka-backend.ts). */
const SESSION_TIMEOUT_MS = TEST_CONSUMER_SESSION_TIMEOUT_MS;

interface MemberEvent {
  event: 'started' | 'assigned' | 'committed' | 'closed' | 'error';
  partitions?: number[];
  records?: number;
  message?: string;
}

/** One member process, its JSON lines collected as they come. */
class MemberProcess {
  readonly events: MemberEvent[] = [];
  /** When it said it had subscribed (Date.now()). */
  started: number | undefined;
  private output = '';
  readonly exited: Promise<number | null>;

  constructor(private readonly child: ChildProcess) {
    child.stdout?.on('data', (chunk: Buffer) => {
      this.output += chunk.toString();
      const lines = this.output.split('\n');
      this.output = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        const event = JSON.parse(line) as MemberEvent;
        if (event.event === 'started') this.started = Date.now();
        else this.events.push(event);
      }
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    this.stderr = () => stderr;
  }

  readonly stderr: () => string;

  get assignment(): number[] {
    return this.events.filter((e) => e.event === 'assigned').at(-1)?.partitions ?? [];
  }

  get errors(): string[] {
    return this.events.filter((e) => e.event === 'error').map((e) => e.message ?? '');
  }

  /** Leaves the group cleanly (consumer.close()). */
  async close(): Promise<void> {
    this.child.stdin?.end('close\n');
    await this.exited;
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

describe.each<ClientFamily>([
  'java',
  'librdkafka',
])(`KIP-848 group of %s members (${selectedBackend()} backend)`, (family) => {
  let kafka: TestKafka;
  let classes: string | undefined;
  /** The command and leading arguments that start one member. */
  let command: [string, ...string[]];
  let libs: string;
  const members: MemberProcess[] = [];

  const startMember = (topic: string, groupId: string, assignor?: string): MemberProcess => {
    const [program, ...leading] = command;
    const args = [...leading, kafka.bootstrap, topic, groupId];
    if (assignor !== undefined) args.push(assignor);
    const member = new MemberProcess(spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'] }));
    members.push(member);
    return member;
  };

  beforeAll(async () => {
    kafka = await startTestKafka();
    if (family === 'java') {
      libs = await resolveKafkaJars({ kafkaVersion: DEFAULT_KAFKA_VERSION });
      classes = await mkdtemp(join(tmpdir(), 'tickstream-java-member-'));
      await promisify(execFile)('javac', ['-cp', `${libs}/*`, '-d', classes, JAVA_SOURCE]).catch((error: Error) => {
        throw new Error(`javac failed (a JDK is needed: apt-get install openjdk-17-jdk-headless): ${error.message}`);
      });
      command = ['java', '-cp', `${classes}:${libs}/*`, 'ConsumerProtocolMember'];
    } else {
      command = [await confluentKafkaPython(), PYTHON_SOURCE];
    }
  }, 240_000);

  afterAll(async () => {
    for (const member of members) member.kill();
    await Promise.all(members.map((m) => m.exited));
    if (classes) await rm(classes, { recursive: true, force: true });
    await kafka?.close();
  }, 60_000);

  it('two members split the partitions, commit, are described; a leave or a kill gives the survivor all', async () => {
    const topic = uniqueName('kip848');
    const groupId = uniqueName('kip848');
    const client = new Kafka({ brokers: kafka.brokers, logLevel: logLevel.NOTHING });
    const admin = client.admin();
    await admin.connect();
    const producer = client.producer();
    await producer.connect();
    const raw = await RawKafkaClient.connect(kafka.bootstrap);
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 4 }], waitForLeaders: true });
      const produce = (count: number, from: number) =>
        producer.send({
          topic,
          messages: Array.from({ length: count }, (_, i) => ({ partition: (from + i) % 4, value: `v${from + i}` })),
        });
      const committedSum = async (): Promise<number> => {
        const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
        return (offsets?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
      };
      const why =
        (...of: MemberProcess[]) =>
        () =>
          of.map((m, i) => `member ${i}: ${JSON.stringify(m.events.slice(-5))} ${m.stderr().slice(-600)}`).join('\n');
      const split = (a: MemberProcess, b: MemberProcess) =>
        a.assignment.length === 2 &&
        b.assignment.length === 2 &&
        [...a.assignment, ...b.assignment].sort().join() === '0,1,2,3';
      await produce(40, 0);

      const survivor = startMember(topic, groupId);
      await until(() => survivor.assignment.length === 4, 60_000, why(survivor), 200);
      await until(async () => (await committedSum()) === 40, 60_000, 'commits of all 40 records', 500);

      const leaver = startMember(topic, groupId);
      await until(() => split(survivor, leaver), 60_000, why(survivor, leaver), 200);
      const [described] = await describeConsumerGroups(raw, [groupId]);
      expect(described).toMatchObject({ errorCode: 0, state: 'Stable', assignorName: 'uniform' });
      expect(described?.members).toHaveLength(2);
      for (const member of described?.members ?? []) {
        expect(member.clientId).toMatch(/^compat-(py-)?\d+$/);
        expect(member.subscribedTopicNames).toEqual([topic]);
        expect(member.assignment).toEqual([{ topicName: topic, partitions: expect.any(Array) }]);
        expect(member.assignment[0]?.partitions).toHaveLength(2);
      }
      if (family === 'java') {
        // Apache Kafka's own operator tool (kafka-consumer-groups.sh) sees the same group.
        const tool = await promisify(execFile)('java', [
          '-cp',
          `${libs}/*`,
          'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
          '--bootstrap-server',
          kafka.bootstrap,
          '--describe',
          '--group',
          groupId,
          '--members',
        ]);
        const rows = tool.stdout.split('\n').filter((line) => line.startsWith(groupId));
        expect(rows, tool.stdout).toHaveLength(2);
        for (const row of rows) expect(row.split(/\s+/)[4], row).toBe('2'); // #PARTITIONS
      }

      // A clean leave (consumer.close(): heartbeat with epoch -1): the survivor gets all at its next heartbeats.
      let started = Date.now();
      await leaver.close();
      await until(() => survivor.assignment.length === 4, 20_000, why(survivor), 100);
      const afterLeaveMs = Date.now() - started;

      // A crash: the member is fenced when its session times out, then the survivor gets all.
      const crasher = startMember(topic, groupId);
      await until(() => split(survivor, crasher), 60_000, why(survivor, crasher), 200);
      started = Date.now();
      crasher.kill();
      await until(() => survivor.assignment.length === 4, SESSION_TIMEOUT_MS + 20_000, why(survivor), 200);
      const afterKillMs = Date.now() - started;
      expect(afterKillMs).toBeLessThan(SESSION_TIMEOUT_MS + 15_000);
      console.log(
        `${selectedBackend()}, ${family}: survivor owned all partitions ${afterLeaveMs} ms after a leave, ${afterKillMs} ms after a kill`,
      );

      await produce(8, 40);
      await until(async () => (await committedSum()) === 48, 60_000, 'commits of all 48 records', 500);
      expect(survivor.errors).toEqual([]);
      await survivor.close();
      await until(
        async () => (await describeConsumerGroups(raw, [groupId]))[0]?.state === 'Empty',
        20_000,
        'the group to be Empty',
      );
    } finally {
      raw.close();
      await producer.disconnect();
      await admin.disconnect();
    }
  }, 240_000);

  it('a member asking for an assignor the broker does not have fails at once with UNSUPPORTED_ASSIGNOR', async () => {
    const member = startMember(uniqueName('kip848-assignor'), uniqueName('kip848-assignor'), 'sticky');
    await until(
      () => member.started !== undefined,
      60_000,
      () => `the member to start: ${member.stderr()}`,
      50,
    );
    await until(
      () => member.errors.length > 0,
      30_000,
      () => `an error, have ${JSON.stringify(member.events)} ${member.stderr()}`,
      50,
    );
    const ms = Date.now() - (member.started as number);
    expect(member.errors[0]).toMatch(/assignor.*not supported/i); // librdkafka names the code, Java the message
    expect(await member.exited).toBe(1);
    console.log(`${selectedBackend()}, ${family}: UNSUPPORTED_ASSIGNOR surfaced ${ms} ms after the member subscribed`);
    // The first heartbeat's answer ends it: librdkafka in ~0.1 s; the Java client's first poll also
    // loads and starts its background machinery (3-5 s here). A timeout waited out would be 45 s+.
    expect(ms).toBeLessThan(15_000);
  }, 60_000);
});
