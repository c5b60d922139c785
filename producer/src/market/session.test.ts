import { describe, expect, it } from 'vitest';
import {
  formatExchangeTime,
  intradayVolumeFactor,
  nextOpen,
  RealClock,
  SessionAnnouncer,
  SimClock,
  sessionAt,
  sessionPeriod,
} from './session.js';

// Exchange time is UTC−5: 14:30 UTC is the 09:30 open.
const MONDAY = Date.UTC(2026, 10, 23);
/** UTC instant `days` after Monday 2026-11-23 00:00 UTC, at hh:mm UTC. */
const utc = (days: number, hours: number, minutes = 0): number =>
  MONDAY + ((days * 24 + hours) * 60 + minutes) * 60_000;
/** The instant of hh:mm exchange time on Monday (+ days). */
const exchange = (hours: number, minutes = 0, days = 0): number => utc(days, hours + 5, minutes);

describe('sessionAt', () => {
  it('knows the phases of a weekday at known UTC instants', () => {
    expect(sessionAt(utc(0, 8, 59))).toBe('closed'); // 03:59
    expect(sessionAt(utc(0, 9, 0))).toBe('pre-market'); // 04:00
    expect(sessionAt(utc(0, 14, 29))).toBe('pre-market');
    expect(sessionAt(utc(0, 14, 30))).toBe('regular'); // 09:30
    expect(sessionAt(utc(0, 20, 59))).toBe('regular');
    expect(sessionAt(utc(0, 21, 0))).toBe('after-hours'); // 16:00
    expect(sessionAt(utc(1, 0, 59))).toBe('after-hours'); // Monday 19:59, Tuesday in UTC
    expect(sessionAt(utc(1, 1, 0))).toBe('closed'); // 20:00
  });

  it('closes at weekends by exchange time, not UTC', () => {
    expect(sessionAt(utc(5, 0, 30))).toBe('after-hours'); // Friday 19:30 at the exchange, Saturday UTC
    expect(sessionAt(utc(5, 15))).toBe('closed'); // Saturday
    expect(sessionAt(utc(6, 15))).toBe('closed'); // Sunday
    expect(sessionAt(utc(7, 15))).toBe('regular'); // Monday again
  });
});

describe('sessionPeriod', () => {
  it('finds the boundaries around an instant where the phase really changes', () => {
    expect(sessionPeriod(exchange(11))).toEqual({ phase: 'regular', startMs: exchange(9, 30), endMs: exchange(16) });
    expect(sessionPeriod(exchange(9, 30))).toEqual({
      phase: 'regular',
      startMs: exchange(9, 30),
      endMs: exchange(16),
    });
    expect(sessionPeriod(exchange(2, 0, 1))).toEqual({
      phase: 'closed',
      startMs: exchange(20, 0, 0),
      endMs: exchange(4, 0, 1),
    });
    // Monday before dawn: closed since Friday evening.
    expect(sessionPeriod(exchange(2)).startMs).toBe(exchange(20, 0, -3));
    expect(sessionPeriod(exchange(17, 0, 1))).toEqual({
      phase: 'after-hours',
      startMs: exchange(16, 0, 1),
      endMs: exchange(20, 0, 1),
    });
  });

  it('spans a weekend: closed from Friday 20:00 to Monday 04:00 exchange time', () => {
    const saturday = exchange(12, 0, 5);
    expect(sessionPeriod(saturday)).toEqual({ phase: 'closed', startMs: exchange(20, 0, 4), endMs: exchange(4, 0, 7) });
    expect(formatExchangeTime(exchange(20, 0, 4))).toBe('Fri 20:00 ET');
    expect(formatExchangeTime(exchange(4, 0, 7))).toBe('Mon 04:00 ET');
  });
});

describe('SessionAnnouncer', () => {
  it('announces the phase it starts in at once, then each change at its boundary', () => {
    const announcer = new SessionAnnouncer();
    announcer.update(exchange(9, 29));
    announcer.update(exchange(9, 29, 0) + 30_000);
    expect(announcer.drain()).toEqual([
      { phase: 'pre-market', timeMs: exchange(9, 29), detail: 'pre-market since Mon 04:00 ET, until Mon 09:30 ET' },
    ]);
    announcer.update(exchange(9, 31));
    announcer.update(exchange(16, 5));
    expect(announcer.drain()).toEqual([
      { phase: 'regular', timeMs: exchange(9, 30), detail: 'regular since Mon 09:30 ET, until Mon 16:00 ET' },
      { phase: 'after-hours', timeMs: exchange(16), detail: 'after-hours since Mon 16:00 ET, until Mon 20:00 ET' },
    ]);
    expect(announcer.drain()).toEqual([]);
  });

  it('announces a clock stepped back across a boundary like any change', () => {
    const announcer = new SessionAnnouncer();
    announcer.update(exchange(9, 31));
    announcer.update(exchange(9, 29));
    expect(announcer.drain().map((change) => change.phase)).toEqual(['regular', 'pre-market']);
  });
});

describe('intradayVolumeFactor', () => {
  it('is U-shaped over the regular session and lower outside it', () => {
    const open = intradayVolumeFactor(exchange(9, 35));
    const midday = intradayVolumeFactor(exchange(12, 30));
    const close = intradayVolumeFactor(exchange(15, 55));
    expect(open).toBeGreaterThan(2 * midday);
    expect(close).toBeGreaterThan(2 * midday);
    expect(intradayVolumeFactor(exchange(12, 45))).toBeCloseTo(1, 10); // midday is the bottom
    expect(intradayVolumeFactor(exchange(9, 30))).toBeCloseTo(3.5, 10);
    expect(intradayVolumeFactor(exchange(7))).toBe(0.2);
    expect(intradayVolumeFactor(exchange(17))).toBe(0.2);
    expect(intradayVolumeFactor(exchange(23))).toBe(0.1);
  });
});

describe('nextOpen', () => {
  it('finds the next 09:30 on a weekday', () => {
    expect(nextOpen(exchange(9, 30))).toBe(exchange(9, 30));
    expect(nextOpen(exchange(3))).toBe(exchange(9, 30));
    expect(nextOpen(exchange(9, 31))).toBe(exchange(9, 30, 1));
    expect(nextOpen(exchange(18, 0, 4))).toBe(exchange(9, 30, 7)); // Friday evening → Monday
  });
});

describe('clocks', () => {
  it('runs a sim clock `speed` times faster than its wall-time source', () => {
    let wall = 1_000;
    const clock = new SimClock(60, exchange(10), () => wall);
    expect(clock.nowMs()).toBe(exchange(10));
    wall += 1_000;
    expect(clock.nowMs()).toBe(exchange(10) + 60_000);
  });

  it('starts a sim clock at the next open by default, and agrees across clocks given one start', () => {
    const wall = exchange(22, 0, 4); // Friday night
    const clock = new SimClock(10, undefined, () => wall);
    expect(clock.startMs).toBe(exchange(9, 30, 7));
    const twin = new SimClock(10, clock.startMs, () => wall + 500, wall);
    expect(twin.nowMs()).toBe(clock.startMs + 5_000);
    expect(() => new SimClock(0)).toThrow(new RangeError("a sim clock's speed must be a positive number, got 0"));
  });

  it('reads wall time as market time with a real clock', () => {
    const before = Date.now();
    const now = new RealClock().nowMs();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });
});
