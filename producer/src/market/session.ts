/**
 * Exchange time is US Eastern taken as UTC−5 all year: a simulator needs the shape of a trading
 * day, not a calendar, so there is no daylight saving and there are no holidays (the regular
 * session is 14:30–21:00 UTC every weekday).
 */
export const EXCHANGE_UTC_OFFSET_MS = -5 * 3_600_000;

export const SESSION_PHASES = ['closed', 'pre-market', 'regular', 'after-hours'] as const;
export type SessionPhase = (typeof SESSION_PHASES)[number];

const MINUTE_MS = 60_000;
const DAY_MS = 1440 * MINUTE_MS;
/** Minutes after midnight, exchange time. */
const PRE_OPEN = 4 * 60;
const OPEN = 9 * 60 + 30;
const CLOSE = 16 * 60;
const AFTER_CLOSE = 20 * 60;

// Arithmetic rather than a Date: the generator asks once per batch and should not allocate.
function exchangeMinuteOfDay(timeMs: number): number {
  const local = timeMs + EXCHANGE_UTC_OFFSET_MS;
  return (local - Math.floor(local / DAY_MS) * DAY_MS) / MINUTE_MS;
}

function isWeekend(timeMs: number): boolean {
  // Day 0 of the epoch, 1970-01-01, was a Thursday: weekday 4, counting Sunday as 0.
  const weekday = (((Math.floor((timeMs + EXCHANGE_UTC_OFFSET_MS) / DAY_MS) + 4) % 7) + 7) % 7;
  return weekday === 0 || weekday === 6;
}

/** Weekdays: pre-market 04:00–09:30, regular 09:30–16:00, after-hours 16:00–20:00; else closed. */
export function sessionAt(timeMs: number): SessionPhase {
  if (isWeekend(timeMs)) return 'closed';
  const minute = exchangeMinuteOfDay(timeMs);
  if (minute >= OPEN && minute < CLOSE) return 'regular';
  if (minute >= PRE_OPEN && minute < OPEN) return 'pre-market';
  if (minute >= CLOSE && minute < AFTER_CLOSE) return 'after-hours';
  return 'closed';
}

/**
 * Trade size relative to midday. Over the regular session the U shape of intraday volume,
 * `1 + 2.5·(2x − 1)²` with x from 0 at the open to 1 at the close (3.5 at either bell, 1 at
 * midday); 0.2 in pre-market and after-hours; 0.1 when closed. Never zero, so a demo run at night
 * still trades.
 */
export function intradayVolumeFactor(timeMs: number): number {
  const phase = sessionAt(timeMs);
  if (phase !== 'regular') return phase === 'closed' ? 0.1 : 0.2;
  const x = (exchangeMinuteOfDay(timeMs) - OPEN) / (CLOSE - OPEN);
  return 1 + 2.5 * (2 * x - 1) ** 2;
}

/** The instant of the next regular-session open (09:30 exchange time) at or after `timeMs`. */
export function nextOpen(timeMs: number): number {
  const local = timeMs + EXCHANGE_UTC_OFFSET_MS;
  let candidate = Math.floor(local / DAY_MS) * DAY_MS + OPEN * MINUTE_MS - EXCHANGE_UTC_OFFSET_MS;
  while (candidate < timeMs || isWeekend(candidate)) candidate += DAY_MS;
  return candidate;
}

/** A phase of the trading day and the instants it began and ends (exchange boundaries, UTC ms). */
export interface SessionPeriod {
  phase: SessionPhase;
  startMs: number;
  endMs: number;
}

/** Minutes after exchange midnight where a weekday's phase may change. */
const BOUNDARY_MINUTES = [PRE_OPEN, OPEN, CLOSE, AFTER_CLOSE];
/** A weekend's closed period is the longest: Friday 20:00 to Monday 04:00. Three days either side cover it. */
const SEARCH_DAYS = 3;

