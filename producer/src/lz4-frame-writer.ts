/*
 * An LZ4 frame (the format Kafka's lz4 record batches carry) written sequence by sequence by a
 * caller that knows where its data repeats, instead of searching for repeats with a hash table.
 * The producer's records repeat at known places: a tick of a symbol has the same key, value
 * length, FlatBuffers head (root, vtable) and names as the symbol's previous tick, so those are
 * matches against it and only the record header and the six scalars are literals
 * (record-batch-encoder.ts). In a profile at --rate max, lz4-napi's compressFrameSync was a
 * quarter of each worker's CPU, more than encoding the ticks.
 *
 * Frame: magic, FLG 0x60 (version 1, independent blocks, no checksums, no content size), BD 0x40
 * (blocks of at most 64 KB), HC 0x82 (its xxHash32 byte, as lz4-napi writes the same header), then
 * blocks (u32 LE size, sequences), then a zero end mark. Block rules kept: a block's data is at
 * most BLOCK_BYTES; matches stay inside their block; every block ends with at least 12 literals
 * (TRAILING_LITERALS: a match at the block's end is cut short), so its last match starts more
 * than 12 bytes before its end and its last 5 bytes are literals.
 */

const FRAME_HEADER = [0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82] as const;
/** Raw bytes per block: under 64 KB with room for the sequences' overhead (tokens, lengths, offsets). */
export const BLOCK_BYTES = 60 * 1024;
/** Literals every match leaves behind it, so a block may end after any record. */
const TRAILING_LITERALS = 12;
const MIN_MATCH = 4;

export class Lz4FrameWriter {
  private out: Buffer;
  private at = 0;
  /** Raw position where the current block begins: matches may copy from here on. */
  private blockFrom = 0;
  /** Where the current block's size goes in `out`. */
  private blockSizeAt = 0;
  /** Raw position of the first literal not yet written. */
  private literalFrom = 0;
  /** The match deferMatch() holds back (length 0: none). */
  private deferredAt = 0;
  private deferredSource = 0;
  private deferredLength = 0;

  /** `headroom` bytes are left free before the frame in finish()'s buffer (the batch header). */
  constructor(
    private readonly headroom: number,
    initialBytes = 64 * 1024,
  ) {
    this.out = Buffer.allocUnsafe(initialBytes);
    this.start();
  }

  /** Raw position where the current block begins. */
  get blockStart(): number {
    return this.blockFrom;
  }

  /** Starts a new frame whose raw data begins at raw position 0. */
  start(): void {
    this.at = this.headroom;
    for (const byte of FRAME_HEADER) this.out[this.at++] = byte;
    this.openBlock(0);
  }

  /**
   * Writes the pending literals up to `matchAt`, then a match of `length` bytes at `matchAt`
   * copying the bytes at `source` (raw positions in the current block, source < matchAt).
   */
  match(raw: Uint8Array, matchAt: number, source: number, length: number): void {
    this.flushDeferred(raw, Number.POSITIVE_INFINITY);
    this.sequence(raw, matchAt, source, length);
  }

  /**
   * A match like match(), written only once the next match or the block's end is known: if the
   * block ends less than TRAILING_LITERALS after it, it is cut short, so that a block may end
   * after any record without every record keeping literals at its end.
   */
  deferMatch(raw: Uint8Array, matchAt: number, source: number, length: number): void {
    this.flushDeferred(raw, Number.POSITIVE_INFINITY);
    this.deferredAt = matchAt;
    this.deferredSource = source;
    this.deferredLength = length;
  }

  /** Ends the current block at raw position `end` (what is pending becomes its last literals) and opens the next there. */
  closeBlock(raw: Uint8Array, end: number): void {
    this.flushDeferred(raw, end);
    const literals = end - this.literalFrom;
    this.ensure(literals + 8 + (literals >>> 8));
    const out = this.out;
    out[this.at++] = literals >= 15 ? 0xf0 : literals << 4;
    if (literals >= 15) this.length(literals - 15);
    out.set(raw.subarray(this.literalFrom, end), this.at);
    this.at += literals;
    out.writeUInt32LE(this.at - this.blockSizeAt - 4, this.blockSizeAt);
    this.openBlock(end);
  }

  /** Writes the deferred match, if any, ending at least TRAILING_LITERALS before `blockEnd` (or not at all if that leaves it too short). */
  private flushDeferred(raw: Uint8Array, blockEnd: number): void {
    if (this.deferredLength === 0) return;
    const length = Math.min(this.deferredLength, blockEnd - TRAILING_LITERALS - this.deferredAt);
    this.deferredLength = 0;
    if (length >= MIN_MATCH) this.sequence(raw, this.deferredAt, this.deferredSource, length);
  }

  private sequence(raw: Uint8Array, matchAt: number, source: number, length: number): void {
    const literals = matchAt - this.literalFrom;
    this.ensure(literals + 16 + ((literals + length) >>> 8));
    const out = this.out;
    const matchCode = length - MIN_MATCH;
    out[this.at++] = (literals >= 15 ? 0xf0 : literals << 4) | (matchCode >= 15 ? 15 : matchCode);
    if (literals >= 15) this.length(literals - 15);
    out.set(raw.subarray(this.literalFrom, matchAt), this.at);
    this.at += literals;
    const offset = matchAt - source;
    out[this.at++] = offset;
    out[this.at++] = offset >>> 8;
    if (matchCode >= 15) this.length(matchCode - 15);
    this.literalFrom = matchAt + length;
  }

  /**
   * Closes the frame at raw position `end` and returns it, preceded by the headroom, in a buffer
   * of its own; the writer then starts a new frame.
   */
  finish(raw: Uint8Array, end: number): Buffer {
    if (end > this.blockFrom) this.closeBlock(raw, end);
    // The block opened last is empty: its size field becomes the end mark.
    this.out.writeUInt32LE(0, this.blockSizeAt);
    const frame = Buffer.allocUnsafe(this.at);
    this.out.copy(frame, this.headroom, this.headroom, this.at);
    this.start();
    return frame;
  }

  private openBlock(rawStart: number): void {
    this.deferredLength = 0;
    this.ensure(4);
    this.blockSizeAt = this.at;
    this.at += 4;
    this.blockFrom = rawStart;
    this.literalFrom = rawStart;
  }

  /** An LZ4 length beyond its token's 15: bytes of 255, then the rest. */
  private length(rest: number): void {
    let left = rest;
    while (left >= 255) {
      this.out[this.at++] = 255;
      left -= 255;
    }
    this.out[this.at++] = left;
  }

  private ensure(bytes: number): void {
    if (this.at + bytes <= this.out.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.out.length * 2, this.at + bytes));
    this.out.copy(grown, 0, 0, this.at);
    this.out = grown;
  }
}
