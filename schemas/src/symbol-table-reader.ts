import { i32, u16, u32 } from './little-endian.js';
import { ProtocolError } from './protocol-error.js';

/** Slots every table read this way starts with (tick.fbs and analytics.fbs declare them first). */
const SYMBOL = 0;
const SECTOR = 1;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The part of a reused FlatBuffers reader that every keyed market record shares: find the
 * root table and its vtable, check each offset it follows against the buffer (as verifyRoot
 * does), and read the symbol and sector strings without making strings on the hot path.
 * Subclasses read their own scalar fields through fieldAt() after open(). Throws only
 * ProtocolError. Stricter than the generated decoders in one way: a name that is not valid
 * UTF-8 is refused rather than read with replacement characters.
 */
export abstract class SymbolTableReader {
  protected bytes: Uint8Array = new Uint8Array(0);
  /** Where the record read starts and ends in `bytes`. */
  protected start = 0;
  protected end = 0;
  private symbolStart = 0;
  private symbolLength = 0;
  private sectorStart = 0;
  private sectorLength = -1;
  private table = 0;
  private vtable = 0;
  private slots = 0;

  /**
   * @param tableName the schema's table name, for structural errors ("Tick table at …")
   * @param recordName how field errors name the record ("tick has no symbol")
   * @param slotCount how many vtable slots this reader knows; later ones are ignored
   */
  protected constructor(
    private readonly tableName: string,
    private readonly recordName: string,
    private readonly slotCount: number,
  ) {}

  /**
   * Checks the root table of the buffer `bytes[start, end)` and reads its symbol and sector.
   * Positions are kept in `bytes`, so a record is read where it lies in a larger buffer (a
   * decompressed record batch) without a view of its own.
   */
  protected openTable(bytes: Uint8Array, start = 0, end = bytes.length): void {
    const length = end - start;
    const name = this.tableName;
    if (length < 8) throw this.malformed(`${length} bytes is too short for a ${name}`);
    this.useBytes(bytes, start, end);
    const table = u32(bytes, start);
    if (table + 4 > length) throw this.malformed(`${name} table at ${table} lies outside the ${length}-byte buffer`);
    const vtable = table - i32(bytes, start + table);
    if (vtable < 0 || vtable + 4 > length) throw this.malformed(`${name} vtable at ${vtable} lies outside the buffer`);
    const vtableSize = u16(bytes, start + vtable);
    if (vtableSize < 4 || vtableSize % 2 !== 0 || vtable + vtableSize > length)
      throw this.malformed(`${name} vtable size ${vtableSize} is invalid`);
    const tableSize = u16(bytes, start + vtable + 2);
    if (table + tableSize > length)
      throw this.malformed(`${name} table at ${table} (+${tableSize}) lies outside the buffer`);
    this.table = start + table;
    this.vtable = start + vtable;
    this.slots = Math.min((vtableSize - 4) >> 1, this.slotCount);

    const symbolAt = this.fieldAt(SYMBOL, 4);
    if (symbolAt === 0) throw new ProtocolError('invalid-field', `${this.recordName} has no symbol`);
    this.readNames(symbolAt, this.fieldAt(SECTOR, 4));
  }

  /** The record to read from now on: `bytes[start, end)`. */
  protected useBytes(bytes: Uint8Array, start: number, end: number): void {
    this.bytes = bytes;
    this.start = start;
    this.end = end;
  }

  /** Reads the symbol and sector strings from the fields holding their offsets (sector 0: absent). */
  protected readNames(symbolAt: number, sectorAt: number): void {
    const bytes = this.bytes;
    this.symbolStart = this.stringStart(symbolAt);
    this.symbolLength = u32(bytes, this.symbolStart - 4);
    if (this.symbolLength === 0) throw new ProtocolError('invalid-field', `${this.recordName} has an empty symbol`);
    if (sectorAt === 0) this.sectorLength = -1;
    else {
      this.sectorStart = this.stringStart(sectorAt);
      this.sectorLength = u32(bytes, this.sectorStart - 4);
    }
  }

  /** Where a field's bytes are, checked to fit; 0 when the field is absent. */
  protected fieldAt(slot: number, size: number): number {
    if (slot >= this.slots) return 0;
    const bytes = this.bytes;
    const offset = u16(bytes, this.vtable + 4 + slot * 2);
    if (offset === 0) return 0;
    const at = this.table + offset;
    if (at + size > this.end)
      throw this.malformed(`${this.tableName} field ${slot} at ${at - this.start} lies outside the buffer`);
    return at;
  }

  /**
   * The symbol's UTF-8 bytes packed into one exact number when they are 1-6 bytes (every
   * ticker we generate), so a Map<number, id> finds the symbol without making a string; -1
   * for longer names: use symbol(). Every subclass gives the same key for the same name.
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
      throw new ProtocolError('invalid-field', `${this.recordName} ${what} is not valid UTF-8`);
    }
  }

  /** Where a string's bytes start, given the field holding its offset; checks they fit. */
  private stringStart(fieldAt: number): number {
    const bytes = this.bytes;
    const at = fieldAt + u32(bytes, fieldAt);
    if (at + 4 > this.end)
      throw this.malformed(`${this.tableName} string at ${at - this.start} lies outside the buffer`);
    const length = u32(bytes, at);
    // FlatBuffers strings end in a NUL byte, which must fit too.
    if (at + 4 + length + 1 > this.end)
      throw this.malformed(`${this.tableName} string at ${at - this.start} (+${length}) lies outside the buffer`);
    return at + 4;
  }

  private malformed(message: string): ProtocolError {
    return new ProtocolError('malformed-flatbuffer', message);
  }
}