/** The phase at `timeMs` with the boundaries around it where the phase actually changes. */
export function sessionPeriod(timeMs: number): SessionPeriod {
  const phase = sessionAt(timeMs);
  const today = Math.floor((timeMs + EXCHANGE_UTC_OFFSET_MS) / DAY_MS);
  let startMs = Number.NEGATIVE_INFINITY;
  let endMs = Number.POSITIVE_INFINITY;
  for (let day = today - SEARCH_DAYS; day <= today + SEARCH_DAYS; day++) {
    for (const minute of BOUNDARY_MINUTES) {
      const at = day * DAY_MS + minute * MINUTE_MS - EXCHANGE_UTC_OFFSET_MS;
      // A boundary counts only where the phase differs on its two sides (a weekend has none).
      if (sessionAt(at - 1) === sessionAt(at)) continue;
      if (at <= timeMs && at > startMs) startMs = at;
      if (at > timeMs && at < endMs) endMs = at;
    }
  }
  return { phase, startMs, endMs };
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** "Mon 09:30 ET": exchange time, with the weekday (a closed period can span a weekend). */
export function formatExchangeTime(timeMs: number): string {
  const local = new Date(timeMs + EXCHANGE_UTC_OFFSET_MS);
  const hh = String(local.getUTCHours()).padStart(2, '0');
  const mm = String(local.getUTCMinutes()).padStart(2, '0');
  return `${WEEKDAYS[local.getUTCDay()]} ${hh}:${mm} ET`;
}

/** A change of the trading session, as the producer announces it on `market_events` (SessionChange). */
export interface SessionChangeOut {
  phase: SessionPhase;
  /** When the phase began, or, for the first announcement of a run, the market time it was made. */
  timeMs: number;
  detail: string;
}

/**
 * Announces the session as market time moves on: the phase it finds at its first update (so a
 * consumer started later learns the session from the newest announcement), then every change,
 * at the boundary's own instant. Time that runs backwards across a boundary announces the phase
 * it lands in, as any other change.
 */
export class SessionAnnouncer {
  private phase: SessionPhase | null = null;
  private readonly pending: SessionChangeOut[] = [];

  update(nowMs: number): void {
    const phase = sessionAt(nowMs);
    if (phase === this.phase) return;
    const period = sessionPeriod(nowMs);
    const first = this.phase === null;
    this.phase = phase;
    this.pending.push({
      phase,
      timeMs: first ? nowMs : period.startMs,
      detail: `${phase} since ${formatExchangeTime(period.startMs)}, until ${formatExchangeTime(period.endMs)}`,
    });
  }

  /** Announcements since the last call. */
  drain(): SessionChangeOut[] {
    return this.pending.splice(0);
  }
}

/** Market time, in epoch milliseconds. */
export interface Clock {
  nowMs(): number;
}

/** Market time is wall time (`--clock real`). */
export class RealClock implements Clock {
  nowMs(): number {
    return Date.now();
  }
}

/**
 * Market time that starts at `startMs` (by default the next regular open, so a demo starts at a
 * busy moment of the day) and runs `speed` times faster than wall time (`--clock sim`).
 */
export class SimClock implements Clock {
  readonly startMs: number;
  private readonly wallStartMs: number;

  /**
   * `wallNow` is the wall-time source (tests drive it by hand). Clocks given the same `startMs`
   * and `wallStartMs` agree, which is how the producer's workers share one market time.
   */
  constructor(
    readonly speed: number,
    startMs?: number,
    private readonly wallNow: () => number = Date.now,
    wallStartMs?: number,
  ) {
    if (!(speed > 0 && Number.isFinite(speed))) {
      throw new RangeError(`a sim clock's speed must be a positive number, got ${speed}`);
    }
    this.wallStartMs = wallStartMs ?? wallNow();
    this.startMs = startMs ?? nextOpen(this.wallStartMs);
  }

  nowMs(): number {
    return this.startMs + (this.wallNow() - this.wallStartMs) * this.speed;
  }
}
