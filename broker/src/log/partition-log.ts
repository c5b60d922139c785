import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode } from '../protocol/errors.js';
import { buildControlBatch, ControlType, type TransactionMarker } from './control-batch.js';
import { writeDurably } from './durable-file.js';
import { PartitionTransactions } from './partition-transactions.js';
import { type ProducerDescription, ProducerState } from './producer-state.js';
import { BatchField, type BatchHeader, CONTROL, TRANSACTIONAL } from './record-batch.js';
import { type BatchLocation, Segment, type TrackedBatch } from './segment.js';
import { finishInterruptedSwaps, swapIn } from './segment-swap.js';

export interface PartitionSettings {
  segmentBytes: number;
  /** A new segment is started once the active one's first batch is this much older than an incoming one. */
  segmentMs?: number;
  /** Retention applies with cleanup.policy delete; -1 turns each limit off. */
  retentionMs: number;
  retentionBytes: number;
  log: (line: string) => void;
}

/** The log start offset, when DeleteRecords has moved it past the first segment's base. */
const LOG_START_FILE = 'log-start-offset';

export type AppendResult =
  | { errorCode: typeof ErrorCode.NONE; baseOffset: number; duplicate: boolean }
  | { errorCode: ErrorCode; message: string };

/**
 * One topic-partition: its segments, offsets, idempotent-producer and transaction state, and
 * append listeners.
 */
export class PartitionLog {
  private readonly segments: Segment[] = [];
  private readonly producers = new ProducerState();
  private readonly transactions = new PartitionTransactions();
  private readonly listeners = new Set<() => void>();
  private readonly unflushed = new Set<Segment>();
  /** The log start offset DeleteRecords set (persisted); the first segment's base may be lower. */
  private startOffset = 0;
  /** A cleaned segment is being swapped in: retention and DeleteRecords leave segment files alone. */
  private swapping = false;
  private closed = false;

  private constructor(
    readonly topic: string,
    readonly partition: number,
    private readonly dir: string,
    private settings: PartitionSettings,
  ) {}

  /** Opens (recovering) or creates the partition in `dir`. */
  static open(topic: string, partition: number, dir: string, settings: PartitionSettings): PartitionLog {
    mkdirSync(dir, { recursive: true });
    const log = new PartitionLog(topic, partition, dir, settings);
    for (const line of finishInterruptedSwaps(dir)) settings.log(`${topic}-${partition}: ${line}`);
    const bases = readdirSync(dir)
      .filter((name) => /^\d{20}\.log$/.test(name))
      .map((name) => Number(name.slice(0, 20)))
      .sort((a, b) => a - b);
    for (const [i, base] of bases.entries()) {
      // Offsets only grow: a segment may start after the previous one ended (compaction leaves
      // gaps), never inside it. A segment whose tail was cut ends the log there, as in Kafka.
      const previous = log.segments[log.segments.length - 1];
      if (previous !== undefined && base < previous.nextOffset) {
        settings.log(
          `${topic}-${partition}: segment ${base} starts inside the previous one (at ${previous.nextOffset}); removing it and later ones`,
        );
        for (const orphan of bases.slice(i)) rmSync(join(dir, Segment.fileName(orphan)), { force: true });
        break;
      }
      const size = statSync(join(dir, Segment.fileName(base))).size;
      const limit = bases[i + 1] ?? Number.POSITIVE_INFINITY;
      const { segment, truncatedBytes } = Segment.recover(dir, base, size, limit, (batch) => log.rememberBatch(batch));
      log.segments.push(segment);
      if (truncatedBytes > 0) {
        settings.log(
          `${topic}-${partition}: cut a torn or corrupt tail of ${truncatedBytes} bytes from segment ${base}`,
        );
        const later = bases.slice(i + 1);
        if (later.length > 0) {
          settings.log(`${topic}-${partition}: removing the ${later.length} segment(s) after the cut`);
          for (const orphan of later) rmSync(join(dir, Segment.fileName(orphan)), { force: true });
        }
        break;
      }
    }
    if (log.segments.length === 0) log.segments.push(Segment.create(dir, 0));
    const startPath = join(dir, LOG_START_FILE);
    if (existsSync(startPath)) log.startOffset = Math.min(Number(readFileSync(startPath, 'utf8')), log.logEndOffset);
    return log;
  }

