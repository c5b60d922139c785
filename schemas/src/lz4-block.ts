import type { Lz4Block } from './lz4.js';

/**
 * lz4 in plain TypeScript, for clients in browsers, Workers and Node alike: a size-prepended
 * block decompressor (the format of docs/protocol.md, "Frames") and a literals-only
 * compressor. Decompression is the only hot lz4 operation in a client; the frame codec has
 * already checked the declared size against Hello.max_frame_bytes. Servers use lz4-napi
 * (`lz4-node.ts`), which compresses.
 */
export const jsLz4: Lz4Block = {
  compress: compressLiterals,
  decompress: decompressBlock,
};

/** The uncompressed size a size-prepended block declares (u32 little-endian). */
export function blockSize(input: Uint8Array, at = 0): number {
  return (
    ((input[at] as number) | ((input[at + 1] as number) << 8) | ((input[at + 2] as number) << 16)) +
    (input[at + 3] as number) * 0x1000000
  );
}

export function decompressBlock(input: Uint8Array): Uint8Array {
  const out = new Uint8Array(blockSize(input));
  decompressBlockInto(input, 0, input.length, out);
  return out;
}

/**
 * Decompresses the size-prepended block in `input[start, end)` into the front of `out` (which
 * must hold its declared size) and returns that size: a client reuses one output buffer for
 * every frame instead of allocating one each.
 */
export function decompressBlockInto(input: Uint8Array, start: number, end: number, out: Uint8Array): number {
  const size = blockSize(input, start);
  if (size > out.length) throw new Error(`block declares ${size} bytes, the output holds ${out.length}`);
  const o = decodeSequences(input, start + 4, end, out, 0, size);
  if (o !== size) throw new Error(`block held ${o} bytes, declared ${size}`);
  return size;
}

/** DataViews of exactly the bytes of a decoder's input and output, for copies a word at a time. */
export interface SequenceViews {
  input: DataView;
  out: DataView;
}

/**
 * Decodes the lz4 sequences of `input[start, end)` into `out` from `outAt`, writing nothing at or
 * past `limit`, and returns where the output ends. A match may reach back before `outAt`: in a
 * frame of linked blocks (Kafka's lz4, `kafka-lz4-frame.ts`) it refers to the blocks before.
 *
 * With `views`, short literal runs and matches are copied 4 bytes at a time (in 8-byte steps), past their end
 * when there is room before `limit` (the next sequence writes over the excess, as lz4's own
 * "wild copy" does). A record batch of ticks is ~10 sequences per tick, mostly matches of 5-8
 * bytes (docs/edge.md, "The per-tick path").
 */
export function decodeSequences(
  input: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  outAt: number,
  limit: number,
  views?: SequenceViews,
): number {
  const inView = views?.input;
  const outView = views?.out;
  let i = start;
  let o = outAt;
  while (i < end) {
    const token = input[i++] as number;
    let literals = token >>> 4;
    if (literals === 15) {
      let more = 255;
      while (more === 255) {
        if (i >= end) throw new Error('literal length runs past the block');
        more = input[i++] as number;
        literals += more;
      }
    }
    if (i + literals > end || o + literals > limit) throw new Error('literals run past the block');
    if (literals <= 8 && inView !== undefined && outView !== undefined && i + 8 <= end && o + 8 <= limit) {
      outView.setInt32(o, inView.getInt32(i, true), true);
      outView.setInt32(o + 4, inView.getInt32(i + 4, true), true);
      i += literals;
      o += literals;
    } else if (literals < 16) {
      // Short runs (most of a frame's): a loop beats set()'s subarray and call.
      for (const stop = i + literals; i < stop; ) out[o++] = input[i++] as number;
    } else if (literals < 256 && inView !== undefined && outView !== undefined) {
      // A batch's first record is mostly literals (a frame starts with no history): 4 bytes at
      // a time, then the rest, rather than a subarray (an object) per run.
      const stop = i + literals;
      for (; i + 4 <= stop; i += 4, o += 4) outView.setInt32(o, inView.getInt32(i, true), true);
      while (i < stop) out[o++] = input[i++] as number;
    } else {
      out.set(input.subarray(i, i + literals), o);
      i += literals;
      o += literals;
    }
    // The last sequence is literals only.
    if (i >= end) break;
    if (i + 2 > end) throw new Error('match offset runs past the block');
    const offset = (input[i] as number) | ((input[i + 1] as number) << 8);
    i += 2;
    if (offset === 0 || offset > o) throw new Error(`match offset ${offset} points before the output`);
    let length = token & 15;
    if (length === 15) {
      let more = 255;
      while (more === 255) {
        if (i >= end) throw new Error('match length runs past the block');
        more = input[i++] as number;
        length += more;
      }
    }
    length += 4;
    const stop = o + length;
    if (stop > limit) throw new Error('match runs past the declared size');
    let from = o - offset;
    if (outView !== undefined && offset >= 4 && stop + 8 <= limit) {
      // A word at a time, in order: each 4 bytes read were written before (offset ≥ 4), even
      // where the match overlaps what it writes.
      do {
        outView.setInt32(o, outView.getInt32(from, true), true);
        outView.setInt32(o + 4, outView.getInt32(from + 4, true), true);
        o += 8;
        from += 8;
      } while (o < stop);
      o = stop;
    } else if (offset >= length && length >= 32) {
      out.copyWithin(o, from, from + length);
      o = stop;
    } else {
      // Short or overlapping (a repeated pattern): byte by byte, on purpose.
      while (o < stop) out[o++] = out[from++] as number;
    }
  }
  return o;
}

/**
 * A valid block of literals only. Clients never need to compress (client frames go out
 * uncompressed); this exists so the Lz4Block is complete and round-trips in tests.
 */
export function compressLiterals(input: Uint8Array): Uint8Array {
  const n = input.length;
  const extra = n >= 15 ? Math.floor((n - 15) / 255) + 1 : 0;
  const out = new Uint8Array(4 + 1 + extra + n);
  out[0] = n & 0xff;
  out[1] = (n >>> 8) & 0xff;
  out[2] = (n >>> 16) & 0xff;
  out[3] = (n >>> 24) & 0xff;
  let o = 4;
  out[o++] = Math.min(n, 15) << 4;
  if (n >= 15) {
    let rest = n - 15;
    while (rest >= 255) {
      out[o++] = 255;
      rest -= 255;
    }
    out[o++] = rest;
  }
  out.set(input, o);
  return out;
}
