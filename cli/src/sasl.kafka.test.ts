import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../bench/src/processes.js';
import {
  selectedBackend,
  startTestKafka,
  TEST_SASL_PASSWORD,
  TEST_SASL_USER,
  type TestKafka,
  uniqueName,
} from '../../broker/src/testing/kafka-backend.js';
import { until } from '../../broker/src/testing/until.js';
import { TestClient } from '../../edge/src/testing/test-client.js';
import { parseSummary } from '../../producer/src/testing/read-ticks.js';

// `tickstream producer` and `tickstream edge` against Apache Kafka's SASL_PLAINTEXT listener
// (PLAIN), configured only through KAFKA_SASL_* as users would. Only with KAFKA_BACKEND=apache
// (the embedded broker speaks PLAINTEXT only):
// KAFKA_BACKEND=apache npx vitest run cli/src/sasl.kafka.test.ts
const cli = fileURLToPath(new URL('../bin/tickstream.js', import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const enabled = selectedBackend() === 'apache';
if (!enabled) {
  console.log('sasl.kafka.test.ts skipped: SASL needs Apache Kafka, run it with KAFKA_BACKEND=apache');
}

interface Run {
  child: ChildProcess;
  output: () => string;
  done: Promise<number | null>;
}

function tickstream(args: string[], env: NodeJS.ProcessEnv): Run {
  const child = spawn(process.execPath, [cli, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let output = '';
  const take = (text: string): void => {
    output += text;
  };
  child.stdout?.setEncoding('utf8').on('data', take);
  child.stderr?.setEncoding('utf8').on('data', take);
  const done = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, output: () => output, done };
}

const saslEnv = (password: string): NodeJS.ProcessEnv => ({
  KAFKA_SASL_MECHANISM: 'plain',
  KAFKA_SASL_USERNAME: TEST_SASL_USER,
  KAFKA_SASL_PASSWORD: password,
  KAFKA_BOOTSTRAP_SERVERS: '',
});

describe.skipIf(!enabled)('SASL/PLAIN through KAFKA_SASL_* (Apache Kafka)', () => {
  let kafka: TestKafka;
  let sasl: string;
  const runs: Run[] = [];

  beforeAll(async () => {
    kafka = await startTestKafka();
    if (!kafka.saslPlainBootstrap) throw new Error('the test Apache Kafka has no SASL_PLAINTEXT listener');
    sasl = kafka.saslPlainBootstrap;
  }, 240_000);

  afterAll(async () => {
    for (const run of runs) {
      if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
      await run.done;
    }
    await kafka?.close();
  }, 60_000);

  it('producer writes ticks (switching to kafkajs workers), edge consumes them: /health 200 and a Snapshot', async () => {
    const topic = uniqueName('sasl-ticks');
    const env = saslEnv(TEST_SASL_PASSWORD);
    const producer = tickstream(
      [
        'producer',
        '--brokers',
        sasl,
        '--topic',
        topic,
        '--events-topic',
        `${topic}-events`,
        '--partitions',
        '3',
      ].concat(['--symbol-count', '40', '--rate', '2000', '--workers', '1', '--duration', '90s']),
      env,
    );
    runs.push(producer);
    await until(
      () => /producing 2000 ticks\/s/.test(producer.output()) || producer.child.exitCode !== null,
      60_000,
      () => `the producer to start: ${producer.output()}`,
    );
    expect(producer.child.exitCode, producer.output()).toBeNull();
    expect(producer.output()).toContain(
      'Kafka security SASL_PLAINTEXT (plain as tickstream): --writer workers speaks PLAINTEXT only, writing with --writer kafkajs-workers instead',
    );
    expect(producer.output()).toContain(`on ${sasl} (SASL_PLAINTEXT (plain as tickstream))`);
    expect(producer.output()).not.toContain(TEST_SASL_PASSWORD);

    const port = await freePort();
    const edge = tickstream(
      ['edge', '--brokers', sasl, '--topic', topic, '--events-topic', `${topic}-events`, '--port', String(port)].concat(
        ['--host', '127.0.0.1', '--history', '1m'],
      ),
      env,
    );
    runs.push(edge);
    const health = async (): Promise<{ status: number; body: { ticks?: number; kafka?: { up: boolean } } } | null> => {
      const response = await fetch(`http://127.0.0.1:${port}/health`).catch(() => null);
      return response ? { status: response.status, body: (await response.json()) as { ticks?: number } } : null;
    };
    await until(
      async () => (await health())?.status === 200 || edge.child.exitCode !== null,
      60_000,
      () => `the edge's /health to answer 200: ${edge.output()}`,
    );
    expect(edge.child.exitCode, edge.output()).toBeNull();
    expect(edge.output()).toContain('(SASL_PLAINTEXT (plain as tickstream))');
    await until(
      async () => ((await health())?.body.ticks ?? 0) > 500,
      30_000,
      () => `the edge to apply ticks: ${edge.output()}`,
    );

    const client = await TestClient.connect(`ws://127.0.0.1:${port}/ws`);
    try {
      client.send({ type: 'subscribe', symbols: ['*'], sectors: [] });
      const snapshot = await client.next('snapshot', 20_000);
      expect(snapshot.symbols.length).toBe(40);
      expect(snapshot.quotes.length).toBe(40);
      expect(snapshot.quotes.every((quote) => quote.last > 0)).toBe(true);
      await client.next('delta', 10_000);
    } finally {
      client.close();
    }

    producer.child.kill('SIGTERM');
    edge.child.kill('SIGTERM');
    expect(await producer.done, producer.output()).toBe(0);
    // The summary is a log line: its figures are fields.
    expect(parseSummary(producer.output())).toMatchObject({ dropped: 0 });
    await edge.done;
  }, 180_000);

  it('a wrong password makes the producer fail at once with an authentication message, and the edge say why', async () => {
    const topic = uniqueName('sasl-refused');
    const env = saslEnv('not-the-password');
    const started = Date.now();
    const producer = tickstream(['producer', '--brokers', sasl, '--topic', topic, '--duration', '30s'], env);
    runs.push(producer);
    const code = await Promise.race([producer.done, sleep(25_000).then(() => 'still running')]);
    expect(code, producer.output()).toBe(1);
    expect(Date.now() - started).toBeLessThan(20_000); // not the 30 s connect timeout
    expect(producer.output()).toMatch(
      /tickstream producer: authentication with Kafka at 127\.0\.0\.1:\d+ failed \(.*SASL PLAIN authentication failed.*\): check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD and KAFKA_SASL_MECHANISM/,
    );
    expect(producer.output()).not.toContain('not-the-password');

    const port = await freePort();
    const edge = tickstream(
      ['edge', '--brokers', sasl, '--topic', topic, '--port', String(port), '--host', '127.0.0.1'],
      env,
    );
    runs.push(edge);
    await until(
      () => edge.output().includes('authentication with Kafka') || edge.child.exitCode !== null,
      30_000,
      () => `the edge to name the refusal: ${edge.output()}`,
    );
    expect(edge.output()).toMatch(
      /authentication with Kafka at 127\.0\.0\.1:\d+ failed \(.*SASL PLAIN authentication failed.*\): check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD/,
    );
    // The edge itself stays up (credentials may be fixed in Kafka) but is not healthy.
    const response = await fetch(`http://127.0.0.1:${port}/health`);
    expect(response.status).toBe(503);
    expect(edge.output()).not.toContain('not-the-password');
    edge.child.kill('SIGTERM');
    await edge.done;
  }, 90_000);
});
