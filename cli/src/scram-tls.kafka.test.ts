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

// `tickstream producer` → Apache Kafka's SASL_SSL listener (TLS with a certificate openssl made
// for this run, SCRAM users created at format time) → `tickstream edge` → a WebSocket client,
// configured only through KAFKA_SSL* / KAFKA_SASL_* as users would. The producer logs in with
// SCRAM-SHA-512, the edge (its kafkajs reader: its own Fetch reader speaks PLAINTEXT only) with
// SCRAM-SHA-256. Only with KAFKA_BACKEND=apache (the embedded broker speaks PLAINTEXT only):
// KAFKA_BACKEND=apache npx vitest run cli/src/scram-tls.kafka.test.ts
const cli = fileURLToPath(new URL('../bin/tickstream.js', import.meta.url));
const enabled = selectedBackend() === 'apache';
if (!enabled)
  console.log('scram-tls.kafka.test.ts skipped: SASL_SSL needs Apache Kafka, run it with KAFKA_BACKEND=apache');

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
  child.stdout?.setEncoding('utf8').on('data', (text: string) => {
    output += text;
  });
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    output += text;
  });
  const done = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, output: () => output, done };
}

describe.skipIf(!enabled)('SCRAM over TLS through KAFKA_SSL* and KAFKA_SASL_* (Apache Kafka)', () => {
  let kafka: TestKafka;
  let bootstrap: string;
  let caFile: string;
  const runs: Run[] = [];
  const env = (mechanism: string, password: string, ca: string | null): NodeJS.ProcessEnv => ({
    KAFKA_SSL: 'true',
    KAFKA_SSL_CA_FILE: ca ?? '',
    KAFKA_SASL_MECHANISM: mechanism,
    KAFKA_SASL_USERNAME: TEST_SASL_USER,
    KAFKA_SASL_PASSWORD: password,
    KAFKA_BOOTSTRAP_SERVERS: '',
  });

  beforeAll(async () => {
    kafka = await startTestKafka();
    if (!kafka.saslSslBootstrap || !kafka.caFile) throw new Error('the test Apache Kafka has no SASL_SSL listener');
    bootstrap = kafka.saslSslBootstrap;
    caFile = kafka.caFile;
  }, 240_000);

  afterAll(async () => {
    for (const run of runs) {
      if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
      await run.done;
    }
    await kafka?.close();
  }, 60_000);

  it('producer (SCRAM-SHA-512) writes, edge (SCRAM-SHA-256) reads: /readyz 200, a Snapshot and Deltas', async () => {
    const topic = uniqueName('scram-ticks');
    const producer = tickstream(
      [
        'producer',
        '--brokers',
        bootstrap,
        '--topic',
        topic,
        '--events-topic',
        `${topic}-events`,
        '--partitions',
        '3',
      ].concat(['--symbol-count', '40', '--rate', '2000', '--workers', '1', '--duration', '90s']),
      env('scram-sha-512', TEST_SASL_PASSWORD, caFile),
    );
    runs.push(producer);
    await until(
      () => /producing 2000 ticks\/s/.test(producer.output()) || producer.child.exitCode !== null,
      60_000,
      () => `the producer to start: ${producer.output()}`,
    );
    expect(producer.child.exitCode, producer.output()).toBeNull();
    expect(producer.output()).toContain(`(SASL_SSL (scram-sha-512 as ${TEST_SASL_USER}, CA ${caFile}))`);

    const port = await freePort();
    const edge = tickstream(
      [
        'edge',
        '--brokers',
        bootstrap,
        '--topic',
        topic,
        '--events-topic',
        `${topic}-events`,
        '--port',
        String(port),
      ].concat(['--host', '127.0.0.1', '--history', '1m']),
      env('scram-sha-256', TEST_SASL_PASSWORD, caFile),
    );
    runs.push(edge);
    await until(
      async () =>
        (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.status === 200 ||
        edge.child.exitCode !== null,
      60_000,
      () => `the edge's /readyz to answer 200: ${edge.output()}`,
    );
    expect(edge.output()).toContain('reading with kafkajs');
    expect(edge.output()).toContain(`(SASL_SSL (scram-sha-256 as ${TEST_SASL_USER}, CA ${caFile}))`);
    const client = await TestClient.connect(`ws://127.0.0.1:${port}/ws`);
    try {
      client.send({ type: 'subscribe', symbols: ['*'], sectors: [] });
      const snapshot = await client.next('snapshot', 20_000);
      expect(snapshot.symbols.length).toBe(40);
      expect(snapshot.quotes.every((quote) => quote.last > 0)).toBe(true);
      await client.next('delta', 10_000);
    } finally {
      client.close();
    }
    producer.child.kill('SIGTERM');
    edge.child.kill('SIGINT');
    expect(await producer.done, producer.output()).toBe(0);
    expect(producer.output()).toMatch(/ 0 dropped/);
    await edge.done;
    for (const run of [producer, edge]) expect(run.output()).not.toContain(TEST_SASL_PASSWORD);
  }, 180_000);

  it('a wrong SCRAM password, or a broker certificate not trusted, stops the producer at once saying which', async () => {
    const topic = uniqueName('scram-refused');
    const wrong = tickstream(
      ['producer', '--brokers', bootstrap, '--topic', topic, '--duration', '30s'],
      env('scram-sha-256', 'not-the-password', caFile),
    );
    runs.push(wrong);
    expect(await wrong.done, wrong.output()).toBe(1);
    expect(wrong.output()).toMatch(/authentication with Kafka at .* failed \(.*SCRAM.*\): check KAFKA_SASL_USERNAME/);
    expect(wrong.output()).not.toContain('not-the-password');

    const untrusted = tickstream(
      ['producer', '--brokers', bootstrap, '--topic', topic, '--duration', '30s'],
      env('scram-sha-256', TEST_SASL_PASSWORD, null),
    );
    runs.push(untrusted);
    expect(await untrusted.done, untrusted.output()).toBe(1);
    expect(untrusted.output()).toMatch(/authentication with Kafka at .* failed \(.*certificate.*\)/);
  }, 90_000);
});
