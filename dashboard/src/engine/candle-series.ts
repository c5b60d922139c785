import { BAR, SERIES_WIDTH } from './feed-protocol.js';

export const TIMEFRAMES = ['1s', '1m', '5m', '15m', '1h', '4h', '1d'] as const;
export type TimeframeName = (typeof TIMEFRAMES)[number];
/** The protocol's Timeframe numbers (docs/protocol.md, Candles). */
export const timeframeNumber = (name: TimeframeName): number => TIMEFRAMES.indexOf(name);
/** Bar length of each timeframe, µs. */
export const TIMEFRAME_US: Readonly<Record<TimeframeName, number>> = {
  '1s': 1e6,
  '1m': 60e6,
  '5m': 300e6,
  '15m': 900e6,
  '1h': 3600e6,
  '4h': 14_400e6,
  '1d': 86_400e6,
};

export interface Bar {
  startTimeUs: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  /** From an edge of protocol 2 (absent from an older one). VWAP of the bar × 10,000. */
  vwap?: number;
  trades?: number;
  /** Written by the analytics job: finished, with indicators. */
  final?: boolean;
  /** The job's indicators as of the bar's close; NaN (null in /api/candles) until it has enough bars. */
  sma20?: number;
  sma50?: number;
  ema20?: number;
  ema50?: number;
  volatility20?: number;
  relativeVolume?: number;
  priceVolumeCorrelation?: number;
  /** Mean and standard deviation of the last 20 closes (the decode worker's; NaN before 20 bars): Bollinger bands. */
  mean20?: number;
  stdev20?: number;
}

const INDICATORS = [
  'sma20',
  'sma50',
  'ema20',
  'ema50',
  'volatility20',
  'relativeVolume',
  'priceVolumeCorrelation',
] as const;

/**
 * One symbol's bars in one timeframe, oldest first, as the decode worker's SeriesStore hands
 * them over: the history from /api/candles, then the bars that changed, which replace the bar
 * with the same start time or are put in order.
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

  /** Bars of a series report (SERIES_WIDTH values each); `reset`: they are the whole series. */
  mergePacked(packed: Float64Array, reset = false): void {
    const bars: Bar[] = [];
    for (let o = 0; o + SERIES_WIDTH <= packed.length; o += SERIES_WIDTH) {
      const bar: Bar = {
        startTimeUs: packed[o + BAR.start] as number,
        open: packed[o + BAR.open] as number,
        high: packed[o + BAR.high] as number,
        low: packed[o + BAR.low] as number,
        close: packed[o + BAR.close] as number,
        volume: packed[o + BAR.volume] as number,
        mean20: packed[o + BAR.mean20] as number,
        stdev20: packed[o + BAR.stdev20] as number,
      };
      if (!Number.isNaN(packed[o + BAR.vwap] as number)) {
        bar.vwap = packed[o + BAR.vwap] as number;
        bar.trades = packed[o + BAR.trades] as number;
        bar.final = packed[o + BAR.final] === 1;
        for (const name of INDICATORS) bar[name] = packed[o + BAR[name]] as number;
      }
      bars.push(bar);
    }
    if (reset) this.bars.length = 0;
    this.merge(bars);
  }

  /** Index of the first bar starting at or after `timeUs`. */
  indexAt(timeUs: number): number {
    let lo = 0;
    let hi = this.bars.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.bars[mid] as Bar).startTimeUs < timeUs) lo = mid + 1;
      else hi = mid;
    }
    return lo;
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
