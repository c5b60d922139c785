import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectedBackend, startTestKafka, type TestKafka, uniqueName } from '../testing/kafka-backend.js';
import { parseClientJson, runClient, SYSTEM_PYTHON } from './run-client.js';

// Independent clients against whichever broker KAFKA_BACKEND selects: kcat and confluent-kafka
// (librdkafka 2.0.2, Debian), kafka-python 2.0.2 (Debian). Each speaks the protocol its own way.
const script = (name: string): string => fileURLToPath(new URL(`./python/${name}`, import.meta.url));

interface ScriptResult {
  produced: number;
  values: string[];
  committed: number;
}

describe(`client compatibility (${selectedBackend()} backend)`, () => {
  let kafka: TestKafka;
  let bootstrap: string;

  beforeAll(async () => {
    kafka = await startTestKafka();
    bootstrap = kafka.bootstrap;
  }, 240_000);

  afterAll(async () => {
    await kafka?.close();
  }, 60_000);

  const committedOffsets = async (groupId: string, topic: string): Promise<number> => {
    const admin = new Kafka({ brokers: kafka.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return (offsets?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    } finally {
      await admin.disconnect();
    }
  };

  const produceWithKcat = async (topic: string, lines: string[]): Promise<void> => {
    const run = await runClient('kcat', ['-P', '-b', bootstrap, '-t', topic, '-K:'], {
      input: `${lines.join('\n')}\n`,
    });
    expect(run.code, run.stderr).toBe(0);
  };

  it('kcat -L lists every broker', async () => {
    const run = await runClient('kcat', ['-L', '-b', bootstrap, '-m', '15']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`${kafka.brokers.length} brokers:`);
    for (const broker of kafka.brokers) expect(run.stdout).toMatch(new RegExp(`broker \\d+ at ${broker}`));
  });

  it('kcat -P writes keyed records that kcat -C -e reads back', async () => {
    const topic = uniqueName('kcat-pc');
    await produceWithKcat(topic, ['AAPL:101.5', 'MSFT:402.25', 'AAPL:101.75']);
    const run = await runClient('kcat', [
      '-C',
      '-b',
      bootstrap,
      '-t',
      topic,
      '-o',
      'beginning',
      '-e',
      '-q',
      '-f',
      '%k=%s\\n',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim().split('\n').sort()).toEqual(['AAPL=101.5', 'AAPL=101.75', 'MSFT=402.25']);
  });

  it('kcat -G consumes as a group member and commits what it read', async () => {
    const topic = uniqueName('kcat-group');
    const group = uniqueName('kcat-group');
    await produceWithKcat(topic, ['a:1', 'b:2', 'c:3', 'd:4']);
    const run = await runClient('kcat', [
      '-b',
      bootstrap,
      '-G',
      group,
      '-o',
      'beginning',
      '-e',
      '-q',
      '-f',
      '%s\\n',
      topic,
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim().split('\n').sort()).toEqual(['1', '2', '3', '4']);
    expect(await committedOffsets(group, topic)).toBe(4);
  }, 60_000);

  it.each(['lz4', 'zstd'])('confluent-kafka produces %s batches and a committing group reads them', async (codec) => {
    const topic = uniqueName(`confluent-${codec}`);
    const group = uniqueName(`confluent-${codec}`);
    const run = await runClient(
      SYSTEM_PYTHON,
      [script('confluent_kafka_client.py'), bootstrap, topic, group, codec, '20'],
      {
        timeoutMs: 90_000,
      },
    );
    const result = parseClientJson<ScriptResult>(run, `confluent-kafka (${codec})`);
    expect(result.values).toEqual(Array.from({ length: 20 }, (_, i) => `${codec}-${i}`).sort());
    expect(result.committed).toBe(20);
    expect(await committedOffsets(group, topic)).toBe(20);
  }, 120_000);

  it('kafka-python 2.0.2 produces, consumes in a group and commits', async () => {
    const topic = uniqueName('kafka-python');
    const group = uniqueName('kafka-python');
    const run = await runClient(SYSTEM_PYTHON, [script('kafka_python_client.py'), bootstrap, topic, group, '20'], {
      timeoutMs: 90_000,
    });
    const result = parseClientJson<ScriptResult>(run, 'kafka-python');
    expect(result.values).toEqual(Array.from({ length: 20 }, (_, i) => `kp-${i}`).sort());
    expect(result.committed).toBe(20);
    expect(await committedOffsets(group, topic)).toBe(20);
  }, 120_000);
});
