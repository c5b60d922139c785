import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RunningAnalytics, startAnalytics } from '@tickstream/analytics';
import {
  BarTimeframe,
  type CandleBarFields,
  decodeCandleBar,
  decodeSystemMetric,
  SYSTEM_METRICS_TOPIC,
  type SystemMetricFields,
} from '@tickstream/schemas';
import { kafkaLz4Codec } from '@tickstream/schemas/lz4-node';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../bench/src/processes.js';
import { selectedBackend, startTestKafka, type TestKafka, uniqueName } from '../../broker/src/testing/kafka-backend.js';
import { until } from '../../broker/src/testing/until.js';
import { defaultProducerOptions, type RunningProducer, startProducer } from '../../producer/dist/index.js';
import { type AnalyticsReporter, analyticsReporter } from './analytics-reporter.js';

const { CompressionCodecs, CompressionTypes, Kafka, logLevel } = kafkajs;
// The job's sink writes lz4 batches; kafkajs ships without lz4.
CompressionCodecs[CompressionTypes.LZ4] = kafkaLz4Codec;

const cli = fileURLToPath(new URL('../bin/tickstream.js', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));
const MINUTE_US = 60_000_000;
/** `watch --events --json`, issue 19's contract: these fields, strings, on every line. */
const CONTRACT_FIELDS = ['kind', 'symbol', 'name', 'detail', 'time'] as const;
const ANNOUNCEMENTS = ['ScenarioStart', 'ScenarioEnd', 'Halt', 'Resume', 'SessionChange'];
const quiet = (): void => {};
const verbose = process.env.TICKSTREAM_TEST_LOG === '1';

interface EventLine {
  kind: string;
  symbol: string;
  name: string;
  detail: string;
  time: string;
  timeUs: number;
  source: 'Producer' | 'Analytics';
  value?: number;
  threshold?: number;
  windowMs?: number;
}

interface Arrival {
  event: EventLine;
  /** Wall time the line reached this test. */
  at: number;
}

/** A `tickstream` process whose stdout lines are kept with the time each arrived. */
function tickstream(args: string[]): { child: ChildProcess; lines: Arrival[]; output: () => string } {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Arrival[] = [];
  let partial = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (text: string) => {
    const parts = (partial + text).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts)
      if (line.startsWith('{')) lines.push({ event: JSON.parse(line) as EventLine, at: Date.now() });
  });
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    stderr = (stderr + text).slice(-4000);
  });
  return { child, lines, output: () => stderr };
}

