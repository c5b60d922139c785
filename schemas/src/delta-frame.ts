import type { DeltaBatch } from './delta.js';
import { ProtocolError } from './protocol-error.js';

/**
 * The Delta frame of protocol version 5 (docs/protocol.md, "Frames"): a Delta is the one message
 * sent every window to every client, so it leaves the FlatBuffers envelope (~78 bytes: two
 * tables, their vtables and offsets) for a fixed layout of ~14 bytes:
 *
 *   byte     header: high nibble 2 (frame format 2: a Delta); bit 0 = channel (0 Live, 1 Replay);
 *            bit 1 = base time in ms (else µs); bits 2-3 = 0
 *   u32 LE   epoch
 *   varint   seq
 *   varint   count
 *   varint   base time, in the unit bit 1 says
 *   bytes    data (delta.ts), to the end of the frame
 *
 * Never lz4-compressed: its bits are already close to their entropy (bench/src/delta-bytes.ts).
 */
export const DELTA_FRAME_FORMAT = 2;
const REPLAY = 0x01;
const BASE_IN_MS = 0x02;
const MS = 1000;

/** A Delta frame read in place: its data is bytes [dataStart, dataEnd) of the frame. */
export interface DeltaFrameFields {
  epoch: number;
  seq: number;
  channel: number;
  count: number;
  baseTimeUs: number;
  dataStart: number;
  dataEnd: number;
}

/** Fields for `readDeltaFrame` to fill: a reader keeps one and reuses it for every frame. */
export function newDeltaFrameFields(): DeltaFrameFields {
  return { epoch: 0, seq: 0, channel: 0, count: 0, baseTimeUs: 0, dataStart: 0, dataEnd: 0 };
}

function varintLength(value: number): number {
  let length = 1;
  for (let rest = value; rest >= 0x80; rest = Math.floor(rest / 0x80)) length++;
  return length;
}

function writeVarint(frame: Uint8Array, at: number, value: number): number {
  let position = at;
  let rest = value;
  while (rest >= 0x80) {
    frame[position++] = (rest % 0x80) | 0x80;
    rest = Math.floor(rest / 0x80);
  }
  frame[position++] = rest;
  return position;
}

export function encodeDeltaFrame(epoch: number, seq: number, channel: number, batch: DeltaBatch): Uint8Array {
  const inMs = batch.baseTimeUs % MS === 0;
  const base = inMs ? batch.baseTimeUs / MS : batch.baseTimeUs;
  const size = 1 + 4 + varintLength(seq) + varintLength(batch.count) + varintLength(base) + batch.data.length;
  const frame = new Uint8Array(size);
  frame[0] = (DELTA_FRAME_FORMAT << 4) | (channel === 1 ? REPLAY : 0) | (inMs ? BASE_IN_MS : 0);
  frame[1] = epoch & 0xff;
  frame[2] = (epoch >>> 8) & 0xff;
  frame[3] = (epoch >>> 16) & 0xff;
  frame[4] = (epoch >>> 24) & 0xff;
  let at = writeVarint(frame, 5, seq);
  at = writeVarint(frame, at, batch.count);
  at = writeVarint(frame, at, base);
  frame.set(batch.data, at);
  return frame;
}

/** Whether `frame` is a version-5 Delta frame (format 2) rather than a FlatBuffers frame. */
export function isDeltaFrame(frame: Uint8Array): boolean {
  return frame.length > 0 && (frame[0] as number) >> 4 === DELTA_FRAME_FORMAT;
}

/** Reads a Delta frame's envelope (`frame` starts with a format-2 header). Throws only ProtocolError. */
export function readDeltaFrame(frame: Uint8Array, maxFrameBytes: number, into: DeltaFrameFields): DeltaFrameFields {
  const header = frame[0] as number;
  if ((header & 0x0c) !== 0)
    throw new ProtocolError('unknown-flags', `Delta frame header 0x${header.toString(16)} sets unknown flags`);
  if (frame.length - 1 > maxFrameBytes)
    throw new ProtocolError(
      'frame-too-large',
      `frame of ${frame.length - 1} bytes is above the limit of ${maxFrameBytes}`,
    );
  if (frame.length < 8)
    throw new ProtocolError('malformed-flatbuffer', `Delta frame of ${frame.length} bytes is too short`);
  let at = 5;
  const varint = (what: string): number => {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const byte = frame[at++];
      if (byte === undefined) throw new ProtocolError('malformed-flatbuffer', `Delta frame ends inside its ${what}`);
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return value;
      scale *= 0x80;
    }
    throw new ProtocolError('malformed-flatbuffer', `Delta frame's ${what} is longer than 8 bytes`);
  };
  into.epoch =
    ((frame[1] as number) |
      ((frame[2] as number) << 8) |
      ((frame[3] as number) << 16) |
      ((frame[4] as number) << 24)) >>>
    0;
  into.channel = header & REPLAY ? 1 : 0;
  into.seq = varint('seq');
  if (into.seq > 0xffff_ffff) throw new ProtocolError('invalid-field', `Delta seq ${into.seq} is above 2^32`);
  into.count = varint('count');
  const base = varint('base time');
  into.baseTimeUs = header & BASE_IN_MS ? base * MS : base;
  into.dataStart = at;
  into.dataEnd = frame.length;
  // Each symbol takes at least 7 bits (id step, two flags, four one-bit values): a larger count
  // is a lie, not an allocation to make.
  if (into.count > ((frame.length - at) * 8) / 7)
    throw new ProtocolError(
      'malformed-flatbuffer',
      `Delta count ${into.count} does not fit its ${frame.length - at} bytes of data`,
    );
  return into;
}
