/**
 * How often a worker at a set `--rate` generates and sends a round of ticks: Kafka's producer
 * rule, batch.size or linger.ms, whichever comes first. A tick waits in its worker from its
 * exchange time until its round goes out, up to one period, and that wait is part of every
 * tick's end-to-end latency (docs/benchmarks.md, "End-to-end latency"). Each round costs fixed
 * work (a wake-up, a Produce request, a Fetch answer at every reader), so a worker waits at most
 * `MAX_ROUND_MS` for rounds of at least `ROUND_TICKS`: at 125,000 ticks/s per worker a round is
 * due every ~2 ms instead of 5; below 51,200 ticks/s per worker rounds stay 5 ms apart and as
 * few as before.
 */
export const ROUND_TICKS = 256;
export const MAX_ROUND_MS = 5;
/** setTimeout's own floor: a shorter wait is 1 ms anyway. */
const MIN_ROUND_MS = 1;

/** The period between two rounds of a worker owing `ticksPerSecond` (0 or less: paused, the longest). */
export function roundPeriodMs(ticksPerSecond: number): number {
  if (!(ticksPerSecond > 0)) return MAX_ROUND_MS;
  return Math.min(MAX_ROUND_MS, Math.max(MIN_ROUND_MS, (ROUND_TICKS * 1000) / ticksPerSecond));
}
