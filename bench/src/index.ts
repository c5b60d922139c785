export { type BaselineResult, formatBaselineBench, runBaselineBench } from './baseline.js';
export { BENCHMARKS, type BenchmarkName, parseBenchmarkList } from './benchmark-names.js';
export { type BrokerBenchResult, formatBrokerBench, runBrokerBench } from './broker.js';
export { type CodecBenchResult, runCodecBench } from './codec.js';
export { type E2eResult, formatE2eBench, runE2eBench } from './e2e.js';
export { type EdgeBenchResult, formatEdgeBench, runEdgeBench } from './edge.js';
export {
  type EdgeFollowResult,
  type EdgeIngestResult,
  formatEdgeFollowBench,
  formatEdgeIngestBench,
  runEdgeFollowBench,
  runEdgeIngestBench,
} from './edge-ingest.js';
export { formatHttpBench, type HttpBenchResult, runHttpBench } from './http.js';
export { runMarketBench } from './market.js';
export { formatOrdersBench, type OrdersBenchResult, runOrdersBench } from './orders.js';
export { formatProducerBench, type ProducerBenchResult, runProducerBench } from './producer.js';
export { median, medianOf } from './stats.js';
export {
  formatSuite,
  runSuite,
  type SuiteResult,
} from './suite.js';
export {
  formatThroughputBench,
  runThroughputBench,
  type ThroughputResult,
} from './throughput.js';
