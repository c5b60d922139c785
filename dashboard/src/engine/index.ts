// The dashboard's engine: plain TypeScript, no Svelte. Components create it, pass it data and read its stats.
export { type Bar, CandleSeries, TIMEFRAMES, type TimeframeName } from './candle-series.js';
export {
  Engine,
  type EngineOptions,
  type FeedPort,
  type FeedPortFactory,
  type LogEntry,
  type Renderer,
} from './engine.js';
export { FeedConnection, type SocketConstructor, type SocketLike } from './feed-connection.js';
export {
  type ConnectionStatus,
  type FeedCounters,
  type LogKind,
  ROW,
  ROW_WIDTH,
  type Subscription,
} from './feed-protocol.js';
export { localFeed } from './local-feed.js';
export { browserLz4 } from './lz4-block.js';
export { MarketBook } from './market-book.js';
export { PerformanceMeter, type PerformanceSample } from './perf-stats.js';
export { workerFeed } from './worker-feed.js';
