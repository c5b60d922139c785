// @tickstream/schemas: the wire format every tier shares. Browser-safe: Node tiers get lz4-napi
// from '@tickstream/schemas/lz4-node'; clients anywhere use jsLz4, its decompressor in TypeScript.
export {
  AnalyticsEncoder,
  BAR_TIMEFRAME_US,
  BarTimeframe,
  type CandleBarFields,
  type CorrelationMatrixFields,
  decodeCandleBar,
  decodeCorrelationMatrix,
} from './analytics-codec.js';
export { BitReader, BitWriter } from './bits.js';
export { CandleBarReader } from './candle-bar-reader.js';
export {
  type ClientMessageFields,
  decodeClientFrame,
  encodeClientFrame,
  ReplayAction,
  type ReplayStartFields,
} from './client-codec.js';
export { applyDelta, applyDeltaData, type DeltaBatch, DeltaEncoder, DeltaField, DeltaWriter } from './delta.js';
export {
  DELTA_FRAME_FORMAT,
  type DeltaFrameFields,
  encodeDeltaFrame,
  isDeltaFrame,
  newDeltaFrameFields,
  readDeltaFrame,
} from './delta-frame.js';
export {
  DEFAULT_COMPRESS_ABOVE,
  DEFAULT_MAX_FRAME_BYTES,
  decodeFrame,
  encodeFrame,
  FRAME_VERSION,
  type FrameOptions,
} from './frame.js';
export type { Lz4Block } from './lz4.js';
export { blockSize, decompressBlockInto, jsLz4 } from './lz4-block.js';
export { EPISODE_SCENARIOS, MARKET_SCENARIOS, type MarketScenario } from './market-scenarios.js';
export { type PortfolioValuation, type PositionValuation, valuePortfolio } from './portfolio-valuation.js';
export { ProtocolError, type ProtocolErrorCode } from './protocol-error.js';
export { type QuoteFields, QuoteTable } from './quote-table.js';
export {
  type AlertsFields,
  AnalyticsState,
  type AnalyticsStatusFields,
  type BarIndicatorsFields,
  type CandleFields,
  Channel,
  decodeServerFrame,
  decodeServerFrameBody,
  ErrorCode,
  type HelloFields,
  type OrderStateFields,
  type OrdersFields,
  type PortfolioStateFields,
  PROTOCOL_VERSION,
  ReplayState,
  type ReplayStatusFields,
  ServerFrameEncoder,
  type ServerMessageFields,
  type SymbolInfoFields,
  Timeframe,
} from './server-codec.js';
export {
  COMPONENT_KINDS,
  ComponentKind,
  type ComponentKindName,
  decodeSystemMetric,
  MAX_FIGURES,
  type MetricFigureFields,
  type RecoveryFields,
  SYSTEM_METRICS_TOPIC,
  SystemMetricEncoder,
  type SystemMetricFields,
} from './system-metrics-codec.js';
export {
  decodeMarketEvent,
  decodeTick,
  EventSource,
  type MarketEventEvidence,
  type MarketEventFields,
  type MarketEventJson,
  MarketEventKind,
  marketEventJson,
  PRICE_SCALE,
  TickEncoder,
  type TickFields,
} from './tick-codec.js';
export { TickReader } from './tick-reader.js';
export { fitsTickLayout, TickWriter } from './tick-writer.js';
export {
  checkEquityCurve,
  checkPortfolio,
  decodeCheckedEquityCurve,
  decodeCheckedPortfolio,
  decodeEquityCurve,
  decodeOrderCommand,
  decodeOrderUpdate,
  decodePortfolio,
  EQUITY_CURVE_KEY_SUFFIX,
  type EquityCurveFields,
  type EquityPointFields,
  encodeEquityCurve,
  encodeOrderCommand,
  encodeOrderUpdate,
  encodePortfolio,
  isOpenStatus,
  mergeEquityCurve,
  ORDER_SIDES,
  ORDER_STATUSES,
  ORDER_TYPES,
  type OrderCancelFields,
  type OrderCommandFields,
  type OrderFields,
  type OrderSideName,
  type OrderStatusName,
  type OrderTypeName,
  type OrderUpdateFields,
  type PortfolioFields,
  type PortfolioResetFields,
  type PositionFields,
  TIMES_IN_FORCE,
  type TimeInForceName,
} from './trading-codec.js';
export {
  ALERT_KINDS,
  type AlertKindName,
  type AlertRuleFields,
  type AlertTriggerFields,
  decodeAlertRule,
  decodeAlertTrigger,
  decodeUserAccount,
  encodeAlertRule,
  encodeAlertTrigger,
  encodeUserAccount,
  USER_ROLES,
  type UserAccountFields,
  type UserRoleName,
} from './user-codec.js';
