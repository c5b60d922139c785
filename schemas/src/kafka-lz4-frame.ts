import { decodeSequences, type SequenceViews } from './lz4-block.js';

/*
 * Kafka's lz4: a record batch's records as one LZ4 frame (the lz4 frame format: magic, a
 * descriptor, then blocks, then an end mark), decoded in TypeScript for the edge's fetch path.
 *
 * Why not lz4-napi's decompressFrameSync: a batch of a live topic is a few hundred bytes to a few
 * KB, and the native call (the crossing, and its frame decoder's 64 KB block buffer) cost more
 * than the sequences themselves. `node bench/dist/kafka-lz4.js` (CPU µs per batch, interleaved):
 * 1.3-2.2× less CPU here for batches of 10, 100 and 1,000 ticks. In a profile of an edge following
 * 5,000 ticks/s with no client, decompression was the largest item.
 *
 * The checksums a frame may carry (header, block, content: xxHash32) are skipped, not verified,
 * as Apache Kafka's own KafkaLZ4BlockInputStream skips the block checksums: the record batch has
 * its CRC-32C. Every length is bounds-checked, so a corrupt frame is an error, never a read
 * outside the input or an output past `MAX_OUTPUT`.
 */

const MAGIC = 0x184d2204;
/** Per frame: far above what a fetch returns (the edge asks for at most a few MB per partition). */
const MAX_OUTPUT = 256 << 20;

/** Where frames decode (before their exact-size copy out, if any); grown to the largest frame seen. */
let scratch = Buffer.allocUnsafeSlow(256 << 10);
/** `out` over exactly `scratch`; `input` set to each frame's bytes as it is decoded. */
const views: SequenceViews = {
  input: new DataView(new ArrayBuffer(0)),
  out: new DataView(scratch.buffer, scratch.byteOffset, scratch.length),
};

export class Lz4FrameError extends Error {}

/** Decodes one lz4 frame (as Kafka writes lz4 record batches) into a Buffer of its own. */
export function decompressKafkaLz4(frame: Uint8Array): Buffer {
  const decoded = decompressKafkaLz4Transient(frame);
  const out = Buffer.allocUnsafe(decoded.length);
  out.set(decoded);
  return out;
}

/**
 * Decodes one lz4 frame into a buffer shared by every call: the view returned is valid until
 * the next decode. For a reader that is done with a batch's records before it decodes the next
 * (the edge's tick path), which then copies no batch a second time.
 */
export function decompressKafkaLz4Transient(frame: Uint8Array): Buffer {
  const fail = (why: string): never => {
    throw new Lz4FrameError(`lz4 frame of ${frame.length} bytes: ${why}`);
  };
  if (frame.length < 7) fail('too short for a header');
  const magic =
    ((frame[0] as number) | ((frame[1] as number) << 8) | ((frame[2] as number) << 16)) +
    (frame[3] as number) * 0x1000000;
  if (magic !== MAGIC) fail(`magic 0x${magic.toString(16)}, not 0x184d2204`);
  const flags = frame[4] as number;
  if (flags >>> 6 !== 1) fail(`version ${flags >>> 6}, only 1 is defined`);
  if ((flags & 0x01) !== 0) fail('a dictionary id, which Kafka never uses');
  const blockChecksums = (flags & 0x10) !== 0;
  const contentSize = (flags & 0x08) !== 0;
  const contentChecksum = (flags & 0x04) !== 0;
  const blockMax = [0, 0, 0, 0, 64 << 10, 256 << 10, 1 << 20, 4 << 20][((frame[5] as number) >>> 4) & 7] as number;
  if (blockMax === 0) fail(`block maximum size code ${((frame[5] as number) >>> 4) & 7}`);
  views.input = new DataView(frame.buffer, frame.byteOffset, frame.length);
  let at = 6 + (contentSize ? 8 : 0) + 1; // descriptor, content size, header checksum
  let o = 0;
  for (;;) {
    if (at + 4 > frame.length) fail('ends before its end mark');
    const word =
      ((frame[at] as number) | ((frame[at + 1] as number) << 8) | ((frame[at + 2] as number) << 16)) +
      (frame[at + 3] as number) * 0x1000000;
    at += 4;
    if (word === 0) break;
    const stored = word >= 0x80000000; // the block is kept as is (it would not compress)
    const length = stored ? word - 0x80000000 : word;
    const end = at + length;
    if (length > blockMax || end > frame.length)
      fail(`a block of ${length} bytes at ${at - 4} runs past the frame or its maximum ${blockMax}`);
    if (o + blockMax > MAX_OUTPUT) fail(`decodes to more than ${MAX_OUTPUT} bytes`);
    if (o + blockMax > scratch.length) {
      const grown = Buffer.allocUnsafeSlow(Math.min(MAX_OUTPUT, Math.max(scratch.length * 2, o + blockMax)));
      grown.set(scratch.subarray(0, o));
      scratch = grown;
      views.out = new DataView(scratch.buffer, scratch.byteOffset, scratch.length);
    }
    if (stored) {
      scratch.set(frame.subarray(at, end), o);
      o += length;
    } else {
      try {
        o = decodeSequences(frame, at, end, scratch, o, o + blockMax, views);
      } catch (error) {
        fail(`block at ${at - 4}: ${(error as Error).message}`);
      }
    }
    at = end + (blockChecksums ? 4 : 0);
  }
  if (contentChecksum && at + 4 > frame.length) fail('ends inside its content checksum');
  return scratch.subarray(0, o);
}
