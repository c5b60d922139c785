import { Timeframe } from '@tickstream/schemas';
import { describe, expect, it } from 'vitest';
import { barStart, CandleStore } from './candles.js';

/** The bars a plain list would hold for the same ticks: what the rings must answer. */
function modelBars(ticks: [number, number, number][], timeframe: Timeframe, maxBars: number) {
  const bars: { startTimeUs: number; open: number; high: number; low: number; close: number; volume: number }[] = [];
  for (const [timeUs, price, size] of ticks) {
    const start = barStart(timeUs, timeframe);
    const last = bars.at(-1);
    if (last && last.startTimeUs === start) {
      last.high = Math.max(last.high, price);
      last.low = Math.min(last.low, price);
      last.close = price;
      last.volume += size;
    } else if (!last || start > last.startTimeUs) {
      bars.push({ startTimeUs: start, open: price, high: price, low: price, close: price, volume: size });
    }
  }
  return bars.slice(-maxBars);
}

describe('CandleStore', () => {
  it('keeps the newest bars of every timeframe through growth and wrap-around, ignoring late ticks', () => {
    const maxBars = 50;
    const store = new CandleStore(4, maxBars);
    const ticks: [number, number, number][] = [];
    let timeUs = 1_795_000_000_000_000;
    for (let i = 0; i < 20_000; i++) {
      // Mostly forward by up to 0.9 s, sometimes a late tick 5 s back.
      const late = i % 97 === 0;
      if (!late) timeUs += 1 + ((i * 7919) % 900_000);
      const at = late ? timeUs - 5_000_000 : timeUs;
      const tick: [number, number, number] = [at, 1_000_000 + ((i * 104_729) % 50_000), 1 + (i % 300)];
      ticks.push(tick);
      store.add(2, ...tick);
    }
    for (const timeframe of [Timeframe.S1, Timeframe.M1, Timeframe.M5, Timeframe.H1]) {
      expect(store.bars(2, timeframe, 1000)).toEqual(modelBars(ticks, timeframe, maxBars));
      expect(store.bars(2, timeframe, 3)).toEqual(modelBars(ticks, timeframe, 3));
    }
    expect(store.bars(1, Timeframe.S1, 10)).toEqual([]);
  });
});
