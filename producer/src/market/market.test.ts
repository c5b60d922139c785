import { PRICE_SCALE, type TickFields } from '@tickstream/schemas';
import { describe, expect, it } from 'vitest';
import { ShardGenerator } from './generator.js';
import { defaultModelOptions, emptyTick, MarketModel, TRADING_SECONDS_PER_YEAR } from './model.js';
import { Random } from './random.js';
import { ScenarioPlayer } from './scenarios.js';
import { intradayActivity, nextOpen, SimClock, sessionAt } from './session.js';
import { buildUniverse, type Universe } from './universe.js';

const noJumps = { ...defaultModelOptions, jumpsPerYear: 0 };

/** Log returns of one symbol stepped `steps` times, `dtMs` apart. */
function logReturns(model: MarketModel, symbol: number, steps: number, dtMs: number): Float64Array {
  const out = emptyTick();
  const returns = new Float64Array(steps);
  let time = 1_800_000_000_000;
  model.advanceSectors(time);
  model.step(symbol, time, 1, out);
  let previous = Math.log(model.priceOf(symbol));
  for (let i = 0; i < steps; i++) {
    time += dtMs;
    model.advanceSectors(time);
    model.step(symbol, time, 1, out);
    const now = Math.log(model.priceOf(symbol));
    returns[i] = now - previous;
    previous = now;
  }
  return returns;
}

const mean = (values: Float64Array): number => values.reduce((sum, v) => sum + v, 0) / values.length;
const std = (values: Float64Array): number => {
  const m = mean(values);
  return Math.sqrt(values.reduce((sum, v) => sum + (v - m) ** 2, 0) / (values.length - 1));
};

function customUniverse(drift: number, volatility: number): Universe {
  const universe = buildUniverse({ symbols: ['TEST'], symbolCount: 1, seed: 1 });
  (universe.drift as Float64Array)[0] = drift;
  (universe.volatility as Float64Array)[0] = volatility;
  return universe;
}

