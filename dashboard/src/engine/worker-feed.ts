import type { FeedPortFactory } from './engine.js';
import type { FeedReport } from './feed-protocol.js';

/** The browser's feed: a FeedConnection inside the decode worker. */
export const workerFeed: FeedPortFactory = (onReport) => {
  const worker = new Worker(new URL('./decode-worker.ts', import.meta.url), {
    type: 'module',
    name: 'tickstream-decode',
  });
  worker.onmessage = (event: MessageEvent<FeedReport>) => onReport(event.data);
  worker.onerror = (event) =>
    onReport({ type: 'log', kind: 'error', message: `the decode worker failed: ${event.message}` });
  return {
    post: (command) => worker.postMessage(command),
    close: () => worker.terminate(),
  };
};
