import { TickEncoder, type TickFields } from './tick-codec.js';

/*
 * The bytes the flatbuffers library's Builder gives a Tick (TickEncoder: names created first,
 * symbol then sector, fields added in schema order, finished without identifier), written at
 * computed offsets instead of built backwards field by field. With every scalar set (non-zero),
 * a tick of a given symbol and sector always has the same layout; only the six scalars change:
 *
 *   0   root offset u32 = 28                    4  4 zero bytes (the root aligned to 8)
 *   8   vtable: u16 20 (its size), u16 T (the table's), slots 0-7: T-4, T-8, 44, 40, 28, 20, 12, 4
 *   28  table: i32 20 (back to the vtable), sequence i64, exchange_time_us i64, ask i64, bid i64,
 *       4 zero bytes, size u32, price i64, P zero bytes, sector u32 = 8, symbol u32 = Lsec + 4
 *   28+T  sector: u32 length, UTF-8, 0, zeros to 4    then symbol: u32 length, UTF-8, 0, zeros to 4
 *
 * T = 60 + P, where P (0 or 4) aligns the 8-byte fields; it depends only on the names' lengths.
 * TickReader reads this same layout at the same places (tick-reader.ts). A tick with a zero scalar
 * (the Builder leaves such fields out) or a value outside the layout's range (not a safe integer;
 * a size not in 1 … 2^32−1) is encoded by the library itself, so the output is the library's in
 * every case: tick-writer.test.ts checks it byte for byte on random ticks.
 */

const ROOT = 28;
const VTABLE = 8;
const VTABLE_BYTES = 20;
const SEQUENCE = ROOT + 4;
const EXCHANGE_TIME_US = ROOT + 12;
const ASK = ROOT + 20;
const BID = ROOT + 28;
const SIZE = ROOT + 40;
const PRICE = ROOT + 44;
const TWO_32 = 4_294_967_296;
/** What the library may need beyond the full layout when it leaves fields out (it never does, measured: the test checks the bound). */
const FALLBACK_SLACK = 8;

/** The full layout of one symbol's ticks with every scalar 0, to be copied and then filled in. */
function template(symbol: Uint8Array, sector: Uint8Array): Uint8Array {
  const sectorBytes = 4 + ((sector.length + 4) & ~3); // length, UTF-8, NUL, padding to 4
  const symbolBytes = 4 + ((symbol.length + 4) & ~3);
  // The Builder aligns the first 8-byte field after the two name offsets; the names before it in
  // build order (the end of the buffer) decide whether that costs 4 bytes.
  const padding = ((sectorBytes + symbolBytes) & 7) === 0 ? 0 : 4;
  const tableBytes = 60 + padding;
  const out = new Uint8Array(ROOT + tableBytes + sectorBytes + symbolBytes);
  const view = new DataView(out.buffer);
  view.setUint32(0, ROOT, true);
  view.setUint16(VTABLE, VTABLE_BYTES, true);
  view.setUint16(VTABLE + 2, tableBytes, true);
  const slots = [tableBytes - 4, tableBytes - 8, PRICE - ROOT, SIZE - ROOT, BID - ROOT, ASK - ROOT, 12, 4];
  for (const [i, slot] of slots.entries()) view.setUint16(VTABLE + 4 + 2 * i, slot, true);
  view.setInt32(ROOT, ROOT - VTABLE, true);
  const names = ROOT + tableBytes;
  view.setUint32(names - 8, 8, true); // sector: just past the symbol's offset
  view.setUint32(names - 4, sectorBytes + 4, true); // symbol: past the sector string
  view.setUint32(names, sector.length, true);
  out.set(sector, names + 4);
  view.setUint32(names + sectorBytes, symbol.length, true);
  out.set(symbol, names + sectorBytes + 4);
  return out;
}

