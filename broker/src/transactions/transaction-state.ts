/*
 * What the transaction coordinator records per transactional id (Apache Kafka's
 * TransactionMetadata, kept as one JSON line per change in the transaction log).
 *
 *   Empty ──AddPartitions/AddOffsets──▶ Ongoing ──EndTxn──▶ PrepareCommit ──markers──▶ CompleteCommit
 *     ▲                                    │                PrepareAbort  ──markers──▶ CompleteAbort
 *     └──────────── InitProducerId (epoch + 1) ◀──────────────────────────────────────────┘
 *
 * An InitProducerId or the timeout meeting an Ongoing transaction bumps the epoch (fencing the
 * old producer) and aborts it. Dead and PrepareEpochFence are Apache Kafka state names this
 * broker never records (expiry removes an id outright; fencing is the epoch bump above), but
 * ListTransactions accepts them as filters as Apache Kafka does.
 */
export const TRANSACTION_STATES = [
  'Empty',
  'Ongoing',
  'PrepareCommit',
  'PrepareAbort',
  'CompleteCommit',
  'CompleteAbort',
  'Dead',
  'PrepareEpochFence',
] as const;
export type TransactionState = (typeof TRANSACTION_STATES)[number];

export interface TopicPartition {
  topic: string;
  partition: number;
}

/** An offset staged by TxnOffsetCommit: the group sees it only if the transaction commits. */
export interface StagedOffset {
  group: string;
  topic: string;
  partition: number;
  offset: number;
  metadata: string | null;
}

export interface TransactionRecord {
  transactionalId: string;
  producerId: number;
  /** The producer id before the last change: a producer may resume with it after a rotation. */
  previousProducerId: number;
  producerEpoch: number;
  /** The epoch before the last bump, so a retried InitProducerId (v3+) is answered, not fenced. */
  lastProducerEpoch: number;
  timeoutMs: number;
  state: TransactionState;
  /** Partitions added to the ongoing transaction (AddPartitionsToTxn). */
  partitions: TopicPartition[];
  /** Consumer groups added to it (AddOffsetsToTxn). */
  groups: string[];
  offsets: StagedOffset[];
  /** When the ongoing transaction began (its first AddPartitions/AddOffsets), or -1. */
  startTimestamp: number;
  updateTimestamp: number;
}

/** Producer epochs are int16; at 32766 Apache Kafka moves the transactional id to a new producer id. */
export const MAX_PRODUCER_EPOCH = 32767;

export function isEpochExhausted(epoch: number): boolean {
  return epoch >= MAX_PRODUCER_EPOCH - 1;
}

export function partitionKey(topic: string, partition: number): string {
  // Topic names cannot hold a NUL, so the key is unambiguous.
  return `${topic}\u0000${partition}`;
}
