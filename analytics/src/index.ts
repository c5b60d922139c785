// @tickstream/analytics: runs the Flink job of analytics/ (Java, Maven) from Node: builds it
// into the jar cache, picks the delivery guarantee the broker can give, and supervises its JVM.

export { type JobTimes, watchJobTimes } from './alert-job-times.js';
export {
  type AnalyticsOptions,
  type AnalyticsTopics,
  chooseDelivery,
  DEFAULT_MAX_HEAP,
  DEFAULT_TOPICS,
  type Delivery,
  deliveryFor,
  parseStartupTimes,
  type RunningAnalytics,
  type StartupTimes,
  startAnalytics,
} from './analytics.js';
export { AnalyticsError } from './errors.js';
export { type AnalyticsJobFiles, buildAnalyticsJob, DEFAULT_FLINK_VERSION } from './job-build.js';
export { AnalyticsWithStandby } from './standby.js';
export { probeTransactions, type TransactionSupport } from './transactions-probe.js';
