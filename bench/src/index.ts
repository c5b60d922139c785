export { type BrokerBenchResult, formatBrokerBench, runBrokerBench } from './broker.js';
export { type CodecBenchResult, runCodecBench } from './codec.js';
export { type EdgeBenchResult, formatEdgeBench, runEdgeBench } from './edge.js';
export { type EdgeIngestResult, formatEdgeIngestBench, runEdgeIngestBench } from './edge-ingest.js';
export { runMarketBench } from './market.js';
export { formatProducerBench, type ProducerBenchResult, runProducerBench } from './producer.js';
export { median, medianOf } from './stats.js';
