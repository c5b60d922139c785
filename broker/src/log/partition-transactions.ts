/** An aborted transaction as Fetch reports it, plus where it ended. */
export interface AbortedTransaction {
  producerId: number;
  firstOffset: number;
  /** Offset of the ABORT marker that closed it. */
  lastOffset: number;
  /**
   * The partition's last-stable offset just after that marker. No transaction aborted later
   * can have started below it (it would have held the LSO down), which bounds every search.
   */
  lastStableOffset: number;
}

/**
 * The transactional state of one partition, derived from its log (so rebuilt by walking the
 * batches at start, like the idempotent-producer state):
 *  - the first offset of each producer's open transaction; the earliest of them is the
 *    last-stable offset (LSO), below which every transaction is decided;
 *  - the aborted transactions, in the order their markers were written, which Fetch lists for
 *    read_committed consumers (Apache Kafka keeps the same in its .txnindex files).
 */
export class PartitionTransactions {
  private readonly open = new Map<number, number>();
  private readonly aborted: AbortedTransaction[] = [];

  hasOpenTransaction(producerId: number): boolean {
    return this.open.has(producerId);
  }

  /** The first offset of the producer's open transaction here, if one is open. */
  firstOffsetOf(producerId: number): number | undefined {
    return this.open.get(producerId);
  }

  /** Producers with a transaction open in this partition. */
  openProducerIds(): number[] {
    return [...this.open.keys()];
  }

  /** A transactional data batch at `baseOffset`: it opens the producer's transaction unless one is open. */
  onTransactionalBatch(producerId: number, baseOffset: number): void {
    if (!this.open.has(producerId)) this.open.set(producerId, baseOffset);
  }

  /**
   * The producer's marker was written at `markerOffset`; `logEndOffset` is the offset after it.
   * A marker with no open transaction (a partition added but never written to) changes nothing.
   */
  onMarker(producerId: number, markerOffset: number, commit: boolean, logEndOffset: number): void {
    const firstOffset = this.open.get(producerId);
    if (firstOffset === undefined) return;
    this.open.delete(producerId);
    if (!commit) {
      this.aborted.push({
        producerId,
        firstOffset,
        lastOffset: markerOffset,
        lastStableOffset: this.lastStableOffset(logEndOffset),
      });
    }
  }

  /** The first offset not yet decided: the oldest open transaction's start, or the log end. */
  lastStableOffset(logEndOffset: number): number {
    if (this.open.size === 0) return logEndOffset;
    let lowest = logEndOffset;
    for (const firstOffset of this.open.values()) if (firstOffset < lowest) lowest = firstOffset;
    return lowest;
  }

  /**
   * Aborted transactions that overlap the offsets [from, to): what a read_committed Fetch of
   * that range must list (Apache Kafka's collectAbortedTxns).
   */
  abortedWithin(from: number, to: number): { producerId: number; firstOffset: number }[] {
    const found: { producerId: number; firstOffset: number }[] = [];
    // Markers are appended in offset order, so lastOffset ascends: skip those ending before `from`.
    let low = 0;
    let high = this.aborted.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((this.aborted[middle] as AbortedTransaction).lastOffset < from) low = middle + 1;
      else high = middle;
    }
    for (let i = low; i < this.aborted.length; i++) {
      const entry = this.aborted[i] as AbortedTransaction;
      if (entry.firstOffset < to) found.push({ producerId: entry.producerId, firstOffset: entry.firstOffset });
      if (entry.lastStableOffset >= to) break;
    }
    return found;
  }

  get abortedCount(): number {
    return this.aborted.length;
  }

  /** Aborted transactions with a batch or their marker in [from, to), by first offset: what the log cleaner must know. */
  abortedOverlapping(from: number, to: number): AbortedTransaction[] {
    return this.aborted
      .filter((entry) => entry.lastOffset >= from && entry.firstOffset < to)
      .sort((a, b) => a.firstOffset - b.firstOffset);
  }

  /**
   * Retention deleted every segment below `firstSegmentOffset`: forget aborts that ended there.
   * (Not the log start offset: records below it that DeleteRecords left in the first segment are
   * still on disk, and a restart rebuilds their aborts from there.)
   */
  forgetBefore(firstSegmentOffset: number): void {
    let drop = 0;
    while (drop < this.aborted.length && (this.aborted[drop] as AbortedTransaction).lastOffset < firstSegmentOffset)
      drop++;
    if (drop > 0) this.aborted.splice(0, drop);
  }

  /** The log cleaner dropped the ABORT markers at these offsets: without its marker an abort is no longer listed. */
  forgetAborted(markerOffsets: readonly number[]): void {
    if (markerOffsets.length === 0) return;
    const dropped = new Set(markerOffsets);
    const kept = this.aborted.filter((entry) => !dropped.has(entry.lastOffset));
    this.aborted.splice(0, this.aborted.length, ...kept);
  }
}
