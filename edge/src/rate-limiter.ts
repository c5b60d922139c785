/** Refusals are counted over windows this long: enough to tell a flood from a burst. */
export const REFUSAL_WINDOW_MS = 10_000;

/**
 * A token bucket: `perSecond` messages a second on average, bursts up to `burst`. It also counts
 * the messages it refused in the current window of REFUSAL_WINDOW_MS (which starts at the first
 * refusal after the last one ended), so sustained abuse can be told from a brief burst: a client
 * that keeps sending above the rate piles up refusals even though a message gets through now
 * and then, as tokens trickle back.
 */
export class RateLimiter {
  private tokens: number;
  private lastMs: number;
  private windowStartMs = Number.NEGATIVE_INFINITY;
  refusedInWindow = 0;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    nowMs: number,
  ) {
    this.tokens = burst;
    this.lastMs = nowMs;
  }

  take(nowMs: number): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.lastMs) * this.perSecond) / 1000);
    this.lastMs = nowMs;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    if (nowMs - this.windowStartMs >= REFUSAL_WINDOW_MS) {
      this.windowStartMs = nowMs;
      this.refusedInWindow = 0;
    }
    this.refusedInWindow++;
    return false;
  }

  /** How long since the last message was offered. */
  idleSinceMs(nowMs: number): number {
    return nowMs - this.lastMs;
  }
}
