import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SymbolKeyIds } from './symbol-key-ids.js';

/** A name's key as SymbolTableReader.symbolKey() packs it: its 1-6 bytes, then its length. */
function keyOf(bytes: readonly number[]): number {
  let key = 0;
  for (const byte of bytes) key = key * 256 + byte;
  return key * 8 + bytes.length;
}

const name = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 6 });

describe('SymbolKeyIds', () => {
  it('answers as a Map of the same keys would, through growth and replaced ids', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(name, fc.integer({ min: 0, max: 65_535 })), { maxLength: 3000 }),
        fc.array(name, { maxLength: 200 }),
        (sets, probes) => {
          const table = new SymbolKeyIds(4);
          const map = new Map<number, number>();
          for (const [bytes, id] of sets) {
            table.set(keyOf(bytes), id);
            map.set(keyOf(bytes), id);
          }
          expect(table.size).toBe(map.size);
          for (const key of map.keys()) expect(table.get(key)).toBe(map.get(key));
          for (const bytes of probes) expect(table.get(keyOf(bytes))).toBe(map.get(keyOf(bytes)) ?? -1);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps apart keys that differ only in their high or low half, the largest keys included', () => {
    const table = new SymbolKeyIds();
    const largest = keyOf([255, 255, 255, 255, 255, 255]);
    const keys = [keyOf([1]), 2 ** 26 + keyOf([1]), largest, largest - 2 ** 26, keyOf([0]), keyOf([0, 0])];
    for (const [id, key] of keys.entries()) table.set(key, id);
    for (const [id, key] of keys.entries()) expect(table.get(key)).toBe(id);
    expect(table.get(keyOf([0, 0, 0]))).toBe(-1);
    // Many keys with one low half: their probes pass each other's slots.
    const sameLow = new SymbolKeyIds(4);
    const low = keyOf([7, 7, 7]) % 2 ** 26;
    for (let high = 0; high < 2000; high++) sameLow.set(high * 2 ** 26 + low, high);
    for (let high = 0; high < 2000; high++) expect(sameLow.get(high * 2 ** 26 + low)).toBe(high);
  });

  it('refuses a key that is no packed name and an id that is no id', () => {
    const table = new SymbolKeyIds();
    expect(() => table.set(-8, 1)).toThrow(RangeError);
    expect(() => table.set(2 ** 53, 1)).toThrow(RangeError);
    expect(() => table.set(9, -1)).toThrow(RangeError);
  });
});
