import { randomBytes } from 'node:crypto';
import { compressFrameSync, compressSync } from 'lz4-napi';
import { describe, expect, it } from 'vitest';
import {
  decodeKafkaLz4Frame,
  decompressKafkaLz4,
  decompressKafkaLz4Transient,
  kafkaLz4Output,
  Lz4FrameError,
} from './kafka-lz4-frame.js';

/** Records-like bytes: repeated structure with varying fields, as a batch of ticks is. */
function recordsLike(size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = i % 61 < 40 ? (i % 61) * 3 : (i * 2654435761) >>> 24;
  return out;
}

/** A frame put together by hand around one lz4 block, with every optional field lz4-napi never writes. */
function frameWithEveryOption(records: Buffer, block = compressSync(records).subarray(4)): Buffer {
  // compressSync's block is size-prepended: without its size it is the frame's block.
  const header = Buffer.alloc(4 + 2 + 8 + 1);
  header.writeUInt32LE(0x184d2204, 0);
  header[4] = 0x40 | 0x20 | 0x10 | 0x08 | 0x04; // version 1, independent, block + content checksums, content size
  header[5] = 0x40; // 64 KB blocks
  header.writeBigUInt64LE(BigInt(records.length), 6);
  header[14] = 0x5a; // header checksum: not verified (the batch has its CRC)
  const blockLength = Buffer.alloc(4);
  blockLength.writeUInt32LE(block.length, 0);
  const checksum = Buffer.from([1, 2, 3, 4]);
  return Buffer.concat([header, blockLength, block, checksum, Buffer.alloc(4), checksum]);
}

