import { PRICE_SCALE } from '@tickstream/schemas';
import { describe, expect, it } from 'vitest';
import { createTickOut, MarketModel, type TickOut, TRADING_SECONDS_PER_YEAR } from './model.js';
import { buildUniverse, type Universe } from './universe.js';

const NO_JUMPS = { jumpsPerYear: 0 };

const mean = (values: Float64Array): number => values.reduce((sum, v) => sum + v, 0) / values.length;
const std = (values: Float64Array): number => {
  const m = mean(values);
  return Math.sqrt(values.reduce((sum, v) => sum + (v - m) ** 2, 0) / (values.length - 1));
};
const correlation = (a: Float64Array, b: Float64Array): number => {
  const ma = mean(a);
  const mb = mean(b);
  let covariance = 0;
  for (let k = 0; k < a.length; k++) covariance += ((a[k] as number) - ma) * ((b[k] as number) - mb);
  return covariance / (a.length - 1) / (std(a) * std(b));
};

/** One symbol, TEST, with these parameters. */
function oneSymbol(drift: number, volatility: number, price = 100): Universe {
  const universe = buildUniverse({ symbols: ['TEST'], symbolCount: 1, seed: 1 });
  universe.drift[0] = drift;
  universe.volatility[0] = volatility;
  universe.initialPrice[0] = price;
  return universe;
}

/** Log returns of symbol 0, stepped `steps` times `dtSeconds` apart, its sector moved before each step. */
function logReturns(model: MarketModel, steps: number, dtSeconds: number): Float64Array {
  const out = createTickOut();
  const returns = new Float64Array(steps);
  let previous = Math.log(model.priceOf(0));
  for (let k = 0; k < steps; k++) {
    model.advanceSectors(dtSeconds);
    model.step(0, dtSeconds, out);
    const now = Math.log(model.priceOf(0));
    returns[k] = now - previous;
    previous = now;
  }
  return returns;
}