/** Whether the fixed layout holds this tick's scalars (otherwise the library encodes it). */
export function fitsTickLayout(tick: TickFields): boolean {
  const size = tick.size;
  return (
    size >= 1 &&
    size <= 0xffffffff &&
    Number.isInteger(size) &&
    isSetInt64(tick.price) &&
    isSetInt64(tick.bid) &&
    isSetInt64(tick.ask) &&
    isSetInt64(tick.exchangeTimeUs) &&
    isSetInt64(tick.sequence)
  );
}

function isSetInt64(value: number): boolean {
  return value !== 0 && Number.isSafeInteger(value);
}

/** A safe integer as a little-endian two's-complement int64 (the high word by exact division). */
function writeInt64(out: Uint8Array, at: number, value: number): void {
  const low = value >>> 0;
  const high = Math.floor(value / TWO_32) | 0;
  out[at] = low;
  out[at + 1] = low >>> 8;
  out[at + 2] = low >>> 16;
  out[at + 3] = low >>> 24;
  out[at + 4] = high;
  out[at + 5] = high >>> 8;
  out[at + 6] = high >>> 16;
  out[at + 7] = high >>> 24;
}

/**
 * Writes `ticks` record values for a fixed set of symbols (the producer's universe), each as the
 * flatbuffers library would encode it, straight into a caller's buffer (a Kafka record batch):
 * one template copy and six scalar writes per tick, no builder, no BigInt, nothing allocated.
 */
export class TickWriter {
  private readonly templates: Uint8Array[];
  private readonly encoder = new TickEncoder();

  /** `symbols[i]` and `sectors[i]` are symbol index i's names, as its ticks carry them. */
  constructor(symbols: readonly string[], sectors: readonly string[]) {
    if (symbols.length !== sectors.length)
      throw new RangeError(`${symbols.length} symbols but ${sectors.length} sectors`);
    const utf8 = new TextEncoder();
    this.templates = symbols.map((symbol, i) => template(utf8.encode(symbol), utf8.encode(sectors[i] as string)));
  }

  /** At most this many bytes are written for a tick of symbol `index`. */
  maxBytes(index: number): number {
    return this.templateOf(index).length + FALLBACK_SLACK;
  }

  /** The bytes write() will take for this tick of symbol `index` (tick.symbol and tick.sector must be its names). */
  byteLength(index: number, tick: TickFields): number {
    if (fitsTickLayout(tick)) return this.templateOf(index).length;
    return this.encoder.encodeView(tick).length;
  }

  /**
   * Writes the tick of symbol `index` at `out[at]` and returns where it ends. `out` must have
   * maxBytes(index) bytes from `at` (a RangeError otherwise, before anything is written).
   */
  write(index: number, tick: TickFields, out: Uint8Array, at: number): number {
    const bytes = this.templateOf(index);
    if (!fitsTickLayout(tick)) return this.writeByLibrary(tick, out, at);
    const end = at + bytes.length;
    if (end > out.length)
      throw new RangeError(`a tick of ${bytes.length} bytes does not fit at ${at} of ${out.length}`);
    out.set(bytes, at);
    writeInt64(out, at + SEQUENCE, tick.sequence);
    writeInt64(out, at + EXCHANGE_TIME_US, tick.exchangeTimeUs);
    writeInt64(out, at + ASK, tick.ask);
    writeInt64(out, at + BID, tick.bid);
    const size = tick.size;
    out[at + SIZE] = size;
    out[at + SIZE + 1] = size >>> 8;
    out[at + SIZE + 2] = size >>> 16;
    out[at + SIZE + 3] = size >>> 24;
    writeInt64(out, at + PRICE, tick.price);
    return end;
  }

  private writeByLibrary(tick: TickFields, out: Uint8Array, at: number): number {
    const encoded = this.encoder.encodeView(tick);
    const end = at + encoded.length;
    if (end > out.length)
      throw new RangeError(`a tick of ${encoded.length} bytes does not fit at ${at} of ${out.length}`);
    out.set(encoded, at);
    return end;
  }

  private templateOf(index: number): Uint8Array {
    const bytes = this.templates[index];
    if (bytes === undefined) throw new RangeError(`no symbol ${index} (${this.templates.length} known)`);
    return bytes;
  }
}
