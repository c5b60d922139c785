import { createRequire } from 'node:module';

/**
 * kafkajs 2.2.4 spins on every connection it has used: RequestQueue.scheduleCheckPendingRequests
 * re-arms a setTimeout of a negative delay (1 ms) whenever nothing is pending and nothing is
 * throttled, so each idle admin or producer connection wakes the event loop ~1,000 times a
 * second for nothing (kafkajs issues #1556 and #1704, unfixed upstream). An edge holds several
 * such connections (history planning, topic polls, user state, trading), which made up most of
 * an idle edge's CPU. This replaces that one method with the fix proposed upstream: with
 * nothing pending and no throttle there is nothing to check later; a request that cannot go at
 * once is queued by push(), which schedules the check itself, and each answer checks the queue.
 */
interface RequestQueueShape {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/** kafkajs' own interval for re-checking a queue held back by in-flight limits. */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

const require = createRequire(import.meta.url);
const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as {
  prototype: RequestQueueShape;
};

RequestQueue.prototype.scheduleCheckPendingRequests = function (this: RequestQueueShape): void {
  if (this.throttleCheckTimeoutId) return;
  const throttledForMs = this.throttledUntil - Date.now();
  if (this.pending.length === 0 && throttledForMs <= 0) return;
  const delayMs = this.pending.length > 0 && throttledForMs <= 0 ? CHECK_PENDING_REQUESTS_INTERVAL_MS : throttledForMs;
  this.throttleCheckTimeoutId = setTimeout(() => {
    this.throttleCheckTimeoutId = null;
    this.checkPendingRequests();
  }, delayMs);
};

/** The patched class's prototype, for the test to watch its queue checks. */
export const requestQueuePrototype: RequestQueueShape = RequestQueue.prototype;
