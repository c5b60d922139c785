import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RunningAnalytics, startAnalytics } from '@tickstream/analytics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../bench/src/processes.js';
import { selectedBackend, startTestKafka, type TestKafka, uniqueName } from '../../broker/src/testing/kafka-backend.js';
import { until } from '../../broker/src/testing/until.js';
import { defaultProducerOptions, type RunningProducer, startProducer } from '../../producer/dist/index.js';

const cli = fileURLToPath(new URL('../bin/tickstream.js', import.meta.url));
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
  let watch: ReturnType<typeof tickstream>;

  beforeAll(async () => {
    kafka = await startTestKafka();
    checkpoints = await mkdtemp(join(tmpdir(), 'tickstream-analytics-test-'));
    // The job first: it waits for the ticks topic, then reads it from its first tick, so it is
    // warm and caught up when the scenario's first episode starts, 60 s in.
    analytics = await startAnalytics({
      brokers: kafka.bootstrap,
      checkpointDir: join(checkpoints, 'checkpoints'),
      topics: { ticks: topic, events, candles: `${topic}-candles`, correlations: `${topic}-correlations` },
      instance: uniqueName('analytics'),
      backfillMs: 0,
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
      ...['--brokers', kafka.bootstrap, '--topic', topic, '--events-topic', events],
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
  }, 180_000);
});
