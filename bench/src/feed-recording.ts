import { readFileSync, writeFileSync } from 'node:fs';
import {
  DEFAULT_MAX_FRAME_BYTES,
  decodeFrame,
  type FrameOptions,
  isDeltaFrame,
  newDeltaFrameFields,
  PROTOCOL_VERSION,
  readDeltaFrame,
} from '@tickstream/schemas';
import { nodeLz4 } from '@tickstream/schemas/lz4-node';

/**
 * A recorded feed (issue 25): the frames one real edge sent one WebSocket for the dashboard's own
 * subscription (`"*"`), byte for byte as they arrived, each with the time it arrived. The first
 * frame is the edge's Hello, the second the Snapshot that answered the Subscribe, then the live
 * Deltas in order. Anything else the edge sent (AnalyticsStatus, MarketEvents) is left out: the
 * recording is the grid's stream.
 *
 * File layout (little-endian): the 8 bytes `TSFEED01`, a u32 length and that many bytes of JSON
 * (RecordingHeader), then per frame an f64 arrival time in ms since the Snapshot arrived, a u32
 * length and the frame's bytes.
 */
export interface RecordingHeader {
  /** What the recording was made to offer, and what it carries. */
  targetUpdatesPerSecond: number;
  updatesPerSecond: number;
  symbols: number;
  seconds: number;
  deltas: number;
  /** The edge and producer settings it was recorded with. */
  ticksPerSecond: number;
  windowMs: number;
  recordedAt: string;
  protocolVersion: number;
}

export interface RecordedFrame {
  atMs: number;
  bytes: Uint8Array;
}

export interface Recording {
  header: RecordingHeader;
  hello: Uint8Array;
  snapshot: Uint8Array;
  deltas: RecordedFrame[];
}

const MAGIC = Buffer.from('TSFEED01', 'ascii');
export const FRAME_OPTIONS: FrameOptions = { lz4: nodeLz4 };

/** ServerMessage union numbers (schemas/fbs/edge.fbs) the recorder and the replay server tell apart. */
export const MessageType = { Hello: 1, Snapshot: 2, Delta: 3 } as const;

/** A frame's stream position and message type: what replay needs to read and renumber it. */
export interface FrameRoot {
  epoch: number;
  seq: number;
  type: number;
}

/** The root of any server frame: a Delta frame's envelope (protocol 5), or a FlatBuffers frame's root table. */
export function frameRoot(frame: Uint8Array): FrameRoot {
  if (!isDeltaFrame(frame)) return readFrameRoot(frameBody(frame));
  const delta = readDeltaFrame(frame, DEFAULT_MAX_FRAME_BYTES, newDeltaFrameFields());
  return { epoch: delta.epoch, seq: delta.seq, type: MessageType.Delta };
}

/** The symbols a Delta frame carries. */
export function deltaCount(frame: Uint8Array): number {
  return readDeltaFrame(frame, DEFAULT_MAX_FRAME_BYTES, newDeltaFrameFields()).count;
}

/** Reads a FlatBuffers ServerFrame body's root table by hand (offsets checked against the body). */
export function readFrameRoot(body: Uint8Array): FrameRoot {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const inside = (at: number, size: number): number => {
    if (at < 0 || at + size > body.byteLength)
      throw new RangeError(`ServerFrame offset ${at} outside its ${body.byteLength} bytes`);
    return at;
  };
  const root = view.getUint32(inside(0, 4), true);
  const vtable = root - view.getInt32(inside(root, 4), true);
  const vtableSize = view.getUint16(inside(vtable, 2), true);
  const fieldAt = (index: number): number => {
    const slot = 4 + 2 * index;
    if (slot + 2 > vtableSize) return -1;
    const offset = view.getUint16(inside(vtable + slot, 2), true);
    return offset === 0 ? -1 : root + offset;
  };
  const u32 = (at: number): number => (at < 0 ? 0 : view.getUint32(inside(at, 4), true));
  const typeAt = fieldAt(2);
  return {
    epoch: u32(fieldAt(0)),
    seq: u32(fieldAt(1)),
    type: typeAt < 0 ? 0 : view.getUint8(inside(typeAt, 1)),
  };
}

/** The FlatBuffer inside a frame, decompressed. */
export const frameBody = (frame: Uint8Array): Uint8Array => decodeFrame(frame, FRAME_OPTIONS);

export function writeRecording(path: string, recording: Recording): void {
  const header = Buffer.from(JSON.stringify(recording.header), 'utf8');
  const frames: RecordedFrame[] = [
    { atMs: 0, bytes: recording.hello },
    { atMs: 0, bytes: recording.snapshot },
    ...recording.deltas,
  ];
  const size = MAGIC.length + 4 + header.length + frames.reduce((sum, f) => sum + 12 + f.bytes.length, 0);
  const out = Buffer.alloc(size);
  let at = MAGIC.copy(out, 0);
  at = out.writeUInt32LE(header.length, at);
  at += header.copy(out, at);
  for (const frame of frames) {
    at = out.writeDoubleLE(frame.atMs, at);
    at = out.writeUInt32LE(frame.bytes.length, at);
    out.set(frame.bytes, at);
    at += frame.bytes.length;
  }
  writeFileSync(path, out);
}

/** Reads a recording, checking its layout and that it starts Hello, Snapshot. Throws a RangeError naming the problem. */
export function readRecording(path: string): Recording {
  const data = readFileSync(path);
  const problem = (what: string): RangeError => new RangeError(`${path} is not a feed recording: ${what}`);
  if (data.length < 12 || !data.subarray(0, 8).equals(MAGIC)) throw problem('no TSFEED01 magic');
  const headerLength = data.readUInt32LE(8);
  if (12 + headerLength > data.length) throw problem('its header runs past the end');
  const header = JSON.parse(data.subarray(12, 12 + headerLength).toString('utf8')) as RecordingHeader;
  const frames: RecordedFrame[] = [];
  for (let at = 12 + headerLength; at < data.length; ) {
    if (at + 12 > data.length) throw problem(`a frame header is cut at byte ${at}`);
    const atMs = data.readDoubleLE(at);
    const length = data.readUInt32LE(at + 8);
    if (at + 12 + length > data.length) throw problem(`the frame at byte ${at} runs past the end`);
    frames.push({ atMs, bytes: new Uint8Array(data.subarray(at + 12, at + 12 + length)) });
    at += 12 + length;
  }
  if (header.protocolVersion !== PROTOCOL_VERSION)
    throw problem(`it was recorded with protocol ${header.protocolVersion}, not ${PROTOCOL_VERSION}: record it again`);
  const [hello, snapshot, ...deltas] = frames;
  if (hello === undefined || readFrameRoot(frameBody(hello.bytes)).type !== MessageType.Hello)
    throw problem('the first frame is not a Hello');
  if (snapshot === undefined || readFrameRoot(frameBody(snapshot.bytes)).type !== MessageType.Snapshot)
    throw problem('the second frame is not a Snapshot');
  return { header, hello: hello.bytes, snapshot: snapshot.bytes, deltas };
}
