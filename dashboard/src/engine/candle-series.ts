import { BAR_WIDTH } from './feed-protocol.js';

export const TIMEFRAMES = ['1s', '1m', '5m', '15m', '1h', '4h', '1d'] as const;
export type TimeframeName = (typeof TIMEFRAMES)[number];
/** The protocol's Timeframe numbers (docs/protocol.md, Candles). */
export const timeframeNumber = (name: TimeframeName): number => TIMEFRAMES.indexOf(name);

export interface Bar {
  startTimeUs: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/**
 * One symbol's bars in one timeframe, oldest first: the history from /api/candles, then the
 * live Candles frames, which replace the bar with the same start time or append a new one.
 */
export class CandleSeries {
  readonly bars: Bar[] = [];
  version = 0;

  constructor(
    readonly symbol: string,
    readonly timeframe: TimeframeName,
  ) {}

  merge(bars: Iterable<Bar>): void {
    for (const bar of bars) this.put(bar);
    this.version++;
  }

  mergePacked(packed: Float64Array): void {
    const bars: Bar[] = [];
    for (let o = 0; o + BAR_WIDTH <= packed.length; o += BAR_WIDTH) {
      bars.push({
        startTimeUs: packed[o] as number,
        open: packed[o + 1] as number,
        high: packed[o + 2] as number,
        low: packed[o + 3] as number,
        close: packed[o + 4] as number,
        volume: packed[o + 5] as number,
      });
    }
    this.merge(bars);
  }

  private put(bar: Bar): void {
    const bars = this.bars;
    const last = bars[bars.length - 1];
    if (last === undefined || bar.startTimeUs > last.startTimeUs) {
      bars.push(bar);
      return;
    }
    let lo = 0;
    let hi = bars.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((bars[mid] as Bar).startTimeUs < bar.startTimeUs) lo = mid + 1;
      else hi = mid;
    }
    if (bars[lo]?.startTimeUs === bar.startTimeUs) bars[lo] = bar;
    else bars.splice(lo, 0, bar);
  }
}
