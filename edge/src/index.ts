export { type TriggerJson, triggerJson } from './alert-rules.js';
export { type AnalyticsJobFigures, AnalyticsJobMetrics } from './analytics-job-metrics.js';
export { createToken, isRole, type Principal, ROLES, type Role, type TokenCheck, TokenVerifier } from './auth-token.js';
export { DEFAULT_BARS_KEPT, TIMEFRAME_NAMES } from './candles.js';
export { parseAddressList } from './client-limits.js';
export { type RunningEdge, startEdge } from './edge.js';
export { defaultEdgeGroupOptions, type EdgeGroup, type EdgeGroupOptions, startEdgeGroup } from './edge-group.js';
export { HaproxyMissingError, haproxyVersion, localBalancerConfig } from './haproxy.js';
export { defaultEdgeOptions, type EdgeOptions } from './options.js';
export { currency, priceUnits } from './order-rules.js';
export { hashPassword, passwordProblem, userNameProblem, verifyPassword } from './password.js';
export { loadStaticFiles, type StaticFile } from './static-files.js';
export { checkTlsFiles, type TlsFiles } from './tls.js';
export {
  defaultTradingTopics,
  ensureTradingTopics,
  TRADING_RETENTION_MS,
  type TradingTopicNames,
} from './trading-state.js';
export {
  BatchingWriter,
  defaultUserTopics,
  ensureUserTopics,
  type KeyedRecord,
  UserStateReader,
  UserStateWriter,
  type UserTopicNames,
  userStateKafka,
} from './user-state-kafka.js';
