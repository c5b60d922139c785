export { LogManager, topicNameProblem, writeDurably } from './log-manager.js';
export type { AppendResult, PartitionLog } from './partition-log.js';
export {
  BATCH_HEADER_SIZE,
  BatchField,
  InvalidBatchError,
  LOG_OVERHEAD,
  TRANSACTIONAL,
  validateProducedBatch,
} from './record-batch.js';