describe('market model', () => {
  it('moves log prices with the configured volatility (within 5 % over 100,000 steps)', () => {
    const sigma = 0.4;
    const dtMs = 100;
    const model = new MarketModel(customUniverse(0, sigma), new Random(7), noJumps);
    const measured = std(logReturns(model, 0, 100_000, dtMs));
    const expected = sigma * Math.sqrt(dtMs / 1000 / TRADING_SECONDS_PER_YEAR);
    expect(Math.abs(measured / expected - 1)).toBeLessThan(0.05);
  });

  it('drifts the way the drift points', () => {
    // μ·dt far above the noise of the mean over 100,000 steps.
    for (const drift of [40, -40]) {
      const model = new MarketModel(customUniverse(drift, 0.2), new Random(3), noJumps);
      expect(Math.sign(mean(logReturns(model, 0, 100_000, 1000)))).toBe(Math.sign(drift));
    }
  });

  it('keeps bid < price < ask, a positive spread and a positive price on every tick', () => {
    const universe = buildUniverse({ symbols: null, symbolCount: 200, seed: 5 });
    const model = new MarketModel(universe, new Random(5));
    const out = emptyTick();
    let time = 1_800_000_000_000;
    for (let i = 0; i < 100_000; i++) {
      time += 3;
      if (i % 100 === 0) model.advanceSectors(time);
      model.step(i % 200, time, 1, out);
      if (!(out.bid < out.price && out.price < out.ask && out.bid > 0 && out.size >= 1)) {
        throw new Error(`bad tick ${JSON.stringify(out)}`);
      }
    }
  });

  it('moves symbols of one sector together, and of different sectors apart', () => {
    const universe = buildUniverse({ symbols: ['A', 'B', 'C'], symbolCount: 3, seed: 1 });
    const sectors = universe.sectorOf as Uint8Array;
    sectors[0] = 0;
    sectors[1] = 0;
    sectors[2] = 1;
    const model = new MarketModel(universe, new Random(11), noJumps);
    const out = emptyTick();
    const steps = 50_000;
    const returns = [new Float64Array(steps), new Float64Array(steps), new Float64Array(steps)];
    let time = 1_800_000_000_000;
    model.advanceSectors(time);
    for (let s = 0; s < 3; s++) model.step(s, time, 1, out);
    const last = [0, 1, 2].map((s) => Math.log(model.priceOf(s)));
    for (let i = 0; i < steps; i++) {
      time += 1000;
      model.advanceSectors(time);
      for (let s = 0; s < 3; s++) {
        model.step(s, time, 1, out);
        const now = Math.log(model.priceOf(s));
        (returns[s] as Float64Array)[i] = now - (last[s] as number);
        last[s] = now;
      }
    }
    const correlation = (a: Float64Array, b: Float64Array): number => {
      const ma = mean(a);
      const mb = mean(b);
      let cov = 0;
      for (let i = 0; i < a.length; i++) cov += ((a[i] as number) - ma) * ((b[i] as number) - mb);
      return cov / (a.length - 1) / (std(a) * std(b));
    };
    const [a, b, c] = returns as [Float64Array, Float64Array, Float64Array];
    expect(correlation(a, b)).toBeGreaterThan(0.15);
    expect(Math.abs(correlation(a, c))).toBeLessThan(0.05);
  });

  it('gives the same ticks for the same seed, and different ticks for another', () => {
    const run = (seed: number): TickFields[] => {
      const universe = buildUniverse({ symbols: null, symbolCount: 50, seed });
      const clock = new SimClock(
        10,
        1_800_000_000_000,
        (() => {
          let wall = 0;
          return () => {
            wall += 7;
            return wall;
          };
        })(),
      );
      const generator = new ShardGenerator({
        universe,
        shard: 0,
        shardCount: 1,
        seed,
        volatility: null,
        scenario: 'normal',
        clock,
      });
      const ticks: TickFields[] = [];
      for (let i = 0; i < 20; i++) generator.fill(50, () => ticks.push({ ...generator.tick }));
      return ticks;
    };
    expect(run(42)).toEqual(run(42));
    expect(run(42)).not.toEqual(run(43));
    expect(run(42)).toHaveLength(1000);
  });
});

describe('scenarios', () => {
  it('halts one symbol: no ticks for it while halted, with halt and resume events', () => {
    const universe = buildUniverse({ symbols: null, symbolCount: 20, seed: 9 });
    let market = 1_800_000_000_000;
    const generator = new ShardGenerator({
      universe,
      shard: 0,
      shardCount: 1,
      seed: 9,
      volatility: null,
      scenario: 'halt',
      clock: { nowMs: () => market },
      timing: { calmMs: 10_000, activeMs: 10_000 },
    });
    const bySecond: { second: number; symbols: Set<string> }[] = [];
    const events: { kind: string; symbol: string; timeMs: number }[] = [];
    for (let second = 0; second < 30; second++, market += 1000) {
      const symbols = new Set<string>();
      generator.fill(400, () => symbols.add(generator.tick.symbol));
      bySecond.push({ second, symbols });
      events.push(...generator.drainEvents());
    }
    const halt = events.find((e) => e.kind === 'halt');
    const resume = events.find((e) => e.kind === 'resume');
    expect(halt).toBeDefined();
    expect(resume?.symbol).toBe(halt?.symbol);
    expect(events.map((e) => e.kind)).toEqual(['scenario-start', 'halt', 'resume', 'scenario-end']);
    for (const { second, symbols } of bySecond) {
      const halted = second >= 10 && second < 20;
      expect(symbols.has(halt?.symbol ?? ''), `second ${second}`).toBe(!halted);
    }
  });

  it('crashes the market by about 10 % and brings it back in a flash crash', () => {
    const universe = buildUniverse({ symbols: null, symbolCount: 30, seed: 2 });
    const player = new ScenarioPlayer('flash-crash', universe, 2, { calmMs: 1000, activeMs: 20_000 });
    const model = new MarketModel(universe, new Random(2), { ...noJumps, volatility: 0.01 }, player);
    const out = emptyTick();
    const index = (): number => {
      let sum = 0;
      for (let s = 0; s < 30; s++) sum += Math.log(model.priceOf(s));
      return sum / 30;
    };
    let time = 1_800_000_000_000;
    const prices: number[] = [];
    for (let ms = 0; ms <= 21_000; ms += 100, time += 100) {
      player.update(time);
      model.advanceSectors(time);
      for (let s = 0; s < 30; s++) model.step(s, time, 1, out);
      prices.push(index());
    }
    const start = prices[0] as number;
    const bottom = Math.min(...prices);
    expect(Math.exp(bottom - start)).toBeLessThan(0.93);
    expect(Math.abs(Math.exp((prices.at(-1) as number) - start) - 1)).toBeLessThan(0.02);
  });
});