describe('MarketModel prices', () => {
  it('moves log prices with standard deviation σ·√Δ (within 5 % over 100,000 steps), whatever ρ', () => {
    const sigma = 0.4;
    const dtSeconds = 0.1;
    const expected = sigma * Math.sqrt(dtSeconds / TRADING_SECONDS_PER_YEAR);
    for (const sectorCorrelation of [0, 0.5, 0.9]) {
      const model = new MarketModel(oneSymbol(0, sigma), 7, { ...NO_JUMPS, sectorCorrelation });
      const measured = std(logReturns(model, 100_000, dtSeconds));
      expect(Math.abs(measured / expected - 1), `ρ = ${sectorCorrelation}`).toBeLessThan(0.05);
    }
  });

  it('drifts the way μ points, by (μ − σ²/2)·Δ per step', () => {
    const sigma = 0.2;
    const steps = 100_000;
    const dt = 1 / TRADING_SECONDS_PER_YEAR; // one second
    // μ·Δ is 26 standard errors of the mean of 100,000 steps: the sign is certain.
    for (const drift of [40, -40]) {
      const measured = mean(logReturns(new MarketModel(oneSymbol(drift, sigma), 3, NO_JUMPS), steps, 1));
      const standardError = (sigma * Math.sqrt(dt)) / Math.sqrt(steps);
      expect(Math.sign(measured)).toBe(Math.sign(drift));
      expect(Math.abs(measured - (drift - sigma ** 2 / 2) * dt)).toBeLessThan(5 * standardError);
    }
  });

  it('jumps as a compound Poisson process: the rate and variance it is set to', () => {
    const sigma = 0.3;
    const dt = 1 / TRADING_SECONDS_PER_YEAR; // one-second steps
    const jumpsPerStep = 0.2;
    const model = new MarketModel(oneSymbol(0, sigma), 5, { jumpsPerYear: jumpsPerStep / dt, jumpSizeDailySigmas: 5 });
    const returns = logReturns(model, 100_000, 1);
    const jumpSize = (5 * sigma) / Math.sqrt(252);
    // Steps with a jump stand out: the diffusion never moves 8 standard deviations, and under 1 %
    // of jumps are that small.
    const threshold = 8 * sigma * Math.sqrt(dt);
    const withJump = returns.filter((r) => Math.abs(r) > threshold).length / returns.length;
    expect(Math.abs(withJump - (1 - Math.exp(-jumpsPerStep)))).toBeLessThan(0.008);
    const variance = sigma ** 2 * dt + jumpsPerStep * (jumpSize ** 2 + jumpSize ** 4 / 4);
    expect(Math.abs(std(returns) ** 2 / variance - 1)).toBeLessThan(0.05);
    // Each jump is N(−s²/2, s²): the price's expectation does not move, its log's does.
    expect(Math.abs(mean(returns) / ((-jumpsPerStep * jumpSize ** 2) / 2) - 1)).toBeLessThan(0.5);
  });

  it('moves symbols of one sector together (ρ² apart), and of different sectors independently', () => {
    const universe = buildUniverse({ symbols: ['A', 'B', 'C'], symbolCount: 3, seed: 1 });
    universe.sectorIndex.set([0, 0, 1]);
    for (const [rho, sameAtLeast, sameAtMost] of [
      [0.7, 0.3, 0.6],
      [0.5, 0.2, 0.3],
    ] as const) {
      const model = new MarketModel(universe, 11, { ...NO_JUMPS, sectorCorrelation: rho });
      const out = createTickOut();
      const steps = 50_000;
      const returns = [new Float64Array(steps), new Float64Array(steps), new Float64Array(steps)] as const;
      const last = [0, 1, 2].map((s) => Math.log(model.priceOf(s)));
      for (let k = 0; k < steps; k++) {
        model.advanceSectors(1);
        for (let s = 0; s < 3; s++) {
          model.step(s, 1, out);
          const now = Math.log(model.priceOf(s));
          (returns[s] as Float64Array)[k] = now - (last[s] as number);
          last[s] = now;
        }
      }
      const same = correlation(returns[0], returns[1]);
      expect(same, `ρ = ${rho}`).toBeGreaterThan(sameAtLeast);
      expect(same, `ρ = ${rho}`).toBeLessThan(sameAtMost);
      expect(Math.abs(correlation(returns[0], returns[2])), `ρ = ${rho}`).toBeLessThan(0.1);
    }
  });

  it('gives the same ticks for the same seed and different ticks for another', () => {
    const universe = buildUniverse({ symbolCount: 20, seed: 4 });
    const run = (seed: number): TickOut[] => {
      const model = new MarketModel(universe, seed);
      const out = createTickOut();
      const ticks: TickOut[] = [];
      for (let k = 0; k < 500; k++) {
        if (k % 20 === 0) model.advanceSectors(0.5);
        model.step(k % 20, 0.5, out);
        ticks.push({ ...out });
      }
      return ticks;
    };
    expect(run(1)).toEqual(run(1));
    expect(run(1)).not.toEqual(run(2));
  });

  it('refuses options outside their range', () => {
    const universe = oneSymbol(0, 0.2);
    expect(() => new MarketModel(universe, 1, { sectorCorrelation: 1.5 })).toThrow(
      new RangeError('market model: sectorCorrelation must be from 0 to 1'),
    );
    expect(() => new MarketModel(universe, 1, { sizeTailExponent: 1 })).toThrow(RangeError);
    expect(() => new MarketModel(universe, 1).step(0, -1, createTickOut())).toThrow(
      new RangeError('market model: dtSeconds must be ≥ 0, got -1'),
    );
  });
});

