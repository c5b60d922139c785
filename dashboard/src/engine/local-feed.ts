import type { FeedPortFactory } from './engine.js';
import { FeedConnection, type FeedConnectionOptions, type SocketConstructor } from './feed-connection.js';

/**
 * The feed on the calling thread, for Node (tests, tools) where there is no Worker: pass `ws`
 * as the WebSocket. Reports are delivered asynchronously, as a worker's would be.
 */
export function localFeed(
  WebSocket: SocketConstructor,
  options: Partial<Omit<FeedConnectionOptions, 'WebSocket' | 'report'>> = {},
): FeedPortFactory & { last?: FeedConnection } {
  const factory: FeedPortFactory & { last?: FeedConnection } = (onReport) => {
    const feed = new FeedConnection({
      fetch: typeof fetch === 'function' ? fetch.bind(globalThis) : undefined,
      ...options,
      WebSocket,
      report: (report) => queueMicrotask(() => onReport(report)),
    });
    factory.last = feed;
    return { post: (command) => feed.command(command), close: () => feed.stop() };
  };
  return factory;
}
