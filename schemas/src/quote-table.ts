/**
 * Per-symbol market state as parallel typed arrays indexed by symbol id: the shape the edge
 * keeps, the delta codec reads and writes, and the dashboard renders. Prices are × 10,000.
 */
export class QuoteTable {
  readonly last: Float64Array;
  readonly bid: Float64Array;
  readonly ask: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly volume: Float64Array;
  readonly ticks: Float64Array;
  readonly timeUs: Float64Array;

  constructor(readonly capacity: number) {
    this.last = new Float64Array(capacity);
    this.bid = new Float64Array(capacity);
    this.ask = new Float64Array(capacity);
    this.open = new Float64Array(capacity);
    this.high = new Float64Array(capacity);
    this.low = new Float64Array(capacity);
    this.volume = new Float64Array(capacity);
    this.ticks = new Float64Array(capacity);
    this.timeUs = new Float64Array(capacity);
  }

  copyRow(id: number, from: QuoteTable): void {
    this.last[id] = from.last[id] as number;
    this.bid[id] = from.bid[id] as number;
    this.ask[id] = from.ask[id] as number;
    this.open[id] = from.open[id] as number;
    this.high[id] = from.high[id] as number;
    this.low[id] = from.low[id] as number;
    this.volume[id] = from.volume[id] as number;
    this.ticks[id] = from.ticks[id] as number;
    this.timeUs[id] = from.timeUs[id] as number;
  }

  /** Sets one row from plain values, e.g. a Snapshot quote. */
  setRow(id: number, quote: QuoteFields): void {
    this.last[id] = quote.last;
    this.bid[id] = quote.bid;
    this.ask[id] = quote.ask;
    this.open[id] = quote.open;
    this.high[id] = quote.high;
    this.low[id] = quote.low;
    this.volume[id] = quote.volume;
    this.ticks[id] = quote.ticks;
    this.timeUs[id] = quote.exchangeTimeUs;
  }

  row(id: number): QuoteFields {
    return {
      id,
      last: this.last[id] as number,
      bid: this.bid[id] as number,
      ask: this.ask[id] as number,
      open: this.open[id] as number,
      high: this.high[id] as number,
      low: this.low[id] as number,
      volume: this.volume[id] as number,
      ticks: this.ticks[id] as number,
      exchangeTimeUs: this.timeUs[id] as number,
    };
  }
}

/** One symbol's full state, as a Snapshot carries it. */
export interface QuoteFields {
  id: number;
  last: number;
  bid: number;
  ask: number;
  open: number;
  high: number;
  low: number;
  volume: number;
  ticks: number;
  exchangeTimeUs: number;
}
