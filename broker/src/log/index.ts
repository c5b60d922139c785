export { LogManager, topicNameProblem, writeDurably } from './log-manager.js';
export type { AppendResult, PartitionLog } from './partition-log.js';
export { InvalidBatchError, LOG_OVERHEAD, validateProducedBatch } from './record-batch.js';
