/** A bar as the edge serves it: OHLCV, VWAP and trades, and the analytics job's indicators. */
export interface Bar {
  startTimeUs: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  /** Volume-weighted average price × 10,000 (of the ticks so far, for a bar built here). */
  vwap: number;
  trades: number;
  /** Written by the analytics job (`candles`): final, indicators as of its close. Otherwise built here from ticks. */
  final: boolean;
  /** NaN until the job has enough bars, and always NaN on a bar built here. */
  sma20: number;
  sma50: number;
  ema20: number;
  ema50: number;
  volatility20: number;
  relativeVolume: number;
  priceVolumeCorrelation: number;
}

/** A finished bar from the `candles` topic: everything but `final`, which it is by definition. */
export type FinalBar = Omit<Bar, 'final'>;

// Fields of a bar, side by side in one Float64Array (a tick touches one cache line), and its
// seven indicators in a Float32Array (what a chart needs of them; halves their memory).
const START = 0;
const OPEN = 1;
const HIGH = 2;
const LOW = 3;
const CLOSE = 4;
const VOLUME = 5;
/** Σ price × size: VWAP = turnover / volume. A final bar stores vwap × volume. */
const TURNOVER = 6;
const TRADES = 7;
const FINAL = 8;
const FIELDS = 9;
const INDICATORS = 7;
/** Bytes one bar takes at full capacity. */
export const BYTES_PER_BAR = FIELDS * 8 + INDICATORS * 4;

const FIRST_CAPACITY = 8;

/** What happened to a tick offered to a series. */
export const TickFate = {
  /** Folded into the newest bar, or opened a new one. */
  Applied: 0,
  /** Its bar is older than the newest one built from ticks: closed, so it changes nothing (counted as late). */
  Late: 1,
  /** Its bar is already the analytics job's final bar (or older than one), which has it or counted it late itself. */
  Final: 2,
} as const;
export type TickFate = (typeof TickFate)[keyof typeof TickFate];

/**
 * One symbol's bars of one timeframe, sorted by start time, in arrays that start small and
 * grow up to `maxBars` plus a little slack: memory follows the history actually held. When
 * full, the oldest bars are dropped a slack at a time (one copy per `slack` new bars).
 *
 * Bars come from two places: ticks build the newest bar (and open the next one), and the
 * analytics job's finished bars (`candles`) replace the bar with the same start, or are
 * inserted in order where there was none (history loaded while ticks already arrive). A bar
 * the job has written is final: ticks never change it again.
 */
export class BarSeries {
  private values = new Float64Array(FIRST_CAPACITY * FIELDS);
  private indicators = new Float32Array(FIRST_CAPACITY * INDICATORS);
  private capacity = FIRST_CAPACITY;
  private readonly slack: number;
  count = 0;

  constructor(private readonly maxBars: number) {
    this.slack = Math.max(4, maxBars >> 3);
  }

  get byteSize(): number {
    return this.values.byteLength + this.indicators.byteLength;
  }

  /** Start of the newest bar; -Infinity when empty. */
  get newestStart(): number {
    return this.count === 0 ? Number.NEGATIVE_INFINITY : (this.values[(this.count - 1) * FIELDS + START] as number);
  }

  /** What fold() would do with a tick of the bar starting at `start`, changing nothing. */
  fateOf(start: number): TickFate {
    const newest = this.count - 1;
    if (newest < 0) return TickFate.Applied;
    const at = newest * FIELDS;
    const newestStart = this.values[at + START] as number;
    const final = this.values[at + FINAL] === 1;
    // Older than the newest bar: late, unless the job's bars are ahead of our ticks (history
    // loading, or an edge behind in `ticks`): then the job has this tick in a final bar.
    if (start < newestStart) return final ? TickFate.Final : TickFate.Late;
    return start === newestStart && final ? TickFate.Final : TickFate.Applied;
  }

