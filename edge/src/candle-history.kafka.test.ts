import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AnalyticsState,
  BarTimeframe,
  type CandleBarFields,
  EventSource,
  MarketEventKind,
  Timeframe,
} from '@tickstream/schemas';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freePort } from '../../bench/src/processes.js';
import { selectedBackend, startTestKafka, type TestKafka, uniqueName } from '../../broker/src/testing/kafka-backend.js';
import type { RunningProducer } from '../../producer/dist/index.js';
import type { RunningEdge } from './edge.js';
import type { EdgeOptions } from './options.js';
import { AnalyticsStandIn, barsOf } from './testing/analytics-stand-in.js';
import { getJson, startTestEdge, startTestProducer } from './testing/system.js';
import { TestClient } from './testing/test-client.js';

const HOUR_US = 3_600_000_000;
const MINUTE_US = 60_000_000;

interface ApiBar {
  startTimeUs: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  vwap: number;
  trades: number;
  final: boolean;
  sma20: number | null;
  relativeVolume: number | null;
  priceVolumeCorrelation: number | null;
}

const candlesOf = async (http: string, symbol: string, tf: string, limit = 1000): Promise<ApiBar[]> => {
  const { status, body } = await getJson(`${http}/api/candles?symbol=${symbol}&tf=${tf}&limit=${limit}`);
  expect(status).toBe(200);
  return (body as { bars: ApiBar[] }).bars;
};

/** An indicator as /api/candles serves it: float32's seven digits, null for NaN. */
const indicator = (value: number) => (Number.isNaN(value) ? null : Number(Math.fround(value).toPrecision(7)));

/** What the edge must serve for a bar the job wrote: every field as written. */
const served = (bar: CandleBarFields) => ({
  startTimeUs: bar.startTimeUs,
  open: bar.open,
  high: bar.high,
  low: bar.low,
  close: bar.close,
  volume: bar.volume,
  vwap: bar.vwap,
  trades: bar.trades,
  final: true,
  sma20: indicator(bar.sma20),
  sma50: indicator(bar.sma50),
  ema20: indicator(bar.ema20),
  ema50: indicator(bar.ema50),
  volatility20: indicator(bar.volatility20),
  relativeVolume: indicator(bar.relativeVolume),
  priceVolumeCorrelation: indicator(bar.priceVolumeCorrelation),
});

