import { BitReader, BitWriter } from './bits.js';
import { ProtocolError } from './protocol-error.js';
import type { QuoteTable } from './quote-table.js';

/**
 * Delta encoding, protocol version 5 (docs/protocol.md, "Delta encoding"): one bit string.
 *
 *   1 bit   time unit: 1 = milliseconds, 0 = microseconds
 *   4 bits  k_id, 4 bits k_last, 4 bits k_volume, 4 bits k_time: Exp-Golomb orders (bits.ts)
 *   then per changed symbol, in ascending id order:
 *     EG(k_id)     id step (id − previous id; the first: the id itself)
 *     1 bit L      last changed;  1 bit X  extras follow
 *     if X: 3 bits H (high changed), W (low changed), A (the ask's spread moved unlike the bid's)
 *     if L: sEG(k_last)    last − previous last
 *     sEG(0)       bid spread move: (last − bid) − (previous last − previous bid)
 *     sEG(0)       ticks − previous ticks − 1        (a symbol in a Delta traded, mostly once)
 *     sEG(k_volume) volume − previous volume
 *     EG(k_time)   (base_time_us − exchange_time_us) / unit
 *     if H: sEG(1) high − last;  if W: sEG(1) last − low
 *     if A: sEG(0) ask spread move − bid spread move
 *   the last byte padded with zero bits.
 * sEG is zigzag then EG. The orders are the encoder's choice per frame, from the values' sizes.
 * What the common tick costs and why: docs/protocol.md.
 */

/** Which fields of a symbol a Delta changed, as applyDelta reports them (not a wire mask since version 5). */
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

const MAX_ORDER = 15;
const MS = 1000;

/** The Exp-Golomb order that suits values of this mean: about log2 of it. */
function orderFor(sum: number, count: number): number {
  if (count === 0) return 0;
  const mean = sum / count;
  return Math.min(MAX_ORDER, Math.max(0, Math.floor(Math.log2(mean + 1))));
}

const zigzag = (value: number): number => (value >= 0 ? value * 2 : -value * 2 - 1);

/**
 * Encodes the changes of one window: `stage` each changed symbol (against the state last
 * published), `seal` once, then `encode` any ascending subset of the staged ids as a Delta, as
 * many times as there are channels. Each symbol's entry is written once in `seal`; a channel's
 * Delta only adds its header and id steps, so 1,000 changed symbols and 100 channels cost
 * 1,000 entry encodings, not 100,000. Reused across windows.
 */
export class DeltaEncoder {
  private slotOf = new Int32Array(0);
  private ids = new Uint16Array(256);
  private flags = new Uint8Array(256);
  private lastMove = new Float64Array(256);
  private spreadMove = new Float64Array(256);
  private askSkew = new Float64Array(256);
  private ticksMove = new Float64Array(256);
  private volumeMove = new Float64Array(256);
  private timeUs = new Float64Array(256);
  private highGap = new Float64Array(256);
  private lowGap = new Float64Array(256);
  private staged = 0;
  private readonly entries = new BitWriter(64 * 1024);
  private entryStart = new Uint32Array(256);
  private entryEnd = new Uint32Array(256);
  private readonly out = new BitWriter(16 * 1024);
  private baseTimeUs = 0;
  private timeUnit = MS;
  private lastOrder = 0;
  private volumeOrder = 0;
  private timeOrder = 0;

  /** Forgets the staged symbols: a new window. */
  reset(): void {
    for (let i = 0; i < this.staged; i++) this.slotOf[this.ids[i] as number] = -1;
    this.staged = 0;
  }

