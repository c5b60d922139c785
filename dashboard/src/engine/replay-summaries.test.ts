import { QuoteBook } from '@tickstream/client';
import { describe, expect, it } from 'vitest';
import { replayHeatmap, replayMovers } from './replay-summaries.js';

/** A replay's book as its Snapshot leaves it: prices × 10,000. */
function book(quotes: [name: string, sector: string, open: number, last: number, volume: number][]): QuoteBook {
  const replay = new QuoteBook(true);
  replay.replace(
    1,
    0,
    quotes.map(([name, sector], id) => ({ id, name, sector })),
    quotes.map(([, , open, last, volume], id) => ({
      id,
      last: last * 10_000,
      bid: 0,
      ask: 0,
      open: open * 10_000,
      high: 0,
      low: 0,
      volume,
      ticks: last === 0 ? 0 : 1,
      exchangeTimeUs: 0,
    })),
  );
  return replay;
}

describe('the Overview summaries of a replay', () => {
  const replayed = book([
    ['AAA', 'Tech', 100, 110, 10],
    ['BBB', 'Tech', 100, 95, 40],
    ['CCC', 'Energy', 50, 51, 1000],
    ['DDD', 'Energy', 20, 0, 0], // not traded yet in the replay
    ['EEE', '', 10, 9, 5],
  ]);

  it('ranks gainers and losers by change since the open, bounded, with no "most active"', () => {
    const movers = replayMovers(replayed, 1);
    expect(movers.replay).toBe(true);
    expect(movers.gainers).toEqual([
      { symbol: 'AAA', sector: 'Tech', last: 1_100_000, changePct: 10, volume: 10, relativeVolume: null },
    ]);
    expect(movers.losers.map((m) => [m.symbol, m.changePct])).toEqual([['EEE', -10]]);
    expect(replayMovers(replayed, 10).losers.map((m) => m.symbol)).toEqual(['EEE', 'BBB']);
    expect(movers.active).toEqual([]);
  });

  it('groups by sector sized by last × volume, each weighted by it, biggest first, untraded left out', () => {
    const { sectors } = replayHeatmap(replayed);
    expect(sectors.map((s) => [s.sector, s.value])).toEqual([
      ['Energy', 51_000],
      ['Tech', 4_900],
      ['Other', 45],
    ]);
    const tech = sectors[1];
    expect(tech?.symbols.map((t) => [t.symbol, t.value, t.changePct])).toEqual([
      ['BBB', 3_800, -5],
      ['AAA', 1_100, 10],
    ]);
    expect(tech?.changePct).toBeCloseTo((3_800 * -5 + 1_100 * 10) / 4_900, 9);
  });
});
