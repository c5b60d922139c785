import { ProtocolError } from './protocol-error.js';
import type { QuoteTable } from './quote-table.js';
import { VarintReader, VarintWriter } from './varint.js';

/**
 * Delta encoding (docs/protocol.md, "Delta encoding"). For each changed symbol, in ascending
 * id order, the data holds:
 *   varint  id step   (id − previous id; the first is the id itself)
 *   byte    mask      (which fields follow, DeltaField bits)
 *   varint  value     for each set bit, lowest bit first, each a zigzag varint:
 *     Last    last − previous last
 *     Bid     (last − bid) − (previous last − previous bid)   — spread moves are small
 *     Ask     (ask − last) − (previous ask − previous last)
 *     High    high − last                                     — 0 when the trade made the high
 *     Low     last − low
 *     Volume  volume − previous volume
 *     Ticks   ticks − previous ticks
 *     Time    the frame's base time − exchange time (µs; ≥ 0, plain varint, not zigzag)
 * A field whose bit is clear is unchanged. Relative fields use the new last, so Last is
 * applied first. Open only changes at a new trading day, which the edge sends as a Snapshot.
 */
export const DeltaField = {
  Last: 1,
  Bid: 2,
  Ask: 4,
  High: 8,
  Low: 16,
  Volume: 32,
  Ticks: 64,
  Time: 128,
} as const;

export interface DeltaBatch {
  count: number;
  baseTimeUs: number;
  data: Uint8Array;
}

/** Builds one Delta's data from the edge's current state and the state last published. Reused across windows. */
export class DeltaWriter {
  private readonly out = new VarintWriter(4096);
  private previousId = 0;
  private baseTimeUs = 0;
  count = 0;

  /** `baseTimeUs`: the latest exchange time among the symbols this frame will carry. */
  begin(baseTimeUs: number): void {
    this.out.reset();
    this.previousId = 0;
    this.baseTimeUs = baseTimeUs;
    this.count = 0;
  }

  /**
   * Appends symbol `id` if anything changed since `published`, then makes `published` equal to
   * `current` for that id. Ids must come in ascending order. Returns whether it was appended.
   */
  add(id: number, current: QuoteTable, published: QuoteTable): boolean {
    if (this.count > 0 && id <= this.previousId)
      throw new RangeError(`delta ids must ascend: ${id} after ${this.previousId}`);
    const last = current.last[id] as number;
    const bid = current.bid[id] as number;
    const ask = current.ask[id] as number;
    const high = current.high[id] as number;
    const low = current.low[id] as number;
    const volume = current.volume[id] as number;
    const ticks = current.ticks[id] as number;
    const time = current.timeUs[id] as number;
    const oldLast = published.last[id] as number;
    const oldBid = published.bid[id] as number;
    const oldAsk = published.ask[id] as number;

    let mask = 0;
    if (last !== oldLast) mask |= DeltaField.Last;
    if (bid !== oldBid) mask |= DeltaField.Bid;
    if (ask !== oldAsk) mask |= DeltaField.Ask;
    if (high !== published.high[id]) mask |= DeltaField.High;
    if (low !== published.low[id]) mask |= DeltaField.Low;
    if (volume !== published.volume[id]) mask |= DeltaField.Volume;
    if (ticks !== published.ticks[id]) mask |= DeltaField.Ticks;
    if (time !== published.timeUs[id]) mask |= DeltaField.Time;
    if (mask === 0) return false;

    const out = this.out;
    out.unsigned(this.count === 0 ? id : id - this.previousId);
    out.byte(mask);
    if (mask & DeltaField.Last) out.signed(last - oldLast);
    if (mask & DeltaField.Bid) out.signed(last - bid - (oldLast - oldBid));
    if (mask & DeltaField.Ask) out.signed(ask - last - (oldAsk - oldLast));
    if (mask & DeltaField.High) out.signed(high - last);
    if (mask & DeltaField.Low) out.signed(last - low);
    if (mask & DeltaField.Volume) out.signed(volume - (published.volume[id] as number));
    if (mask & DeltaField.Ticks) out.signed(ticks - (published.ticks[id] as number));
    if (mask & DeltaField.Time) {
      // Offsets back from the newest tick are ≥ 0 and mostly under 16 ms: two bytes, not three.
      if (time > this.baseTimeUs)
        throw new RangeError(`symbol ${id} time ${time} is after the frame's base time ${this.baseTimeUs}`);
      out.unsigned(this.baseTimeUs - time);
    }

    published.copyRow(id, current);
    this.previousId = id;
    this.count++;
    return true;
  }

  /** The batch written since begin(); `data` is a view, valid until the next begin(). */
  finish(): DeltaBatch {
    return { count: this.count, baseTimeUs: this.baseTimeUs, data: this.out.view() };
  }
}

/**
 * Applies a Delta to `table` (the client's copy). Calls `onSymbol(id, mask)` for each symbol
 * applied. Throws ProtocolError for ids beyond the table, non-ascending ids or truncated data.
 */
export function applyDelta(batch: DeltaBatch, table: QuoteTable, onSymbol?: (id: number, mask: number) => void): void {
  const reader = new VarintReader(batch.data);
  let id = 0;
  for (let i = 0; i < batch.count; i++) {
    const step = reader.unsigned();
    if (i > 0 && step === 0) throw new ProtocolError('invalid-field', `delta symbol ${i} repeats id ${id}`);
    id = i === 0 ? step : id + step;
    if (id >= table.capacity) {
      throw new ProtocolError('invalid-field', `delta names symbol id ${id}, beyond the ${table.capacity} known`);
    }
    const mask = reader.byte();
    const oldLast = table.last[id] as number;
    if (mask & DeltaField.Last) table.last[id] = oldLast + reader.signed();
    const last = table.last[id] as number;
    if (mask & DeltaField.Bid) table.bid[id] = last - (reader.signed() + (oldLast - (table.bid[id] as number)));
    if (mask & DeltaField.Ask) table.ask[id] = last + reader.signed() + ((table.ask[id] as number) - oldLast);
    if (mask & DeltaField.High) table.high[id] = last + reader.signed();
    if (mask & DeltaField.Low) table.low[id] = last - reader.signed();
    if (mask & DeltaField.Volume) table.volume[id] = (table.volume[id] as number) + reader.signed();
    if (mask & DeltaField.Ticks) table.ticks[id] = (table.ticks[id] as number) + reader.signed();
    if (mask & DeltaField.Time) table.timeUs[id] = batch.baseTimeUs - reader.unsigned();
    onSymbol?.(id, mask);
  }
  if (!reader.done) throw new ProtocolError('invalid-field', 'delta data continues after its last symbol');
}
