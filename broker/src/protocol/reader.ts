import { MalformedRequestError } from './errors.js';

/**
 * Reads Kafka's big-endian primitives from one request body. Every length and count read
 * from the wire is checked against the bytes that are really there before anything is
 * allocated, so a hostile size can only ever raise MalformedRequestError.
 */
export class Reader {
  private position: number;

  constructor(
    private readonly buffer: Buffer,
    offset = 0,
    private readonly end = buffer.length,
  ) {
    this.position = offset;
  }

  get offset(): number {
    return this.position;
  }

  get remaining(): number {
    return this.end - this.position;
  }

  private take(size: number): number {
    if (size < 0 || this.position + size > this.end) {
      throw new MalformedRequestError(
        `needs ${size} more bytes at offset ${this.position}, only ${this.remaining} left`,
      );
    }
    const at = this.position;
    this.position += size;
    return at;
  }

  int8(): number {
    return this.buffer.readInt8(this.take(1));
  }

  bool(): boolean {
    return this.int8() !== 0;
  }

  int16(): number {
    return this.buffer.readInt16BE(this.take(2));
  }

  int32(): number {
    return this.buffer.readInt32BE(this.take(4));
  }

  uint32(): number {
    return this.buffer.readUInt32BE(this.take(4));
  }

  /** i64 as a JS number: offsets, timestamps and producer ids all stay below 2^53. */
  int64(): number {
    return Number(this.buffer.readBigInt64BE(this.take(8)));
  }

  uuid(): Buffer {
    return this.buffer.subarray(this.take(16), this.position);
  }

  /** Unsigned LEB128 (flexible versions' lengths and tag numbers). At most 5 bytes. */
  uvarint(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = this.buffer[this.take(1)] as number;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    throw new MalformedRequestError(`unsigned varint longer than 5 bytes at offset ${this.position}`);
  }

  /** Zigzag varint (record fields). */
  varint(): number {
    const z = this.uvarint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  /** Zigzag varlong, at most 10 bytes; values beyond 2^53 lose precision (only timestamps use it). */
  varlong(): number {
    let value = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const byte = BigInt(this.buffer[this.take(1)] as number);
      value |= (byte & 0x7fn) << shift;
      if ((byte & 0x80n) === 0n) return Number((value >> 1n) ^ -(value & 1n));
    }
    throw new MalformedRequestError(`varlong longer than 10 bytes at offset ${this.position}`);
  }

  private utf8(length: number): string {
    const at = this.take(length);
    return this.buffer.toString('utf8', at, at + length);
  }

  string(): string {
    const value = this.nullableString();
    if (value === null) throw new MalformedRequestError(`null where a string is required at offset ${this.position}`);
    return value;
  }

  nullableString(): string | null {
    const length = this.int16();
    if (length < -1) throw new MalformedRequestError(`string length ${length} at offset ${this.position - 2}`);
    return length === -1 ? null : this.utf8(length);
  }

  compactString(): string {
    const value = this.compactNullableString();
    if (value === null) throw new MalformedRequestError(`null where a string is required at offset ${this.position}`);
    return value;
  }

  compactNullableString(): string | null {
    const lengthPlusOne = this.uvarint();
    return lengthPlusOne === 0 ? null : this.utf8(lengthPlusOne - 1);
  }

  /** A view into the request buffer, not a copy: copy it if it must outlive the request. */
  bytes(): Buffer {
    const value = this.nullableBytes();
    if (value === null) throw new MalformedRequestError(`null where bytes are required at offset ${this.position}`);
    return value;
  }

  nullableBytes(): Buffer | null {
    const length = this.int32();
    if (length < -1) throw new MalformedRequestError(`bytes length ${length} at offset ${this.position - 4}`);
    if (length === -1) return null;
    const at = this.take(length);
    return this.buffer.subarray(at, at + length);
  }

  compactBytes(): Buffer {
    const lengthPlusOne = this.uvarint();
    if (lengthPlusOne === 0)
      throw new MalformedRequestError(`null where bytes are required at offset ${this.position}`);
    const at = this.take(lengthPlusOne - 1);
    return this.buffer.subarray(at, at + lengthPlusOne - 1);
  }

  /** i32-counted array; null (-1) reads as null. */
  nullableArray<T>(readItem: (reader: Reader) => T): T[] | null {
    const count = this.int32();
    if (count === -1) return null;
    return this.items(count, readItem);
  }

  array<T>(readItem: (reader: Reader) => T): T[] {
    const items = this.nullableArray(readItem);
    if (items === null) throw new MalformedRequestError(`null where an array is required at offset ${this.position}`);
    return items;
  }

  /** Compact (flexible) array: uvarint count + 1; 0 = null. */
  compactNullableArray<T>(readItem: (reader: Reader) => T): T[] | null {
    const countPlusOne = this.uvarint();
    return countPlusOne === 0 ? null : this.items(countPlusOne - 1, readItem);
  }

  compactArray<T>(readItem: (reader: Reader) => T): T[] {
    const items = this.compactNullableArray(readItem);
    if (items === null) throw new MalformedRequestError(`null where an array is required at offset ${this.position}`);
    return items;
  }

  private items<T>(count: number, readItem: (reader: Reader) => T): T[] {
    // Every element takes at least one byte, so a count above the bytes left is a lie.
    if (count < 0 || count > this.remaining) {
      throw new MalformedRequestError(
        `array count ${count} at offset ${this.position} exceeds the ${this.remaining} bytes left`,
      );
    }
    const items = new Array<T>(count);
    for (let i = 0; i < count; i++) items[i] = readItem(this);
    return items;
  }

  /** Skips a flexible version's tagged-field section; none of the tags we serve carry meaning. */
  taggedFields(): void {
    const count = this.uvarint();
    if (count > this.remaining) throw new MalformedRequestError(`tag count ${count} exceeds the bytes left`);
    for (let i = 0; i < count; i++) {
      this.uvarint(); // tag
      this.take(this.uvarint());
    }
  }
}
