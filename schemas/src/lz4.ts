import { ProtocolError } from './protocol-error.js';

/**
 * lz4 block compression with the uncompressed size prepended as a u32 little-endian (the
 * "size-prepended block" of lz4_flex). Node uses lz4-napi (`lz4-node.ts`); a browser
 * implementation plugs in the same way, so this package never imports a Node module.
 */
export interface Lz4Block {
  /** Returns [u32 LE uncompressed size][lz4 block]. */
  compress(input: Uint8Array): Uint8Array;
  /** Input as `compress` returns it; the caller has already checked the declared size. */
  decompress(input: Uint8Array): Uint8Array;
}

/** The uncompressed size a size-prepended block declares, checked against `limit` before anything is allocated. */
export function declaredSize(block: Uint8Array, limit: number): number {
  if (block.length < 5)
    throw new ProtocolError('decompression-failed', `lz4 block of ${block.length} bytes is too short`);
  const size =
    (block[0] as number) | ((block[1] as number) << 8) | ((block[2] as number) << 16) | ((block[3] as number) << 24);
  const unsigned = size >>> 0;
  if (unsigned > limit) {
    throw new ProtocolError('frame-too-large', `lz4 block declares ${unsigned} bytes, above the limit of ${limit}`);
  }
  return unsigned;
}