// The edge's history from the analytics job's `candles` topic, through real Kafka (both
// backends) and a real producer of ticks. AnalyticsStandIn writes the job's records with the real
// schema, so each case sets exactly the bars it checks; the real Flink job's bars reaching an edge
// with --history 0 are checked in cli/src/analytics.kafka.test.ts.
describe(`edge history from candles (${selectedBackend()} backend)`, () => {
  let kafka: TestKafka;
  let producer: RunningProducer;
  let topic: string;
  let standIn: AnalyticsStandIn;
  const edges: RunningEdge[] = [];
  const clients: TestClient[] = [];
  const startEdge = async (overrides: Partial<EdgeOptions> = {}) => {
    const edge = await startTestEdge(kafka.brokers, topic, {
      candlesTopic: standIn.topics.candles,
      correlationsTopic: standIn.topics.correlations,
      ...overrides,
    });
    edges.push(edge);
    return { edge, http: `http://127.0.0.1:${edge.port}`, ws: `ws://127.0.0.1:${edge.port}/ws` };
  };
  const connect = async (ws: string): Promise<TestClient> => {
    const client = await TestClient.connect(ws);
    clients.push(client);
    await client.next('hello');
    return client;
  };
  const stop = async (edge: RunningEdge) => {
    await edge.stop();
    edges.splice(edges.indexOf(edge), 1);
  };

  beforeAll(async () => {
    kafka = await startTestKafka();
    topic = uniqueName('history-ticks');
    producer = await startTestProducer(kafka.brokers, topic, 1000, 20);
    standIn = new AnalyticsStandIn(kafka.brokers, {
      candles: `${topic}-candles`,
      correlations: `${topic}-correlations`,
      events: `${topic}-events`,
    });
  }, 240_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    for (const edge of edges) await edge.stop();
    await standIn?.close();
    await producer?.stop();
    await kafka?.close();
  }, 60_000);

  it('without the job (no candles topic) works as before and says so; picks the job up when it starts', async () => {
    const { edge, http, ws } = await startEdge();
    // Healthy without the job (Kafka is judged up within half a second of the first answers).
    await expect
      .poll(async () => (await getJson(`${http}/health`)).body, { timeout: 10_000 })
      .toMatchObject({ ok: true, analytics: { state: 'NeverRan' } });
    const client = await connect(ws);
    expect(await client.next('analytics-status')).toMatchObject({ state: AnalyticsState.NeverRan });
    const fromTicks = await candlesOf(http, 'AAPL', '1m');
    expect(fromTicks.length).toBeGreaterThan(0);
    expect(fromTicks.every((bar) => !bar.final && bar.sma20 === null)).toBe(true);

    // The job starts: its topics appear, with an hour of bars and a 1s bar just closed.
    await standIn.createTopics();
    const hours = barsOf('AAPL', 'Technology', BarTimeframe.H1, 5, Date.now() * 1000);
    await standIn.writeBars([...hours, ...barsOf('AAPL', 'Technology', BarTimeframe.S1, 1, Date.now() * 1000)]);
    await vi.waitFor(
      async () => {
        const bars = await candlesOf(http, 'AAPL', '1h');
        expect(bars.filter((bar) => bar.final).map((bar) => bar.close)).toEqual(hours.map((bar) => bar.close));
      },
      { timeout: 20_000, interval: 250 },
    );
    expect(await client.next('analytics-status', 15_000)).toMatchObject({ state: AnalyticsState.Online });
    await stop(edge);
  }, 90_000);

  it('an edge restart keeps the 1h candles; an edge with --history 0 serves 1m bars from before its start', async () => {
    await standIn.createTopics();
    const nowUs = Date.now() * 1000;
    const written = {
      AAPL: barsOf('AAPL', 'Technology', BarTimeframe.H1, 72, nowUs, 190_0000),
      MSFT: barsOf('MSFT', 'Technology', BarTimeframe.H1, 72, nowUs, 420_0000),
    };
    const minutes = barsOf('AAPL', 'Technology', BarTimeframe.M1, 180, nowUs, 191_0000);
    await standIn.writeBars([...written.AAPL, ...written.MSFT, ...minutes]);

    const first = await startEdge();
    for (const [symbol, bars] of Object.entries(written)) {
      const hourly = (await candlesOf(first.http, symbol, '1h')).filter((bar) => bar.final);
      // Three days of hours, exactly as written (the live hour, built from ticks, is not final).
      expect(hourly.slice(-72)).toEqual(bars.map(served));
    }
    // Every symbol's newest finished bar, for a market-wide table (relative volume, …).
    const market = (await getJson(`${first.http}/api/indicators?tf=1h`)).body as {
      symbols: { symbol: string; startTimeUs: number; relativeVolume: number }[];
    };
    expect(market.symbols.filter((row) => row.symbol === 'AAPL' || row.symbol === 'MSFT')).toEqual([
      expect.objectContaining({ symbol: 'AAPL', startTimeUs: written.AAPL.at(-1)?.startTimeUs, relativeVolume: 1.25 }),
      expect.objectContaining({ symbol: 'MSFT', startTimeUs: written.MSFT.at(-1)?.startTimeUs, relativeVolume: 1.25 }),
    ]);
    // With `to`, the table as it was then (a replay's): the newest finished bar that started before it.
    const newestAaplUs = written.AAPL.at(-1)?.startTimeUs as number;
    const then = (await getJson(`${first.http}/api/indicators?tf=1h&to=${newestAaplUs / 1000}`)).body as {
      symbols: { symbol: string; startTimeUs: number }[];
    };
    expect(then.symbols.find((row) => row.symbol === 'AAPL')?.startTimeUs).toBe(written.AAPL.at(-2)?.startTimeUs);
    expect((await getJson(`${first.http}/api/indicators?tf=1h&to=yesterday`)).status).toBe(400);
    // The WebSocket gives the same bars with their indicators.
    const client = await connect(first.ws);
    client.send({ type: 'candle-subscribe', symbol: 'AAPL', timeframe: Timeframe.H1, limit: 100 });
    const candles = await client.next('candles');
    expect(candles.indicators).not.toBeNull();
    const finals = candles.bars.filter((_, i) => candles.indicators?.[i]?.final);
    expect(finals.slice(-72).map((bar) => bar.close)).toEqual(written.AAPL.map((bar) => bar.close));
    const newest = candles.indicators?.filter((entry) => entry.final).at(-1);
    expect(newest?.sma20).toBeCloseTo(written.AAPL.at(-1)?.sma20 as number, 0);
    expect(newest?.relativeVolume).toBeCloseTo(1.25, 5);
    await stop(first.edge);

    const startedUs = Date.now() * 1000;
    const second = await startEdge({ historyMs: 0 });
    expect((await candlesOf(second.http, 'AAPL', '1h')).filter((bar) => bar.final).slice(-72)).toEqual(
      written.AAPL.map(served),
    );
    const oneMinute = await candlesOf(second.http, 'AAPL', '1m');
    const before = oneMinute.filter((bar) => bar.startTimeUs + MINUTE_US <= startedUs);
    expect(before.length).toBeGreaterThanOrEqual(180);
    expect(before.slice(-180)).toEqual(minutes.map(served));
    await stop(second.edge);
  }, 120_000);

  it('`tickstream edge --history 0` (its own process, as users run it) serves 1m bars from before its start', async () => {
    await standIn.createTopics();
    const minutes = barsOf('MSFT', 'Technology', BarTimeframe.M1, 30, Date.now() * 1000, 421_0000);
    await standIn.writeBars(minutes);
    const port = await freePort();
    const startedUs = Date.now() * 1000;
    const cli = fileURLToPath(new URL('../../cli/bin/tickstream.js', import.meta.url));
    const args = [
      'edge',
      '--brokers',
      kafka.bootstrap,
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--history',
      '0',
    ];
    args.push('--topic', topic, '--events-topic', `${topic}-events`);
    args.push('--candles-topic', standIn.topics.candles, '--correlations-topic', standIn.topics.correlations);
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    try {
      await vi.waitFor(
        async () => {
          const health = await fetch(`http://127.0.0.1:${port}/health`).catch(() => null);
          if (health?.status !== 200) throw new Error(`the edge is not serving yet: ${output}`);
        },
        { timeout: 30_000, interval: 250 },
      );
      expect(output).toMatch(/loading 0 ticks of history/);
      expect(output).toMatch(/loaded [\d,]+ bars from '.*-candles' in [\d.]+ s/);
      const before = (await candlesOf(`http://127.0.0.1:${port}`, 'MSFT', '1m')).filter(
        (bar) => bar.startTimeUs + MINUTE_US <= startedUs,
      );
      expect(before.slice(-30)).toEqual(minutes.map(served));
    } finally {
      child.kill('SIGINT');
      await new Promise((resolve) => child.once('close', resolve));
    }
  }, 90_000);

  it('reads candles read_committed: bars of an aborted or open transaction never reach the edge', async () => {
    await standIn.createTopics();
    const endUs = Date.now() * 1000;
    const committed = barsOf('GOOGL', 'Communication Services', BarTimeframe.H1, 10, endUs, 170_0000);
    const aborted = barsOf('GOOGL', 'Communication Services', BarTimeframe.H1, 10, endUs - 10 * HOUR_US, 999_0000);
    await standIn.writeBarsInTransaction(committed, 'commit');
    await standIn.writeBarsInTransaction(aborted, 'abort');
    const open = await standIn.writeBarsInTransaction(
      barsOf('AMZN', 'Consumer Discretionary', BarTimeframe.H1, 3, endUs, 888_0000),
      'open',
    );

    // Ready although a transaction is open: the edge reads to the last stable offset, not past it.
    const { http } = await startEdge();
    const googl = (await candlesOf(http, 'GOOGL', '1h')).filter((bar) => bar.final);
    expect(googl.map((bar) => bar.close)).toEqual(committed.map((bar) => bar.close));
    expect((await candlesOf(http, 'AMZN', '1h')).filter((bar) => bar.final)).toEqual([]);

    await open.end('abort');
    const later = barsOf('AMZN', 'Consumer Discretionary', BarTimeframe.H1, 2, endUs, 185_0000);
    await standIn.writeBarsInTransaction(later, 'commit');
    await vi.waitFor(
      async () => {
        const amzn = (await candlesOf(http, 'AMZN', '1h')).filter((bar) => bar.final);
        expect(amzn.map((bar) => bar.close)).toEqual(later.map((bar) => bar.close));
      },
      { timeout: 20_000, interval: 250 },
    );
  }, 90_000);

  it('serves correlation matrices and sub-matrices, and market events with their evidence', async () => {
    await standIn.createTopics();
    const endTimeUs = Math.floor(Date.now() / 60_000) * MINUTE_US;
    await standIn.writeMatrix({
      group: 'sector:Technology',
      timeframe: BarTimeframe.M1,
      windowBars: 30,
      endTimeUs,
      symbols: ['AAPL', 'MSFT'],
      values: Float32Array.of(1, 0.75, 0.75, 1),
    });
    await standIn.writeMatrix({
      group: 'all',
      timeframe: BarTimeframe.M1,
      windowBars: 30,
      endTimeUs,
      symbols: ['AAPL', 'MSFT', 'GOOGL'],
      values: Float32Array.of(1, 0.5, 0.25, 0.5, 1, -0.125, 0.25, -0.125, 1),
    });
    const crash = {
      kind: MarketEventKind.FlashCrash,
      symbol: 'TSLA',
      sector: 'Consumer Discretionary',
      name: 'fall',
      detail: 'fell 6.1 % in 4.2 s',
      timeUs: Date.now() * 1000,
      evidence: {
        value: 6.1,
        mean: Number.NaN,
        deviation: Number.NaN,
        threshold: 5,
        windowMs: 10_000,
        startTimeUs: Date.now() * 1000 - 4_200_000,
        price: 235_0000,
        startPrice: 250_0000,
      },
    };
    await standIn.writeEvent(crash);

    const { http, ws } = await startEdge();
    const client = await connect(ws);
    client.send({
      type: 'correlation-subscribe',
      group: 'sector:Technology',
      symbols: [],
      timeframe: Timeframe.M1,
      windowBars: 0,
    });
    const sector = await client.next('correlation-matrix');
    expect(sector).toMatchObject({ group: 'sector:Technology', windowBars: 30, symbols: ['AAPL', 'MSFT'] });
    expect([...sector.values]).toEqual([1, 0.75, 0.75, 1]);
    client.send({
      type: 'correlation-subscribe',
      group: '',
      symbols: ['GOOGL', 'MSFT', 'TSLA'],
      timeframe: Timeframe.M1,
      windowBars: 30,
    });
    const set = await client.next('correlation-matrix');
    expect(set).toMatchObject({ group: 'set', symbols: ['GOOGL', 'MSFT', 'TSLA'] });
    // From "all"; TSLA is in no matrix: NaN, never estimated.
    expect([...set.values].map((v) => (Number.isNaN(v) ? null : v))).toEqual([
      1,
      -0.125,
      null,
      -0.125,
      1,
      null,
      null,
      null,
      null,
    ]);
    // A newer matrix reaches the follower of the set.
    await standIn.writeMatrix({
      group: 'all',
      timeframe: BarTimeframe.M1,
      windowBars: 30,
      endTimeUs: endTimeUs + MINUTE_US,
      symbols: ['MSFT', 'GOOGL'],
      values: Float32Array.of(1, 0.375, 0.375, 1),
    });
    const updated = await client.next('correlation-matrix', 15_000);
    expect(updated.values[1]).toBe(0.375);
    const listed = (await getJson(`${http}/api/correlations`)).body as { matrices: { group: string }[] };
    expect(listed.matrices.map((m) => m.group).sort()).toEqual(['all', 'sector:Technology']);
    // The newest "all" no longer holds AAPL: AAPL–MSFT comes from the sector, AAPL–GOOGL from nowhere.
    const sub = await getJson(`${http}/api/correlations?symbols=AAPL,MSFT,GOOGL&tf=1m&window=30`);
    expect(sub.body).toMatchObject({
      group: 'set',
      symbols: ['AAPL', 'MSFT', 'GOOGL'],
      values: [
        [1, 0.75, null],
        [0.75, 1, 0.375],
        [null, 0.375, 1],
      ],
    });
    expect((await getJson(`${http}/api/correlations?group=sector:Energy&tf=1h`)).status).toBe(404);

    // The event from before the start is listed, not broadcast; a new one is broadcast with its evidence.
    const events = (await getJson(`${http}/api/events?kind=FlashCrash&symbol=TSLA`)).body as { events: unknown[] };
    expect(events.events).toEqual([
      expect.objectContaining({
        kind: 'FlashCrash',
        source: 'Analytics',
        value: 6.1,
        mean: null,
        threshold: 5,
        startPrice: 250_0000,
      }),
    ]);
    await standIn.writeEvent({ ...crash, symbol: 'MSFT', sector: 'Technology', timeUs: crash.timeUs + 1 });
    const live = await client.next('market-event', 15_000);
    expect(live).toMatchObject({
      kind: MarketEventKind.FlashCrash,
      symbol: 'MSFT',
      evidence: { value: 6.1, threshold: 5 },
    });
    expect(client.frames.filter((frame) => frame.type === 'market-event')).toHaveLength(1);
    const bySource = (await getJson(`${http}/api/events?source=analytics&limit=10`)).body as {
      events: { symbol: string }[];
    };
    expect(bySource.events.map((event) => event.symbol)).toEqual(['MSFT', 'TSLA']);
    expect(EventSource.Analytics).toBe(1);
    expect((await getJson(`${http}/api/events?kind=Nope`)).status).toBe(400);
  }, 90_000);
});

