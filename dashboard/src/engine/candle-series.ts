import { BAR_WIDTH } from './feed-protocol.js';

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
}

/** /api/candles JSON: indicators are null where the job has none yet. */
type BarJson = { [K in keyof Bar]: Bar[K] | null };

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

  /** Bars from /api/candles (null indicators become NaN). */
  mergeJson(bars: Iterable<BarJson>): void {
    this.merge(
      [...bars].map((json) => {
        const bar = { ...json } as Bar;
        for (const name of INDICATORS) if (json[name] === null) bar[name] = Number.NaN;
        return bar;
      }),
    );
  }

  mergePacked(packed: Float64Array): void {
    const bars: Bar[] = [];
    for (let o = 0; o + BAR_WIDTH <= packed.length; o += BAR_WIDTH) {
      const bar: Bar = {
        startTimeUs: packed[o] as number,
        open: packed[o + 1] as number,
        high: packed[o + 2] as number,
        low: packed[o + 3] as number,
        close: packed[o + 4] as number,
        volume: packed[o + 5] as number,
      };
      if (!Number.isNaN(packed[o + 6] as number)) {
        bar.vwap = packed[o + 6] as number;
        bar.trades = packed[o + 7] as number;
        bar.final = packed[o + 8] === 1;
        for (const [k, name] of INDICATORS.entries()) bar[name] = packed[o + 9 + k] as number;
      }
      bars.push(bar);
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