  /**
   * Folds ticks already gathered into one bar's worth (open, high, low, close, volume, Σ price ×
   * size, count, all within the bar starting at `start`) as if they came one by one: the first
   * decides the fate, and the rest follow it, since they share its bar. CandleStore gathers a
   * second's and a minute's ticks per symbol and folds them in once, not per tick.
   */
  fold(
    start: number,
    open: number,
    high: number,
    low: number,
    close: number,
    volume: number,
    turnover: number,
    trades: number,
  ): TickFate {
    const v = this.values;
    const newest = this.count - 1;
    if (newest >= 0) {
      const at = newest * FIELDS;
      const newestStart = v[at + START] as number;
      // Older than the newest bar: late, unless the job's bars are ahead of our ticks (history
      // loading, or an edge behind in `ticks`): then the job has this tick in a final bar.
      if (start < newestStart) return v[at + FINAL] === 1 ? TickFate.Final : TickFate.Late;
      if (start === newestStart) {
        if (v[at + FINAL] === 1) return TickFate.Final;
        if (high > (v[at + HIGH] as number)) v[at + HIGH] = high;
        if (low < (v[at + LOW] as number)) v[at + LOW] = low;
        v[at + CLOSE] = close;
        v[at + VOLUME] = (v[at + VOLUME] as number) + volume;
        v[at + TURNOVER] = (v[at + TURNOVER] as number) + turnover;
        v[at + TRADES] = (v[at + TRADES] as number) + trades;
        return TickFate.Applied;
      }
    }
    const index = this.makeRoom(this.count);
    const at = index * FIELDS;
    const to = this.values;
    to[at + START] = start;
    to[at + OPEN] = open;
    to[at + HIGH] = high;
    to[at + LOW] = low;
    to[at + CLOSE] = close;
    to[at + VOLUME] = volume;
    to[at + TURNOVER] = turnover;
    to[at + TRADES] = trades;
    to[at + FINAL] = 0;
    this.indicators.fill(Number.NaN, index * INDICATORS, (index + 1) * INDICATORS);
    return TickFate.Applied;
  }

  /** The job's bar for `bar.startTimeUs`: replaces the bar there, or goes in its place in time. */
  putFinal(bar: FinalBar): void {
    let index = this.indexOf(bar.startTimeUs);
    if (index < 0) {
      // Older than every bar, with the series already holding all it keeps: not worth a slot.
      if (index === -1 && this.count >= this.maxBars) return;
      index = this.makeRoom(-index - 1);
      if (index < 0) return; // older than everything kept
    }
    const at = index * FIELDS;
    const v = this.values;
    v[at + START] = bar.startTimeUs;
    v[at + OPEN] = bar.open;
    v[at + HIGH] = bar.high;
    v[at + LOW] = bar.low;
    v[at + CLOSE] = bar.close;
    v[at + VOLUME] = bar.volume;
    v[at + TURNOVER] = bar.vwap * bar.volume;
    v[at + TRADES] = bar.trades;
    v[at + FINAL] = 1;
    const i = index * INDICATORS;
    const indicators = this.indicators;
    indicators[i] = bar.sma20;
    indicators[i + 1] = bar.sma50;
    indicators[i + 2] = bar.ema20;
    indicators[i + 3] = bar.ema50;
    indicators[i + 4] = bar.volatility20;
    indicators[i + 5] = bar.relativeVolume;
    indicators[i + 6] = bar.priceVolumeCorrelation;
  }

  /** The newest `limit` bars (at most `maxBars`: the slack is not served), oldest first. */
  newest(limit: number): Bar[] {
    const n = Math.min(limit, this.count, this.maxBars);
    const bars: Bar[] = [];
    for (let index = this.count - n; index < this.count; index++) bars.push(this.bar(index));
    return bars;
  }

