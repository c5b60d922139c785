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
/**
 * `out` over exactly `scratch`; `input` over the whole ArrayBuffer the frames come in, kept while
 * they keep coming in the same one (a connection's reused answer buffer): a DataView per frame
 * was, with the frame's own view, most of what an idle edge allocated per record batch.
 */
const views: SequenceViews = {
  input: new DataView(new ArrayBuffer(0)),
  out: new DataView(scratch.buffer, scratch.byteOffset, scratch.length),
};
/** The bytes `views.input` spans, as bytes. */
let inputBytes = new Uint8Array(views.input.buffer);

export class Lz4FrameError extends Error {}

/** Decodes one lz4 frame (as Kafka writes lz4 record batches) into a Buffer of its own. */
export function decompressKafkaLz4(frame: Uint8Array): Buffer {
  const length = decodeKafkaLz4Frame(frame, 0, frame.length);
  const out = Buffer.allocUnsafe(length);
  out.set(scratch.subarray(0, length));
  return out;
}

/**
 * Decodes one lz4 frame into a buffer shared by every call: the view returned is valid until
 * the next decode. For a reader that is done with a batch's records before it decodes the next
 * (the edge's tick path), which then copies no batch a second time.
 */
export function decompressKafkaLz4Transient(frame: Uint8Array): Buffer {
  return scratch.subarray(0, decodeKafkaLz4Frame(frame, 0, frame.length));
}

/**
 * Decodes the lz4 frame `bytes[start, end)` into the front of the shared buffer
 * (`kafkaLz4Output()`, valid until the next decode) and returns its length: no view or object
 * per frame, for the tick path's batch after batch.
 */
export function decodeKafkaLz4Frame(bytes: Uint8Array, start: number, end: number): number {
  const length = end - start;
  if (length < 7) frameError(length, 'too short for a header');
  const magic =
    ((bytes[start] as number) | ((bytes[start + 1] as number) << 8) | ((bytes[start + 2] as number) << 16)) +
    (bytes[start + 3] as number) * 0x1000000;
  if (magic !== MAGIC) frameError(length, `magic 0x${magic.toString(16)}, not 0x184d2204`);
  const flags = bytes[start + 4] as number;
  if (flags >>> 6 !== 1) frameError(length, `version ${flags >>> 6}, only 1 is defined`);
  if ((flags & 0x01) !== 0) frameError(length, 'a dictionary id, which Kafka never uses');
  const blockChecksums = (flags & 0x10) !== 0;
  const contentSize = (flags & 0x08) !== 0;
  const contentChecksum = (flags & 0x04) !== 0;
  const sizeCode = ((bytes[start + 5] as number) >>> 4) & 7;
  const blockMax = BLOCK_MAX[sizeCode] as number;
  if (blockMax === 0) frameError(length, `block maximum size code ${sizeCode}`);
  // Decoded over the whole ArrayBuffer, so its views serve every frame that comes in it.
  if (bytes.buffer !== inputBytes.buffer) {
    inputBytes = new Uint8Array(bytes.buffer);
    views.input = new DataView(bytes.buffer);
  }
  const base = bytes.byteOffset;
  let at = start + 6 + (contentSize ? 8 : 0) + 1; // descriptor, content size, header checksum
  let o = 0;
  for (;;) {
    if (at + 4 > end) frameError(length, 'ends before its end mark');
    const word =
      ((bytes[at] as number) | ((bytes[at + 1] as number) << 8) | ((bytes[at + 2] as number) << 16)) +
      (bytes[at + 3] as number) * 0x1000000;
    at += 4;
    if (word === 0) break;
    const stored = word >= 0x80000000; // the block is kept as is (it would not compress)
    const blockLength = stored ? word - 0x80000000 : word;
    const blockEnd = at + blockLength;
    if (blockLength > blockMax || blockEnd > end)
      frameError(
        length,
        `a block of ${blockLength} bytes at ${at - 4 - start} runs past the frame or its maximum ${blockMax}`,
      );
    if (o + blockMax > MAX_OUTPUT) frameError(length, `decodes to more than ${MAX_OUTPUT} bytes`);
    if (o + blockMax > scratch.length) {
      const grown = Buffer.allocUnsafeSlow(Math.min(MAX_OUTPUT, Math.max(scratch.length * 2, o + blockMax)));
      grown.set(scratch.subarray(0, o));
      scratch = grown;
      views.out = new DataView(scratch.buffer, scratch.byteOffset, scratch.length);
    }
    if (stored) {
      scratch.set(bytes.subarray(at, blockEnd), o);
      o += blockLength;
    } else {
      try {
        o = decodeSequences(inputBytes, base + at, base + blockEnd, scratch, o, o + blockMax, views);
      } catch (error) {
        frameError(length, `block at ${at - 4 - start}: ${(error as Error).message}`);
      }
    }
    at = blockEnd + (blockChecksums ? 4 : 0);
  }
  if (contentChecksum && at + 4 > end) frameError(length, 'ends inside its content checksum');
  return o;
}

/** Where decodeKafkaLz4Frame's output is (its first `length` bytes): valid until the next decode. */
export function kafkaLz4Output(): Buffer {
  return scratch;
}

const BLOCK_MAX = [0, 0, 0, 0, 64 << 10, 256 << 10, 1 << 20, 4 << 20];

function frameError(length: number, why: string): never {
  throw new Lz4FrameError(`lz4 frame of ${length} bytes: ${why}`);
}
