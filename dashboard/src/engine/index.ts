// The dashboard's engine: plain TypeScript, no Svelte. Components create it, pass it data and read its stats.

export {
  ALERT_TRIGGER_MARK,
  CandleChart,
  type ChartColors,
  type ChartOverlays,
  DEFAULT_OVERLAYS,
  formatTime,
} from './candle-chart.js';
export { type Bar, CandleSeries, TIMEFRAMES, type TimeframeName } from './candle-series.js';
export { type CorrelationCell, type CorrelationColors, CorrelationViewer } from './correlation-view.js';
export {
  Engine,
  type EngineOptions,
  type FeedPort,
  type FeedPortFactory,
  type LogEntry,
  type Renderer,
  type SummaryInterest,
} from './engine.js';
export { BADGE_US, EventBook } from './event-book.js';
export { FeedConnection, type SocketConstructor, type SocketLike } from './feed-connection.js';
export {
  type AnalyticsStateName,
  type AnalyticsStatusView,
  type ConnectionStatus,
  type CorrelationCatalogEntry,
  type CorrelationRequestView,
  type CorrelationView,
  type FeedCounters,
  type HeatmapView,
  type LogKind,
  type MarketEventView,
  type MoversView,
  type MoverView,
  type ReplayView,
  ROW,
  ROW_WIDTH,
  type Subscription,
  type VolumeRow,
  type VolumeSortKey,
  type VolumeTableView,
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
export { type HeatmapColors, type HeatmapTileInfo, HeatmapViewer, heatStep } from './heatmap-view.js';
export { localFeed } from './local-feed.js';
export { MarketBook } from './market-book.js';
export { type ColumnKey, type GridColors, MarketGrid } from './market-grid.js';
export { MarketStatus, PHASE_LABEL } from './market-status.js';
export { PerformanceMeter, type PerformanceSample } from './perf-stats.js';
export {
  type Diagram,
  type DiagramArrow,
  type DiagramNode,
  layoutPipeline,
  type PipelineAnswer,
  type PipelineComponent,
  shortId,
  statusLine,
} from './pipeline-layout.js';
export {
  type AllocationSlice,
  allocationBySector,
  type ChartGeometry,
  type EquityPoint,
  equityChart,
  markPortfolio,
} from './portfolio-view.js';
export {
  type FaultTimeline,
  type RecoveryRecord,
  type RecoveryStage,
  recoveryTimeline,
  recoveryTimelines,
  type TimelineStep,
} from './recovery-timeline.js';
export { SeriesHandle } from './series-handle.js';
export { HIGH_AT, LOW_BELOW, volumeCategory } from './volume-table.js';
export { workerFeed } from './worker-feed.js';