  /** The newest bar the analytics job finished (usually the one before the open bar) that started before `beforeUs`, if any. */
  newestFinal(beforeUs = Number.POSITIVE_INFINITY): Bar | undefined {
    for (let index = this.lowerBound(beforeUs) - 1; index >= Math.max(0, this.count - this.maxBars); index--)
      if (this.values[index * FIELDS + FINAL] === 1) return this.bar(index);
    return undefined;
  }

  /** Bars that started in [fromUs, toUs), oldest first, at most `limit` (the newest of them). */
  between(fromUs: number, toUs: number, limit: number): Bar[] {
    const from = Math.max(this.lowerBound(fromUs), this.count - this.maxBars);
    const to = this.lowerBound(toUs);
    const bars: Bar[] = [];
    for (let index = Math.max(from, to - limit); index < to; index++) bars.push(this.bar(index));
    return bars;
  }

  private bar(index: number): Bar {
    const v = this.values;
    const at = index * FIELDS;
    const i = index * INDICATORS;
    const indicators = this.indicators;
    const volume = v[at + VOLUME] as number;
    return {
      startTimeUs: v[at + START] as number,
      open: v[at + OPEN] as number,
      high: v[at + HIGH] as number,
      low: v[at + LOW] as number,
      close: v[at + CLOSE] as number,
      volume,
      vwap: volume > 0 ? Math.round((v[at + TURNOVER] as number) / volume) : (v[at + CLOSE] as number),
      trades: v[at + TRADES] as number,
      final: v[at + FINAL] === 1,
      sma20: indicators[i] as number,
      sma50: indicators[i + 1] as number,
      ema20: indicators[i + 2] as number,
      ema50: indicators[i + 3] as number,
      volatility20: indicators[i + 4] as number,
      relativeVolume: indicators[i + 5] as number,
      priceVolumeCorrelation: indicators[i + 6] as number,
    };
  }

  /** Index of the bar starting at `start`, or −(insertion point) − 1. */
  private indexOf(start: number): number {
    // Almost always the newest or the one before it (the job's bar for the minute just closed).
    for (let index = this.count - 1; index >= Math.max(0, this.count - 2); index--) {
      const at = this.values[index * FIELDS + START] as number;
      if (at === start) return index;
      if (at < start) return -(index + 1) - 1;
    }
    const found = this.lowerBound(start);
    return found < this.count && this.values[found * FIELDS + START] === start ? found : -found - 1;
  }

  /** First index whose start is ≥ `start`. */
  private lowerBound(start: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.values[mid * FIELDS + START] as number) < start) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Opens a slot at `index` (bars from there move one on) and returns where it ended up after
   * any growth or trimming; -1 when the slot would be older than everything kept.
   */
  private makeRoom(index: number): number {
    const limit = this.maxBars + this.slack;
    if (this.count === this.capacity) {
      if (this.capacity < limit) this.grow(Math.min(this.capacity * 2, limit));
      else {
        // Full: drop the oldest `slack` bars at once.
        const drop = this.slack;
        this.values.copyWithin(0, drop * FIELDS, this.count * FIELDS);
        this.indicators.copyWithin(0, drop * INDICATORS, this.count * INDICATORS);
        this.count -= drop;
        index -= drop;
        if (index < 0) return -1;
      }
    }
    if (index < this.count) {
      this.values.copyWithin((index + 1) * FIELDS, index * FIELDS, this.count * FIELDS);
      this.indicators.copyWithin((index + 1) * INDICATORS, index * INDICATORS, this.count * INDICATORS);
    }
    this.count++;
    return index;
  }

  private grow(capacity: number): void {
    const values = new Float64Array(capacity * FIELDS);
    values.set(this.values.subarray(0, this.count * FIELDS));
    const indicators = new Float32Array(capacity * INDICATORS);
    indicators.set(this.indicators.subarray(0, this.count * INDICATORS));
    this.values = values;
    this.indicators = indicators;
    this.capacity = capacity;
  }
}