describe('universe', () => {
  it("starts with the seeds' five symbols and builds 10,000 unique ones", () => {
    const universe = buildUniverse({ symbols: null, symbolCount: 10_000, seed: 1 });
    expect(universe.names.slice(0, 5)).toEqual(['AAPL', 'GOOGL', 'AMZN', 'TSLA', 'MSFT']);
    expect(new Set(universe.names).size).toBe(10_000);
    expect(universe.initialPrice[4]).toBe(420);
    for (const price of universe.initialPrice) expect(price).toBeGreaterThanOrEqual(5);
  });

  it('refuses bad sizes and names with a precise RangeError', () => {
    expect(() => buildUniverse({ symbols: null, symbolCount: 0, seed: 1 })).toThrow(
      new RangeError('symbol count must be an integer from 1 to 10000, got 0'),
    );
    expect(() => buildUniverse({ symbols: null, symbolCount: 10_001, seed: 1 })).toThrow(RangeError);
    expect(() => buildUniverse({ symbols: ['AAPL', 'bad one'], symbolCount: 2, seed: 1 })).toThrow(
      "'bad one' is not a ticker",
    );
    expect(() => buildUniverse({ symbols: ['AAPL', 'AAPL'], symbolCount: 2, seed: 1 })).toThrow('listed twice');
  });
});

describe('market session', () => {
  // Exchange time is UTC−5: 14:30 UTC is 09:30 at the exchange.
  const monday = Date.UTC(2026, 10, 23);
  const at = (hours: number, minutes: number): number => monday + (hours * 60 + minutes) * 60_000;

  it('knows pre-market, regular hours, after-hours, nights and weekends', () => {
    expect(sessionAt(at(9, 30))).toBe('pre-market'); // 04:30 at the exchange
    expect(sessionAt(at(14, 30))).toBe('regular');
    expect(sessionAt(at(20, 59))).toBe('regular');
    expect(sessionAt(at(21, 0))).toBe('after-hours');
    expect(sessionAt(at(2, 0))).toBe('closed');
    expect(sessionAt(Date.UTC(2026, 10, 22, 15))).toBe('closed'); // Sunday
    expect(nextOpen(at(22, 0))).toBe(at(24 + 14, 30));
  });

  it('is busiest at the open and the close', () => {
    const open = intradayActivity(at(14, 35));
    const midday = intradayActivity(at(17, 30));
    const close = intradayActivity(at(20, 55));
    expect(open).toBeGreaterThan(2 * midday);
    expect(close).toBeGreaterThan(2 * midday);
    expect(intradayActivity(at(2, 0))).toBeLessThan(midday);
  });

  it('runs a sim clock faster than the wall', () => {
    let wall = 1000;
    const clock = new SimClock(60, 5_000_000, () => wall);
    wall += 1000;
    expect(clock.nowMs()).toBe(5_000_000 + 60_000);
    expect(PRICE_SCALE).toBe(10_000);
  });
});