  /** Rebuilds producer and transaction state from one recovered batch, as if it were appended now. */
  private rememberBatch(batch: BatchLocation): void {
    if (batch.attributes & CONTROL) {
      // This broker's coordinator writes every marker with coordinator epoch 0.
      this.producers.recordMarker(batch.producerId, batch.producerEpoch, 0, batch.maxTimestamp, batch.baseOffset);
      // A control batch of a type this broker does not know decides nothing, as in Apache Kafka.
      if (batch.controlType !== null) {
        const commit = batch.controlType === ControlType.commit;
        this.transactions.onMarker(batch.producerId, batch.baseOffset, commit, batch.lastOffset + 1);
      }
      return;
    }
    this.producers.record(
      batch.producerId,
      batch.producerEpoch,
      batch.baseSequence,
      batch.lastOffset - batch.baseOffset + 1,
      batch.baseOffset,
      batch.maxTimestamp,
    );
    if (batch.attributes & TRANSACTIONAL) this.transactions.onTransactionalBatch(batch.producerId, batch.baseOffset);
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1] as Segment;
  }

  get logStartOffset(): number {
    return Math.max(this.startOffset, (this.segments[0] as Segment).baseOffset);
  }

  /** The next offset to be written: the high watermark of a single node. */
  get logEndOffset(): number {
    return this.active.nextOffset;
  }

  /** Applies changed topic configs (segment size and age, retention) from now on. */
  configure(settings: PartitionSettings): void {
    this.settings = settings;
  }

  get directory(): string {
    return this.dir;
  }

  /** Every segment, oldest first; the last one is the active segment. */
  get segmentList(): readonly Segment[] {
    return this.segments;
  }

  /** Base offsets of each producer's latest batch (or epoch-bumping marker), which compaction must keep. */
  producerLastBatches(): number[] {
    return this.producers.lastBatchOffsets();
  }

  get sizeBytes(): number {
    return this.segments.reduce((sum, segment) => sum + segment.size, 0);
  }

  /**
   * The first offset whose transaction is not yet decided (committed or aborted): the start of
   * the oldest open transaction, or the log end when none is open. read_committed consumers
   * read up to here. DeleteRecords may delete the start of an open transaction; Apache Kafka's
   * UnifiedLog then bounds the first unstable offset by the log start turned into offset
   * metadata, which is the base offset of the batch holding the log start (so it may sit a few
   * offsets below it). Clients see that value in Fetch and ListOffsets: answer the same.
   */
  get lastStableOffset(): number {
    const firstUnstable = this.firstUnstableOffset;
    if (firstUnstable >= this.logStartOffset) return firstUnstable;
    return this.baseOffsetOfBatchHolding(this.logStartOffset) ?? this.logStartOffset;
  }

  private baseOffsetOfBatchHolding(offset: number): number | null {
    for (let i = this.segmentIndexFor(offset); i < this.segments.length; i++) {
      const found = (this.segments[i] as Segment).findBatch(offset);
      if (found !== null) return found.baseOffset;
    }
    return null;
  }

  /**
   * The start of the oldest open transaction, or the log end: the last-stable offset before it
   * is bounded by the log start. The log cleaner stops here, so it never meets a batch of a
   * transaction that is still open, even one DeleteRecords cut into.
   */
  get firstUnstableOffset(): number {
    return this.transactions.lastStableOffset(this.logEndOffset);
  }

  /** Whether any aborted transaction is still in the log (else a read_committed Fetch lists none). */
  get hasAbortedTransactions(): boolean {
    return this.transactions.abortedCount > 0;
  }

  /** Aborted transactions overlapping offsets [from, to), for a read_committed Fetch. */
  abortedTransactions(from: number, to: number): { producerId: number; firstOffset: number }[] {
    return this.transactions.abortedWithin(from, to);
  }

  /** Aborted transactions with a batch or their marker in [from, to), by first offset, for the log cleaner. */
  abortedTransactionRanges(
    from: number,
    to: number,
  ): { producerId: number; firstOffset: number; markerOffset: number }[] {
    return this.transactions
      .abortedOverlapping(from, to)
      .map(({ producerId, firstOffset, lastOffset }) => ({ producerId, firstOffset, markerOffset: lastOffset }));
  }

  hasOpenTransaction(producerId: number): boolean {
    return this.transactions.hasOpenTransaction(producerId);
  }

  /** Producers with a transaction open here (the coordinator checks them at start). */
  openTransactionProducerIds(): number[] {
    return this.transactions.openProducerIds();
  }

  /** The producers that wrote here, with the first offset of their open transaction (or -1). */
  describeProducers(): (ProducerDescription & { currentTransactionStartOffset: number })[] {
    return this.producers.describe().map((producer) => ({
      ...producer,
      currentTransactionStartOffset: this.transactions.firstOffsetOf(producer.producerId) ?? -1,
    }));
  }

  /** The epoch the producer last wrote here with, if it has. */
  producerEpoch(producerId: number): number | undefined {
    return this.producers.epochOf(producerId);
  }

  /** Appends one validated batch (its bytes are renumbered in place). */
  append(batch: Buffer, header: BatchHeader): AppendResult {
    const check = this.producers.check(
      header.producerId,
      header.producerEpoch,
      header.baseSequence,
      header.recordCount,
    );
    if (check.kind === 'duplicate') return { errorCode: ErrorCode.NONE, baseOffset: check.baseOffset, duplicate: true };
    if (check.kind === 'reject') return { errorCode: check.errorCode, message: check.message };
    const transactional = (header.attributes & TRANSACTIONAL) !== 0;
    if (!transactional && header.producerId >= 0 && this.transactions.hasOpenTransaction(header.producerId)) {
      return {
        errorCode: ErrorCode.INVALID_TXN_STATE,
        message: `producer ${header.producerId} has a transaction open here: expected a transactional batch`,
      };
    }

    const baseOffset = this.write(batch, header.lastOffsetDelta, header.maxTimestamp);
    this.producers.record(
      header.producerId,
      header.producerEpoch,
      header.baseSequence,
      header.recordCount,
      baseOffset,
      header.maxTimestamp,
    );
    if (transactional) this.transactions.onTransactionalBatch(header.producerId, baseOffset);
    for (const listener of this.listeners) listener();
    return { errorCode: ErrorCode.NONE, baseOffset, duplicate: false };
  }

  /**
   * Appends the COMMIT or ABORT marker that ends the producer's transaction here (written by the
   * transaction coordinator only), and returns its offset. An aborted transaction becomes part
   * of the aborted-transactions index; either way the last-stable offset may move on.
   */
  appendMarker(marker: TransactionMarker): number {
    const offset = this.write(buildControlBatch(marker), 0, marker.timestamp);
    this.producers.recordMarker(
      marker.producerId,
      marker.producerEpoch,
      marker.coordinatorEpoch,
      marker.timestamp,
      offset,
    );
    this.transactions.onMarker(marker.producerId, offset, marker.commit, this.logEndOffset);
    for (const listener of this.listeners) listener();
    return offset;
  }

  /**
   * Writes a batch at the log end (rolling first when the segment would overflow or has grown
   * older than segment.ms); returns its base offset.
   */
  private write(batch: Buffer, lastOffsetDelta: number, maxTimestamp: number): number {
    if (this.shouldRoll(batch.length, maxTimestamp)) this.roll();
    const baseOffset = this.logEndOffset;
    // The CRC covers neither baseOffset nor partitionLeaderEpoch, so both can be set in place.
    batch.writeBigInt64BE(BigInt(baseOffset), BatchField.baseOffset);
    batch.writeInt32BE(0, BatchField.partitionLeaderEpoch);
    this.active.append(batch, lastOffsetDelta, maxTimestamp);
    this.unflushed.add(this.active);
    return baseOffset;
  }

  private shouldRoll(size: number, maxTimestamp: number): boolean {
    const active = this.active;
    if (active.size === 0) return false;
    if (active.size + size > this.settings.segmentBytes) return true;
    const { segmentMs } = this.settings;
    return (
      segmentMs !== undefined &&
      active.firstBatchTimestamp !== null &&
      maxTimestamp - active.firstBatchTimestamp > segmentMs
    );
  }

  private roll(): void {
    this.segments.push(Segment.create(this.dir, this.logEndOffset));
    this.enforceRetention();
  }

  /** fdatasyncs every segment written since the last flush. */
  async flush(): Promise<void> {
    const segments = [...this.unflushed];
    this.unflushed.clear();
    await Promise.all(segments.map((segment) => segment.flush()));
  }

  /**
   * Whole batches starting with the one holding `offset`, up to `maxBytes` (the first batch
   * whole when `firstWhole`, as Fetch v3+ requires), none starting at or past `endOffset`
   * (read_committed passes the last-stable offset). Empty at the log end.
   */
  read(offset: number, maxBytes: number, firstWhole: boolean, endOffset = Number.POSITIVE_INFINITY): Buffer {
    for (let i = this.segmentIndexFor(offset); i < this.segments.length; i++) {
      const segment = this.segments[i] as Segment;
      const first = segment.findBatch(offset);
      if (first !== null) return segment.read(first, maxBytes, firstWhole, endOffset);
    }
    return Buffer.alloc(0);
  }

  private segmentIndexFor(offset: number): number {
    let index = 0;
    for (let i = 0; i < this.segments.length; i++) if ((this.segments[i] as Segment).baseOffset <= offset) index = i;
    return index;
  }

  /**
   * The bytes of the first batch holding an offset ≥ `fromOffset` whose max timestamp is ≥
   * `timestamp`, or null. Read at once: the caller may decode it after the log has changed.
   */
  batchAtTimestamp(timestamp: number, fromOffset: number): Buffer | null {
    for (let i = this.segmentIndexFor(fromOffset); i < this.segments.length; i++) {
      const segment = this.segments[i] as Segment;
      const found = segment.findTimestamp(timestamp, fromOffset);
      if (found !== null) return segment.readBatch(found);
    }
    return null;
  }

  /** The bytes of the first batch that holds the log's largest timestamp, or null when it is empty. */
  batchWithMaxTimestamp(): Buffer | null {
    let newest: Segment | undefined;
    for (const segment of this.segments)
      if (newest === undefined || segment.maxTimestamp > newest.maxTimestamp) newest = segment;
    if (newest === undefined || newest.maxTimestamp < 0) return null;
    for (const location of newest.batchesFrom()) {
      if (location.maxTimestamp === newest.maxTimestamp) return newest.readBatch(location);
    }
    return null;
  }

  /** Called after every append; returns the function that stops listening. */
  onAppend(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Deletes whole closed segments: those below the log start offset, and with retention on
   * (cleanup.policy delete) those past the retention time or size.
   */
  enforceRetention(now = Date.now()): void {
    if (this.swapping) return;
    const { retentionMs, retentionBytes } = this.settings;
    let total = this.sizeBytes;
    while (this.segments.length > 1) {
      const oldest = this.segments[0] as Segment;
      const next = this.segments[1] as Segment;
      const deleted = next.baseOffset <= this.startOffset;
      // An empty closed segment (compaction can leave one) has nothing to keep.
      const expired =
        retentionMs >= 0 && (oldest.maxTimestamp < 0 ? oldest.size === 0 : oldest.maxTimestamp < now - retentionMs);
      const oversized = retentionBytes >= 0 && total > retentionBytes;
      if (!deleted && !expired && !oversized) break;
      this.segments.shift();
      this.unflushed.delete(oldest);
      oldest.close();
      rmSync(oldest.path, { force: true });
      total -= oldest.size;
      const reason = deleted ? 'below the log start offset' : expired ? 'time' : 'size';
      this.settings.log(`${this.topic}-${this.partition}: retention deleted segment ${oldest.baseOffset} (${reason})`);
    }
    this.transactions.forgetBefore((this.segments[0] as Segment).baseOffset);
  }

  /**
   * DeleteRecords: makes `offset` the log start offset (persisted before this returns), so
   * every record below it is gone for consumers, and deletes the segments wholly below it.
   */
  deleteRecordsBefore(offset: number): void {
    if (offset <= this.logStartOffset) return;
    writeDurably(join(this.dir, LOG_START_FILE), String(offset));
    this.startOffset = offset;
    this.enforceRetention();
  }

  /**
   * Puts a cleaned file in place of the consecutive closed segments `replaced` (crash-safe,
   * segment-swap.ts), and forgets the aborted transactions whose ABORT markers it dropped in the
   * same event-loop turn, so no Fetch lists an abort whose marker is gone. Returns false,
   * deleting the file, when the log changed meanwhile so that those segments are no longer all
   * there.
   */
  async installCleaned(
    replaced: readonly Segment[],
    cleanedPath: string,
    endOffset: number,
    batches: Iterable<TrackedBatch>,
    droppedAbortMarkers: readonly number[] = [],
  ): Promise<boolean> {
    const first = this.segments.indexOf(replaced[0] as Segment);
    const stillThere =
      first >= 0 &&
      replaced.every((segment, i) => this.segments[first + i] === segment) &&
      first + replaced.length < this.segments.length; // never the active segment
    if (!stillThere || this.swapping) {
      rmSync(cleanedPath, { force: true });
      return false;
    }
    this.swapping = true;
    try {
      const base = (replaced[0] as Segment).baseOffset;
      await swapIn(
        this.dir,
        cleanedPath,
        base,
        endOffset,
        replaced.map((segment) => segment.path),
      );
      if (this.closed) return false; // the topic was deleted meanwhile
      const cleaned = Segment.opened(this.dir, base, batches);
      this.segments.splice(this.segments.indexOf(replaced[0] as Segment), replaced.length, cleaned);
      this.transactions.forgetAborted(droppedAbortMarkers);
      for (const segment of replaced) {
        this.unflushed.delete(segment);
        segment.close();
      }
      return true;
    } finally {
      this.swapping = false;
    }
  }

  close(): void {
    this.closed = true;
    for (const segment of this.segments) segment.close();
    this.listeners.clear();
  }
}
