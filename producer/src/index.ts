// @tickstream/producer: the market model and the worker-thread producer that writes it to Kafka.
export { KafkaSink, type KafkaSinkOptions, type SinkStats } from './kafka-sink.js';
export { buildUniverse, RealClock, ShardGenerator, SimClock } from './market/index.js';
export {
  defaultProducerOptions,
  optionsFromEnvironment,
  type ProducerOptions,
  SCENARIOS,
  type ScenarioName,
} from './options.js';
export { type ProducerStats, type RunningProducer, startProducer } from './producer.js';
export { formatStatus, formatSummary } from './status.js';
