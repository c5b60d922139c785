// @tickstream/producer: the market model and the worker-thread producer that writes it to Kafka.

export {
  CHAOS_ACTIONS,
  type ChaosAction,
  type ChaosCommand,
  CONTROL_TOPIC,
  type ControlCheck,
  isChaosAction,
  isProcessAction,
  MAX_BURST_FACTOR,
  MAX_LINK_DELAY_MS,
  PROCESS_ACTIONS,
  PRODUCER_ACTIONS,
  type ProcessAction,
  signControlCommand,
  verifyControlCommand,
} from '@tickstream/schemas/control-command';
export { ControlFollower, type ControlFollowerOptions } from './control-follower.js';
export { KafkaSink, type KafkaSinkOptions, type SinkStats } from './kafka-sink.js';
export { buildUniverse, RealClock, ShardGenerator, SimClock, sessionAt, sessionPeriod } from './market/index.js';
export { ProducerMetrics } from './metrics.js';
export { murmur2, partitionForKey } from './murmur2-partitioner.js';
export {
  defaultProducerOptions,
  optionsFromEnvironment,
  type ProducerOptions,
  SCENARIOS,
  type ScenarioName,
  WRITERS,
  type WriterKind,
} from './options.js';
export { joinPipeline, type PipelineOptions, type ProducerInPipeline } from './pipeline.js';
export { ProduceClient, type ProduceClientOptions } from './produce-client.js';
export { type ProducerStats, type RunningProducer, startProducer, type WriterFigures } from './producer.js';
export { type EncodedBatch, encodeRecordKey, RecordBatchBuilder, stampProducer } from './record-batch-encoder.js';
export { RecordBatchSink, type RecordBatchSinkOptions } from './record-batch-sink.js';
export { formatStatus, formatSummary, statusFields, summaryFields } from './status.js';
