import { Timeframe } from '@tickstream/schemas';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BarSeries, TickFate } from './bar-series.js';
import { type Bar, barStart, CandleStore, type FinalBar, TIMEFRAME_COUNT } from './candles.js';

type TickTuple = [timeUs: number, price: number, size: number];

/** The bars a plain list would hold for the same ticks: what the store must answer. */
function modelBars(ticks: TickTuple[], timeframe: Timeframe, keep: number) {
  const bars: { startTimeUs: number; open: number; high: number; low: number; close: number; volume: number }[] = [];
  let newestSecond = Number.NEGATIVE_INFINITY;
  for (const [timeUs, price, size] of ticks) {
    // Late: older than the newest 1s bar; such a tick goes into no timeframe.
    const second = barStart(timeUs, Timeframe.S1);
    if (second < newestSecond) continue;
    newestSecond = second;
    const start = barStart(timeUs, timeframe);
    const last = bars.at(-1);
    if (last && last.startTimeUs === start) {
      last.high = Math.max(last.high, price);
      last.low = Math.min(last.low, price);
      last.close = price;
      last.volume += size;
    } else {
      bars.push({ startTimeUs: start, open: price, high: price, low: price, close: price, volume: size });
    }
  }
  return bars.slice(-keep);
}

const ohlcv = ({ startTimeUs, open, high, low, close, volume }: Bar) => ({
  startTimeUs,
  open,
  high,
  low,
  close,
  volume,
});

function finalBar(startTimeUs: number, close: number): FinalBar {
  return {
    startTimeUs,
    open: close - 10,
    high: close + 20,
    low: close - 30,
    close,
    volume: 1000,
    vwap: close - 5,
    trades: 7,
    sma20: close + 0.5,
    sma50: Number.NaN,
    ema20: close + 0.25,
    ema50: Number.NaN,
    volatility20: 0.001,
    relativeVolume: 1.5,
    priceVolumeCorrelation: -0.25,
  };
}

const T0 = 1_795_000_000_000_000;
const MINUTE = 60_000_000;
const KEEP = [50, 50, 50, 50, 50, 50, 50];

