// @tickstream/client: one typed client of the edge protocol (docs/protocol.md) for browsers,
// Workers and Node. Its whole public surface is here.

// What a client needs of the wire format, so it imports one package.
export {
  type AlertRuleFields,
  type AlertsFields,
  type AlertTriggerFields,
  AnalyticsState,
  type AnalyticsStatusFields,
  type CorrelationMatrixFields,
  DeltaField,
  ErrorCode,
  type HelloFields,
  type MarketEventFields,
  MarketEventKind,
  marketEventJson,
  type OrderFields,
  type OrderSideName,
  type OrderStateFields,
  type OrderStatusName,
  type OrdersFields,
  type OrderTypeName,
  type OrderUpdateFields,
  type PortfolioFields,
  type PortfolioStateFields,
  type PositionFields,
  PRICE_SCALE,
  type QuoteFields,
  QuoteTable,
  ReplayAction,
  ReplayState,
  type ReplayStatusFields,
  Timeframe,
  type TimeInForceName,
} from '@tickstream/schemas';
export { AlertRequests } from './alerts.js';
export type { BackoffOptions } from './backoff.js';
export {
  type CandlesEvent,
  CLOSE_DRAINING,
  type ClientCounters,
  type ClientEvents,
  type ClientOptions,
  type ConnectionState,
  type EdgeError,
  type MarketEvent,
  TickstreamClient,
  type UpdateBatch,
} from './client.js';
// The in-place frame reader the client reads every frame with: for tools that handle frames
// themselves (recorders, probes). Most programs want TickstreamClient.
export { FrameReader } from './frame-reader.js';
export { type OrderAnswer, type OrderDraft, type OrderOptions, OrderRequests } from './orders.js';
export { QuoteBook } from './quote-book.js';
export { ReplayControls, type ReplayOptions } from './replay.js';
export { RequestRefused } from './requests.js';
export type { SocketConstructor, SocketFactory, SocketLike } from './socket.js';
