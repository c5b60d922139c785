import { describe, expect, it } from 'vitest';
import { lagTrend, parseFollowLagArgs } from './follow-lag.js';

describe('follow-lag: the lag trend', () => {
  it('finds the growth of a lag that rises steadily, whatever its start', () => {
    const samples = Array.from({ length: 61 }, (_, i) => ({ atSeconds: i, lag: 40_000 + 3000 * i }));
    expect(lagTrend(samples)).toEqual({ start: 40_000, end: 220_000, max: 220_000, mean: 130_000, slope: 3000 });
  });

  it('calls a sawtooth flat: Fetches answered in bursts move the lag, not its trend', () => {
    // Lag swinging 0 → 60,000 and back every 4 s (as 250 ms Fetches at 250 k ticks/s would), for 60 s.
    const samples = Array.from({ length: 61 }, (_, i) => ({ atSeconds: i + 0.013 * (i % 3), lag: (i % 4) * 20_000 }));
    const trend = lagTrend(samples);
    expect(Math.abs(trend.slope)).toBeLessThan(250_000 * 0.01);
    expect(trend.max).toBe(60_000);
    expect(trend.start).toBe(0);
  });

  it('weighs samples by when they were taken, not by their order', () => {
    // Two reads late by half a second: the line through the points is still 1,000 ticks/s.
    const times = [0, 1, 2.5, 3, 4.5, 5];
    expect(lagTrend(times.map((t) => ({ atSeconds: t, lag: 1000 * t }))).slope).toBeCloseTo(1000, 9);
  });

  it('refuses fewer than two samples or samples all at one time', () => {
    expect(() => lagTrend([{ atSeconds: 0, lag: 5 }])).toThrow('a lag trend needs at least 2 samples, got 1');
    expect(() =>
      lagTrend([
        { atSeconds: 1, lag: 5 },
        { atSeconds: 1, lag: 9 },
      ]),
    ).toThrow('a lag trend needs samples at different times');
  });
});

describe('follow-lag: its command line', () => {
  it('takes the rate, seconds, symbols and a profile directory, with defaults', () => {
    expect(parseFollowLagArgs([])).toEqual({ rate: 250_000, seconds: 60, symbols: 1000, cpuProfDir: null });
    expect(parseFollowLagArgs(['--rate', '5000', '--seconds', '10', '--cpu-prof', '/tmp/p'])).toEqual({
      rate: 5000,
      seconds: 10,
      symbols: 1000,
      cpuProfDir: '/tmp/p',
    });
  });

  it('says what is wrong with a bad option, with the usage', () => {
    expect(parseFollowLagArgs(['--rate', 'fast'])).toMatch(/^--rate needs a positive integer, got 'fast'\nusage: /);
    expect(parseFollowLagArgs(['--clients', '5'])).toMatch(/^unknown option '--clients'\nusage: /);
    expect(parseFollowLagArgs(['--seconds', '1'])).toMatch(/^--seconds must be at least 2/);
    expect(parseFollowLagArgs(['--cpu-prof'])).toMatch(/^--cpu-prof needs a directory/);
  });
});
