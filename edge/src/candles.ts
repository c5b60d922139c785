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

/** Fields of a bar, interleaved: a tick touches one cache line per ring, not one per field. */
const START = 0;
const OPEN = 1;
const HIGH = 2;
const LOW = 3;
const CLOSE = 4;
const VOLUME = 5;
const FIELDS = 6;

/**
 * One symbol's bars of one timeframe in a ring buffer that starts small and doubles up to
 * `maxBars`, so memory follows the history actually seen rather than the worst case.
 */
class CandleRing {
  private bars = new Float64Array(FIRST_CAPACITY * FIELDS);
  private capacity = FIRST_CAPACITY;
  /** Index of the newest bar. */
  private head = -1;
  count = 0;

  constructor(private readonly maxBars: number) {}

  get byteSize(): number {
    return this.bars.byteLength;
  }

  add(start: number, price: number, size: number): void {
    const bars = this.bars;
    const at = this.head * FIELDS;
    if (this.head >= 0 && bars[at + START] === start) {
      if (price > (bars[at + HIGH] as number)) bars[at + HIGH] = price;
      if (price < (bars[at + LOW] as number)) bars[at + LOW] = price;
      bars[at + CLOSE] = price;
      bars[at + VOLUME] = (bars[at + VOLUME] as number) + size;
      return;
    }
    // A tick older than the newest bar (replayed or late) does not rewrite closed bars.
    if (this.head >= 0 && start < (bars[at + START] as number)) return;
    if (this.count === this.capacity && this.count < this.maxBars) this.grow();
    this.head = (this.head + 1) % this.capacity;
    const next = this.head * FIELDS;
    const to = this.bars;
    to[next + START] = start;
    to[next + OPEN] = price;
    to[next + HIGH] = price;
    to[next + LOW] = price;
    to[next + CLOSE] = price;
    to[next + VOLUME] = size;
    if (this.count < this.capacity) this.count++;
  }

  private grow(): void {
    const capacity = Math.min(this.capacity * 2, this.maxBars);
    const to = new Float64Array(capacity * FIELDS);
    // Oldest first: the bars after head (if the ring wrapped), then up to head.
    const oldest = ((this.head + 1) % this.capacity) * FIELDS;
    to.set(this.bars.subarray(oldest), 0);
    to.set(this.bars.subarray(0, oldest), this.bars.length - oldest);
    this.bars = to;
    this.capacity = capacity;
    this.head = this.count - 1;
  }

  /** The newest `limit` bars, oldest first. */
  newest(limit: number): CandleFields[] {
    const n = Math.min(limit, this.count);
    const result: CandleFields[] = [];
    for (let k = n - 1; k >= 0; k--) {
      const at = ((this.head - k + this.capacity) % this.capacity) * FIELDS;
      result.push({
        startTimeUs: this.bars[at + START] as number,
        open: this.bars[at + OPEN] as number,
        high: this.bars[at + HIGH] as number,
        low: this.bars[at + LOW] as number,
        close: this.bars[at + CLOSE] as number,
        volume: this.bars[at + VOLUME] as number,
      });
    }
    return result;
  }
}

/** OHLCV bars for every symbol and timeframe (1s … 1d), each ring bounded by `maxBars`. */
export class CandleStore {
  private readonly rings: (CandleRing | undefined)[];

  constructor(
    capacity: number,
    private readonly maxBars: number,
  ) {
    // Filled, not `new Array(n)`: V8 keeps a large holey array as a dictionary, slow to index.
    this.rings = Array.from({ length: capacity * TIMEFRAME_COUNT }, () => undefined);
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
