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
import { selectedBackend, startTestKafka, type TestKafka, uniqueName } from '../testing/kafka-backend.js';
import { until } from '../testing/until.js';

// A KIP-848 consumer group (group.protocol=consumer) of Java kafka-clients 4.4.0 members, the
// reference client of the protocol, on both backends. The jars are the ones Apache Kafka is
// resolved with (no other install); the member program is compiled once with javac.

const SOURCE = fileURLToPath(new URL('./java/ConsumerProtocolMember.java', import.meta.url));
/** Apache Kafka's default group.consumer.session.timeout.ms, which both backends use. */
const SESSION_TIMEOUT_MS = 45_000;

interface MemberEvent {
  event: 'assigned' | 'committed' | 'closed' | 'error';
  partitions?: number[];
  records?: number;
  message?: string;
}

/** One ConsumerProtocolMember JVM, its JSON lines collected as they come. */
class JavaMember {
  readonly events: MemberEvent[] = [];
  private output = '';
  readonly exited: Promise<number | null>;

  constructor(private readonly child: ChildProcess) {
    child.stdout?.on('data', (chunk: Buffer) => {
      this.output += chunk.toString();
      const lines = this.output.split('\n');
      this.output = lines.pop() ?? '';
      for (const line of lines) if (line.startsWith('{')) this.events.push(JSON.parse(line) as MemberEvent);
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

describe(`KIP-848 group of Java kafka-clients members (${selectedBackend()} backend)`, () => {
  let kafka: TestKafka;
  let classes: string;
  let classpath: string;
  const members: JavaMember[] = [];

  const startMember = (topic: string, groupId: string, assignor?: string): JavaMember => {
    const args = ['-cp', classpath, 'ConsumerProtocolMember', kafka.bootstrap, topic, groupId];
    if (assignor !== undefined) args.push(assignor);
    const child = spawn('java', args, {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const member = new JavaMember(child);
    members.push(member);
    return member;
  };

  beforeAll(async () => {
    kafka = await startTestKafka();
    const libs = await resolveKafkaJars({ kafkaVersion: DEFAULT_KAFKA_VERSION });
    classes = await mkdtemp(join(tmpdir(), 'tickstream-java-member-'));
    await promisify(execFile)('javac', ['-cp', `${libs}/*`, '-d', classes, SOURCE]);
    classpath = `${classes}:${libs}/*`;
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
        (...of: JavaMember[]) =>
        () =>
          of.map((m, i) => `member ${i}: ${JSON.stringify(m.events.slice(-5))} ${m.stderr().slice(-600)}`).join('\n');
      const split = (a: JavaMember, b: JavaMember) =>
        a.assignment.length === 2 &&
        b.assignment.length === 2 &&
        [...a.assignment, ...b.assignment].sort().join() === '0,1,2,3';
      await produce(40, 0);

      const survivor = startMember(topic, groupId);
      await until(() => survivor.assignment.length === 4, 60_000, why(survivor), 200);
      await until(async () => (await committedSum()) === 40, 30_000, 'commits of all 40 records', 500);

      const leaver = startMember(topic, groupId);
      await until(() => split(survivor, leaver), 60_000, why(survivor, leaver), 200);
      const [described] = await describeConsumerGroups(raw, [groupId]);
      expect(described).toMatchObject({ errorCode: 0, state: 'Stable', assignorName: 'uniform' });
      expect(described?.members).toHaveLength(2);
      for (const member of described?.members ?? []) {
        expect(member.clientId).toMatch(/^compat-\d+$/);
        expect(member.subscribedTopicNames).toEqual([topic]);
        expect(member.assignment).toEqual([{ topicName: topic, partitions: expect.any(Array) }]);
        expect(member.assignment[0]?.partitions).toHaveLength(2);
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
        `${selectedBackend()}: survivor owned all partitions ${afterLeaveMs} ms after a leave, ${afterKillMs} ms after a kill`,
      );

      await produce(8, 40);
      await until(async () => (await committedSum()) === 48, 30_000, 'commits of all 48 records', 500);
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
    const started = Date.now();
    const member = startMember(uniqueName('kip848-assignor'), uniqueName('kip848-assignor'), 'sticky');
    await until(
      () => member.errors.length > 0,
      30_000,
      () => `an error, have ${JSON.stringify(member.events)} ${member.stderr()}`,
    );
    const ms = Date.now() - started;
    expect(member.errors[0]).toMatch(/UnsupportedAssignorException: ServerAssignor sticky is not supported/);
    expect(await member.exited).toBe(1);
    console.log(`${selectedBackend()}: UNSUPPORTED_ASSIGNOR surfaced ${ms} ms after the JVM was started`);
    expect(ms).toBeLessThan(15_000); // the JVM's start-up is most of it; the client's own timeout would be 60 s+
  }, 60_000);
});
