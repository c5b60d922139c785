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

// A symbol's pending ticks: those of its newest second not yet folded into its 1s bar, and
// those of its current minute not yet folded into 1m … 1d. One row of `pending` per symbol,
// the second's fields at SECOND, the minute's at MINUTE, each laid out as below.
const P_START = 0;
const P_OPEN = 1;
const P_HIGH = 2;
const P_LOW = 3;
const P_CLOSE = 4;
const P_VOLUME = 5;
const P_TURNOVER = 6;
/** 0: nothing pending. */
const P_TRADES = 7;
const SECOND = 0;
const MINUTE = 8;
const ROW = 16;
const SECOND_US = 1e6;
const MINUTE_US = 60e6;

/**
 * Bars of every symbol and timeframe (1s … 1d). Ticks build the newest bar of each; the
 * analytics job's finished bars (`candles`, with indicators) replace the ones built here and
 * fill in the history from before the edge started. A tick older than its symbol's newest 1s
 * bar is late: counted and folded into no bar, as the job does with ticks behind its watermark.
 *
 * A tick updates only its symbol's pending second and minute (one row of a typed array): a
 * second's ticks fall in one 1s bar, and since 1m … 1d are multiples of a minute, a minute's
 * ticks fall in one bar of each. They are folded into those bars together (BarSeries.fold) when
 * the next second or minute starts, or before anything reads or replaces the bars. A tick's
 * fate (applied, late, or in the job's final bar) is decided when it arrives, as before. The
 * bars are the ones a tick-by-tick update builds (candles.test.ts checks both ways on random
 * ticks and job bars), for the cost of a row update per tick instead of seven series updates
 * (docs/edge.md, "Candles").
 */
