import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeTick, TickEncoder, type TickFields } from './tick-codec.js';
import { TickReader } from './tick-reader.js';
import { fitsTickLayout, TickWriter } from './tick-writer.js';

// Names of every length mod 8 (both paddings of the table), empty, and multi-byte UTF-8.
const name = fc.oneof(
  fc.string({ minLength: 0, maxLength: 12 }),
  fc.string({ unit: 'grapheme', minLength: 0, maxLength: 6 }),
  fc.constantFrom('AAPL', 'BRK.B', 'Technology', 'Consumer Discretionary', 'ÄPFEL'),
);
/** Mostly values the producer writes; also zero (left out by the library), extremes and unsafe integers. */
const int64 = fc.oneof(
  { weight: 6, arbitrary: fc.maxSafeInteger() },
  { weight: 6, arbitrary: fc.integer({ min: -(2 ** 31), max: 2 ** 31 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(0, -0, 1, -1, 2 ** 32, -(2 ** 32), Number.MAX_SAFE_INTEGER, 2 ** 60, -(2 ** 62)),
  },
);
const uint32 = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 1, max: 0xffffffff }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 0xffffffff, 2 ** 32, -1) },
);
const tick: fc.Arbitrary<TickFields> = fc.record({
  symbol: name,
  sector: name,
  price: int64,
  size: uint32,
  bid: int64,
  ask: int64,
  exchangeTimeUs: int64,
  sequence: int64,
});

/** The library's bytes (TickEncoder: the flatbuffers Builder), or the error it throws. */
function libraryBytes(fields: TickFields): Uint8Array | string {
  try {
    return new TickEncoder().encode(fields);
  } catch (error) {
    return String(error);
  }
}

/** The writer's bytes for the same tick, written between filler bytes at `offset`, checking it touched nothing else. */
function writerBytes(fields: TickFields, offset: number): Uint8Array | string {
  const writer = new TickWriter([fields.symbol], [fields.sector]);
  const out = new Uint8Array(offset + writer.maxBytes(0) + 16).fill(0xa5);
  let end: number;
  try {
    end = writer.write(0, fields, out, offset);
  } catch (error) {
    return String(error);
  }
  expect(end - offset).toBe(writer.byteLength(0, fields));
  expect(end - offset).toBeLessThanOrEqual(writer.maxBytes(0));
  expect(out.subarray(0, offset).every((b) => b === 0xa5)).toBe(true);
  expect(out.subarray(end).every((b) => b === 0xa5)).toBe(true);
  return out.slice(offset, end);
}

describe('TickWriter', () => {
  it('writes the bytes the flatbuffers library writes, for random ticks at any offset', () => {
    fc.assert(
      fc.property(tick, fc.nat(15), (fields, offset) => {
        expect(writerBytes(fields, offset)).toEqual(libraryBytes(fields));
      }),
      { numRuns: 20_000 },
    );
  });

  it('takes the fixed layout (not the library) for every tick with its scalars set, as the producer writes them', () => {
    const setInt64 = fc.maxSafeInteger().filter((value) => value !== 0);
    const setTick = fc.record({
      symbol: name.filter((symbol) => symbol !== ''), // decodeTick refuses an empty symbol
      sector: name,
      price: setInt64,
      size: fc.integer({ min: 1, max: 0xffffffff }),
      bid: setInt64,
      ask: setInt64,
      exchangeTimeUs: setInt64,
      sequence: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    });
    const reader = new TickReader();
    fc.assert(
      fc.property(setTick, (fields) => {
        expect(fitsTickLayout(fields)).toBe(true);
        const bytes = writerBytes(fields, 3) as Uint8Array;
        expect(bytes).toEqual(libraryBytes(fields));
        expect(decodeTick(bytes)).toEqual(fields);
        // The edge's reader finds it at the fixed layout's places.
        expect(reader.readFixedLayout(bytes, 0, bytes.length)).toBe(true);
      }),
      { numRuns: 5_000 },
    );
  });

  it('writes many symbols into one buffer back to back, each tick where it belongs', () => {
    const symbols = ['A', 'MSFT', 'GOOGL', 'BRK.B', 'ZZZZZZZZ'];
    const sectors = ['Energy', '', 'Communication Services', 'Financials', 'Ünïcode'];
    const writer = new TickWriter(symbols, sectors);
    const out = new Uint8Array(4096);
    const written: { at: number; end: number; fields: TickFields }[] = [];
    let at = 0;
    for (let i = 0; i < 20; i++) {
      const index = (i * 3) % symbols.length;
      const fields: TickFields = {
        symbol: symbols[index] as string,
        sector: sectors[index] as string,
        price: 1_000_000 + i,
        size: i % 4, // every fourth is 0: the library's layout, in the same buffer
        bid: 999_000 + i,
        ask: 1_001_000 + i,
        exchangeTimeUs: 1_795_000_000_000_000 + i,
        sequence: i + 1,
      };
      const end = writer.write(index, fields, out, at);
      written.push({ at, end, fields });
      at = end;
    }
    for (const { at: start, end, fields } of written) {
      expect(out.subarray(start, end)).toEqual(libraryBytes(fields));
    }
  });

  it('refuses a buffer too short and an unknown symbol, writing nothing', () => {
    const writer = new TickWriter(['AAPL'], ['Technology']);
    const fields: TickFields = {
      symbol: 'AAPL',
      sector: 'Technology',
      price: 1,
      size: 1,
      bid: 1,
      ask: 1,
      exchangeTimeUs: 1,
      sequence: 1,
    };
    const short = new Uint8Array(writer.byteLength(0, fields) - 1);
    expect(() => writer.write(0, fields, short, 0)).toThrow(RangeError);
    expect(short.every((b) => b === 0)).toBe(true);
    expect(() => writer.write(1, fields, new Uint8Array(256), 0)).toThrow(/no symbol 1/);
    expect(() => new TickWriter(['A', 'B'], ['X'])).toThrow(/2 symbols but 1 sectors/);
  });
});