// A whole-system restart: the broker stops and starts again on its data dir, then a new edge.
// The embedded broker only: the run's shared Apache Kafka cannot be restarted by one test file.
describe.skipIf(selectedBackend() !== 'embedded')('edge history across a broker restart (embedded)', () => {
  it('keeps the 1h candles when broker and edge both restart', async () => {
    const { startBroker } = await import('../../broker/src/broker.js');
    const dataDir = await mkdtemp(join(tmpdir(), 'tickstream-history-'));
    const quiet = () => {};
    const topic = uniqueName('restart-ticks');
    let broker = await startBroker({ port: 0, dataDir, log: quiet });
    const topics = { candles: `${topic}-candles`, correlations: `${topic}-correlations`, events: `${topic}-events` };
    try {
      const standIn = new AnalyticsStandIn([broker.bootstrap], topics);
      await standIn.createTopics();
      const bars = barsOf('AAPL', 'Technology', BarTimeframe.H1, 48, Date.now() * 1000);
      await standIn.writeBars(bars);
      await standIn.close();
      await broker.close();

      broker = await startBroker({ port: 0, dataDir, log: quiet });
      // No ticks topic yet: the producer creates it as a whole system would.
      const producer = await startTestProducer([broker.bootstrap], topic, 200, 5);
      const edge = await startTestEdge([broker.bootstrap], topic, {
        candlesTopic: topics.candles,
        correlationsTopic: topics.correlations,
        historyMs: 0,
      });
      try {
        const hourly = (await candlesOf(`http://127.0.0.1:${edge.port}`, 'AAPL', '1h')).filter((bar) => bar.final);
        expect(hourly).toEqual(bars.map(served));
      } finally {
        await edge.stop();
        await producer.stop();
      }
    } finally {
      await broker.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
