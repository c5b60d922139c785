/**
 * Market hours of a US exchange, in exchange time taken as UTC−5 all year (no daylight saving:
 * a simulator needs a session shape, not a calendar).
 */
export const EXCHANGE_UTC_OFFSET_MS = -5 * 3_600_000;

export type SessionPhase = 'closed' | 'pre-market' | 'regular' | 'after-hours';

const MINUTE = 60_000;
const PRE_OPEN = 4 * 60; // minutes after midnight, exchange time
const OPEN = 9 * 60 + 30;
const CLOSE = 16 * 60;
const AFTER_CLOSE = 20 * 60;

function exchangeMinutes(timeMs: number): { minute: number; weekday: number } {
  const local = new Date(timeMs + EXCHANGE_UTC_OFFSET_MS);
  return {
    minute: local.getUTCHours() * 60 + local.getUTCMinutes() + local.getUTCSeconds() / 60,
    weekday: local.getUTCDay(),
  };
}

export function sessionAt(timeMs: number): SessionPhase {
  const { minute, weekday } = exchangeMinutes(timeMs);
  if (weekday === 0 || weekday === 6) return 'closed';
  if (minute >= OPEN && minute < CLOSE) return 'regular';
  if (minute >= PRE_OPEN && minute < OPEN) return 'pre-market';
  if (minute >= CLOSE && minute < AFTER_CLOSE) return 'after-hours';
  return 'closed';
}

/**
 * How busy the market is relative to midday: the U shape of intraday volume, high at the open
 * and the close, a fifth of midday outside regular hours. Never zero, so a demo run at night
 * still moves (the producer runs on the sim clock's session, not only on the wall clock's).
 */
export function intradayActivity(timeMs: number): number {
  const phase = sessionAt(timeMs);
  if (phase !== 'regular') return phase === 'closed' ? 0.1 : 0.2;
  const { minute } = exchangeMinutes(timeMs);
  const x = (minute - OPEN) / (CLOSE - OPEN); // 0 at the open, 1 at the close
  return 1 + 2.5 * (2 * x - 1) ** 2;
}

/** The instant of the next regular-session open at or after `timeMs`. */
export function nextOpen(timeMs: number): number {
  let candidate =
    Math.floor((timeMs + EXCHANGE_UTC_OFFSET_MS) / (1440 * MINUTE)) * 1440 * MINUTE - EXCHANGE_UTC_OFFSET_MS;
  candidate += OPEN * MINUTE;
  while (candidate < timeMs || sessionAt(candidate) !== 'regular') candidate += 1440 * MINUTE;
  return candidate;
}

export interface Clock {
  /** Market time in epoch milliseconds. */
  nowMs(): number;
}

export class RealClock implements Clock {
  nowMs(): number {
    return Date.now();
  }
}

/** Market time that starts at `startMs` (default: the next open) and runs `speed`× wall time. */
export class SimClock implements Clock {
  private readonly wallStart: number;
  readonly startMs: number;

  /** Clocks made with the same `startMs` and `wallStart` (in different workers) agree. */
  constructor(
    readonly speed: number,
    startMs?: number,
    private readonly wallNow: () => number = Date.now,
    wallStart?: number,
  ) {
    this.wallStart = wallStart ?? wallNow();
    this.startMs = startMs ?? nextOpen(this.wallStart);
  }

  nowMs(): number {
    return this.startMs + (this.wallNow() - this.wallStart) * this.speed;
  }
}
