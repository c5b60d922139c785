import { describe, expect, it } from 'vitest';
import { buildUniverse, SECTORS, SYMBOL_PATTERN } from './universe.js';

const SEEDS = ['AAPL', 'GOOGL', 'AMZN', 'TSLA', 'MSFT'];

describe('buildUniverse', () => {
  it("starts with the seeds' five at realistic levels, then unique generated tickers, up to 10,000", () => {
    const universe = buildUniverse({ symbolCount: 10_000, seed: 1 });
    expect(universe.size).toBe(10_000);
    expect(universe.names.slice(0, 5)).toEqual(SEEDS);
    expect(new Set(universe.names).size).toBe(10_000);
    expect([...universe.initialPrice.slice(0, 5)]).toEqual([190, 170, 185, 250, 420]);
    expect(universe.volatility[3]).toBe(0.55);
    expect(universe.sectors.slice(0, 5)).toEqual([
      'Technology',
      'Communication Services',
      'Consumer Discretionary',
      'Consumer Discretionary',
      'Technology',
    ]);
    for (let i = 5; i < universe.size; i++) {
      const name = universe.names[i] as string;
      const price = universe.initialPrice[i] as number;
      const volatility = universe.volatility[i] as number;
      const valid =
        /^[A-Z]{3,5}$/.test(name) &&
        !SEEDS.includes(name) &&
        price >= 5 &&
        price <= 800 &&
        volatility >= 0.15 &&
        volatility <= 0.8 &&
        universe.sectors[i] === SECTORS[universe.sectorIndex[i] as number];
      if (!valid) throw new Error(`${name}: price ${price}, volatility ${volatility}, sector ${universe.sectors[i]}`);
    }
    // Log-uniform prices: as many below $63 (the geometric middle of $5–$800) as above.
    const cheap = universe.initialPrice.filter((p) => p < Math.sqrt(5 * 800)).length;
    expect(Math.abs(cheap / universe.size - 0.5)).toBeLessThan(0.03);
    // Every one of the eleven sectors is used.
    expect(new Set(universe.sectorIndex).size).toBe(11);
  });

  it('builds the same universe from the same seed, and a smaller one as its prefix', () => {
    const a = buildUniverse({ symbolCount: 300, seed: 9 });
    const b = buildUniverse({ symbolCount: 300, seed: 9 });
    const small = buildUniverse({ symbolCount: 40, seed: 9 });
    const other = buildUniverse({ symbolCount: 300, seed: 10 });
    expect(b).toEqual(a);
    expect(small.names).toEqual(a.names.slice(0, 40));
    expect([...small.initialPrice]).toEqual([...a.initialPrice.slice(0, 40)]);
    expect(other.names.slice(5)).not.toEqual(a.names.slice(5));
  });

  it('uses exactly the symbols given, with the known sectors of the seeds', () => {
    const universe = buildUniverse({ symbols: ['MSFT', 'BRK.B', 'X'], symbolCount: 1, seed: 1 });
    expect(universe.names).toEqual(['MSFT', 'BRK.B', 'X']);
    expect(universe.sectors[0]).toBe('Technology');
    expect(universe.initialPrice[0]).toBe(420);
    expect(SECTORS).toContain(universe.sectors[1]);
  });

  it('refuses bad sizes and names with a RangeError that says what to fix', () => {
    const count = (symbolCount: number) => () => buildUniverse({ symbolCount, seed: 1 });
    for (const bad of [0, 10_001, 2.5, Number.NaN]) {
      expect(count(bad)).toThrow(new RangeError(`symbolCount must be an integer from 1 to 10000, got ${bad}`));
    }
    const symbols = (list: string[]) => () => buildUniverse({ symbols: list, symbolCount: 1, seed: 1 });
    expect(symbols([])).toThrow(new RangeError('symbols must list 1 to 10000 tickers, got 0'));
    expect(symbols(Array.from({ length: 10_001 }, (_, i) => `S${i}`))).toThrow('got 10001');
    for (const bad of ['aapl', 'bad one', '1ABC', 'TOOLONGNAME1', '']) {
      expect(SYMBOL_PATTERN.test(bad)).toBe(false);
      expect(symbols(['AAPL', bad])).toThrow(
        new RangeError(
          `symbol '${bad}' is not a ticker: use 1 to 10 characters from A-Z, 0-9 and '.', starting with a letter`,
        ),
      );
    }
    expect(symbols(['AAPL', 'MSFT', 'AAPL'])).toThrow(new RangeError("symbol 'AAPL' is listed twice"));
  });
});
