import type { QuoteFields } from '@tickstream/schemas';
import { describe, expect, it } from 'vitest';
import { Recent, type SummarySource, sectorHeatmap, topMovers } from './market-summary.js';

const quote = (open: number, last: number, volume = 100): QuoteFields => ({
  id: 0,
  last,
  bid: last - 1,
  ask: last + 1,
  open,
  high: Math.max(open, last),
  low: Math.min(open, last),
  volume,
  ticks: 1,
  exchangeTimeUs: 1,
});

/** Symbols A…F: changes +2 %, −1 %, +5 %, 0, −3 %, +1 %; relative volumes where the job has a bar. */
function market(): SummarySource {
  const quotes = [
    quote(100_0000, 102_0000),
    quote(100_0000, 99_0000),
    quote(50_0000, 52_5000),
    quote(10_0000, 10_0000),
    quote(200_0000, 194_0000),
    quote(100_0000, 101_0000),
  ];
  const turnover = [300e4, 100e4, 50e4, 0, 400e4, 200e4].map((v) => v * 10_000);
  const relative = [1.5, Number.NaN, 0.8, 3.2, Number.NaN, 1.5];
  return {
    names: ['A', 'B', 'C', 'D', 'E', 'F'],
    sectors: ['Tech', 'Tech', 'Energy', 'Energy', 'Health', 'Tech'],
    quote: (id) => quotes[id] as QuoteFields,
    turnover: (id) => turnover[id] as number,
    relativeVolume: (id) => relative[id] as number,
  };
}

describe('topMovers', () => {
  it('ranks gainers, losers and the most active by the job’s relative volume, each bounded', () => {
    const movers = topMovers(market(), 2);
    expect(movers.gainers.map((m) => [m.symbol, m.changePct])).toEqual([
      ['C', 5],
      ['A', 2],
    ]);
    expect(movers.losers.map((m) => [m.symbol, m.changePct])).toEqual([
      ['E', -3],
      ['B', -1],
    ]);
    // Ties keep the lower id: A before F at 1.5; symbols without the job's figure are left out.
    expect(movers.active.map((m) => [m.symbol, m.relativeVolume])).toEqual([
      ['D', 3.2],
      ['A', 1.5],
    ]);
  });

  it('leaves out symbols that never traded, and lists no gainer at 0 %', () => {
    const source = market();
    const movers = topMovers(
      { ...source, quote: (id) => (id === 2 ? { ...quote(0, 0), ticks: 0 } : source.quote(id)) },
      10,
    );
    expect(movers.gainers.map((m) => m.symbol)).toEqual(['A', 'F']);
    expect(movers.losers.map((m) => m.symbol)).toEqual(['E', 'B']);
  });
});

describe('sectorHeatmap', () => {
  it('sizes sectors and symbols by traded value and weights the sector’s change by it', () => {
    const sectors = sectorHeatmap(market());
    expect(sectors.map((s) => [s.sector, s.value])).toEqual([
      ['Tech', 600e4],
      ['Health', 400e4],
      ['Energy', 50e4],
    ]);
    const tech = sectors[0];
    expect(tech?.symbols.map((t) => t.symbol)).toEqual(['A', 'F', 'B']);
    // (300·2 + 200·1 + 100·−1) / 600
    expect(tech?.changePct).toBeCloseTo(700 / 600, 10);
    // D has not traded today: no tile.
    expect(sectors[2]?.symbols.map((t) => t.symbol)).toEqual(['C']);
  });
});

describe('Recent', () => {
  it('computes once per max age, whatever the number of readers', () => {
    let now = 0;
    let computed = 0;
    const recent = new Recent(
      () => ++computed,
      500,
      () => now,
    );
    expect([recent.get(), recent.get()]).toEqual([1, 1]);
    now = 499;
    expect(recent.get()).toBe(1);
    now = 500;
    expect(recent.get()).toBe(2);
  });
});
