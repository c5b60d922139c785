import { type DeltaBatch, DeltaField, VarintWriter } from '@tickstream/schemas';
import type { MarketState } from './market-state.js';

/**
 * The changes of one window, encoded once and shared by every channel (docs/protocol.md,
 * "Delta encoding"). Each changed symbol's mask and field values do not depend on who receives
 * them, so `prepare` encodes them once per window; `encode` then assembles a channel's Delta
 * from those entries, adding only the id steps and time offsets, which depend on the channel's
 * symbols. A window with 1,000 changed symbols and 100 channels costs 1,000 entry encodings,
 * not 100,000.
 */
export class WindowDeltas {
  private readonly entries = new VarintWriter(64 * 1024);
  private readonly entryStart: Uint32Array;
  private readonly entryEnd: Uint32Array;
  private readonly mask: Uint8Array;
  private readonly out = new VarintWriter(16 * 1024);

  constructor(private readonly state: MarketState) {
    this.entryStart = new Uint32Array(state.capacity);
    this.entryEnd = new Uint32Array(state.capacity);
    this.mask = new Uint8Array(state.capacity);
  }

  /** Encodes every changed symbol against `published`. Call before `state.settle()`. */
  prepare(changes: Uint16Array): void {
    const { current, published } = this.state;
    const entries = this.entries;
    entries.reset();
    for (let i = 0; i < changes.length; i++) {
      const id = changes[i] as number;
      const last = current.last[id] as number;
      const oldLast = published.last[id] as number;
      const bid = current.bid[id] as number;
      const oldBid = published.bid[id] as number;
      const ask = current.ask[id] as number;
      const oldAsk = published.ask[id] as number;
      const high = current.high[id] as number;
      const low = current.low[id] as number;
      const volume = current.volume[id] as number;
      const ticks = current.ticks[id] as number;
      let mask = 0;
      if (last !== oldLast) mask |= DeltaField.Last;
      if (bid !== oldBid) mask |= DeltaField.Bid;
      if (ask !== oldAsk) mask |= DeltaField.Ask;
      if (high !== published.high[id]) mask |= DeltaField.High;
      if (low !== published.low[id]) mask |= DeltaField.Low;
      if (volume !== published.volume[id]) mask |= DeltaField.Volume;
      if (ticks !== published.ticks[id]) mask |= DeltaField.Ticks;
      if (current.timeUs[id] !== published.timeUs[id]) mask |= DeltaField.Time;
      this.mask[id] = mask;
      this.entryStart[id] = entries.length;
      if (mask & DeltaField.Last) entries.signed(last - oldLast);
      if (mask & DeltaField.Bid) entries.signed(last - bid - (oldLast - oldBid));
      if (mask & DeltaField.Ask) entries.signed(ask - last - (oldAsk - oldLast));
      if (mask & DeltaField.High) entries.signed(high - last);
      if (mask & DeltaField.Low) entries.signed(last - low);
      if (mask & DeltaField.Volume) entries.signed(volume - (published.volume[id] as number));
      if (mask & DeltaField.Ticks) entries.signed(ticks - (published.ticks[id] as number));
      this.entryEnd[id] = entries.length;
    }
  }

  /**
   * The Delta of `count` ids from `ids` (ascending, all prepared this window). `data` is a view,
   * valid until the next call.
   */
  encode(ids: Uint16Array, count: number): DeltaBatch {
    const timeUs = this.state.current.timeUs;
    let baseTimeUs = 0;
    for (let i = 0; i < count; i++) {
      const time = timeUs[ids[i] as number] as number;
      if (time > baseTimeUs) baseTimeUs = time;
    }
    const out = this.out;
    const entryBytes = this.entries.view();
    out.reset();
    let written = 0;
    let previousId = 0;
    for (let i = 0; i < count; i++) {
      const id = ids[i] as number;
      const mask = this.mask[id] as number;
      if (mask === 0) continue;
      out.unsigned(written === 0 ? id : id - previousId);
      out.byte(mask);
      out.append(entryBytes.subarray(this.entryStart[id], this.entryEnd[id]));
      if (mask & DeltaField.Time) out.unsigned(baseTimeUs - (timeUs[id] as number));
      previousId = id;
      written++;
    }
    return { count: written, baseTimeUs, data: out.view() };
  }
}
