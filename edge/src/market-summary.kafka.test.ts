import { BarTimeframe, type CandleBarFields } from '@tickstream/schemas';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { selectedBackend, startTestKafka, type TestKafka, uniqueName } from '../../broker/src/testing/kafka-backend.js';
import { type RunningProducer, sessionAt } from '../../producer/dist/index.js';
import type { RunningEdge } from './edge.js';
import { AnalyticsStandIn, barsOf } from './testing/analytics-stand-in.js';
import { type ApiSymbol, getJson, startTestEdge, startTestProducer } from './testing/system.js';

interface MarketAnswer {
  session: { phase: string; sinceUs: number; detail: string };
  halted: { symbol: string; source: string; sinceUs: number }[];
  symbols: number;
}
interface MoverJson {
  symbol: string;
  changePct: number;
  relativeVolume: number | null;
}
interface HeatmapJson {
  sectors: {
    sector: string;
    value: number;
    changePct: number;
    symbols: { symbol: string; value: number; changePct: number }[];
  }[];
}

// The Overview's summaries as the edge serves them from a real producer's ticks and events
// (the halt scenario, on a short loop) and the analytics job's bars (AnalyticsStandIn), through
// real Kafka on both backends.
describe(`edge market summaries (${selectedBackend()} backend)`, () => {
  let kafka: TestKafka;
  let producer: RunningProducer | null = null;
  let standIn: AnalyticsStandIn;
  let topic: string;
  const edges: RunningEdge[] = [];
  const startEdge = async () => {
    const edge = await startTestEdge(kafka.brokers, topic, {
      candlesTopic: standIn.topics.candles,
      correlationsTopic: standIn.topics.correlations,
    });
    edges.push(edge);
    return `http://127.0.0.1:${edge.port}`;
  };
  const market = async (http: string) => (await getJson(`${http}/api/market`)).body as MarketAnswer;

  beforeAll(async () => {
    kafka = await startTestKafka();
    topic = uniqueName('summary-ticks');
    standIn = new AnalyticsStandIn(kafka.brokers, {
      candles: `${topic}-candles`,
      correlations: `${topic}-correlations`,
      events: `${topic}-events`,
    });
    // The job's newest 1m bars of three symbols, with relative volumes 3.0, 2.0 and 0.5.
    await standIn.createTopics();
    const nowUs = Date.now() * 1000;
    const withRelative = (symbol: string, relativeVolume: number): CandleBarFields[] =>
      barsOf(symbol, 'Technology', BarTimeframe.M1, 20, nowUs).map((bar) => ({ ...bar, relativeVolume }));
    await standIn.writeBars([...withRelative('MSFT', 3), ...withRelative('AAPL', 2), ...withRelative('GOOGL', 0.5)]);
    // A halt every 7 s: 3 s calm, then one symbol halted for 4 s.
    producer = await startTestProducer(kafka.brokers, topic, 2000, 40, {
      scenario: 'halt',
      scenarioTiming: { calmMs: 3000, activeMs: 4000 },
    });
  }, 240_000);

  afterAll(async () => {
    for (const edge of edges) await edge.stop();
    await standIn?.close();
    await producer?.stop();
    await kafka?.close();
  }, 60_000);

  it('says the session the producer announced, and marks a halted symbol until it resumes, on a restarted edge too', async () => {
    const http = await startEdge();
    await vi.waitFor(async () => expect((await market(http)).session.phase).toBe(sessionAt(Date.now())), {
      timeout: 10_000,
    });
    expect((await market(http)).session.detail).toMatch(/^[a-z-]+ since \w{3} \d\d:\d\d ET, until \w{3} \d\d:\d\d ET$/);

    // The producer's Halt names the symbol; the edge marks exactly it while the episode lasts.
    const halted = await vi.waitFor(
      async () => {
        const answer = await market(http);
        expect(answer.halted).toHaveLength(1);
        return answer.halted[0] as MarketAnswer['halted'][number];
      },
      { timeout: 15_000, interval: 100 },
    );
    expect(halted.source).toBe('Producer');
    const events = (await getJson(`${http}/api/events?kind=Halt&limit=1`)).body as {
      events: { symbol: string; timeUs: number }[];
    };
    expect(events.events[0]).toMatchObject({ symbol: halted.symbol, timeUs: halted.sinceUs });

    // An edge started now rebuilds the session and the halt from the events' history.
    const second = await startEdge();
    const again = await market(second);
    expect(again.session.phase).toBe(sessionAt(Date.now()));
    if (Date.now() * 1000 - halted.sinceUs < 3_000_000)
      expect(again.halted.map((h) => h.symbol)).toEqual([halted.symbol]);

    // The episode ends: Resume clears it.
    await vi.waitFor(
      async () => expect((await market(http)).halted.map((h) => h.symbol)).not.toContain(halted.symbol),
      { timeout: 10_000, interval: 100 },
    );
  }, 60_000);

  it('ranks movers from the quotes and the job’s relative volume, and sizes the heatmap by traded value', async () => {
    const http = await startEdge();
    await vi.waitFor(async () => expect((await market(http)).symbols).toBe(40), { timeout: 10_000 });
    // A still market: every answer below describes the same quotes.
    await producer?.stop();
    producer = null;
    await new Promise((resolve) => setTimeout(resolve, 500));
    const symbols = ((await getJson(`${http}/api/symbols`)).body as { symbols: ApiSymbol[] }).symbols;
    const bySymbol = new Map(symbols.map((s) => [s.name, s]));
    const changeOf = (s: ApiSymbol) => (100 * (s.last - s.open)) / s.open;

    const movers = (await getJson(`${http}/api/movers?limit=5`)).body as Record<
      'gainers' | 'losers' | 'active',
      MoverJson[]
    >;
    const gains = symbols
      .map(changeOf)
      .filter((c) => c > 0)
      .sort((a, b) => b - a)
      .slice(0, 5);
    const losses = symbols
      .map(changeOf)
      .filter((c) => c < 0)
      .sort((a, b) => a - b)
      .slice(0, 5);
    expect(movers.gainers.map((m) => m.changePct)).toEqual(gains.map((c) => Math.round(c * 10_000) / 10_000));
    expect(movers.losers.map((m) => m.changePct)).toEqual(losses.map((c) => Math.round(c * 10_000) / 10_000));
    expect(movers.active.map((m) => [m.symbol, m.relativeVolume])).toEqual([
      ['MSFT', 3],
      ['AAPL', 2],
      ['GOOGL', 0.5],
    ]);

    const heatmap = (await getJson(`${http}/api/heatmap`)).body as HeatmapJson;
    const tiles = heatmap.sectors.flatMap((sector) => sector.symbols);
    expect(new Set(tiles.map((t) => t.symbol)).size).toBe(tiles.length);
    expect(tiles.length).toBe(symbols.filter((s) => s.volume > 0).length);
    for (const sector of heatmap.sectors) {
      const sum = sector.symbols.reduce((total, tile) => total + tile.value, 0);
      expect(Math.abs(sector.value - sum)).toBeLessThanOrEqual(sector.symbols.length);
    }
    expect(heatmap.sectors.map((s) => s.value)).toEqual(heatmap.sectors.map((s) => s.value).sort((a, b) => b - a));
    // Traded value lies between volume × the day's low and volume × its high.
    for (const tile of tiles) {
      const s = bySymbol.get(tile.symbol) as ApiSymbol;
      expect(tile.value).toBeGreaterThanOrEqual(Math.floor((s.volume * s.low) / 10_000) - 1);
      expect(tile.value).toBeLessThanOrEqual(Math.ceil((s.volume * s.high) / 10_000) + 1);
      expect(tile.changePct).toBeCloseTo(changeOf(s), 3);
    }

    expect(await getJson(`${http}/api/movers?limit=0`)).toEqual({
      status: 400,
      body: { error: 'limit must be an integer from 1 to 50; got "0"' },
    });
    expect((await getJson(`${http}/api/movers?tf=2m`)).body).toEqual({
      error: 'tf must be one of 1s, 1m, 5m, 15m, 1h, 4h, 1d; got "2m"',
    });
  }, 60_000);
});