describe('CandleStore', () => {
  it('keeps the newest bars of every timeframe through growth and trimming; late ticks go into no bar and are counted', () => {
    const store = new CandleStore(4, KEEP);
    const ticks: TickTuple[] = [];
    let timeUs = T0;
    let late = 0;
    for (let i = 0; i < 20_000; i++) {
      // Mostly forward by up to 0.9 s, sometimes a late tick 5 s back.
      const isLate = i % 97 === 0 && i > 0;
      if (!isLate) timeUs += 1 + ((i * 7919) % 900_000);
      const at = isLate ? timeUs - 5_000_000 : timeUs;
      if (isLate) late++;
      const tick: TickTuple = [at, 1_000_000 + ((i * 104_729) % 50_000), 1 + (i % 300)];
      ticks.push(tick);
      store.add(2, ...tick);
    }
    for (const timeframe of [Timeframe.S1, Timeframe.M1, Timeframe.M5, Timeframe.H1]) {
      expect(store.bars(2, timeframe, 1000).map(ohlcv)).toEqual(modelBars(ticks, timeframe, 50));
      expect(store.bars(2, timeframe, 3).map(ohlcv)).toEqual(modelBars(ticks, timeframe, 3));
    }
    expect(store.lateTicks).toBe(late);
    expect(store.bars(1, Timeframe.S1, 10)).toEqual([]);
  });

  it('builds VWAP and trades from ticks; such a bar is not final and has no indicators', () => {
    const store = new CandleStore(1, KEEP);
    store.add(0, T0, 100_0000, 10);
    store.add(0, T0 + 1000, 102_0000, 30);
    const [bar] = store.bars(0, Timeframe.M1, 1);
    expect(bar).toMatchObject({ open: 100_0000, close: 102_0000, volume: 40, vwap: 101_5000, trades: 2, final: false });
    expect(bar?.sma20).toBeNaN();
  });

  it("takes the job's bar in place of the one built from ticks, and ticks never change a final bar", () => {
    const store = new CandleStore(1, KEEP);
    const start = barStart(T0, Timeframe.M1);
    store.add(0, start + 1_000_000, 100_0000, 5);
    store.add(0, start + MINUTE + 1_000_000, 101_0000, 5); // the next minute opens
    store.putFinal(0, Timeframe.M1, finalBar(start, 99_0000)); // the job closes the first
    store.add(0, start + 2_000_000, 150_0000, 5); // a late tick of the first minute: late at 1s
    store.add(0, start + MINUTE + 2_000_000, 102_0000, 5);
    const bars = store.bars(0, Timeframe.M1, 10);
    expect(bars.map((bar) => [bar.startTimeUs, bar.close, bar.final])).toEqual([
      [start, 99_0000, true],
      [start + MINUTE, 102_0000, false],
    ]);
    expect(bars[0]).toMatchObject({ vwap: 98_9995, trades: 7, sma20: 99_0000.5, relativeVolume: 1.5 });
    expect(bars[0]?.priceVolumeCorrelation).toBeCloseTo(-0.25, 6);
    expect(store.lateTicks).toBe(1);

    // A tick of a second the job has already closed, while the job is ahead of our ticks: not late.
    store.putFinal(0, Timeframe.S1, finalBar(start + MINUTE + 10_000_000, 103_0000));
    store.add(0, start + MINUTE + 5_000_000, 104_0000, 5);
    expect(store.lateTicks).toBe(1);
    expect(store.bars(0, Timeframe.M1, 1)[0]).toMatchObject({ close: 104_0000, final: false });
  });

  it('counts no tick late that falls in or before a second the job has finished, in whatever order they come', () => {
    const store = new CandleStore(1, KEEP);
    const start = barStart(T0, Timeframe.M1);
    store.add(0, start + 1_000_000, 100_0000, 5);
    store.putFinal(0, Timeframe.S1, finalBar(start + 5_000_000, 101_0000));
    store.add(0, start + 5_000_000, 102_0000, 5); // in the job's second
    store.add(0, start + 3_000_000, 103_0000, 5); // before it, after our own newest second
    store.add(0, start + 2_000_000, 104_0000, 5);
    expect(store.lateTicks).toBe(0);
    expect(store.bars(0, Timeframe.S1, 10).map((bar) => [bar.startTimeUs - start, bar.close, bar.final])).toEqual([
      [1_000_000, 100_0000, false],
      [5_000_000, 101_0000, true],
    ]);
    expect(store.bars(0, Timeframe.M1, 1)[0]).toMatchObject({ close: 104_0000, volume: 20, trades: 4 });
    store.add(0, start + 6_000_000, 105_0000, 5);
    store.add(0, start + 5_500_000, 106_0000, 5); // behind our own newest second: late
    expect(store.lateTicks).toBe(1);
  });

  it('loads history around bars already built from ticks, in time order, and keeps only the newest', () => {
    const store = new CandleStore(1, KEEP);
    const start = barStart(T0, Timeframe.M1);
    // Ticks first (the edge follows them while `candles` is still loading): minutes 100-104.
    for (let m = 100; m < 105; m++) store.add(0, start + m * MINUTE, 100_0000 + m, 1);
    // Then the job's history, oldest first, up to minute 103.
    for (let m = 0; m <= 103; m++) store.putFinal(0, Timeframe.M1, finalBar(start + m * MINUTE, 200_0000 + m));
    const bars = store.bars(0, Timeframe.M1, 1000);
    expect(bars.length).toBe(50);
    const minutes = bars.map((bar) => (bar.startTimeUs - start) / MINUTE);
    expect(minutes).toEqual(Array.from({ length: bars.length }, (_, i) => 105 - bars.length + i));
    expect(bars.slice(-2).map((bar) => [bar.close, bar.final])).toEqual([
      [200_0103, true],
      [100_0104, false],
    ]);
    // A bar older than everything kept is dropped, not inserted.
    store.putFinal(0, Timeframe.M1, finalBar(start, 1));
    expect(store.bars(0, Timeframe.M1, 1000)[0]?.startTimeUs).toBe(bars[0]?.startTimeUs);
    expect(store.between(0, Timeframe.M1, start + 60 * MINUTE, start + 63 * MINUTE, 10).map((b) => b.close)).toEqual([
      200_0060, 200_0061, 200_0062,
    ]);
  });

  it('refuses a bars-kept list that is not one count per timeframe', () => {
    expect(() => new CandleStore(1, [10, 10])).toThrow(RangeError);
  });
});

/**
 * The store as it was before minutes were gathered: every tick updates all seven timeframes at
 * once. What CandleStore must answer, read at any moment, whatever mix of ticks and job bars.
 */
