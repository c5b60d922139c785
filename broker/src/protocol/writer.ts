/**
 * Builds one response as a list of chunks. Small fields go into a growing scratch buffer;
 * `records()` appends large buffers (record batches read from the log) as chunks of their
 * own, so fetched data is never copied on its way to the socket.
 */
export class Writer {
  private scratch: Buffer;
  private position = 0;
  private chunkStart = 0;
  private readonly chunks: Buffer[] = [];
  private total = 0;

  constructor(initialSize = 256) {
    this.scratch = Buffer.allocUnsafe(initialSize);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.total + (this.position - this.chunkStart);
  }

  // Callers must call reserve() before reading this.scratch: it may replace the buffer.
  private reserve(size: number): number {
    if (this.position + size > this.scratch.length) {
      this.sealChunk();
      this.scratch = Buffer.allocUnsafe(Math.max(size, this.scratch.length * 2));
      this.position = 0;
      this.chunkStart = 0;
    }
    const at = this.position;
    this.position += size;
    return at;
  }

  private sealChunk(): void {
    if (this.position > this.chunkStart) {
      this.chunks.push(this.scratch.subarray(this.chunkStart, this.position));
      this.total += this.position - this.chunkStart;
      this.chunkStart = this.position;
    }
  }

  int8(value: number): this {
    const at = this.reserve(1);
    this.scratch.writeInt8(value, at);
    return this;
  }

  bool(value: boolean): this {
    return this.int8(value ? 1 : 0);
  }

  int16(value: number): this {
    const at = this.reserve(2);
    this.scratch.writeInt16BE(value, at);
    return this;
  }

  int32(value: number): this {
    const at = this.reserve(4);
    this.scratch.writeInt32BE(value, at);
    return this;
  }

  uint32(value: number): this {
    const at = this.reserve(4);
    this.scratch.writeUInt32BE(value, at);
    return this;
  }

  int64(value: number | bigint): this {
    const at = this.reserve(8);
    this.scratch.writeBigInt64BE(BigInt(value), at);
    return this;
  }

  /** 16 raw bytes (topic ids). */
  uuid(value: Uint8Array): this {
    const at = this.reserve(16);
    this.scratch.set(value.subarray(0, 16), at);
    return this;
  }

  uvarint(value: number): this {
    let rest = value;
    while (rest >= 0x80) {
      const at = this.reserve(1);
      this.scratch[at] = (rest & 0x7f) | 0x80;
      rest = Math.floor(rest / 128);
    }
    const at = this.reserve(1);
    this.scratch[at] = rest;
    return this;
  }

  varint(value: number): this {
    return this.uvarint(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  string(value: string): this {
    const length = Buffer.byteLength(value);
    this.int16(length);
    const at = this.reserve(length);
    this.scratch.write(value, at, 'utf8');
    return this;
  }

  nullableString(value: string | null): this {
    return value === null ? this.int16(-1) : this.string(value);
  }

  compactString(value: string): this {
    const length = Buffer.byteLength(value);
    this.uvarint(length + 1);
    const at = this.reserve(length);
    this.scratch.write(value, at, 'utf8');
    return this;
  }

  compactNullableString(value: string | null): this {
    return value === null ? this.uvarint(0) : this.compactString(value);
  }

  /** Raw bytes with no length prefix. */
  raw(value: Uint8Array): this {
    if (value.length >= 1024) {
      this.sealChunk();
      const chunk = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.length);
      this.chunks.push(chunk);
      this.total += chunk.length;
    } else {
      const at = this.reserve(value.length);
      this.scratch.set(value, at);
    }
    return this;
  }

  bytes(value: Uint8Array): this {
    return this.int32(value.length).raw(value);
  }

  nullableBytes(value: Uint8Array | null): this {
    return value === null ? this.int32(-1) : this.bytes(value);
  }

  compactBytes(value: Uint8Array): this {
    return this.uvarint(value.length + 1).raw(value);
  }

  /** A `records` field made of several buffers (whole record batches), length-prefixed. */
  records(batches: readonly Uint8Array[]): this {
    let size = 0;
    for (const batch of batches) size += batch.length;
    this.int32(size);
    for (const batch of batches) this.raw(batch);
    return this;
  }

  array<T>(items: readonly T[], writeItem: (writer: this, item: T) => void): this {
    this.int32(items.length);
    for (const item of items) writeItem(this, item);
    return this;
  }

  nullableArray<T>(items: readonly T[] | null, writeItem: (writer: this, item: T) => void): this {
    return items === null ? this.int32(-1) : this.array(items, writeItem);
  }

  compactArray<T>(items: readonly T[], writeItem: (writer: this, item: T) => void): this {
    this.uvarint(items.length + 1);
    for (const item of items) writeItem(this, item);
    return this;
  }

  /** An empty tagged-field section. */
  taggedFields(): this {
    return this.uvarint(0);
  }

  /** The chunks written, in order. The writer must not be used afterwards. */
  finish(): Buffer[] {
    this.sealChunk();
    return this.chunks;
  }
}
