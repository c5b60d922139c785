import { describe, expect, it } from 'vitest';
import { MAX_ROUND_MS, ROUND_TICKS, roundPeriodMs } from './round-pacing.js';

describe('roundPeriodMs', () => {
  it('sends a worker at 125,000 ticks/s (250 k with 2 workers) every ~2 ms, a full round of ticks each', () => {
    const period = roundPeriodMs(125_000);
    expect(period).toBeCloseTo(2.048, 3);
    expect(Math.round((125_000 * period) / 1000)).toBe(ROUND_TICKS);
  });

  it('keeps slow workers at one round per 5 ms: as few wake-ups, Produce requests and Fetch answers as before', () => {
    for (const rate of [1, 2_500, 25_000, 51_200]) expect(roundPeriodMs(rate)).toBe(MAX_ROUND_MS);
    expect(roundPeriodMs(51_201)).toBeLessThan(MAX_ROUND_MS);
  });

  it('never waits less than a timer can (1 ms), however fast the rate (a burst at ×100)', () => {
    expect(roundPeriodMs(25_000_000)).toBe(1);
  });

  it('a paused worker (rate 0) waits the longest', () => {
    expect(roundPeriodMs(0)).toBe(MAX_ROUND_MS);
    expect(roundPeriodMs(-5)).toBe(MAX_ROUND_MS);
    expect(roundPeriodMs(Number.NaN)).toBe(MAX_ROUND_MS);
  });
});
