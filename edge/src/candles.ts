import { Timeframe } from '@tickstream/schemas';
import { type Bar, BarSeries, BYTES_PER_BAR, type FinalBar, TickFate } from './bar-series.js';

/** Bar length of each timeframe, in µs, indexed by Timeframe. */
export const TIMEFRAME_US = [1e6, 60e6, 300e6, 900e6, 3600e6, 14_400e6, 86_400e6] as const;
export const TIMEFRAME_NAMES = ['1s', '1m', '5m', '15m', '1h', '4h', '1d'] as const;
export const TIMEFRAME_COUNT = TIMEFRAME_US.length;

/**
 * Bars an edge keeps per symbol, by timeframe: 15 min of 1s, a day of 1m, 2 days of 5m, 5 of
 * 15m, 2 weeks of 1h, a month of 4h, a year of 1d. At most 4,677 bars of 100 bytes (+1/8 slack)
 * per symbol: ~0.5 MB, ~260 MB for 500 symbols once a year of history is loaded; a day of it
 * costs ~150 MB (docs/edge.md, "Candles"). `--candle-bars` changes them.
 */
export const DEFAULT_BARS_KEPT: readonly number[] = [900, 1440, 576, 480, 336, 180, 365];

export function parseTimeframe(name: string): Timeframe | undefined {
  const index = (TIMEFRAME_NAMES as readonly string[]).indexOf(name);
  return index < 0 ? undefined : (index as Timeframe);
}

/**
 * Start of the bar `timeUs` falls in: aligned to the Unix epoch (UTC days for 1d), as the
 * analytics job's windows are (CandleBar.start_time_us, schemas/fbs/analytics.fbs), so the bar
 * the edge builds from ticks and the job's finished bar for it share a start time.
 */
export function barStart(timeUs: number, timeframe: Timeframe): number {
  const length = TIMEFRAME_US[timeframe];
  return Math.floor(timeUs / length) * length;
}

export { type Bar, type FinalBar, Timeframe };

/**
 * Bars of every symbol and timeframe (1s … 1d). Ticks build the newest bar of each; the
 * analytics job's finished bars (`candles`, with indicators) replace the ones built here and
 * fill in the history from before the edge started. A tick older than its symbol's newest 1s
 * bar is late: counted and folded into no bar, as the job does with ticks behind its watermark.
 */
export class CandleStore {
  /** By id × TIMEFRAME_COUNT + timeframe; grown as symbols get bars (ids are dense from 0). */
  private readonly series: (BarSeries | undefined)[] = [];
  /** Ticks dropped as late (their second's bar had closed): `tickstream_edge_late_ticks_total`. */
  lateTicks = 0;
  /** Finished bars taken from the analytics job. */
  finalBars = 0;

  constructor(
    private readonly capacity: number,
    readonly barsKept: readonly number[] = DEFAULT_BARS_KEPT,
  ) {
    if (barsKept.length !== TIMEFRAME_COUNT || barsKept.some((n) => !Number.isInteger(n) || n < 2))
      throw new RangeError(`bars kept must be ${TIMEFRAME_COUNT} integers ≥ 2, one per timeframe`);
  }

  private seriesOf(id: number, timeframe: number): BarSeries {
    if (!(id < this.capacity)) throw new RangeError(`symbol id ${id} is beyond the ${this.capacity} symbols kept`);
    const index = id * TIMEFRAME_COUNT + timeframe;
    // Grown by push, not sized up front: every replay builds a store at each seek, and filling
    // capacity × timeframes slots (not `new Array(n)`, which V8 keeps as a slow dictionary when
    // large) took tens of ms of the main thread each time.
    while (this.series.length <= index) this.series.push(undefined);
    let series = this.series[index];
    if (series === undefined) {
      series = new BarSeries(this.barsKept[timeframe] as number);
      this.series[index] = series;
    }
    return series;
  }

  add(id: number, timeUs: number, price: number, size: number): void {
    const seconds = this.seriesOf(id, 0).tick(Math.floor(timeUs / 1e6) * 1e6, price, size);
    if (seconds === TickFate.Late) {
      this.lateTicks++;
      return;
    }
    for (let tf = 1; tf < TIMEFRAME_COUNT; tf++) {
      const length = TIMEFRAME_US[tf] as number;
      this.seriesOf(id, tf).tick(Math.floor(timeUs / length) * length, price, size);
    }
  }

  /** A finished bar from the analytics job. */
  putFinal(id: number, timeframe: Timeframe, bar: FinalBar): void {
    this.seriesOf(id, timeframe).putFinal(bar);
    this.finalBars++;
  }

  /** The newest `limit` bars, oldest first. */
  bars(id: number, timeframe: Timeframe, limit: number): Bar[] {
    return this.series[id * TIMEFRAME_COUNT + timeframe]?.newest(limit) ?? [];
  }

  /** The symbol's newest bar finished by the analytics job at `timeframe` (its indicators are the newest), of those that started before `beforeUs`. */
  newestFinal(id: number, timeframe: Timeframe, beforeUs = Number.POSITIVE_INFINITY): Bar | undefined {
    return this.series[id * TIMEFRAME_COUNT + timeframe]?.newestFinal(beforeUs);
  }

  /** Bars that started in [fromUs, toUs), oldest first, at most the newest `limit` of them. */
  between(id: number, timeframe: Timeframe, fromUs: number, toUs: number, limit: number): Bar[] {
    return this.series[id * TIMEFRAME_COUNT + timeframe]?.between(fromUs, toUs, limit) ?? [];
  }

  /** Bytes held by every series, for /metrics. */
  byteSize(): number {
    let total = 0;
    for (const series of this.series) if (series) total += series.byteSize;
    return total;
  }

  /** The most one symbol's bars can take, over every timeframe. */
  bytesPerSymbolAtMost(): number {
    return this.barsKept.reduce((sum, n) => sum + (n + Math.max(4, n >> 3)) * BYTES_PER_BAR, 0);
  }
}
