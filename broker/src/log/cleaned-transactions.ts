import { ControlType } from './control-batch.js';
import { BatchAttribute } from './record-batch.js';
import type { BatchFields } from './records.js';

/** An aborted transaction of the partition being cleaned: its producer, first offset and ABORT marker. */
export interface AbortedTransactionRange {
  producerId: number;
  firstOffset: number;
  markerOffset: number;
}

/*
 * What the log cleaner knows of transactions while it walks a partition's batches in offset
 * order, as Apache Kafka's CleanedTransactionMetadata does. The cleaner only reaches below the
 * first unstable offset, so every transaction it meets is decided; which ones were aborted it
 * learns from the partition's aborted-transactions index (given as ranges, by first offset),
 * since a transaction's marker may lie past what it cleans.
 *
 * - A batch of an aborted transaction loses its records (they were never visible to
 *   read_committed consumers, and read_uncommitted ones lose nothing they could rely on).
 * - A marker may go, once its delete horizon has passed, when no batch of its transaction was
 *   met on this walk: an ABORT marker is kept while the aborted batches are still in the log
 *   (the walk that drops them keeps it, so a consumer that fetched them still sees it), a COMMIT
 *   marker while any batch of its transaction is. A marker of no transaction, or an emptied
 *   one, may go too; one of an unknown type stays.
 */
export class CleanedTransactions {
  private nextAborted = 0;
  /** Producers inside an aborted transaction here → whether a batch of it was met. */
  private readonly ongoingAborted = new Map<number, boolean>();
  /** Producers inside a committed transaction of which a batch was met. */
  private readonly ongoingCommitted = new Set<number>();

  /** `aborted` must be sorted by first offset. */
  constructor(private readonly aborted: readonly AbortedTransactionRange[]) {}

  private reach(lastOffset: number): void {
    for (; this.nextAborted < this.aborted.length; this.nextAborted++) {
      const transaction = this.aborted[this.nextAborted] as AbortedTransactionRange;
      if (transaction.firstOffset > lastOffset) return;
      if (!this.ongoingAborted.has(transaction.producerId)) this.ongoingAborted.set(transaction.producerId, false);
    }
  }

  /** A data batch: true when it belongs to an aborted transaction, so its records go. */
  onDataBatch(fields: BatchFields): boolean {
    this.reach(fields.baseOffset + fields.lastOffsetDelta);
    if ((fields.attributes & BatchAttribute.transactional) === 0) return false;
    if (this.ongoingAborted.has(fields.producerId)) {
      this.ongoingAborted.set(fields.producerId, true);
      return true;
    }
    this.ongoingCommitted.add(fields.producerId);
    return false;
  }

  /** A control batch with its marker type (null: unknown or unreadable): true when it may go after its delete horizon. */
  onControlBatch(fields: BatchFields, type: ControlType | null): boolean {
    this.reach(fields.baseOffset + fields.lastOffsetDelta);
    if (fields.recordCount === 0) return true; // emptied by an earlier cleaning
    if (type === ControlType.abort) {
      const metBatches = this.ongoingAborted.get(fields.producerId) === true;
      this.ongoingAborted.delete(fields.producerId);
      return !metBatches;
    }
    if (type === ControlType.commit) return !this.ongoingCommitted.delete(fields.producerId);
    return false;
  }
}
