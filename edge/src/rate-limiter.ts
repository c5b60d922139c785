/**
 * A token bucket: `perSecond` messages a second on average, bursts up to `burst`. It also
 * counts refusals in a row, so sustained abuse can be told from a brief burst.
 */
export class RateLimiter {
  private tokens: number;
  private lastMs: number;
  refusedInARow = 0;

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
      this.refusedInARow = 0;
      return true;
    }
    this.refusedInARow++;
    return false;
  }
}
