import { vi } from 'vitest';

/**
 * Waits, polling every `intervalMs`, until `predicate` holds; fails after `timeoutMs` naming
 * `what`. Pass `what` as a function to say what a process had written by then.
 */
export async function until(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string | (() => string),
  intervalMs = 100,
): Promise<void> {
  await vi.waitFor(
    async () => {
      if (await predicate()) return;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    },
    { timeout: timeoutMs, interval: intervalMs },
  );
}