  /**
   * Stages symbol `id` if any field differs between `current` and `published`; returns whether
   * it did. Call before making `published` equal to `current`.
   */
  stage(id: number, current: QuoteTable, published: QuoteTable): boolean {
    const last = current.last[id] as number;
    const oldLast = published.last[id] as number;
    const bid = current.bid[id] as number;
    const oldBid = published.bid[id] as number;
    const ask = current.ask[id] as number;
    const oldAsk = published.ask[id] as number;
    const high = current.high[id] as number;
    const low = current.low[id] as number;
    const highChanged = high !== published.high[id];
    const lowChanged = low !== published.low[id];
    if (
      last === oldLast &&
      bid === oldBid &&
      ask === oldAsk &&
      !highChanged &&
      !lowChanged &&
      current.volume[id] === published.volume[id] &&
      current.ticks[id] === published.ticks[id] &&
      current.timeUs[id] === published.timeUs[id]
    )
      return false;
    if (id >= this.slotOf.length) this.growIds(id + 1);
    if (this.staged === this.ids.length) this.growSlots();
    const slot = this.staged++;
    this.slotOf[id] = slot;
    this.ids[slot] = id;
    const spreadMove = last - bid - (oldLast - oldBid);
    const askSkew = ask - last - (oldAsk - oldLast) - spreadMove;
    this.flags[slot] =
      (last !== oldLast ? 1 : 0) | (highChanged ? 2 : 0) | (lowChanged ? 4 : 0) | (askSkew !== 0 ? 8 : 0);
    this.lastMove[slot] = last - oldLast;
    this.spreadMove[slot] = spreadMove;
    this.askSkew[slot] = askSkew;
    this.ticksMove[slot] = (current.ticks[id] as number) - (published.ticks[id] as number) - 1;
    this.volumeMove[slot] = (current.volume[id] as number) - (published.volume[id] as number);
    this.timeUs[slot] = current.timeUs[id] as number;
    this.highGap[slot] = high - last;
    this.lowGap[slot] = last - low;
    return true;
  }

  /**
   * Writes every staged symbol's entry. `baseTimeUs` must be at or after every staged time: the
   * Deltas of this window carry it, and times travel as offsets back from it.
   */
  seal(baseTimeUs: number): void {
    const n = this.staged;
    let milliseconds = baseTimeUs % MS === 0;
    let lastSum = 0;
    let lastCount = 0;
    let volumeSum = 0;
    let timeSum = 0;
    for (let slot = 0; slot < n; slot++) {
      const time = this.timeUs[slot] as number;
      if (time > baseTimeUs)
        throw new RangeError(`symbol ${this.ids[slot]} time ${time} is after the frame's base time ${baseTimeUs}`);
      if (time % MS !== 0) milliseconds = false;
      if ((this.flags[slot] as number) & 1) {
        lastSum += zigzag(this.lastMove[slot] as number);
        lastCount++;
      }
      volumeSum += zigzag(this.volumeMove[slot] as number);
      timeSum += baseTimeUs - time;
    }
    // Exchange times in whole ms (the producer's) cost one byte less each: sent in ms, exactly.
    this.timeUnit = milliseconds ? MS : 1;
    this.baseTimeUs = baseTimeUs;
    this.lastOrder = orderFor(lastSum, lastCount);
    this.volumeOrder = orderFor(volumeSum, n);
    this.timeOrder = orderFor(timeSum / this.timeUnit, n);

    const out = this.entries;
    out.reset();
    for (let slot = 0; slot < n; slot++) {
      const flags = this.flags[slot] as number;
      this.entryStart[slot] = out.bitLength;
      // H, W, A in that order: flags keeps them as 2, 4, 8.
      const extras = (flags & 2 ? 4 : 0) | (flags & 4 ? 2 : 0) | (flags & 8 ? 1 : 0);
      out.bits(((flags & 1) << 1) | (extras === 0 ? 0 : 1), 2);
      if (extras !== 0) out.bits(extras, 3);
      if (flags & 1) out.signedExpGolomb(this.lastMove[slot] as number, this.lastOrder);
      out.signedExpGolomb(this.spreadMove[slot] as number, 0);
      out.signedExpGolomb(this.ticksMove[slot] as number, 0);
      out.signedExpGolomb(this.volumeMove[slot] as number, this.volumeOrder);
      out.expGolomb((baseTimeUs - (this.timeUs[slot] as number)) / this.timeUnit, this.timeOrder);
      if (flags & 2) out.signedExpGolomb(this.highGap[slot] as number, 1);
      if (flags & 4) out.signedExpGolomb(this.lowGap[slot] as number, 1);
      if (flags & 8) out.signedExpGolomb(this.askSkew[slot] as number, 0);
      this.entryEnd[slot] = out.bitLength;
    }
  }