class TickByTickCandles {
  private readonly series: BarSeries[];
  lateTicks = 0;

  constructor(symbols: number, keep: readonly number[]) {
    this.series = Array.from(
      { length: symbols * TIMEFRAME_COUNT },
      (_, i) => new BarSeries(keep[i % TIMEFRAME_COUNT] as number),
    );
  }

  private of(id: number, timeframe: number): BarSeries {
    return this.series[id * TIMEFRAME_COUNT + timeframe] as BarSeries;
  }

  add(id: number, timeUs: number, price: number, size: number): void {
    const tick = (tf: number) =>
      this.of(id, tf).fold(barStart(timeUs, tf as Timeframe), price, price, price, price, size, price * size, 1);
    if (tick(0) === TickFate.Late) {
      this.lateTicks++;
      return;
    }
    for (let tf = 1; tf < TIMEFRAME_COUNT; tf++) tick(tf);
  }

  putFinal(id: number, timeframe: Timeframe, bar: FinalBar): void {
    this.of(id, timeframe).putFinal(bar);
  }

  bars(id: number, timeframe: Timeframe): Bar[] {
    return this.of(id, timeframe).newest(10_000);
  }
}

type Step =
  | { kind: 'tick'; id: number; stepUs: number; price: number; size: number }
  | { kind: 'final'; id: number; timeframe: Timeframe; barsAhead: number; close: number }
  | { kind: 'read'; id: number; timeframe: Timeframe };

const timeframe = fc.integer({ min: 0, max: TIMEFRAME_COUNT - 1 }) as fc.Arbitrary<Timeframe>;
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record({
      kind: fc.constant('tick' as const),
      id: fc.integer({ min: 0, max: 2 }),
      // Mostly forward within the second or a few seconds on; sometimes back (late, or into a
      // second the job closed) or minutes and hours on.
      stepUs: fc.oneof(
        { weight: 6, arbitrary: fc.integer({ min: 0, max: 3_000_000 }) },
        { weight: 1, arbitrary: fc.integer({ min: -90_000_000, max: -1 }) },
        { weight: 1, arbitrary: fc.integer({ min: 50_000_000, max: 20_000_000_000 }) },
      ),
      price: fc.integer({ min: 1, max: 10_000_000 }),
      size: fc.integer({ min: 0, max: 100_000 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('final' as const),
      id: fc.integer({ min: 0, max: 2 }),
      timeframe,
      barsAhead: fc.integer({ min: -4, max: 2 }),
      close: fc.integer({ min: 1, max: 10_000_000 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('read' as const), id: fc.integer({ min: 0, max: 2 }), timeframe }),
  },
);

describe('CandleStore against tick-by-tick bars', () => {
  it('answers every read as a store updating all seven timeframes per tick, with job bars and late ticks mixed in', () => {
    // Few bars kept, so trimming and growth happen within a run.
    const keep = [6, 5, 4, 4, 3, 3, 3];
    fc.assert(
      fc.property(fc.array(step, { maxLength: 400 }), (steps) => {
        const store = new CandleStore(3, keep);
        const reference = new TickByTickCandles(3, keep);
        const clock = [T0, T0, T0];
        const all = (id: number, tf: Timeframe) => [store.bars(id, tf, 10_000), reference.bars(id, tf)];
        for (const s of steps) {
          if (s.kind === 'tick') {
            clock[s.id] = (clock[s.id] as number) + s.stepUs;
            store.add(s.id, clock[s.id] as number, s.price, s.size);
            reference.add(s.id, clock[s.id] as number, s.price, s.size);
          } else if (s.kind === 'final') {
            const length = [1e6, 60e6, 300e6, 900e6, 3600e6, 14_400e6, 86_400e6][s.timeframe] as number;
            const bar = finalBar(barStart(clock[s.id] as number, s.timeframe) + s.barsAhead * length, s.close);
            store.putFinal(s.id, s.timeframe, bar);
            reference.putFinal(s.id, s.timeframe, bar);
          } else {
            const [got, want] = all(s.id, s.timeframe);
            expect(got).toEqual(want);
          }
        }
        for (let id = 0; id < 3; id++)
          for (let tf = 0; tf < TIMEFRAME_COUNT; tf++) {
            const [got, want] = all(id, tf as Timeframe);
            expect(got).toEqual(want);
          }
        expect(store.lateTicks).toBe(reference.lateTicks);
      }),
      { numRuns: 500 },
    );
  });
});
