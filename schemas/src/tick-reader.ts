import { ProtocolError } from './protocol-error.js';

// vtable slots of table Tick (schemas/fbs/tick.fbs), in declaration order.
const SYMBOL = 0;
const SECTOR = 1;
const PRICE = 2;
const SIZE = 3;
const BID = 4;
const ASK = 5;
const EXCHANGE_TIME_US = 6;
const SEQUENCE = 7;
const SLOTS = 8;

const TWO_32 = 4_294_967_296;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads `ticks` record values for the edge's ingest, where decodeTick's object and BigInts per
 * tick cost more than everything else the edge does with a tick. One reader is reused: after
 * read() its fields hold the tick, and the symbol is available as a number key (no string)
 * for the usual short names. It checks every offset it follows against the buffer, as
 * verifyRoot does, and throws only ProtocolError. Stricter than decodeTick in one way: a name
 * that is not valid UTF-8 is refused rather than read with replacement characters.
 */
export class TickReader {
  price = 0;
  size = 0;
  bid = 0;
  ask = 0;
  exchangeTimeUs = 0;
  sequence = 0;
  private bytes: Uint8Array = new Uint8Array(0);
  private symbolStart = 0;
  private symbolLength = 0;
  private sectorStart = 0;
  private sectorLength = -1;
  private table = 0;
  private vtable = 0;
  private slots = 0;

  read(bytes: Uint8Array): void {
    const length = bytes.length;
    if (length < 8) throw malformed(`${length} bytes is too short for a Tick`);
    this.bytes = bytes;
    const table = u32(bytes, 0);
    if (table + 4 > length) throw malformed(`Tick table at ${table} lies outside the ${length}-byte buffer`);
    const vtable = table - i32(bytes, table);
    if (vtable < 0 || vtable + 4 > length) throw malformed(`Tick vtable at ${vtable} lies outside the buffer`);
    const vtableSize = u16(bytes, vtable);
    if (vtableSize < 4 || vtableSize % 2 !== 0 || vtable + vtableSize > length)
      throw malformed(`Tick vtable size ${vtableSize} is invalid`);
    const tableSize = u16(bytes, vtable + 2);
    if (table + tableSize > length) throw malformed(`Tick table at ${table} (+${tableSize}) lies outside the buffer`);
    this.table = table;
    this.vtable = vtable;
    this.slots = Math.min((vtableSize - 4) >> 1, SLOTS);

    const symbolAt = this.fieldAt(SYMBOL, 4);
    if (symbolAt === 0) throw new ProtocolError('invalid-field', 'tick has no symbol');
    this.symbolStart = stringStart(bytes, symbolAt);
    this.symbolLength = u32(bytes, this.symbolStart - 4);
    if (this.symbolLength === 0) throw new ProtocolError('invalid-field', 'tick has an empty symbol');
    const sectorAt = this.fieldAt(SECTOR, 4);
    if (sectorAt === 0) this.sectorLength = -1;
    else {
      this.sectorStart = stringStart(bytes, sectorAt);
      this.sectorLength = u32(bytes, this.sectorStart - 4);
    }
    this.price = i64(bytes, this.fieldAt(PRICE, 8));
    const sizeAt = this.fieldAt(SIZE, 4);
    this.size = sizeAt === 0 ? 0 : u32(bytes, sizeAt);
    this.bid = i64(bytes, this.fieldAt(BID, 8));
    this.ask = i64(bytes, this.fieldAt(ASK, 8));
    this.exchangeTimeUs = i64(bytes, this.fieldAt(EXCHANGE_TIME_US, 8));
    this.sequence = u64(bytes, this.fieldAt(SEQUENCE, 8));
  }

  /** Where a field's bytes are, checked to fit; 0 when the field is absent. */
  private fieldAt(slot: number, size: number): number {
    if (slot >= this.slots) return 0;
    const bytes = this.bytes;
    const offset = u16(bytes, this.vtable + 4 + slot * 2);
    if (offset === 0) return 0;
    const at = this.table + offset;
    if (at + size > bytes.length) throw malformed(`Tick field ${slot} at ${at} lies outside the buffer`);
    return at;
  }

  /**
   * The symbol's UTF-8 bytes packed into one exact number when they are 1-6 bytes (every
   * ticker we generate), so a Map<number, id> finds the symbol without making a string; -1
   * for longer names: use symbol().
   */
  symbolKey(): number {
    const n = this.symbolLength;
    if (n === 0 || n > 6) return -1;
    const bytes = this.bytes;
    let key = 0;
    for (let i = 0; i < n; i++) key = key * 256 + (bytes[this.symbolStart + i] as number);
    // The length keeps "A\0" and "\0A"-style prefixes apart.
    return key * 8 + n;
  }

  symbol(): string {
    return this.decode(this.symbolStart, this.symbolLength, 'symbol');
  }

  sector(): string {
    return this.sectorLength < 0 ? '' : this.decode(this.sectorStart, this.sectorLength, 'sector');
  }

  private decode(start: number, length: number, what: string): string {
    try {
      return utf8.decode(this.bytes.subarray(start, start + length));
    } catch {
      throw new ProtocolError('invalid-field', `tick ${what} is not valid UTF-8`);
    }
  }
}

function malformed(message: string): ProtocolError {
  return new ProtocolError('malformed-flatbuffer', message);
}

/** Where a string's bytes start, given the field holding its offset; checks they fit. */
function stringStart(bytes: Uint8Array, fieldAt: number): number {
  const at = fieldAt + u32(bytes, fieldAt);
  if (at + 4 > bytes.length) throw malformed(`Tick string at ${at} lies outside the buffer`);
  const length = u32(bytes, at);
  // FlatBuffers strings end in a NUL byte, which must fit too.
  if (at + 4 + length + 1 > bytes.length) throw malformed(`Tick string at ${at} (+${length}) lies outside the buffer`);
  return at + 4;
}

function u16(b: Uint8Array, at: number): number {
  return (b[at] as number) | ((b[at + 1] as number) << 8);
}

function i32(b: Uint8Array, at: number): number {
  return (
    (b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16) | ((b[at + 3] as number) << 24)
  );
}

function u32(b: Uint8Array, at: number): number {
  return i32(b, at) >>> 0;
}

/** A little-endian int64 as a number (exact within ±2^53: prices, sizes, µs timestamps); 0 when absent. */
function i64(b: Uint8Array, at: number): number {
  return at === 0 ? 0 : i32(b, at + 4) * TWO_32 + u32(b, at);
}

/** A little-endian uint64 as a number (the sequence is a ulong); 0 when absent. */
function u64(b: Uint8Array, at: number): number {
  return at === 0 ? 0 : u32(b, at + 4) * TWO_32 + u32(b, at);
}
