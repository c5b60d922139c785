import { QuoteTable } from '@tickstream/schemas';

const DAY_US = 86_400_000_000;
/** Quote times are whole milliseconds (docs/protocol.md, "Units"). */
const QUOTE_TIME_UNIT_US = 1000;
/** Trading days start at midnight exchange time, taken as UTC−5 like the producer's sessions. */
const EXCHANGE_OFFSET_US = -5 * 3_600_000_000;

/** The exchange day a time falls in, as a day number. */
export function exchangeDay(timeUs: number): number {
  return Math.floor((timeUs + EXCHANGE_OFFSET_US) / DAY_US);
}

/**
 * The edge's view of the market: the current state of every symbol (`current`), the state
 * clients were last sent (`published`), and which symbols changed in between. Ticks are
 * conflated into `current` as they arrive; the fan-out diffs it against `published` once per
 * window. Everything is a typed array indexed by symbol id.
 */
export class MarketState {
  readonly current: QuoteTable;
  readonly published: QuoteTable;
  /** Ids changed since the last publish, in arrival order (`changedCount` of them). */
  readonly changed: Uint16Array;
  changedCount = 0;
  /** 1 for an id in `changed`. */
  readonly isChanged: Uint8Array;
  /** Ids whose trading day rolled over since the last publish: their open changed, which only a Snapshot carries. */
  dayRolled = false;
  private readonly day: Float64Array;
  /** Traded value of each symbol today: Σ price × size (prices × 10,000), reset with the day like volume. */
  readonly turnover: Float64Array;
  ticksApplied = 0;
  /** The newest exchange time of any tick applied, µs (what the analytics job's bars are judged against). */
  newestTimeUs = 0;
  /** Called when the first symbol changes after a settle: the edge's window is then due (window-schedule.ts). */
  onFirstChange: () => void = () => {};

  constructor(readonly capacity: number) {
    this.current = new QuoteTable(capacity);
    this.published = new QuoteTable(capacity);
    this.changed = new Uint16Array(capacity);
    this.isChanged = new Uint8Array(capacity);
    this.day = new Float64Array(capacity).fill(Number.NaN);
    this.turnover = new Float64Array(capacity);
  }

  apply(id: number, price: number, size: number, bid: number, ask: number, timeUs: number): void {
    const q = this.current;
    const day = exchangeDay(timeUs);
    if (this.day[id] !== day) {
      if (!Number.isNaN(this.day[id] as number)) this.dayRolled = true;
      this.day[id] = day;
      q.open[id] = price;
      q.high[id] = price;
      q.low[id] = price;
      q.volume[id] = 0;
      q.ticks[id] = 0;
      this.turnover[id] = 0;
    }
    q.last[id] = price;
    q.bid[id] = bid;
    q.ask[id] = ask;
    if (price > (q.high[id] as number)) q.high[id] = price;
    if (price < (q.low[id] as number)) q.low[id] = price;
    q.volume[id] = (q.volume[id] as number) + size;
    this.turnover[id] = (this.turnover[id] as number) + price * size;
    q.ticks[id] = (q.ticks[id] as number) + 1;
    // A quote's time is kept to the ms (protocol 5): enough for every client's use (ages, clocks),
    // and a Delta then sends it in a byte, not two or three (docs/protocol.md, "Delta encoding").
    // Ticks of one symbol arrive in order from one partition; max() keeps time monotonic anyway.
    const quoteTimeUs = timeUs - (timeUs % QUOTE_TIME_UNIT_US);
    if (quoteTimeUs > (q.timeUs[id] as number)) q.timeUs[id] = quoteTimeUs;
    if (timeUs > this.newestTimeUs) this.newestTimeUs = timeUs;
    this.ticksApplied++;
    if (this.isChanged[id] === 0) {
      if (this.changedCount === 0) this.onFirstChange();
      this.isChanged[id] = 1;
      this.changed[this.changedCount++] = id;
    }
  }

  /** Sorts the changed ids ascending (deltas list symbols in id order) and returns them. */
  sortedChanges(): Uint16Array {
    return this.changed.subarray(0, this.changedCount).sort();
  }

  /** After a publish: `published` = `current` for every changed id, and nothing is pending. */
  settle(): void {
    for (let i = 0; i < this.changedCount; i++) {
      const id = this.changed[i] as number;
      this.published.copyRow(id, this.current);
      this.isChanged[id] = 0;
    }
    this.changedCount = 0;
    this.dayRolled = false;
  }
}
