import { describe, expect, it } from 'vitest';
import { compressLiterals, decompressBlock, decompressBlockInto, jsLz4 } from './lz4-block.js';
import { nodeLz4 } from './lz4-node.js';
import { decodeServerFrame, ServerFrameEncoder } from './server-codec.js';

function market(bytes: number, seed: number): Uint8Array {
  // Compressible like real frames: repeated structure with varying numbers.
  const out = new Uint8Array(bytes);
  let x = seed;
  for (let i = 0; i < bytes; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    out[i] = i % 16 < 10 ? i % 7 : x & 0xff;
  }
  return out;
}

describe('lz4 block in TypeScript (browsers, Workers, Node)', () => {
  it('decompresses what lz4-napi (the edge) compresses, byte for byte', () => {
    const inputs = [
      new Uint8Array(0),
      new Uint8Array([1]),
      new Uint8Array(70_000).fill(7),
      market(300, 1),
      market(65_536, 2),
      market(1_000_000, 3),
      Uint8Array.from({ length: 5000 }, () => Math.floor(Math.random() * 256)),
    ];
    for (const input of inputs) {
      const block = nodeLz4.compress(input);
      // Buffer.equals: vitest's deep equality walks a megabyte element by element.
      expect(Buffer.from(decompressBlock(block)).equals(input)).toBe(true);
    }
  });

  it('decompresses into a reused buffer, from inside a larger one, and refuses one too small', () => {
    const out = new Uint8Array(70_000);
    for (const input of [market(300, 5), market(65_536, 6), new Uint8Array(0)]) {
      const block = nodeLz4.compress(input);
      const framed = new Uint8Array(block.length + 3);
      framed.set(block, 1);
      const size = decompressBlockInto(framed, 1, 1 + block.length, out);
      expect(size).toBe(input.length);
      expect(Buffer.from(out.subarray(0, size)).equals(input)).toBe(true);
    }
    const block = nodeLz4.compress(market(1000, 7));
    expect(() => decompressBlockInto(block, 0, block.length, new Uint8Array(999))).toThrow(/declares 1000 bytes/);
  });

  it('rejects corrupt blocks instead of reading out of bounds', () => {
    const block = nodeLz4.compress(market(4096, 4));
    expect(() => decompressBlock(block.subarray(0, block.length - 3))).toThrow();
    const badOffset = Uint8Array.from(block);
    badOffset[4] = 0x0f; // a token with no literals, then a match that points before the output
    badOffset[5] = 0xff;
    badOffset[6] = 0xff;
    expect(() => decompressBlock(badOffset)).toThrow();
  });

  it('writes literal-only blocks that lz4-napi reads', () => {
    for (const size of [0, 14, 15, 16, 269, 270, 271, 5000]) {
      const input = market(size, size);
      expect(new Uint8Array(nodeLz4.decompress(compressLiterals(input)))).toEqual(input);
    }
  });

  it('decodes a compressed server frame as the edge encodes it', () => {
    const encoder = new ServerFrameEncoder({ lz4: nodeLz4 });
    const symbols = Array.from({ length: 200 }, (_, id) => ({ id, name: `S${id}`, sector: 'Technology' }));
    const quotes = symbols.map(({ id }) => ({
      id,
      last: 1_000_000 + id,
      bid: 999_900 + id,
      ask: 1_000_100 + id,
      open: 1_000_000,
      high: 1_000_500,
      low: 999_000,
      volume: 1000 * id,
      ticks: id,
      exchangeTimeUs: 1_795_000_000_000_000,
    }));
    const frame = encoder.snapshot(3, 9, symbols, quotes);
    expect(frame[0]).toBe(0x11);
    const message = decodeServerFrame(frame, { lz4: jsLz4 });
    expect(message).toMatchObject({ type: 'snapshot', epoch: 3, seq: 9 });
    expect(message.type === 'snapshot' && message.quotes[199]).toEqual(quotes[199]);
  });
});
