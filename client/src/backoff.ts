export interface BackoffOptions {
  /** First ceiling, ms (default 250). */
  baseMs?: number;
  /** Highest ceiling, ms (default 5,000). */
  maxMs?: number;
}

/**
 * Exponential backoff with full jitter: the ceiling doubles per failure up to `maxMs`, and each
 * wait is drawn between half the ceiling and the ceiling, so the clients of an edge that died do
 * not all come back in the same millisecond.
 */
export class Backoff {
  private failures = 0;
  private readonly baseMs: number;
  private readonly maxMs: number;

  constructor(options: BackoffOptions) {
    this.baseMs = options.baseMs ?? 250;
    this.maxMs = options.maxMs ?? 5000;
    if (!(this.baseMs > 0 && this.maxMs >= this.baseMs))
      throw new RangeError(`reconnect needs 0 < baseMs ≤ maxMs, got ${this.baseMs} and ${this.maxMs}`);
  }

  next(): number {
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** this.failures);
    this.failures++;
    return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
  }

  reset(): void {
    this.failures = 0;
  }
}