  /**
   * The Delta of the first `count` ids of `ids` (ascending); ids not staged (nothing changed)
   * are left out. `data` is a view, valid until the next call.
   */
  encode(ids: ArrayLike<number>, count: number): DeltaBatch {
    const slotOf = this.slotOf;
    // The id steps' order, from their mean: ~log2(span / symbols).
    let first = -1;
    let lastId = 0;
    let written = 0;
    for (let i = 0; i < count; i++) {
      const id = ids[i] as number;
      if (id >= slotOf.length || (slotOf[id] as number) < 0) continue;
      if (first < 0) first = id;
      lastId = id;
      written++;
    }
    const idOrder = orderFor(written > 1 ? lastId - first : 0, Math.max(1, written - 1));
    const out = this.out;
    out.reset();
    out.bits(this.timeUnit === MS ? 1 : 0, 1);
    out.bits((idOrder << 12) | (this.lastOrder << 8) | (this.volumeOrder << 4) | this.timeOrder, 16);
    const entries = this.entries.buffer;
    let previous = 0;
    let n = 0;
    for (let i = 0; i < count; i++) {
      const id = ids[i] as number;
      if (id >= slotOf.length) continue;
      const slot = slotOf[id] as number;
      if (slot < 0) continue;
      if (n > 0 && id <= previous) throw new RangeError(`delta ids must ascend: ${id} after ${previous}`);
      out.expGolomb(n === 0 ? id : id - previous, idOrder);
      const start = this.entryStart[slot] as number;
      out.copy(entries, start, (this.entryEnd[slot] as number) - start);
      previous = id;
      n++;
    }
    return { count: n, baseTimeUs: this.baseTimeUs, data: out.view() };
  }

  private growIds(size: number): void {
    const grown = new Int32Array(Math.max(size, this.slotOf.length * 2)).fill(-1);
    grown.set(this.slotOf);
    this.slotOf = grown;
  }

  private growSlots(): void {
    const size = this.ids.length * 2;
    const widen = <T extends Uint8Array | Uint16Array | Uint32Array | Float64Array>(
      array: T,
      make: (n: number) => T,
    ): T => {
      const grown = make(size);
      grown.set(array);
      return grown;
    };
    this.ids = widen(this.ids, (n) => new Uint16Array(n));
    this.flags = widen(this.flags, (n) => new Uint8Array(n));
    this.entryStart = widen(this.entryStart, (n) => new Uint32Array(n));
    this.entryEnd = widen(this.entryEnd, (n) => new Uint32Array(n));
    for (const name of [
      'lastMove',
      'spreadMove',
      'askSkew',
      'ticksMove',
      'volumeMove',
      'timeUs',
      'highGap',
      'lowGap',
    ] as const)
      this[name] = widen(this[name], (n) => new Float64Array(n));
  }
}

/**
 * Builds one Delta from a state and the state last published, symbol by symbol (tests, the codec
 * bench; the edge uses DeltaEncoder directly to share a window's entries between channels).
 */
export class DeltaWriter {
  private readonly encoder = new DeltaEncoder();
  private readonly order: number[] = [];
  private baseTimeUs = 0;

  /** `baseTimeUs`: the latest exchange time among the symbols this frame will carry. */
  begin(baseTimeUs: number): void {
    this.encoder.reset();
    this.order.length = 0;
    this.baseTimeUs = baseTimeUs;
  }

  get count(): number {
    return this.order.length;
  }

  /**
   * Appends symbol `id` if anything changed since `published`, then makes `published` equal to
   * `current` for that id. Ids must come in ascending order. Returns whether it was appended.
   */
  add(id: number, current: QuoteTable, published: QuoteTable): boolean {
    const previous = this.order.at(-1);
    if (previous !== undefined && id <= previous)
      throw new RangeError(`delta ids must ascend: ${id} after ${previous}`);
    if (!this.encoder.stage(id, current, published)) return false;
    published.copyRow(id, current);
    this.order.push(id);
    return true;
  }

  /** The batch written since begin(); `data` is a view, valid until the next begin(). */
  finish(): DeltaBatch {
    this.encoder.seal(this.baseTimeUs);
    return this.encoder.encode(this.order, this.order.length);
  }
}

/**
 * Applies a Delta's `data` (bytes [start, end) of `bytes`) to `table`, the client's copy, straight
 * from the frame. Writes each symbol's id and the fields it changed (DeltaField bits) into
 * `ids`/`masks` when given, and returns how many symbols it applied. `limit`: ids at or above it
 * are refused (the symbols of the client's Snapshot). Throws ProtocolError for data that does
 * not decode: ids beyond the limit or not ascending, truncated codes, bytes left over.
 */
