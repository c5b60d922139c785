import { type CandleFields, Timeframe } from '@tickstream/schemas';

/** Bar length of each timeframe, in µs, indexed by Timeframe. */
export const TIMEFRAME_US = [1e6, 60e6, 300e6, 900e6, 3600e6, 14_400e6, 86_400e6] as const;
export const TIMEFRAME_NAMES = ['1s', '1m', '5m', '15m', '1h', '4h', '1d'] as const;
export const TIMEFRAME_COUNT = TIMEFRAME_US.length;

/** Bars align to exchange midnight (UTC−5), so 4h and 1d bars start where a trader expects. */
const EXCHANGE_OFFSET_US = -5 * 3_600_000_000;
const FIRST_CAPACITY = 8;

export function parseTimeframe(name: string): Timeframe | undefined {
  const index = (TIMEFRAME_NAMES as readonly string[]).indexOf(name);
  return index < 0 ? undefined : (index as Timeframe);
}

export function barStart(timeUs: number, timeframe: Timeframe): number {
  const length = TIMEFRAME_US[timeframe];
  return Math.floor((timeUs + EXCHANGE_OFFSET_US) / length) * length - EXCHANGE_OFFSET_US;
}

/**
 * One symbol's bars of one timeframe in a ring buffer that starts small and doubles up to
 * `maxBars`, so memory follows the history actually seen rather than the worst case.
 */
class CandleRing {
  private start = new Float64Array(FIRST_CAPACITY);
  private open = new Float64Array(FIRST_CAPACITY);
  private high = new Float64Array(FIRST_CAPACITY);
  private low = new Float64Array(FIRST_CAPACITY);
  private close = new Float64Array(FIRST_CAPACITY);
  private volume = new Float64Array(FIRST_CAPACITY);
  /** Index of the newest bar. */
  private head = -1;
  count = 0;

  constructor(private readonly maxBars: number) {}

  get byteSize(): number {
    return this.start.length * 48;
  }

  add(start: number, price: number, size: number): void {
    const head = this.head;
    if (head >= 0 && this.start[head] === start) {
      if (price > (this.high[head] as number)) this.high[head] = price;
      if (price < (this.low[head] as number)) this.low[head] = price;
      this.close[head] = price;
      this.volume[head] = (this.volume[head] as number) + size;
      return;
    }
    // A tick older than the newest bar (replayed or late) does not rewrite closed bars.
    if (head >= 0 && start < (this.start[head] as number)) return;
    if (this.count === this.start.length && this.count < this.maxBars) this.grow();
    const next = (head + 1) % this.start.length;
    this.start[next] = start;
    this.open[next] = price;
    this.high[next] = price;
    this.low[next] = price;
    this.close[next] = price;
    this.volume[next] = size;
    this.head = next;
    if (this.count < this.start.length) this.count++;
  }

  private grow(): void {
    const capacity = Math.min(this.start.length * 2, this.maxBars);
    const reorder = (from: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> => {
      const to = new Float64Array(capacity);
      // Oldest first: the bars after head (if the ring wrapped), then up to head.
      const oldest = (this.head + 1) % from.length;
      to.set(from.subarray(oldest), 0);
      to.set(from.subarray(0, oldest), from.length - oldest);
      return to;
    };
    this.start = reorder(this.start);
    this.open = reorder(this.open);
    this.high = reorder(this.high);
    this.low = reorder(this.low);
    this.close = reorder(this.close);
    this.volume = reorder(this.volume);
    this.head = this.count - 1;
  }

  /** The newest `limit` bars, oldest first. */
  newest(limit: number): CandleFields[] {
    const n = Math.min(limit, this.count);
    const bars: CandleFields[] = [];
    const length = this.start.length;
    for (let k = n - 1; k >= 0; k--) {
      const i = (this.head - k + length) % length;
      bars.push({
        startTimeUs: this.start[i] as number,
        open: this.open[i] as number,
        high: this.high[i] as number,
        low: this.low[i] as number,
        close: this.close[i] as number,
        volume: this.volume[i] as number,
      });
    }
    return bars;
  }
}

/** OHLCV bars for every symbol and timeframe (1s … 1d), each ring bounded by `maxBars`. */
export class CandleStore {
  private readonly rings: (CandleRing | undefined)[];

  constructor(
    capacity: number,
    private readonly maxBars: number,
  ) {
    this.rings = new Array<CandleRing | undefined>(capacity * TIMEFRAME_COUNT);
  }

  add(id: number, timeUs: number, price: number, size: number): void {
    const base = id * TIMEFRAME_COUNT;
    for (let tf = 0; tf < TIMEFRAME_COUNT; tf++) {
      let ring = this.rings[base + tf];
      if (ring === undefined) {
        ring = new CandleRing(this.maxBars);
        this.rings[base + tf] = ring;
      }
      const length = TIMEFRAME_US[tf] as number;
      ring.add(Math.floor((timeUs + EXCHANGE_OFFSET_US) / length) * length - EXCHANGE_OFFSET_US, price, size);
    }
  }

  bars(id: number, timeframe: Timeframe, limit: number): CandleFields[] {
    return this.rings[id * TIMEFRAME_COUNT + timeframe]?.newest(limit) ?? [];
  }

  /** Bytes held by every ring, for /metrics. */
  byteSize(): number {
    let total = 0;
    for (const ring of this.rings) if (ring) total += ring.byteSize;
    return total;
  }
}

export { Timeframe };
