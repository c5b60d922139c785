import type { Reader } from './reader.js';
import type { Writer } from './writer.js';

/*
 * One grammar for every version of an API. From an API's first flexible version on, strings,
 * bytes and arrays are compact (uvarint length + 1) and every struct — the body and each
 * element of an array of structs — ends with a tagged-field section (kafka-protocol.md §1).
 * A handler written against these two classes reads and writes all its versions; fields that
 * exist only in some versions stay plain `if (version >= n)` lines.
 *
 * `array` is for arrays of primitives (no tag section per element); `structArray` closes each
 * element's struct itself; `endStruct` closes the body (or a struct read by hand).
 */

export class VersionedReader {
  constructor(
    private readonly reader: Reader,
    readonly flexible: boolean,
  ) {}

  int8(): number {
    return this.reader.int8();
  }

  bool(): boolean {
    return this.reader.bool();
  }

  int16(): number {
    return this.reader.int16();
  }

  int32(): number {
    return this.reader.int32();
  }

  int64(): number {
    return this.reader.int64();
  }

  /** 16 raw bytes in every version (topic ids). */
  uuid(): Buffer {
    return this.reader.uuid();
  }

  string(): string {
    return this.flexible ? this.reader.compactString() : this.reader.string();
  }

  nullableString(): string | null {
    return this.flexible ? this.reader.compactNullableString() : this.reader.nullableString();
  }

  bytes(): Buffer {
    return this.flexible ? this.reader.compactBytes() : this.reader.bytes();
  }

  /** An array of primitives: no tag section per element. */
  array<T>(readItem: (reader: VersionedReader) => T): T[] {
    const read = (): T => readItem(this);
    return this.flexible ? this.reader.compactArray(read) : this.reader.array(read);
  }

  nullableArray<T>(readItem: (reader: VersionedReader) => T): T[] | null {
    const read = (): T => readItem(this);
    return this.flexible ? this.reader.compactNullableArray(read) : this.reader.nullableArray(read);
  }

  /** An array of structs: each element ends with its own tag section. */
  structArray<T>(readItem: (reader: VersionedReader) => T): T[] {
    return this.array((reader) => reader.struct(readItem));
  }

  nullableStructArray<T>(readItem: (reader: VersionedReader) => T): T[] | null {
    return this.nullableArray((reader) => reader.struct(readItem));
  }

  private struct<T>(readItem: (reader: VersionedReader) => T): T {
    const item = readItem(this);
    this.endStruct();
    return item;
  }

  /** The tag section that closes a struct (and the body) in flexible versions; tags carry nothing we use. */
  endStruct(): void {
    if (this.flexible) this.reader.taggedFields();
  }
}

export class VersionedWriter {
  constructor(
    private readonly writer: Writer,
    readonly flexible: boolean,
  ) {}

  int8(value: number): this {
    this.writer.int8(value);
    return this;
  }

  bool(value: boolean): this {
    this.writer.bool(value);
    return this;
  }

  int16(value: number): this {
    this.writer.int16(value);
    return this;
  }

  int32(value: number): this {
    this.writer.int32(value);
    return this;
  }

  int64(value: number): this {
    this.writer.int64(value);
    return this;
  }

  /** 16 raw bytes in every version (topic ids). */
  uuid(value: Uint8Array): this {
    this.writer.uuid(value);
    return this;
  }

  string(value: string): this {
    if (this.flexible) this.writer.compactString(value);
    else this.writer.string(value);
    return this;
  }

  nullableString(value: string | null): this {
    if (this.flexible) this.writer.compactNullableString(value);
    else this.writer.nullableString(value);
    return this;
  }

  bytes(value: Uint8Array): this {
    if (this.flexible) this.writer.compactBytes(value);
    else this.writer.bytes(value);
    return this;
  }

  /** An array of primitives: no tag section per element. */
  array<T>(items: readonly T[], writeItem: (writer: VersionedWriter, item: T) => void): this {
    if (this.flexible) this.writer.uvarint(items.length + 1);
    else this.writer.int32(items.length);
    for (const item of items) writeItem(this, item);
    return this;
  }

  /** Null is length 0 when flexible, -1 before. */
  nullableArray<T>(items: readonly T[] | null, writeItem: (writer: VersionedWriter, item: T) => void): this {
    if (items !== null) return this.array(items, writeItem);
    if (this.flexible) this.writer.uvarint(0);
    else this.writer.int32(-1);
    return this;
  }

  /** An array of structs: each element ends with its own (empty) tag section. */
  structArray<T>(items: readonly T[], writeItem: (writer: VersionedWriter, item: T) => void): this {
    return this.array(items, (writer, item) => {
      writeItem(writer, item);
      writer.endStruct();
    });
  }

  /** The (empty) tag section that closes a struct, and the body, in flexible versions. */
  endStruct(): this {
    if (this.flexible) this.writer.taggedFields();
    return this;
  }
}
