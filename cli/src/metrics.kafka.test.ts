import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../bench/src/processes.js';
import { selectedBackend, startTestKafka, type TestKafka, uniqueName } from '../../broker/src/testing/kafka-backend.js';
import { until } from '../../broker/src/testing/until.js';
import type { RunningEdge } from '../../edge/src/edge.js';
import { startTestEdge } from '../../edge/src/testing/system.js';
import { type CliProcess, runCli } from './testing/cli-process.js';

// /metrics of the tiers that have no HTTP of their own, scraped as Prometheus does: `tickstream
// producer --metrics-port` (both backends) and `tickstream broker --metrics-port` (the embedded
// broker itself), with an edge reading what the producer writes.
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text format 0.0.4, the sample lines (enough for what prom-client writes). */
function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[key as string] = value as string;
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

const sum = (samples: Sample[], name: string, labels: Record<string, string> = {}): number =>
  samples
    .filter((s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value))
    .reduce((total, s) => total + s.value, 0);

async function scrape(port: number): Promise<Sample[]> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return parsePrometheus(await response.text());
}

describe('/metrics of the producer and the embedded broker', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tickstream-metrics-'));
  let kafka: TestKafka;
  let brokers: string;
  let broker: CliProcess | null = null;
  let brokerMetricsPort = 0;
  let producer: CliProcess;
  let producerMetricsPort: number;
  let edge: RunningEdge;
  const topic = uniqueName('metrics');

  beforeAll(async () => {
    if (selectedBackend() === 'embedded') {
      // The broker as its own process with its metrics server, the way operators run it.
      brokerMetricsPort = await freePort();
      const port = await freePort();
      broker = runCli(
        ['broker', '--port', String(port), '--data-dir', join(dataDir, 'broker')].concat([
          '--metrics-port',
          String(brokerMetricsPort),
          '--metrics-host',
          '127.0.0.1',
        ]),
      );
      await until(
        () => broker?.output().includes('metrics on http://') ?? false,
        30_000,
        () => `the broker: ${broker?.output()}`,
      );
      brokers = `127.0.0.1:${port}`;
    } else {
      kafka = await startTestKafka();
      brokers = kafka.bootstrap;
    }
    producerMetricsPort = await freePort();
    producer = runCli(
      [
        'producer',
        '--brokers',
        brokers,
        '--topic',
        topic,
        '--events-topic',
        `${topic}-events`,
        '--symbol-count',
        '40',
      ].concat([
        '--rate',
        '2000',
        '--workers',
        '2',
        '--metrics-port',
        String(producerMetricsPort),
        '--metrics-host',
        '127.0.0.1',
      ]),
    );
    await until(
      () => producer.output().includes('metrics on http://'),
      60_000,
      () => `the producer: ${producer.output()}`,
    );
    edge = await startTestEdge(brokers.split(','), topic);
  }, 120_000);

  afterAll(async () => {
    await edge?.stop();
    producer?.child.kill('SIGTERM');
    await producer?.done;
    broker?.child.kill('SIGTERM');
    await broker?.done;
    await kafka?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('producer: ticks per writer at the target rate, Kafka latency histogram, buffer, drops, errors, readiness', async () => {
    expect((await fetch(`http://127.0.0.1:${producerMetricsPort}/readyz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${producerMetricsPort}/livez`)).status).toBe(200);
    const first = await scrape(producerMetricsPort);
    const startedAt = Date.now();
    await sleep(3000);
    const second = await scrape(producerMetricsPort);
    const seconds = (Date.now() - startedAt) / 1000;
    const rate =
      (sum(second, 'tickstream_producer_ticks_acked_total') - sum(first, 'tickstream_producer_ticks_acked_total')) /
      seconds;
    process.stderr.write(`producer /metrics: ${Math.round(rate)} ticks/s acknowledged (target 2000)\n`);
    expect(rate).toBeGreaterThan(1400);
    expect(rate).toBeLessThan(2600);
    // Two workers write Kafka themselves: both carry their share.
    for (const writer of ['0', '1'])
      expect(sum(second, 'tickstream_producer_ticks_acked_total', { writer })).toBeGreaterThan(0);
    expect(sum(second, 'tickstream_producer_target_ticks_per_second')).toBe(2000);
    expect(sum(second, 'tickstream_producer_kafka_up', { writer: '0' })).toBe(1);
    expect(sum(second, 'tickstream_producer_dropped_ticks_total')).toBe(0);
    expect(second.some((s) => s.name === 'tickstream_producer_errors_total')).toBe(true);
    expect(second.some((s) => s.name === 'tickstream_producer_buffered_ticks')).toBe(true);
    const count = sum(second, 'tickstream_producer_produce_latency_seconds_count', { writer: '0' });
    expect(count).toBeGreaterThan(10);
    const buckets = second.filter(
      (s) => s.name === 'tickstream_producer_produce_latency_seconds_bucket' && s.labels.writer === '0',
    );
    expect(buckets.at(-1)).toMatchObject({ labels: { le: '+Inf' }, value: count });
    for (let i = 1; i < buckets.length; i++)
      expect(buckets[i]?.value).toBeGreaterThanOrEqual(buckets[i - 1]?.value ?? 0);
    expect(sum(second, 'tickstream_producer_produce_latency_seconds_sum', { writer: '0' })).toBeGreaterThan(0);
  });

  it.skipIf(selectedBackend() !== 'embedded')(
    'embedded broker: produce and fetch rates, latency per API, log size per topic, connections',
    async () => {
      const first = await scrape(brokerMetricsPort);
      await sleep(2000);
      const second = await scrape(brokerMetricsPort);
      const produced = (s: Sample[]) => sum(s, 'tickstream_broker_request_bytes_total', { api: 'Produce' });
      const fetched = (s: Sample[]) => sum(s, 'tickstream_broker_response_bytes_total', { api: 'Fetch' });
      expect(produced(second)).toBeGreaterThan(produced(first));
      expect(fetched(second)).toBeGreaterThan(fetched(first));
      const records =
        sum(second, 'tickstream_broker_log_end_offset', { topic }) -
        sum(first, 'tickstream_broker_log_end_offset', { topic });
      expect(records).toBeGreaterThan(2000); // ~2,000 ticks/s for 2 s
      expect(sum(second, 'tickstream_broker_log_bytes', { topic })).toBeGreaterThan(0);
      expect(sum(second, 'tickstream_broker_partitions', { topic })).toBe(6);
      expect(sum(second, 'tickstream_broker_connections')).toBeGreaterThanOrEqual(3);
      expect(sum(second, 'tickstream_broker_request_seconds_count', { api: 'Produce' })).toBeGreaterThan(10);
      expect(
        second.find(
          (s) =>
            s.name === 'tickstream_broker_request_seconds_bucket' && s.labels.api === 'Fetch' && s.labels.le === '+Inf',
        )?.value,
      ).toBeGreaterThan(0);
    },
  );
});
