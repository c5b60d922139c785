import { describe, expect, it } from 'vitest';
import { MalformedRequestError } from './errors.js';
import { Reader } from './reader.js';
import { Writer } from './writer.js';

function written(writer: Writer): Reader {
  return new Reader(Buffer.concat(writer.finish()));
}

describe('Writer', () => {
  it('keeps every field when the scratch buffer grows between fields', () => {
    // A tiny initial buffer forces a regrowth inside nearly every write.
    const writer = new Writer(3);
    for (let i = 0; i < 200; i++) {
      writer
        .int8(i % 100)
        .int16(-1 - i)
        .int32(i * 1000)
        .int64(2 ** 40 + i)
        .string(`topic-${i}`)
        .uvarint(i * 300)
        .compactString(`c${i}`);
    }
    const reader = written(writer);
    for (let i = 0; i < 200; i++) {
      expect(reader.int8()).toBe(i % 100);
      expect(reader.int16()).toBe(-1 - i);
      expect(reader.int32()).toBe(i * 1000);
      expect(reader.int64()).toBe(2 ** 40 + i);
      expect(reader.string()).toBe(`topic-${i}`);
      expect(reader.uvarint()).toBe(i * 300);
      expect(reader.compactString()).toBe(`c${i}`);
    }
    expect(reader.remaining).toBe(0);
  });

  it('passes large record buffers through as their own chunks, in order', () => {
    const big = Buffer.alloc(5000, 7);
    const small = Buffer.from([1, 2, 3]);
    const writer = new Writer(16).string('before').records([big, small]).int32(42);
    const chunks = writer.finish();
    expect(chunks).toContain(big);
    const reader = new Reader(Buffer.concat(chunks));
    expect(reader.string()).toBe('before');
    const records = reader.bytes();
    expect(records.length).toBe(5003);
    expect(records.subarray(0, 5000).every((byte) => byte === 7)).toBe(true);
    expect([...records.subarray(5000)]).toEqual([1, 2, 3]);
    expect(reader.int32()).toBe(42);
  });
});

describe('Reader', () => {
  it('rejects a length longer than the bytes there', () => {
    const reader = new Reader(Buffer.from([0x00, 0x10, 0x61]));
    expect(() => reader.string()).toThrow(MalformedRequestError);
  });

  it('rejects an array count larger than the bytes left before allocating', () => {
    const reader = new Reader(Buffer.from([0x7f, 0xff, 0xff, 0xff, 0x00]));
    expect(() => reader.array((r) => r.int8())).toThrow(/array count 2147483647/);
  });
});