describe('Kafka lz4 frames decoded in TypeScript', () => {
  it('gives back exactly what lz4-napi framed: small, multi-block and incompressible records', () => {
    for (const records of [
      Buffer.alloc(0),
      recordsLike(1),
      recordsLike(600),
      recordsLike(3000),
      recordsLike(200_000), // four 64 KB blocks
      randomBytes(150_000), // stored blocks: lz4 keeps what it cannot shrink as is
      // Matches 1-16 bytes back, overlapping what they write or not (copied by words from 8 on).
      ...Array.from({ length: 16 }, (_, period) =>
        Buffer.from(Array.from({ length: 3000 }, (_, i) => ((i % (period + 1)) * 37 + (i > 2000 ? 1 : 0)) & 255)),
      ),
    ]) {
      const decoded = decompressKafkaLz4(compressFrameSync(records));
      expect(decoded.length).toBe(records.length);
      expect(decoded.equals(records)).toBe(true);
    }
  });

  it('copies a match that overlaps what it writes as lz4 means it: byte after byte, 1 to 16 bytes back', () => {
    for (let offset = 1; offset <= 16; offset++) {
      const literals = Buffer.from('ABCDEFGHIJKLMNOP'.slice(0, offset));
      // A sequence of `offset` literals and a 40-byte match `offset` back (15 + 21 + 4), then 3 literals.
      const block = Buffer.concat([
        Buffer.from([(offset === 15 || offset === 16 ? 15 : offset) * 16 + 15]),
        offset >= 15 ? Buffer.from([offset - 15]) : Buffer.alloc(0),
        literals,
        Buffer.from([offset, 0, 21]),
        Buffer.from([0x30]),
        Buffer.from('xyz'),
      ]);
      const expected = Buffer.from(
        `${Array.from({ length: offset + 40 }, (_, i) => literals.toString()[i % offset]).join('')}xyz`,
      );
      expect(decompressKafkaLz4(frameWithEveryOption(expected, block)).toString()).toBe(expected.toString());
    }
  });

  it('reads a frame with content size and block and content checksums', () => {
    const records = recordsLike(5000);
    expect(decompressKafkaLz4(frameWithEveryOption(records)).equals(records)).toBe(true);
  });

  it('returns a buffer of its own: decoding the next frame does not change the last', () => {
    const first = recordsLike(4000);
    const decoded = decompressKafkaLz4(compressFrameSync(first));
    decompressKafkaLz4(compressFrameSync(randomBytes(4000)));
    expect(decoded.equals(first)).toBe(true);
  });

  it('decodes into one shared buffer when asked: the same bytes, valid until the next frame', () => {
    const first = recordsLike(4000);
    const second = randomBytes(3000);
    const decoded = decompressKafkaLz4Transient(compressFrameSync(first));
    expect(decoded.equals(first)).toBe(true);
    const next = decompressKafkaLz4Transient(compressFrameSync(second));
    expect(next.equals(second)).toBe(true);
    expect(next.buffer).toBe(decoded.buffer);
  });

  it('decodes frames where they lie in a shared answer buffer, one after another and out of order', () => {
    // As a connection's reused answer buffer holds them: several frames at odd offsets of one
    // ArrayBuffer, whose views the decoder keeps from frame to frame; then frames of another buffer.
    const records = [recordsLike(700), randomBytes(90), recordsLike(5000), Buffer.from('x'.repeat(200))];
    const frames = records.map((one) => compressFrameSync(one));
    // A view into the middle of its ArrayBuffer, as a pooled or reused buffer is.
    const answer = Buffer.alloc(16 + 3 + frames.reduce((sum, frame) => sum + frame.length + 5, 0), 0xee).subarray(16);
    const spans: [number, number][] = [];
    let at = 3;
    for (const frame of frames) {
      frame.copy(answer, at);
      spans.push([at, at + frame.length]);
      at += frame.length + 5;
    }
    for (const index of [0, 1, 2, 3, 2, 0]) {
      const [start, end] = spans[index] as [number, number];
      const length = decodeKafkaLz4Frame(answer, start, end);
      expect(
        kafkaLz4Output()
          .subarray(0, length)
          .equals(records[index] as Buffer),
      ).toBe(true);
      const alone = frames[index] as Buffer;
      expect(decompressKafkaLz4(alone).equals(records[index] as Buffer)).toBe(true);
    }
  });

  it('copies literal runs of every length from 1 to 300 bytes exactly, whatever follows them', () => {
    // A block of one literal run of n bytes, a 4-byte match 1 back, then 5 last literals.
    for (let n = 1; n <= 300; n++) {
      const literals = Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + n) & 255));
      const lengthBytes = n >= 15 ? [...Array(Math.floor((n - 15) / 255)).fill(255), (n - 15) % 255] : [];
      const block = Buffer.concat([
        Buffer.from([Math.min(n, 15) * 16 + 0, ...lengthBytes]),
        literals,
        Buffer.from([1, 0]),
        Buffer.from([0x50]),
        Buffer.from('tail!'),
      ]);
      const expected = Buffer.concat([literals, Buffer.alloc(4, literals[n - 1]), Buffer.from('tail!')]);
      expect(decompressKafkaLz4(frameWithEveryOption(expected, block)).equals(expected)).toBe(true);
    }
  });

  it('refuses corrupt frames with a precise error, never reading outside them', () => {
    const good = compressFrameSync(recordsLike(3000));
    const badMagic = Buffer.from(good);
    badMagic[0] = 0;
    const blockTooLong = Buffer.from(good);
    blockTooLong.writeUInt32LE(good.length, 7);
    // One literal, then a match 5 bytes back: before the output's start.
    const badOffset = frameWithEveryOption(Buffer.alloc(0), Buffer.from([0x10, 0x41, 0x05, 0x00, 0x00]));
    const cases: [Buffer, RegExp][] = [
      [good.subarray(0, 5), /too short/],
      [badMagic, /magic/],
      [good.subarray(0, good.length - 4), /before its end mark|runs past/],
      [blockTooLong, /runs past the frame/],
      [badOffset, /match offset \d+ points before the output/],
    ];
    for (const [frame, message] of cases) {
      expect(() => decompressKafkaLz4(frame)).toThrow(Lz4FrameError);
      expect(() => decompressKafkaLz4(frame)).toThrow(message);
    }
  });
});
