import type { FeedPortFactory } from './engine.js';
import type { SocketConstructor } from './feed-connection.js';
import { WorkerHub, type WorkerHubOptions } from './worker-hub.js';

/**
 * The decode worker's work (WorkerHub) on the calling thread, for Node (tests, tools) where there is no Worker: pass `ws`
 * as the WebSocket. Reports are delivered asynchronously, as a worker's would be.
 */
export function localFeed(
  WebSocket: SocketConstructor,
  options: Partial<Omit<WorkerHubOptions, 'WebSocket' | 'report'>> = {},
): FeedPortFactory & { last?: WorkerHub } {
  const factory: FeedPortFactory & { last?: WorkerHub } = (onReport) => {
    const hub = new WorkerHub({
      fetch: typeof fetch === 'function' ? fetch.bind(globalThis) : undefined,
      ...options,
      WebSocket,
      report: (report) => queueMicrotask(() => onReport(report)),
    });
    factory.last = hub;
    return { post: (command) => hub.command(command), close: () => hub.command({ type: 'stop' }) };
  };
  return factory;
}
