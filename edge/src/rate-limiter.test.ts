import { describe, expect, it } from 'vitest';
import { RateLimiter, REFUSAL_WINDOW_MS } from './rate-limiter.js';

/** Offers `count` messages evenly over `seconds` from `startMs`; returns how many were taken. */
function offer(limiter: RateLimiter, count: number, seconds: number, startMs = 0): number {
  let taken = 0;
  for (let i = 0; i < count; i++) if (limiter.take(startMs + (i * seconds * 1000) / count)) taken++;
  return taken;
}

describe('RateLimiter (50/s, bursts of 100)', () => {
  it('takes a burst up to its size and refuses the rest', () => {
    const limiter = new RateLimiter(50, 100, 0);
    expect(offer(limiter, 150, 0)).toBe(100);
    expect(limiter.refusedInWindow).toBe(50);
  });

  it('never refuses a client that stays under the rate', () => {
    const limiter = new RateLimiter(50, 100, 0);
    expect(offer(limiter, 40 * 60, 60)).toBe(40 * 60);
    expect(limiter.refusedInWindow).toBe(0);
  });

  it('piles up refusals from a steady flood at twice the rate, though a message gets through every 20 ms', () => {
    const limiter = new RateLimiter(50, 100, 0);
    const taken = offer(limiter, 100 * 6, 6);
    // 100 of burst, then 50/s.
    expect(taken).toBeGreaterThanOrEqual(100 + 50 * 6 - 2);
    expect(taken).toBeLessThanOrEqual(100 + 50 * 6 + 1);
    expect(limiter.refusedInWindow).toBe(100 * 6 - taken);
    expect(limiter.refusedInWindow).toBeGreaterThan(190);
  });

  it('starts counting afresh once a window has passed', () => {
    const limiter = new RateLimiter(50, 100, 0);
    offer(limiter, 150, 0);
    expect(limiter.refusedInWindow).toBe(50);
    // A burst again a window later: the bucket is full again, and its refusals count alone.
    offer(limiter, 110, 0, REFUSAL_WINDOW_MS);
    expect(limiter.refusedInWindow).toBe(10);
  });
});