// The producer's scenarios are *detected* by the analytics job, and the detections reach a
// client of the edge: producer → Kafka → Flink job → market_events → edge → `tickstream watch`.
describe(`analytics detections reach tickstream watch (${selectedBackend()} backend)`, () => {
  let kafka: TestKafka;
  let producer: RunningProducer;
  let analytics: RunningAnalytics;
  let checkpoints: string;
  const processes: ChildProcess[] = [];
  const topic = uniqueName('crash-ticks');
  const events = `${topic}-events`;
  const candles = `${topic}-candles`;
  let watch: ReturnType<typeof tickstream>;
  let reporter: AnalyticsReporter | undefined;
  let metricsPort: number;
  const jobId = uniqueName('analytics-test');

  beforeAll(async () => {
    kafka = await startTestKafka();
    metricsPort = await freePort();
    checkpoints = await mkdtemp(join(tmpdir(), 'tickstream-analytics-test-'));
    // The job first: it waits for the ticks topic, then reads it from its first tick, so it is
    // warm and caught up when the scenario's first episode starts, 60 s in.
    analytics = await startAnalytics({
      brokers: kafka.bootstrap,
      checkpointDir: join(checkpoints, 'checkpoints'),
      topics: { ticks: topic, events, candles, correlations: `${topic}-correlations` },
      instance: uniqueName('analytics'),
      backfillMs: 0,
      metricsPort,
      log: verbose ? (line) => process.stderr.write(`[analytics] ${line}\n`) : quiet,
    });
    // One worker: every symbol's crash starts with the announcement (workers each keep their own
    // scenario clock, started when the worker starts).
    producer = await startProducer({
      ...defaultProducerOptions,
      brokers: kafka.brokers,
      topic,
      eventsTopic: events,
      partitions: 3,
      symbolCount: 40,
      rate: 2000,
      workers: 1,
      scenario: 'flash-crash',
      log: quiet,
    });
    await analytics.ready;
    const port = await freePort();
    const edge = tickstream([
      'edge',
      ...['--brokers', kafka.bootstrap, '--topic', topic, '--events-topic', events, '--candles-topic', candles],
      ...['--port', String(port), '--host', '127.0.0.1', '--history', '0'],
    ]);
    processes.push(edge.child);
    await until(
      async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => null))?.status === 200,
      30_000,
      () => `the edge to serve: ${edge.output()}`,
    );
    watch = tickstream(['watch', '--url', `ws://127.0.0.1:${port}/ws`, '--events', '--json']);
    processes.push(watch.child);
  }, 240_000);

  afterAll(async () => {
    for (const child of processes) child.kill('SIGKILL');
    await reporter?.stop();
    await analytics?.kill();
    await producer?.stop();
    await kafka?.close();
    if (checkpoints) await rm(checkpoints, { recursive: true, force: true });
  }, 60_000);

  it('--scenario flash-crash: a detected FlashCrash reaches the client within 2 s of the announcement', async () => {
    // The first episode starts after the scenario's 60 s calm.
    const started = (): Arrival | undefined => watch.lines.find(({ event }) => event.kind === 'ScenarioStart');
    const crashed = (): Arrival | undefined =>
      watch.lines.find(({ event, at }) => event.kind === 'FlashCrash' && at >= (started()?.at ?? Infinity));
    await until(
      () => crashed() !== undefined,
      120_000,
      () =>
        `a ScenarioStart, then a FlashCrash; watch printed ${watch.lines.length} events` +
        ` (${watch.lines.map(({ event }) => `${event.kind} ${event.symbol} ${event.time}`).join(', ')}): ${watch.output()}`,
    );
    const start = started() as Arrival;
    const crash = crashed() as Arrival;
    expect(start.event).toMatchObject({ name: 'flash-crash', source: 'Producer' });
    expect(crash.event).toMatchObject({ name: 'flash-crash', source: 'Analytics', threshold: 2, windowMs: 5000 });
    expect(crash.event.value).toBeGreaterThanOrEqual(2);
    const afterAnnouncementMs = crash.at - start.at;
    // The tick that completed the fall is exchange time on this machine's clock: how long the
    // detection took from it to this client.
    const detectionMs = crash.at - crash.event.timeUs / 1000;
    console.log(
      `FlashCrash ${crash.event.symbol} (${crash.event.detail}) reached watch ${afterAnnouncementMs} ms after the ` +
        `ScenarioStart, ${detectionMs.toFixed(0)} ms after its tick (${analytics.delivery})`,
    );
    expect(afterAnnouncementMs).toBeLessThanOrEqual(2000);
    // Every line, announcement or detection, in the contract's shape.
    for (const { event } of watch.lines) {
      for (const field of CONTRACT_FIELDS)
        expect(typeof event[field], `${field} of ${JSON.stringify(event)}`).toBe('string');
      expect(new Date(event.time).getTime()).toBe(Math.floor(event.timeUs / 1000));
      // Announcements keep the producer's names; detections use names of their own.
      expect(ANNOUNCEMENTS.includes(event.kind)).toBe(event.source === 'Producer');
    }
  }, 180_000);

  it("writes the job's own log (Flink's, through log4j2) as JSON lines with the fields every tier logs", async () => {
    const lines = (await readFile(analytics.logFile, 'utf8')).split('\n').filter((line) => line !== '');
    expect(lines.length).toBeGreaterThan(10);
    for (const line of lines)
      expect(JSON.parse(line), line).toMatchObject({
        level: expect.stringMatching(/^(trace|debug|info|warn|error|fatal)$/),
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        component: 'analytics',
        instance: expect.stringMatching(/^.+:\d+$/),
        msg: expect.any(String),
      });
  });

  it('`tickstream edge --history 0`, started after the job has run, serves its 1m bars from `candles` as written there', async () => {
    // What the job committed to `candles`, read as every consumer of its output should: read_committed.
    const written = new Map<string, CandleBarFields>();
    const misplaced: string[] = [];
    const reader = new Kafka({ brokers: kafka.brokers, logLevel: logLevel.NOTHING }).consumer({
      groupId: uniqueName('candles-reader'),
      readUncommitted: false,
    });
    await reader.connect();
    try {
      await reader.subscribe({ topic: candles, fromBeginning: true });
      await reader.run({
        eachMessage: async ({ partition, message }) => {
          if (!message.value) return;
          const bar = decodeCandleBar(new Uint8Array(message.value));
          // Key = symbol, partition = timeframe: how a reader finds "the last N bars of S at T".
          if (message.key?.toString() !== bar.symbol || partition !== bar.timeframe)
            misplaced.push(`${bar.symbol} ${BarTimeframe[bar.timeframe]}: key ${message.key}, partition ${partition}`);
          if (bar.timeframe === BarTimeframe.M1) written.set(`${bar.symbol}@${bar.startTimeUs}`, bar);
        },
      });
      // The producer has run a minute and more: its first minute is closed and committed.
      await until(() => written.size > 0, 90_000, 'a 1m bar in candles');
      const symbols = new Set([...written.values()].map((bar) => bar.symbol));

      const startedUs = Date.now() * 1000;
      const port = await freePort();
      const edge = tickstream([
        'edge',
        ...['--brokers', kafka.bootstrap, '--topic', topic, '--events-topic', events, '--candles-topic', candles],
        ...['--port', String(port), '--host', '127.0.0.1', '--history', '0'],
      ]);
      processes.push(edge.child);
      await until(
        async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => null))?.status === 200,
        30_000,
        () => `the --history 0 edge to serve: ${edge.output()}`,
      );
      let served = 0;
      for (const symbol of symbols) {
        const response = await fetch(`http://127.0.0.1:${port}/api/candles?symbol=${symbol}&tf=1m&limit=10`);
        expect(response.status).toBe(200);
        const { bars } = (await response.json()) as { bars: (Record<string, unknown> & { startTimeUs: number })[] };
        // Bars that ended before the edge started: it read no tick of them, so they are the job's.
        for (const bar of bars.filter((bar) => bar.startTimeUs + MINUTE_US <= startedUs)) {
          // The edge may have read a bar committed after this reader's last fetch: wait for it.
          const key = `${symbol}@${bar.startTimeUs}`;
          await until(
            () => written.has(key),
            10_000,
            () => `${symbol}'s 1m bar at ${bar.startTimeUs} in candles`,
          );
          const { open, high, low, close, volume, vwap, trades } = written.get(key) as CandleBarFields;
          expect(bar).toMatchObject({ open, high, low, close, volume, vwap, trades, final: true });
          expect(low).toBeLessThanOrEqual(Math.min(open, close, vwap));
          expect(high).toBeGreaterThanOrEqual(Math.max(open, close, vwap));
          expect(trades).toBeGreaterThan(0);
          served++;
        }
      }
      expect(served, 'the 1m bars from before the edge started').toBeGreaterThanOrEqual(symbols.size);
    } finally {
      await reader.disconnect();
    }
    expect(misplaced).toEqual([]);
  }, 150_000);

  it("the job's own figures reach system_metrics once a second: ticks read, checkpoint age, watermark lag", async () => {
    // As `up` does beside the job: its Prometheus figures on system_metrics. Started only now, so
    // the scrapes add nothing to the job's CPU while the FlashCrash latency above is measured.
    reporter = analyticsReporter({
      metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
      brokers: kafka.bootstrap,
      componentId: jobId,
      log: quiet,
    });
    reporter.start();
    const records: SystemMetricFields[] = [];
    const reader = new Kafka({ brokers: kafka.brokers, logLevel: logLevel.NOTHING }).consumer({
      groupId: uniqueName('system-metrics-reader'),
    });
    await reader.connect();
    try {
      await reader.subscribe({ topic: SYSTEM_METRICS_TOPIC, fromBeginning: true });
      await reader.run({
        eachMessage: async ({ message }) => {
          if (message.key?.toString() === jobId && message.value)
            records.push(decodeSystemMetric(new Uint8Array(message.value)));
        },
      });
      const figure = (record: SystemMetricFields, name: string) => record.figures.find((f) => f.name === name)?.value;
      await until(() => records.some((record) => (figure(record, 'records_per_s') ?? 0) > 0), 30_000, 'a record');
      const latest = records.at(-1) as SystemMetricFields;
      expect(latest).toMatchObject({ kind: 'analytics', componentId: jobId });
      expect(figure(latest, 'checkpoint_age_ms')).toBeGreaterThanOrEqual(0);
      expect(figure(latest, 'watermark_lag_ms')).toBeDefined();
      expect(figure(latest, 'backpressured_ms_per_s')).toBeGreaterThanOrEqual(0);
    } finally {
      await reader.disconnect();
    }
  }, 60_000);

  it('serves /metrics with every Flink series the Grafana dashboard and the alert rules query', async () => {
    const queried = new Set(
      ['deploy/grafana/dashboards/tickstream-analytics.json', 'deploy/prometheus/alerts.yml'].flatMap(
        (path) => readFileSync(join(root, path), 'utf8').match(/flink_\w+/g) ?? [],
      ),
    );
    expect(queried.size).toBeGreaterThan(8);
    const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(response.status).toBe(200);
    const exported = new Set((await response.text()).match(/^flink_\w+/gm));
    for (const name of queried) expect(exported.has(name), `${name} in the job's /metrics`).toBe(true);
  });
});
