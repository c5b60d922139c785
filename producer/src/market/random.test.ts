import { describe, expect, it } from 'vitest';
import { deriveSeed, Random } from './random.js';

const draws = (random: Random, n: number, draw: (random: Random) => number): Float64Array =>
  Float64Array.from({ length: n }, () => draw(random));

/** The standard normal CDF (Abramowitz & Stegun 7.1.26, error below 1.5e-7). */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-z * z);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

describe('Random', () => {
  it('gives the same sequence for the same seed and another for another seed', () => {
    const sequence = (seed: number): number[] => {
      const random = new Random(seed);
      return Array.from({ length: 50 }, (_, k) => (k % 2 === 0 ? random.next() : random.gaussian()));
    };
    expect(sequence(42)).toEqual(sequence(42));
    expect(sequence(42)).not.toEqual(sequence(43));
    expect(sequence(0)).not.toEqual(sequence(2 ** 32));
  });

  it('draws uniforms in [0, 1) with the mean and spread of a uniform', () => {
    const values = draws(new Random(1), 200_000, (r) => r.next());
    let sum = 0;
    let sumSquares = 0;
    for (const v of values) {
      if (!(v >= 0 && v < 1)) throw new Error(`uniform out of [0, 1): ${v}`);
      sum += v;
      sumSquares += v * v;
    }
    const mean = sum / values.length;
    expect(mean).toBeCloseTo(0.5, 2);
    expect(sumSquares / values.length - mean * mean).toBeCloseTo(1 / 12, 3);
  });

  it('draws standard normals: moments, tails and the whole distribution (Kolmogorov–Smirnov)', () => {
    const n = 1_000_000;
    const values = draws(new Random(7), n, (r) => r.gaussian());
    let sum = 0;
    let sum2 = 0;
    let sum4 = 0;
    let beyond3 = 0;
    let beyond4 = 0;
    for (const v of values) {
      sum += v;
      sum2 += v * v;
      sum4 += v ** 4;
      if (Math.abs(v) > 3) beyond3++;
      if (Math.abs(v) > 4) beyond4++;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.005); // 5 standard errors
    expect(Math.abs(sum2 / n - 1)).toBeLessThan(0.008);
    expect(Math.abs(sum4 / n - 3)).toBeLessThan(0.05);
    // P(|Z| > 3) = 0.0027 and P(|Z| > 4) = 6.3e-5: the ziggurat's tail and wedges are exact.
    expect(Math.abs(beyond3 / n - 0.0027)).toBeLessThan(0.0003);
    expect(beyond4).toBeGreaterThan(35);
    expect(beyond4).toBeLessThan(95);
    values.sort();
    let distance = 0;
    for (let k = 0; k < n; k++) {
      const cdf = normalCdf(values[k] as number);
      distance = Math.max(distance, Math.abs(cdf - k / n), Math.abs(cdf - (k + 1) / n));
    }
    expect(distance).toBeLessThan(1.63 / Math.sqrt(n)); // KS at the 1 % level
  });

  it('draws exponentials of mean 1', () => {
    const exponentials = draws(new Random(3), 200_000, (r) => r.exponential());
    expect(exponentials.every((v) => v >= 0 && Number.isFinite(v))).toBe(true);
    expect(exponentials.reduce((a, b) => a + b, 0) / exponentials.length).toBeCloseTo(1, 1);
    // P(X > 3) = e^−3 ≈ 0.0498.
    expect(exponentials.filter((v) => v > 3).length / exponentials.length).toBeCloseTo(0.0498, 2);
  });

  it('derives unrelated seeds per stream and refuses seeds that are not non-negative integers', () => {
    const seeds = new Set([0, 1, 2, 3].flatMap((stream) => [deriveSeed(1, stream), deriveSeed(2, stream)]));
    expect(seeds.size).toBe(8);
    for (const seed of seeds) expect(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32).toBe(true);
    expect(() => new Random(-1)).toThrow(new RangeError('a random seed must be a non-negative integer, got -1'));
    expect(() => new Random(1.5)).toThrow(RangeError);
  });
});
