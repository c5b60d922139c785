export {
  type InitProducerIdResult,
  type TransactionalOffsetCommit,
  TransactionCoordinator,
  type TransactionDescription,
} from './transaction-coordinator.js';
export type { TopicPartition, TransactionState } from './transaction-state.js';
