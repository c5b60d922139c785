import { BAR, SERIES_WIDTH } from './feed-protocol.js';

/** Bars in a Bollinger band's window. */
export const BAND_BARS = 20;

/**
 * One series' bars in a growable Float64Array, SERIES_WIDTH values each, sorted by start time:
 * what the worker keeps of a chart. A bar with a known start replaces it; live bars land at the
 * end, so the common case is an append or a replace of the last bar. Keeps each bar's mean and
 * standard deviation of the last 20 closes (Bollinger bands) up to date as bars change.
 */
export class PackedBars {
  data = new Float64Array(64 * SERIES_WIDTH);
  count = 0;

  /** Start time of bar `i`. */
  start(i: number): number {
    return this.data[i * SERIES_WIDTH + BAR.start] as number;
  }

  /** A copy of every bar, for a transfer. */
  all(): Float64Array {
    return this.data.slice(0, this.count * SERIES_WIDTH);
  }

  /** A copy of bars from index `from` to the end. */
  from(from: number): Float64Array {
    return this.data.slice(from * SERIES_WIDTH, this.count * SERIES_WIDTH);
  }

  clear(): void {
    this.count = 0;
  }

  /**
   * Puts bars (`width` values each, the first BAR fields in BAR order: a Candles frame's 16 or a
   * series' 18) in place by start time and brings the bands up to date. Returns the index of the
   * first bar that changed (bands included), or `count` when none did.
   */
  merge(bars: Float64Array, width: number): number {
    let firstChanged = this.count;
    for (let o = 0; o + width <= bars.length; o += width) {
      const at = this.put(bars, o, width);
      if (at < firstChanged) firstChanged = at;
    }
    this.updateBands(firstChanged);
    return firstChanged;
  }

  /** Index of the first bar that starts at or after `timeUs`. */
  indexAt(timeUs: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.start(mid) < timeUs) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private put(source: Float64Array, offset: number, width: number): number {
    const start = source[offset + BAR.start] as number;
    const at = this.count > 0 && start > this.start(this.count - 1) ? this.count : this.indexAt(start);
    if (at >= this.count || this.start(at) !== start) {
      this.ensure(this.count + 1);
      this.data.copyWithin((at + 1) * SERIES_WIDTH, at * SERIES_WIDTH, this.count * SERIES_WIDTH);
      this.count++;
    }
    const o = at * SERIES_WIDTH;
    const copied = Math.min(width, BAR.mean20);
    this.data.set(source.subarray(offset, offset + copied), o);
    // A frame's bar may lack the protocol-2 fields: NaN, as everywhere a figure is missing.
    this.data.fill(Number.NaN, o + copied, o + SERIES_WIDTH);
    return at;
  }

  private ensure(count: number): void {
    if (count * SERIES_WIDTH <= this.data.length) return;
    const grown = new Float64Array(Math.max(count, this.count * 2) * SERIES_WIDTH);
    grown.set(this.data.subarray(0, this.count * SERIES_WIDTH));
    this.data = grown;
  }

  /**
   * Mean and population standard deviation of the 20 closes ending at each bar from `from` on
   * (NaN before 20 bars): a bar's band depends on the 19 before it, so a change at `from`
   * moves the bands of every later bar whose window holds it.
   */
  private updateBands(from: number): void {
    const d = this.data;
    for (let i = from; i < this.count; i++) {
      const o = i * SERIES_WIDTH;
      if (i + 1 < BAND_BARS) {
        d[o + BAR.mean20] = Number.NaN;
        d[o + BAR.stdev20] = Number.NaN;
        continue;
      }
      let sum = 0;
      for (let k = i - BAND_BARS + 1; k <= i; k++) sum += d[k * SERIES_WIDTH + BAR.close] as number;
      const mean = sum / BAND_BARS;
      let squares = 0;
      for (let k = i - BAND_BARS + 1; k <= i; k++) {
        const deviation = (d[k * SERIES_WIDTH + BAR.close] as number) - mean;
        squares += deviation * deviation;
      }
      d[o + BAR.mean20] = mean;
      d[o + BAR.stdev20] = Math.sqrt(squares / BAND_BARS);
    }
  }

  /**
   * Volume at price over the bars that start in [fromUs, toUs): each bar's volume spread evenly
   * over the bins its low-high range covers (a bar's trades are not known by price; its range
   * is). `bins` bins between the lowest low and the highest high.
   */
  volumeProfile(fromUs: number, toUs: number, bins: number): { low: number; high: number; volumes: Float64Array } {
    const volumes = new Float64Array(bins);
    const first = this.indexAt(fromUs);
    const end = this.indexAt(toUs);
    const d = this.data;
    let low = Number.POSITIVE_INFINITY;
    let high = Number.NEGATIVE_INFINITY;
    for (let i = first; i < end; i++) {
      low = Math.min(low, d[i * SERIES_WIDTH + BAR.low] as number);
      high = Math.max(high, d[i * SERIES_WIDTH + BAR.high] as number);
    }
    if (!(high >= low) || bins < 1) return { low: 0, high: 0, volumes };
    const step = (high - low) / bins || 1;
    for (let i = first; i < end; i++) {
      const o = i * SERIES_WIDTH;
      const volume = d[o + BAR.volume] as number;
      if (!(volume > 0)) continue;
      const from = Math.min(bins - 1, Math.floor(((d[o + BAR.low] as number) - low) / step));
      const to = Math.min(bins - 1, Math.floor(((d[o + BAR.high] as number) - low) / step));
      const share = volume / (to - from + 1);
      for (let k = from; k <= to; k++) volumes[k] = (volumes[k] as number) + share;
    }
    return { low, high, volumes };
  }
}
