import { PRICE_SCALE } from '@tickstream/schemas';
import { describe, expect, it } from 'vitest';
import { TickGenerator } from './generator.js';
import type { TickOut } from './model.js';
import type { MarketEventOut } from './scenarios.js';
import { buildUniverse } from './universe.js';

const T0 = 1_800_000_000_000;

describe('TickGenerator', () => {
  it('gives the same ticks for the same seed and clock, and different ticks for another seed', () => {
    const universe = buildUniverse({ symbolCount: 50, seed: 1 });
    const run = (seed: number): TickOut[] => {
      const generator = new TickGenerator({ universe, seed, scenario: 'flash-crash' });
      const ticks: TickOut[] = [];
      for (let k = 0; k < 40; k++) generator.fill(T0 + k * 37, 100, (tick) => ticks.push({ ...tick }));
      return ticks;
    };
    const ticks = run(42);
    expect(ticks).toHaveLength(4000);
    expect(run(42)).toEqual(ticks);
    expect(run(43)).not.toEqual(ticks);
  });

  it('hands every tick in one reused object, spreads their times over the time since the last call, and counts per symbol', () => {
    const universe = buildUniverse({ symbolCount: 30, seed: 2 });
    const generator = new TickGenerator({ universe, seed: 2 });
    const seen = new Set<TickOut>();
    const times: number[] = [];
    const lastSequence = new Map<number, number>();
    const first = new Map<number, number>();
    const sink = (tick: TickOut): void => {
      seen.add(tick);
      times.push(tick.timeMs);
      expect(tick.sequence).toBe((lastSequence.get(tick.symbolIndex) ?? 0) + 1);
      lastSequence.set(tick.symbolIndex, tick.sequence);
      if (!first.has(tick.symbolIndex)) first.set(tick.symbolIndex, tick.price);
    };
    // The first call has no time to spread: every symbol prints its initial price.
    expect(generator.fill(T0, 200, sink)).toBe(200);
    for (const [symbol, price] of first) {
      expect(price).toBe(Math.round((universe.initialPrice[symbol] as number) * PRICE_SCALE));
    }
    times.length = 0;
    expect(generator.fill(T0 + 1000, 500, sink)).toBe(500);
    expect(times[0]).toBe(T0 + 2);
    expect(times.at(-1)).toBe(T0 + 1000);
    for (let k = 1; k < times.length; k++) expect(times[k]).toBeGreaterThan(times[k - 1] as number);
    expect(seen.size).toBe(1);
    // A clock stepped back makes ticks at the last time reached, not before it.
    times.length = 0;
    expect(generator.fill(T0 + 500, 10, sink)).toBe(10);
    expect(times.every((t) => t === T0 + 1000)).toBe(true);
    expect(generator.fill(T0 + 2000, 0, sink)).toBe(0);
  });

  it('ticks only its own symbols, each as often as its tick weight says', () => {
    const universe = buildUniverse({ symbolCount: 200, seed: 3 });
    const shard = Array.from({ length: 100 }, (_, k) => 2 * k); // the even ones
    const generator = new TickGenerator({ universe, symbols: shard, seed: 3, shard: 0 });
    const counts = new Float64Array(universe.size);
    const count = (tick: TickOut): void => {
      counts[tick.symbolIndex] = (counts[tick.symbolIndex] as number) + 1;
    };
    for (let k = 1; k <= 100; k++) generator.fill(T0 + k * 10, 2000, count);
    const total = shard.reduce((sum, i) => sum + (universe.tickWeight[i] as number), 0);
    for (let i = 0; i < universe.size; i++) {
      if (i % 2 === 1) expect(counts[i]).toBe(0);
      else {
        const expected = (200_000 * (universe.tickWeight[i] as number)) / total;
        // Within 5 binomial standard deviations of its share.
        expect(Math.abs((counts[i] as number) - expected), universe.names[i]).toBeLessThan(5 * Math.sqrt(expected) + 1);
      }
    }
    // The seeds' large caps (weight 10) tick far more often than the average generated name.
    expect(counts[0]).toBeGreaterThan(3 * (200_000 / 100));
  });

  it('makes no ticks for a halted symbol, and reports its halt and resume', () => {
    const universe = buildUniverse({ symbolCount: 20, seed: 9 });
    const generator = new TickGenerator({
      universe,
      seed: 9,
      scenario: 'halt',
      timing: { calmMs: 10_000, activeMs: 10_000 },
    });
    const ticksBySecond: Set<number>[] = [];
    const haltedBySecond: number[][] = [];
    const events: MarketEventOut[] = [];
    for (let second = 0; second < 30; second++) {
      const symbols = new Set<number>();
      generator.fill(T0 + second * 1000, 2000, (tick) => symbols.add(tick.symbolIndex));
      ticksBySecond.push(symbols);
      haltedBySecond.push([...universe.names.keys()].filter((i) => generator.isHalted(i)));
      events.push(...generator.drainEvents());
    }
    expect(events.map((e) => e.kind)).toEqual(['scenario-start', 'halt', 'resume', 'scenario-end']);
    const halted = universe.names.indexOf(events[1]?.symbol ?? '');
    expect(events[1]?.timeMs).toBe(T0 + 10_000);
    expect(events[2]).toMatchObject({ kind: 'resume', symbol: universe.names[halted], timeMs: T0 + 20_000 });
    for (const [second, symbols] of ticksBySecond.entries()) {
      const haltedNow = second >= 10 && second < 20;
      expect(haltedBySecond[second], `second ${second}`).toEqual(haltedNow ? [halted] : []);
      if (haltedNow) expect(symbols.has(halted), `second ${second}`).toBe(false);
    }
    const ticksOutside = ticksBySecond.filter(
      (symbols, second) => (second < 10 || second >= 20) && symbols.has(halted),
    );
    expect(ticksOutside.length).toBeGreaterThan(10);
    expect(generator.isHalted(halted)).toBe(false);
  });

  it('reports the scenario’s rate multiplier', () => {
    const universe = buildUniverse({ symbolCount: 10, seed: 1 });
    const generator = new TickGenerator({
      universe,
      seed: 1,
      scenario: 'burst',
      timing: { calmMs: 1000, activeMs: 1000 },
    });
    generator.fill(T0, 10, () => {});
    expect(generator.rateMultiplier).toBe(1);
    generator.fill(T0 + 1500, 10, () => {});
    expect(generator.rateMultiplier).toBe(100);
  });

  it('refuses symbol indices outside the universe', () => {
    const universe = buildUniverse({ symbolCount: 10, seed: 1 });
    expect(() => new TickGenerator({ universe, symbols: [3, 10], seed: 1 })).toThrow(
      new RangeError('symbol index 10 is outside the universe of 10 symbols'),
    );
  });
});
