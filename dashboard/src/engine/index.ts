// The dashboard's engine: plain TypeScript, no Svelte. Components create it, pass it data and read its stats.

export { ALERT_TRIGGER_MARK, CandleChart, type ChartColors, formatTime } from './candle-chart.js';
export { type Bar, CandleSeries, TIMEFRAMES, type TimeframeName } from './candle-series.js';
export {
  Engine,
  type EngineOptions,
  type FeedPort,
  type FeedPortFactory,
  type LogEntry,
  type Renderer,
} from './engine.js';
export { BADGE_US, EventBook } from './event-book.js';
export { FeedConnection, type SocketConstructor, type SocketLike } from './feed-connection.js';
export {
  type AnalyticsStateName,
  type AnalyticsStatusView,
  type ConnectionStatus,
  type CorrelationRequestView,
  type CorrelationView,
  type FeedCounters,
  type LogKind,
  type MarketEventView,
  type ReplayView,
  ROW,
  ROW_WIDTH,
  type Subscription,
} from './feed-protocol.js';
export { formatBytes, formatCompact, formatPercent, formatPrice, formatSigned, PRICE_SCALE } from './format.js';
export {
  type ChangeFilter,
  defaultQuery,
  type GridQuery,
  gridOrder,
  isLiveSort,
  LIVE_SORT_INTERVAL_MS,
  type SortKey,
} from './grid-order.js';
export { localFeed } from './local-feed.js';
export { MarketBook } from './market-book.js';
export { type ColumnKey, type GridColors, MarketGrid } from './market-grid.js';
export { PerformanceMeter, type PerformanceSample } from './perf-stats.js';
export { workerFeed } from './worker-feed.js';
