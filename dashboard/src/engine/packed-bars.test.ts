import { describe, expect, it } from 'vitest';
import { BAR, SERIES_WIDTH } from './feed-protocol.js';
import { BAND_BARS, PackedBars } from './packed-bars.js';

/** Bars of a Candles frame's 16 values: start, o, h, l, c, v and NaN for the rest. */
function frame(...bars: [start: number, close: number, volume?: number, low?: number, high?: number][]): Float64Array {
  const out = new Float64Array(bars.length * 16).fill(Number.NaN);
  bars.forEach(([start, close, volume = 10, low = close, high = close], i) => {
    out.set([start, close, high, low, close, volume], i * 16);
  });
  return out;
}

describe('PackedBars', () => {
  it('keeps bars sorted by start, replacing a bar with the same start, and says where changes began', () => {
    const bars = new PackedBars();
    expect(bars.merge(frame([10, 1], [30, 3]), 16)).toBe(0);
    expect(bars.merge(frame([20, 2]), 16)).toBe(1);
    expect(bars.merge(frame([30, 4]), 16)).toBe(2);
    expect(bars.count).toBe(3);
    expect([0, 1, 2].map((i) => bars.start(i))).toEqual([10, 20, 30]);
    expect(bars.all()[2 * SERIES_WIDTH + BAR.close]).toBe(4);
  });

  it('computes the mean and population deviation of the last 20 closes, NaN before 20 bars', () => {
    const bars = new PackedBars();
    const closes = Array.from({ length: 25 }, (_, i) => 100 + (i % 5));
    bars.merge(frame(...closes.map((close, i): [number, number] => [i, close])), 16);
    const all = bars.all();
    expect(all[(BAND_BARS - 2) * SERIES_WIDTH + BAR.mean20]).toBeNaN();
    const window = closes.slice(24 - BAND_BARS + 1, 25);
    const mean = window.reduce((s, v) => s + v, 0) / BAND_BARS;
    const sd = Math.sqrt(window.reduce((s, v) => s + (v - mean) ** 2, 0) / BAND_BARS);
    expect(all[24 * SERIES_WIDTH + BAR.mean20]).toBeCloseTo(mean, 10);
    expect(all[24 * SERIES_WIDTH + BAR.stdev20]).toBeCloseTo(sd, 10);
    // Changing an old close moves the bands of the later bars whose window holds it.
    const before = all[24 * SERIES_WIDTH + BAR.mean20] as number;
    expect(bars.merge(frame([10, 1000]), 16)).toBe(10);
    expect(bars.all()[24 * SERIES_WIDTH + BAR.mean20]).toBeCloseTo(
      before + (1000 - (closes[10] as number)) / BAND_BARS,
      10,
    );
  });

  it('spreads each bar’s volume over the price bins its range covers, within the time range only', () => {
    const bars = new PackedBars();
    bars.merge(frame([0, 15, 100, 10, 20], [1, 20, 40, 20, 20], [2, 99, 1000, 90, 99]), 16);
    const { low, high, volumes } = bars.volumeProfile(0, 2, 10);
    expect([low, high]).toEqual([10, 20]);
    expect(volumes.reduce((s, v) => s + v, 0)).toBeCloseTo(140, 10);
    // The first bar covers all ten bins (10 each); the second sits in the top bin.
    expect(volumes[0]).toBeCloseTo(10, 10);
    expect(volumes[9]).toBeCloseTo(50, 10);
  });
});
