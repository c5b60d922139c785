export { LogManager, topicNameProblem, writeDurably } from './log-manager.js';
export type { AppendResult, PartitionLog } from './partition-log.js';
export { InvalidBatchError, validateProducedBatch } from './record-batch.js';
export { LOG_OVERHEAD } from './record-batch.js';
