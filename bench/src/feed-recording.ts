import { readFileSync, writeFileSync } from 'node:fs';
import { FrameReader } from '@tickstream/client';
import { type FrameOptions, PROTOCOL_VERSION } from '@tickstream/schemas';
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

// The SDK's reader (lz4 and the root table read in place, offsets checked): one for every frame read here.
const reader = new FrameReader();

/** The root of any server frame: a Delta frame's envelope (protocol 5), or a FlatBuffers frame's root table. */
export function frameRoot(frame: Uint8Array): FrameRoot {
  reader.read(frame);
  return { epoch: reader.epoch, seq: reader.seq, type: reader.type };
}

/** The symbols a Delta frame carries. */
export function deltaCount(frame: Uint8Array): number {
  reader.read(frame);
  reader.readDelta();
  return reader.count;
}

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
  if (hello === undefined || frameRoot(hello.bytes).type !== MessageType.Hello)
    throw problem('the first frame is not a Hello');
  if (snapshot === undefined || frameRoot(snapshot.bytes).type !== MessageType.Snapshot)
    throw problem('the second frame is not a Snapshot');
  return { header, hello: hello.bytes, snapshot: snapshot.bytes, deltas };
}