export function applyDeltaData(
  reader: BitReader,
  bytes: Uint8Array,
  start: number,
  end: number,
  count: number,
  baseTimeUs: number,
  table: QuoteTable,
  limit: number,
  ids?: Uint16Array,
  masks?: Uint8Array,
  onSymbol?: (id: number, mask: number) => void,
): number {
  reader.reset(bytes, start, end);
  // An empty Delta is at most its 17 header bits.
  if (count === 0) {
    if (end - start > 3) throw new ProtocolError('invalid-field', 'delta data continues after its last symbol');
    return 0;
  }
  const unit = reader.bit() === 1 ? MS : 1;
  const orders = reader.bits(16);
  const idOrder = orders >>> 12;
  const lastOrder = (orders >>> 8) & 15;
  const volumeOrder = (orders >>> 4) & 15;
  const timeOrder = orders & 15;
  let id = 0;
  for (let i = 0; i < count; i++) {
    const step = reader.expGolomb(idOrder);
    if (i > 0 && step === 0) throw new ProtocolError('invalid-field', `delta symbol ${i} repeats id ${id}`);
    id = i === 0 ? step : id + step;
    if (id >= limit) throw new ProtocolError('invalid-field', `delta names symbol id ${id}, beyond the ${limit} known`);
    const lastChanged = reader.bit();
    const extras = reader.bit() === 1 ? reader.bits(3) : 0;
    const oldLast = table.last[id] as number;
    const oldBid = table.bid[id] as number;
    const oldAsk = table.ask[id] as number;
    const oldVolume = table.volume[id] as number;
    const oldTicks = table.ticks[id] as number;
    const oldTime = table.timeUs[id] as number;
    const last = lastChanged === 1 ? oldLast + reader.signedExpGolomb(lastOrder) : oldLast;
    const spreadMove = reader.signedExpGolomb(0);
    const ticks = oldTicks + reader.signedExpGolomb(0) + 1;
    const volume = oldVolume + reader.signedExpGolomb(volumeOrder);
    const time = baseTimeUs - reader.expGolomb(timeOrder) * unit;
    let mask = 0;
    if (extras & 4) {
      table.high[id] = last + reader.signedExpGolomb(1);
      mask |= DeltaField.High;
    }
    if (extras & 2) {
      table.low[id] = last - reader.signedExpGolomb(1);
      mask |= DeltaField.Low;
    }
    const askSkew = extras & 1 ? reader.signedExpGolomb(0) : 0;
    const bid = last - (oldLast - oldBid + spreadMove);
    const ask = last + (oldAsk - oldLast + spreadMove + askSkew);
    table.last[id] = last;
    table.bid[id] = bid;
    table.ask[id] = ask;
    table.volume[id] = volume;
    table.ticks[id] = ticks;
    table.timeUs[id] = time;
    if (last !== oldLast) mask |= DeltaField.Last;
    if (bid !== oldBid) mask |= DeltaField.Bid;
    if (ask !== oldAsk) mask |= DeltaField.Ask;
    if (volume !== oldVolume) mask |= DeltaField.Volume;
    if (ticks !== oldTicks) mask |= DeltaField.Ticks;
    if (time !== oldTime) mask |= DeltaField.Time;
    if (ids !== undefined) ids[i] = id;
    if (masks !== undefined) masks[i] = mask;
    onSymbol?.(id, mask);
  }
  // Only the zero padding of the last byte may follow.
  if (reader.remaining >= 8 || (reader.remaining > 0 && reader.bits(reader.remaining) !== 0))
    throw new ProtocolError('invalid-field', 'delta data continues after its last symbol');
  return count;
}

const sharedReader = new BitReader();

/**
 * Applies a Delta to `table` (the client's copy). Calls `onSymbol(id, mask)` for each symbol
 * applied. Throws ProtocolError for ids beyond the table, non-ascending ids or truncated data.
 */
export function applyDelta(batch: DeltaBatch, table: QuoteTable, onSymbol?: (id: number, mask: number) => void): void {
  applyDeltaData(
    sharedReader,
    batch.data,
    0,
    batch.data.length,
    batch.count,
    batch.baseTimeUs,
    table,
    table.capacity,
    undefined,
    undefined,
    onSymbol,
  );
}
