import { describe, expect, it } from 'vitest';
import { volumeCategory, volumeTable } from './volume-table.js';

const entry = (symbol: string, volume: number, relativeVolume: number | null) => ({
  symbol,
  startTimeUs: 0,
  volume,
  relativeVolume,
  priceVolumeCorrelation: null,
});

describe('volumeTable', () => {
  it('categorises, derives the trailing average and sorts with missing figures last', () => {
    const table = volumeTable(
      {
        tf: '1m',
        analytics: 'Running',
        symbols: [entry('A', 300, 3), entry('B', 100, null), entry('C', 50, 0.5), entry('D', 100, 1)],
      },
      'relativeVolume',
      true,
    );
    expect(table.rows.map((row) => row.symbol)).toEqual(['A', 'D', 'C', 'B']);
    expect(table.rows[0]?.trailingAverage).toBe(100);
    expect(table.counts).toEqual({ high: 1, medium: 1, low: 1 });
    const ascending = volumeTable(
      { tf: '1m', analytics: '', symbols: table.rows.map((r) => entry(r.symbol, r.volume, r.relativeVolume)) },
      'relativeVolume',
      false,
    );
    expect(ascending.rows.map((row) => row.symbol)).toEqual(['C', 'D', 'A', 'B']);
  });

  it('puts the category boundaries where docs/dashboard.md says', () => {
    expect([
      volumeCategory(1.5),
      volumeCategory(1.49),
      volumeCategory(0.75),
      volumeCategory(0.74),
      volumeCategory(null),
    ]).toEqual(['high', 'medium', 'medium', 'low', null]);
  });
});
