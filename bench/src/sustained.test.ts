import { describe, expect, it } from 'vitest';
import { drainTarget, type JobSample, jitSettled, lagFlat, spanFigures } from './sustained.js';

const at = (seconds: number, sample: Partial<JobSample>): JobSample => ({
  ms: seconds * 1000,
  ticks: 0,
  written: 0,
  cpu: 0,
  c1: 0,
  c2: 0,
  ...sample,
});

describe('sustained: a span of a running job', () => {
  it('gives ticks per JVM core-second, the compilers apart and the lag at both ends', () => {
    const start = at(100, { ticks: 1_000_000, written: 1_020_000, cpu: 50, c1: 4, c2: 20 });
    const end = at(120, { ticks: 5_000_000, written: 5_030_000, cpu: 80, c1: 4.2, c2: 21 });
    const figures = spanFigures(start, end);
    expect(figures.seconds).toBe(20);
    expect(figures.ticksPerSecond).toBe(200_000);
    expect(figures.jvmCores).toBe(1.5);
    // 4 M ticks over 30 CPU-seconds, not over 20 wall seconds.
    expect(figures.ticksPerCoreSecond).toBeCloseTo(133_333.3, 1);
    expect(figures.c2Cores).toBeCloseTo(0.05);
    expect(figures.c1Cores).toBeCloseTo(0.01);
    expect(figures.lagStart).toBe(20_000);
    expect(figures.lagEnd).toBe(30_000);
  });

  it('counts a compiler thread that ended (its CPU gone from the sum) as none, never as negative', () => {
    const figures = spanFigures(at(0, { c2: 12, cpu: 1 }), at(10, { c2: 9, cpu: 2 }));
    expect(figures.c2Cores).toBe(0);
  });

  it('refuses a span that does not move forward, and says NaN for a JVM that used no CPU', () => {
    expect(() => spanFigures(at(5, {}), at(5, {}))).toThrow(/end after its start/);
    expect(spanFigures(at(0, {}), at(1, { ticks: 10 })).ticksPerCoreSecond).toBeNaN();
  });
});

describe('sustained: when the JIT has settled', () => {
  it('needs the last windows all at or under the threshold', () => {
    expect(jitSettled([0.4, 0.3, 0.04, 0.05], 0.05, 2)).toBe(true);
    expect(jitSettled([0.4, 0.03, 0.06], 0.05, 2)).toBe(false);
    // One quiet window between bursts is not settled.
    expect(jitSettled([0.4, 0.02], 0.05, 2)).toBe(false);
    expect(jitSettled([0.02], 0.05, 2)).toBe(false);
    expect(jitSettled([0.02], 0.05, 1)).toBe(true);
    expect(jitSettled([], 0.05, 0)).toBe(false);
  });
});

describe('sustained: lag flat at a set rate', () => {
  const span = (lagStart: number, lagEnd: number) =>
    spanFigures(at(0, { written: lagStart }), at(20, { ticks: 2_000_000, written: 2_000_000 + lagEnd, cpu: 10 }));

  it('allows a second of the rate (offsets move per checkpoint), no more', () => {
    expect(lagFlat(span(30_000, 20_000), 100_000)).toBe(true);
    expect(lagFlat(span(30_000, 130_000), 100_000)).toBe(true);
    expect(lagFlat(span(30_000, 130_001), 100_000)).toBe(false);
    expect(lagFlat(span(30_000, 230_000), 100_000, 2)).toBe(true);
  });
});

describe('sustained: the end of a drain', () => {
  it('is the given share of what was behind at its start, past what had been read', () => {
    expect(drainTarget(at(0, { ticks: 1_000_000, written: 3_000_000 }), 0.9)).toBe(2_800_000);
  });
});
