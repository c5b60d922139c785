import {
  blockSize,
  DEFAULT_MAX_FRAME_BYTES,
  decompressBlockInto,
  isDeltaFrame,
  newDeltaFrameFields,
  ProtocolError,
  readDeltaFrame,
} from '@tickstream/schemas';

/** ServerMessage union numbers the hot path reads itself (schemas/fbs/edge.fbs). */
export const MessageType = { Delta: 3 } as const;

const FRAME_VERSION = 1;
const COMPRESSED = 0x01;
const FIRST_SCRATCH = 64 * 1024;

/**
 * Reads a server frame in place (docs/protocol.md, "Frames"): the header, the lz4 block
 * decompressed into one reused buffer, and the ServerFrame root's fields, with every offset it
 * follows checked against the body as schemas' verifier does. For a Delta it also finds the
 * count, base time and data vector, so the client applies it straight from these bytes. Nothing
 * is allocated per frame once the buffer has grown to the largest frame seen; every other
 * message goes to schemas' full decoder (they are rare: Snapshots, Candles, events…).
 */
export class FrameReader {
  /** The FlatBuffer of the frame just read: bytes [start, end) of `bytes`. */
  bytes: Uint8Array = new Uint8Array(0);
  start = 0;
  end = 0;
  epoch = 0;
  seq = 0;
  type = 0;
  channel = 0;
  /** Position of the message table in `bytes`. */
  message = 0;
  // A Delta's fields, after readDelta().
  count = 0;
  baseTimeUs = 0;
  dataStart = 0;
  dataEnd = 0;

  private scratch = new Uint8Array(FIRST_SCRATCH);