describe('MarketModel quotes and sizes', () => {
  it('keeps integer prices with 0 < bid < price < ask on every tick, down to the smallest price', () => {
    const universe = buildUniverse({ symbolCount: 200, seed: 5 });
    universe.initialPrice[7] = 0.0003;
    const model = new MarketModel(universe, 5);
    const out = createTickOut();
    let dtSeconds = 0.05;
    let lowest = Number.POSITIVE_INFINITY;
    for (let k = 0; k < 100_000; k++) {
      if (k % 200 === 0) {
        model.advanceSectors(dtSeconds * 200);
        // Crashes on and off, volatility ×5 and a fall of e^−0.17 a step, until prices are fractions of a cent.
        const crash = Math.floor(k / 10_000) % 2 === 1;
        model.controls.volatilityMultiplier.fill(crash ? 5 : 1);
        model.controls.extraDrift.fill(crash ? -1e6 : 0);
        dtSeconds = k % 400 === 0 ? 0.001 : 0.5;
      }
      model.step(k % 200, dtSeconds, out);
      const { price, bid, ask, size } = out;
      const valid =
        [price, bid, ask, size].every(Number.isInteger) && bid >= 1 && bid < price && price < ask && size >= 1;
      if (!valid) throw new Error(`bad tick ${JSON.stringify(out)} at step ${k}`);
      lowest = Math.min(lowest, price);
    }
    expect(lowest).toBe(2); // the floor: two increments, so that the bid is still one
  });

  it('starts at the initial price and keeps the spread an Ornstein–Uhlenbeck process around its typical width', () => {
    const universe = oneSymbol(0, 0.3, 100);
    universe.spreadBps[0] = 10;
    const model = new MarketModel(universe, 8, { spreadReversionSeconds: 60, spreadVariability: 0.25 });
    const out = createTickOut();
    model.step(0, 0, out);
    expect(out.price).toBe(100 * PRICE_SCALE);
    expect(out.ask - out.bid).toBe(2 * Math.round((100 * 10 * PRICE_SCALE) / 20_000));
    const steps = 100_000;
    const logSpread = new Float64Array(steps);
    for (let k = 0; k < steps; k++) {
      model.step(0, 1, out);
      logSpread[k] = Math.log(model.spreadBpsOf(0) / 10);
    }
    // Stationary: centred on the typical width with the set variability…
    expect(Math.abs(mean(logSpread))).toBeLessThan(0.05);
    expect(std(logSpread)).toBeGreaterThan(0.22);
    expect(std(logSpread)).toBeLessThan(0.28);
    // …and reverting with a 60 s time constant: correlation e^−1 one time constant apart.
    expect(correlation(logSpread.subarray(0, steps - 60), logSpread.subarray(60))).toBeCloseTo(Math.exp(-1), 1);
    // A volatility multiplier widens the spread with it.
    const calm = model.spreadBpsOf(0);
    model.controls.volatilityMultiplier[universe.sectorIndex[0] as number] = 5;
    expect(model.spreadBpsOf(0)).toBeCloseTo(5 * calm, 10);
  });

  it('draws heavy-tailed trade sizes with mean lotSize × volumeFactor', () => {
    const universe = oneSymbol(0, 0.3);
    universe.lotSize[0] = 100;
    const model = new MarketModel(universe, 9);
    const out = createTickOut();
    const sizes = (volumeFactor: number): Float64Array => {
      model.volumeFactor = volumeFactor;
      return Float64Array.from({ length: 200_000 }, () => {
        model.step(0, 0.01, out);
        return out.size;
      });
    };
    const calm = sizes(1);
    expect(mean(calm) / 100).toBeCloseTo(1, 1);
    expect(calm.slice().sort()[100_000]).toBeLessThan(60); // the median is about half the mean
    // Pareto with α = 1.5: P(size > 10 × mean) = 30^−1.5 ≈ 0.6 %, where a normal would give none.
    const large = calm.filter((size) => size > 1000).length / calm.length;
    expect(large).toBeGreaterThan(0.004);
    expect(large).toBeLessThan(0.008);
    expect(mean(sizes(3)) / 300).toBeCloseTo(1, 1);
  });

  it('steps at the time it is given with stepAt, from the time of the symbol’s previous stepAt', () => {
    const universe = oneSymbol(0, 0.3, 50);
    const model = new MarketModel(universe, 2, NO_JUMPS);
    const out = createTickOut();
    model.timeMs = 1_000_000;
    model.stepAt(0, out);
    expect(out).toMatchObject({ symbolIndex: 0, price: 50 * PRICE_SCALE, sequence: 1, timeMs: 1_000_000 });
    model.timeMs = 1_060_000;
    model.stepAt(0, out);
    expect(out.sequence).toBe(2);
    expect(out.timeMs).toBe(1_060_000);
    const moved = model.priceOf(0);
    expect(moved).not.toBe(50);
    // Time that runs back covers no time: the price stays.
    model.timeMs = 1_000_000;
    model.stepAt(0, out);
    expect(model.priceOf(0)).toBe(moved);
    expect(out.sequence).toBe(3);
  });
});
