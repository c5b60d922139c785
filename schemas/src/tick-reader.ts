import { i64, u32, u64 } from './little-endian.js';
import { SymbolTableReader } from './symbol-table-reader.js';

// vtable slots of table Tick (schemas/fbs/tick.fbs), in declaration order; 0 and 1 are the
// symbol and sector, which SymbolTableReader reads.
const PRICE = 2;
const SIZE = 3;
const BID = 4;
const ASK = 5;
const EXCHANGE_TIME_US = 6;
const SEQUENCE = 7;
const SLOTS = 8;

/*
 * The layout the flatbuffers library's Builder gives a Tick with every field set, as TickEncoder
 * writes it and the producer's TickWriter (tick-writer.ts) copies it (fields added in schema order): root offset 28, the vtable at 8
 * (20 bytes: 8 slots), the table at 28 with the scalars at fixed places in it. Only the table's
 * size moves with the names' lengths (the alignment padding before the 8-byte fields): 60 or 64
 * bytes, with the symbol and sector offsets as its last two words. A record in exactly this
 * layout is read at these places; any other (fields absent, another writer, a newer schema) is
 * read through its vtable, as before.
 */
const FIXED_TABLE = 28;
const FIXED_VTABLE_SIZE = 20;
/** The vtable's slots 2-7 (price … sequence) as three little-endian words. */
const FIXED_SLOTS_2_3 = 44 | (40 << 16);
const FIXED_SLOTS_4_5 = 28 | (20 << 16);
const FIXED_SLOTS_6_7 = 12 | (4 << 16);
const FIXED_PRICE = FIXED_TABLE + 44;
const FIXED_SIZE = FIXED_TABLE + 40;
const FIXED_BID = FIXED_TABLE + 28;
const FIXED_ASK = FIXED_TABLE + 20;
const FIXED_EXCHANGE_TIME_US = FIXED_TABLE + 12;
const FIXED_SEQUENCE = FIXED_TABLE + 4;
/** Root offset, vtable and the smaller table: shorter records are never in this layout. */
const FIXED_MIN_BYTES = FIXED_TABLE + 60;
const TWO_32 = 4_294_967_296;

/**
 * Reads `ticks` record values for the edge's ingest, where decodeTick's object and BigInts per
 * tick cost more than everything else the edge does with a tick. One reader is reused: after
 * read() its fields hold the tick, and the symbol is available as a number key (no string)
 * for the usual short names. Throws only ProtocolError.
 */
export class TickReader extends SymbolTableReader {
  price = 0;
  size = 0;
  bid = 0;
  ask = 0;
  exchangeTimeUs = 0;
  sequence = 0;
  /** Over the whole buffer of the bytes read last (records of one batch share it): word reads for the fixed layout. */
  private view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));

  constructor() {
    super('Tick', 'tick', SLOTS);
  }

  /** Reads the tick record `bytes[start, end)` (by default all of `bytes`). */
  read(bytes: Uint8Array, start = 0, end = bytes.length): void {
    if (!this.readFixedLayout(bytes, start, end)) this.readAnyLayout(bytes, start, end);
  }

  /**
   * Reads the record if it is in the producer's layout (above) and says whether it was; false
   * leaves it to readAnyLayout. Public for its tests, which check the producer's ticks take it.
   */
  readFixedLayout(bytes: Uint8Array, start: number, end: number): boolean {
    if (end - start < FIXED_MIN_BYTES) return false;
    if (this.view.buffer !== bytes.buffer) this.view = new DataView(bytes.buffer);
    const v = this.view;
    const at = bytes.byteOffset + start;
    if (v.getUint32(at, true) !== FIXED_TABLE || v.getInt32(at + FIXED_TABLE, true) !== FIXED_TABLE - 8) return false;
    const head = v.getUint32(at + 8, true);
    const tableSize = head >>> 16;
    if ((head & 0xffff) !== FIXED_VTABLE_SIZE || (tableSize !== 60 && tableSize !== 64)) return false;
    if (FIXED_TABLE + tableSize > end - start) return false;
    if (
      v.getUint32(at + 12, true) !== ((tableSize - 4) | ((tableSize - 8) << 16)) ||
      v.getUint32(at + 16, true) !== FIXED_SLOTS_2_3 ||
      v.getUint32(at + 20, true) !== FIXED_SLOTS_4_5 ||
      v.getUint32(at + 24, true) !== FIXED_SLOTS_6_7
    )
      return false;
    this.useBytes(bytes, start, end);
    const names = start + FIXED_TABLE + tableSize;
    this.readNames(names - 4, names - 8);
    this.price = v.getInt32(at + FIXED_PRICE + 4, true) * TWO_32 + v.getUint32(at + FIXED_PRICE, true);
    this.size = v.getUint32(at + FIXED_SIZE, true);
    this.bid = v.getInt32(at + FIXED_BID + 4, true) * TWO_32 + v.getUint32(at + FIXED_BID, true);
    this.ask = v.getInt32(at + FIXED_ASK + 4, true) * TWO_32 + v.getUint32(at + FIXED_ASK, true);
    this.exchangeTimeUs =
      v.getInt32(at + FIXED_EXCHANGE_TIME_US + 4, true) * TWO_32 + v.getUint32(at + FIXED_EXCHANGE_TIME_US, true);
    this.sequence = v.getUint32(at + FIXED_SEQUENCE + 4, true) * TWO_32 + v.getUint32(at + FIXED_SEQUENCE, true);
    return true;
  }

  /** Reads the record through its vtable, whatever its layout. */
  private readAnyLayout(bytes: Uint8Array, start: number, end: number): void {
    this.openTable(bytes, start, end);
    this.price = i64(bytes, this.fieldAt(PRICE, 8));
    const sizeAt = this.fieldAt(SIZE, 4);
    this.size = sizeAt === 0 ? 0 : u32(bytes, sizeAt);
    this.bid = i64(bytes, this.fieldAt(BID, 8));
    this.ask = i64(bytes, this.fieldAt(ASK, 8));
    this.exchangeTimeUs = i64(bytes, this.fieldAt(EXCHANGE_TIME_US, 8));
    this.sequence = u64(bytes, this.fieldAt(SEQUENCE, 8));
  }
}
