import { declaredSize, type Lz4Block } from './lz4.js';
import { ProtocolError } from './protocol-error.js';

/**
 * Every WebSocket message is one frame: a header byte, then the FlatBuffer, lz4-compressed
 * when that pays. Header: high nibble = format version (1), bit 0 = compressed, bits 1-3 = 0.
 */
export const FRAME_VERSION = 1;
const COMPRESSED = 0x01;

/** Below this many bytes lz4 saves nothing worth its CPU (measured in bench/src/codec.ts). */
export const DEFAULT_COMPRESS_ABOVE = 128;
/** Largest uncompressed body accepted when decoding. */
export const DEFAULT_MAX_FRAME_BYTES = 4 * 1024 * 1024;

export interface FrameOptions {
  lz4: Lz4Block;
  /** Bodies of at least this many bytes are compressed; 0 compresses everything, Infinity nothing. */
  compressAbove?: number;
  maxFrameBytes?: number;
}

export function encodeFrame(body: Uint8Array, options: FrameOptions): Uint8Array {
  const threshold = options.compressAbove ?? DEFAULT_COMPRESS_ABOVE;
  if (body.length >= threshold) {
    const compressed = options.lz4.compress(body);
    // Incompressible bodies (tiny or random) go out as they are.
    if (compressed.length < body.length) return withHeader((FRAME_VERSION << 4) | COMPRESSED, compressed);
  }
  return withHeader(FRAME_VERSION << 4, body);
}

function withHeader(header: number, payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(payload.length + 1);
  frame[0] = header;
  frame.set(payload, 1);
  return frame;
}

/** Returns the FlatBuffer inside a frame (a view when uncompressed). Throws only ProtocolError. */
export function decodeFrame(frame: Uint8Array, options: FrameOptions): Uint8Array {
  const limit = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const header = frame[0];
  if (header === undefined) throw new ProtocolError('empty-frame', 'empty frame: expected a header byte');
  const version = header >> 4;
  if (version !== FRAME_VERSION) {
    throw new ProtocolError(
      'unsupported-version',
      `frame version ${version} is not supported (expected ${FRAME_VERSION})`,
    );
  }
  if ((header & 0x0e) !== 0)
    throw new ProtocolError('unknown-flags', `frame header 0x${header.toString(16)} sets unknown flags`);
  const payload = frame.subarray(1);
  if ((header & COMPRESSED) === 0) {
    if (payload.length > limit)
      throw new ProtocolError('frame-too-large', `frame of ${payload.length} bytes is above the limit of ${limit}`);
    return payload;
  }
  const size = declaredSize(payload, limit);
  let body: Uint8Array;
  try {
    body = options.lz4.decompress(payload);
  } catch (error) {
    throw new ProtocolError('decompression-failed', `lz4 block is corrupt: ${(error as Error).message}`);
  }
  if (body.length !== size) {
    throw new ProtocolError('decompression-failed', `lz4 block declared ${size} bytes but held ${body.length}`);
  }
  return body;
}