export class CandleStore {
  /** By id × TIMEFRAME_COUNT + timeframe; grown as symbols get bars (ids are dense from 0). */
  private readonly series: (BarSeries | undefined)[] = [];
  /** Ticks dropped as late (their second's bar had closed): `tickstream_edge_late_ticks_total`. */
  lateTicks = 0;
  /** Finished bars taken from the analytics job. */
  finalBars = 0;
  /** ROW per symbol id: its pending second and minute. Grown with the ids seen, up to capacity. */
  private pending = new Float64Array(0);

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
    const at = id * ROW;
    if (at >= this.pending.length) this.growPending(id);
    const p = this.pending;
    const second = Math.floor(timeUs / SECOND_US) * SECOND_US;
    if (p[at + SECOND + P_TRADES] !== 0 && p[at + SECOND + P_START] === second) gather(p, at + SECOND, price, size);
    else {
      // Older than the pending second, whose bar is built from ticks: late.
      if (p[at + SECOND + P_TRADES] !== 0 && second < (p[at + SECOND + P_START] as number)) {
        this.lateTicks++;
        return;
      }
      this.foldSecond(id);
      const fate = this.seriesOf(id, Timeframe.S1).fateOf(second);
      if (fate === TickFate.Late) {
        this.lateTicks++;
        return;
      }
      // A tick of a second the job has finished still counts in the coarser bars, as before.
      if (fate === TickFate.Applied) open(p, at + SECOND, second, price, size);
    }
    const minute = Math.floor(timeUs / MINUTE_US) * MINUTE_US;
    if (p[at + MINUTE + P_TRADES] !== 0) {
      if (p[at + MINUTE + P_START] === minute) {
        gather(p, at + MINUTE, price, size);
        return;
      }
      this.foldMinute(id);
    }
    open(p, at + MINUTE, minute, price, size);
  }

  /** Folds the symbol's pending second into its 1s bars. */
  private foldSecond(id: number): void {
    const p = this.pending;
    const at = id * ROW + SECOND;
    const trades = at < p.length ? (p[at + P_TRADES] as number) : 0;
    if (trades === 0) return;
    this.foldPending(id, Timeframe.S1, p[at + P_START] as number, at, trades);
    p[at + P_TRADES] = 0;
  }

  /** Folds the symbol's pending minute into its 1m … 1d bars. */
  private foldMinute(id: number): void {
    const p = this.pending;
    const at = id * ROW + MINUTE;
    const trades = at < p.length ? (p[at + P_TRADES] as number) : 0;
    if (trades === 0) return;
    const minute = p[at + P_START] as number;
    for (let tf = 1; tf < TIMEFRAME_COUNT; tf++) {
      const length = TIMEFRAME_US[tf] as number;
      this.foldPending(id, tf, Math.floor(minute / length) * length, at, trades);
    }
    p[at + P_TRADES] = 0;
  }

  /** Folds the pending bar at `at` into the symbol's `timeframe` bar starting at `start`. */
  private foldPending(id: number, timeframe: Timeframe, start: number, at: number, trades: number): void {
    const p = this.pending;
    this.seriesOf(id, timeframe).fold(
      start,
      p[at + P_OPEN] as number,
      p[at + P_HIGH] as number,
      p[at + P_LOW] as number,
      p[at + P_CLOSE] as number,
      p[at + P_VOLUME] as number,
      p[at + P_TURNOVER] as number,
      trades,
    );
  }

  /** Folds what is pending for `timeframe`: its ticks go in before the bars change or are read. */
  private foldFor(id: number, timeframe: Timeframe): void {
    if (timeframe === Timeframe.S1) this.foldSecond(id);
    else this.foldMinute(id);
  }

  private growPending(id: number): void {
    const grown = new Float64Array(Math.min(this.capacity, Math.max(64, (id + 1) * 2)) * ROW);
    grown.set(this.pending);
    this.pending = grown;
  }

  /** A finished bar from the analytics job. */
  putFinal(id: number, timeframe: Timeframe, bar: FinalBar): void {
    // The ticks before this bar arrived go first, as they would have tick by tick.
    this.foldFor(id, timeframe);
    this.seriesOf(id, timeframe).putFinal(bar);
    this.finalBars++;
  }

  /** The newest `limit` bars, oldest first. */
  bars(id: number, timeframe: Timeframe, limit: number): Bar[] {
    return this.settled(id, timeframe)?.newest(limit) ?? [];
  }

  /** The symbol's newest bar finished by the analytics job at `timeframe` (its indicators are the newest), of those that started before `beforeUs`. */
  newestFinal(id: number, timeframe: Timeframe, beforeUs = Number.POSITIVE_INFINITY): Bar | undefined {
    return this.settled(id, timeframe)?.newestFinal(beforeUs);
  }

  /** Bars that started in [fromUs, toUs), oldest first, at most the newest `limit` of them. */
  between(id: number, timeframe: Timeframe, fromUs: number, toUs: number, limit: number): Bar[] {
    return this.settled(id, timeframe)?.between(fromUs, toUs, limit) ?? [];
  }

  /** The series to read, with the symbol's pending ticks folded in first. */
  private settled(id: number, timeframe: Timeframe): BarSeries | undefined {
    this.foldFor(id, timeframe);
    return this.series[id * TIMEFRAME_COUNT + timeframe];
  }

  /** Bytes held by every series, for /metrics. */
  byteSize(): number {
    // Counted as a tick-by-tick store holds them: the pending ticks folded in.
    for (let id = 0; id * ROW < this.pending.length; id++) {
      this.foldSecond(id);
      this.foldMinute(id);
    }
    let total = 0;
    for (const series of this.series) if (series) total += series.byteSize;
    return total;
  }

  /** The most one symbol's bars can take, over every timeframe. */
  bytesPerSymbolAtMost(): number {
    return this.barsKept.reduce((sum, n) => sum + (n + Math.max(4, n >> 3)) * BYTES_PER_BAR, 0);
  }
}

/** A tick into the pending bar at `at`. */
function gather(p: Float64Array, at: number, price: number, size: number): void {
  if (price > (p[at + P_HIGH] as number)) p[at + P_HIGH] = price;
  if (price < (p[at + P_LOW] as number)) p[at + P_LOW] = price;
  p[at + P_CLOSE] = price;
  p[at + P_VOLUME] = (p[at + P_VOLUME] as number) + size;
  p[at + P_TURNOVER] = (p[at + P_TURNOVER] as number) + price * size;
  p[at + P_TRADES] = (p[at + P_TRADES] as number) + 1;
}

/** A pending bar at `at` opened by one tick. */
function open(p: Float64Array, at: number, start: number, price: number, size: number): void {
  p[at + P_START] = start;
  p[at + P_OPEN] = price;
  p[at + P_HIGH] = price;
  p[at + P_LOW] = price;
  p[at + P_CLOSE] = price;
  p[at + P_VOLUME] = size;
  p[at + P_TURNOVER] = price * size;
  p[at + P_TRADES] = 1;
}