  constructor(public maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {}

  /** Whether the frame just read is a Delta frame (protocol 5's own layout, not a FlatBuffer). */
  compactDelta = false;
  private readonly deltaFields = newDeltaFrameFields();

  /** Reads `frame`'s header and ServerFrame root. Throws ProtocolError for anything malformed. */
  read(frame: Uint8Array): void {
    this.compactDelta = isDeltaFrame(frame);
    if (this.compactDelta) {
      const delta = readDeltaFrame(frame, this.maxFrameBytes, this.deltaFields);
      this.bytes = frame;
      this.start = 0;
      this.end = frame.length;
      this.epoch = delta.epoch;
      this.seq = delta.seq;
      this.channel = delta.channel;
      this.type = MessageType.Delta;
      this.message = 0;
      this.count = delta.count;
      this.baseTimeUs = delta.baseTimeUs;
      this.dataStart = delta.dataStart;
      this.dataEnd = delta.dataEnd;
      return;
    }
    const header = frame[0];
    if (header === undefined) throw new ProtocolError('empty-frame', 'empty frame: expected a header byte');
    if (header >> 4 !== FRAME_VERSION)
      throw new ProtocolError('unsupported-version', `frame version ${header >> 4} is not supported`);
    if ((header & 0x0e) !== 0)
      throw new ProtocolError('unknown-flags', `frame header 0x${header.toString(16)} sets unknown flags`);
    if ((header & COMPRESSED) === 0) {
      if (frame.length - 1 > this.maxFrameBytes)
        throw new ProtocolError('frame-too-large', `frame of ${frame.length - 1} bytes is above the limit`);
      this.bytes = frame;
      this.start = 1;
      this.end = frame.length;
    } else {
      if (frame.length < 6) throw new ProtocolError('decompression-failed', 'lz4 block is too short');
      const size = blockSize(frame, 1);
      if (size > this.maxFrameBytes)
        throw new ProtocolError('frame-too-large', `lz4 block declares ${size} bytes, above ${this.maxFrameBytes}`);
      if (size > this.scratch.length) this.scratch = new Uint8Array(Math.max(size, this.scratch.length * 2));
      try {
        decompressBlockInto(frame, 1, frame.length, this.scratch);
      } catch (error) {
        throw new ProtocolError('decompression-failed', `lz4 block is corrupt: ${(error as Error).message}`);
      }
      this.bytes = this.scratch;
      this.start = 0;
      this.end = size;
    }
    this.readRoot();
  }

  private readRoot(): void {
    if (this.end - this.start < 8) throw malformed('ServerFrame too short');
    const root = this.start + this.u32(this.start);
    const vtable = this.vtable(root, 'ServerFrame');
    this.epoch = this.field32(root, vtable, 0);
    this.seq = this.field32(root, vtable, 1);
    this.type = this.field8(root, vtable, 2);
    this.channel = this.field8(root, vtable, 4);
    const at = this.slot(root, vtable, 3);
    if (at === 0) {
      this.message = 0;
      return;
    }
    this.check(at, 4, 'message offset');
    this.message = at + this.u32(at);
  }

  /** Reads the Delta the frame holds (type Delta). */
  readDelta(): void {
    if (this.compactDelta) return;
    const table = this.message;
    if (table === 0) throw malformed('Delta is missing');
    const vtable = this.vtable(table, 'Delta');
    this.count = this.field32(table, vtable, 0);
    const time = this.slot(table, vtable, 1);
    if (time === 0) this.baseTimeUs = 0;
    else {
      this.check(time, 8, 'base_time_us');
      this.baseTimeUs = this.i64(time);
    }
    const data = this.slot(table, vtable, 2);
    if (data === 0) {
      if (this.count > 0) throw malformed(`Delta count ${this.count} without data`);
      this.dataStart = this.dataEnd = 0;
      return;
    }
    this.check(data, 4, 'data offset');
    const vector = data + this.u32(data);
    this.check(vector, 4, 'data length');
    const length = this.u32(vector);
    this.check(vector + 4, length, 'data');
    this.dataStart = vector + 4;
    this.dataEnd = vector + 4 + length;
    // Each symbol takes at least two bytes (id step, mask): a larger count is a lie, not an allocation to make.
    if (this.count > length / 2) throw malformed(`Delta count ${this.count} does not fit its ${length} bytes of data`);
  }

  /** The vtable of the table at `table`, checked: its position. */
  private vtable(table: number, name: string): number {
    this.check(table, 4, `${name} table`);
    const vtable = table - this.i32(table);
    this.check(vtable, 4, `${name} vtable`);
    const size = this.u16(vtable);
    if (size < 4 || size % 2 !== 0) throw malformed(`${name} vtable size ${size} is invalid`);
    this.check(vtable, size, `${name} vtable`);
    this.check(table, this.u16(vtable + 2), `${name} table`);
    return vtable;
  }

  /** Position of field `slot` of a table, 0 when absent. */
  private slot(table: number, vtable: number, slot: number): number {
    const entry = 4 + slot * 2;
    if (entry >= this.u16(vtable)) return 0;
    const offset = this.u16(vtable + entry);
    return offset === 0 ? 0 : table + offset;
  }

  private field32(table: number, vtable: number, slot: number): number {
    const at = this.slot(table, vtable, slot);
    if (at === 0) return 0;
    this.check(at, 4, 'field');
    return this.u32(at);
  }

  private field8(table: number, vtable: number, slot: number): number {
    const at = this.slot(table, vtable, slot);
    if (at === 0) return 0;
    this.check(at, 1, 'field');
    return this.bytes[at] as number;
  }

  private check(position: number, size: number, what: string): void {
    if (position < this.start || size < 0 || position + size > this.end)
      throw malformed(
        `${what} at ${position - this.start} (+${size}) lies outside the ${this.end - this.start}-byte body`,
      );
  }

  private u16(at: number): number {
    const b = this.bytes;
    return (b[at] as number) | ((b[at + 1] as number) << 8);
  }

  private i32(at: number): number {
    const b = this.bytes;
    return (
      (b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16) | ((b[at + 3] as number) << 24)
    );
  }

  private u32(at: number): number {
    return this.i32(at) >>> 0;
  }

  /** An int64 as a number (exact below 2^53: times and prices here). */
  private i64(at: number): number {
    return this.i32(at + 4) * 4_294_967_296 + this.u32(at);
  }

  /** The frame's FlatBuffer as its own view, for schemas' decoder (rare messages only; not a Delta frame). */
  body(): Uint8Array {
    return this.bytes.subarray(this.start, this.end);
  }
}

function malformed(message: string): ProtocolError {
  return new ProtocolError('malformed-flatbuffer', message);
}
