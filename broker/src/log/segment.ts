import { closeSync, fdatasync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { type ControlType, controlTypeOf } from './control-batch.js';
import { BatchField, CONTROL, crcMatches, readBatchHeader } from './record-batch.js';

/** Bytes of log between two sparse index entries. */
const INDEX_INTERVAL_BYTES = 4096;

/** One sparse index entry: the batch starting at `position` begins at `offset`. */
interface IndexEntry {
  offset: number;
  position: number;
  /** Largest timestamp in the log up to and including this batch. */
  maxTimestamp: number;
}

export interface BatchLocation {
  position: number;
  size: number;
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  attributes: number;
  /** A control batch's marker type, known when the batch was read whole (on recovery); else null. */
  controlType: ControlType | null;
}

/** What a segment keeps of each batch it holds. */
export type TrackedBatch = Pick<BatchLocation, 'position' | 'size' | 'baseOffset' | 'lastOffset' | 'maxTimestamp'>;

/**
 * One append-only segment file (`<base offset, 20 digits>.log`) holding record batches
 * exactly as stored. The sparse offset and time index live in memory and are rebuilt by
 * scanning batch headers when the segment is opened (see docs/broker.md, "Storage").
 */
export class Segment {
  readonly fd: number;
  size = 0;
  nextOffset: number;
  maxTimestamp = -1;
  /** The first batch's max timestamp: segment.ms counts from it, as in Apache Kafka. */
  firstBatchTimestamp: number | null = null;
  private readonly index: IndexEntry[] = [];
  private bytesSinceIndex = Number.POSITIVE_INFINITY;
  private readonly header = Buffer.allocUnsafe(BatchField.recordCount + 4);
  private syncsInFlight = 0;
  private closing = false;

  private constructor(
    readonly baseOffset: number,
    readonly path: string,
  ) {
    this.fd = openSync(path, 'a+');
    this.nextOffset = baseOffset;
  }

  static fileName(baseOffset: number): string {
    return `${String(baseOffset).padStart(20, '0')}.log`;
  }

  static create(dir: string, baseOffset: number): Segment {
    return new Segment(baseOffset, join(dir, Segment.fileName(baseOffset)));
  }

  /**
   * Opens an existing segment and walks its batch headers. A torn or corrupt tail (a partial
   * batch, a bad CRC, offsets that do not increase or that reach `offsetLimit`, the next
   * segment's base) is cut off: everything before it stays. Offsets may skip ahead from one
   * batch to the next, as the log cleaner leaves them.
   */
  static recover(
    dir: string,
    baseOffset: number,
    fileSize: number,
    offsetLimit: number,
    onBatch: (batch: BatchLocation) => void,
  ): { segment: Segment; truncatedBytes: number } {
    const segment = new Segment(baseOffset, join(dir, Segment.fileName(baseOffset)));
    let position = 0;
    while (position < fileSize) {
      const location = segment.readLocation(position, fileSize - position, true);
      if (location === null || location.baseOffset < segment.nextOffset || location.lastOffset >= offsetLimit) break;
      segment.track(location);
      onBatch(location);
      position += location.size;
    }
    const truncatedBytes = fileSize - position;
    if (truncatedBytes > 0) ftruncateSync(segment.fd, position);
    segment.size = position;
    return { segment, truncatedBytes };
  }

  /**
   * Opens a segment file just written and checked by the log cleaner, from the batch list the
   * cleaner returned: nothing is read again on the event loop.
   */
  static opened(dir: string, baseOffset: number, batches: Iterable<TrackedBatch>): Segment {
    const segment = new Segment(baseOffset, join(dir, Segment.fileName(baseOffset)));
    for (const batch of batches) segment.track(batch);
    return segment;
  }

  /** Reads and checks the batch at `position`; null if it is incomplete or corrupt. */
  private readLocation(position: number, available: number, verifyCrc: boolean): BatchLocation | null {
    const headerBytes = readSync(this.fd, this.header, 0, this.header.length, position);
    const header = readBatchHeader(this.header, 0, headerBytes < this.header.length ? 0 : available);
    if (header === null) return null;
    let controlType: ControlType | null = null;
    if (verifyCrc) {
      const batch = Buffer.allocUnsafe(header.size);
      if (readSync(this.fd, batch, 0, header.size, position) !== header.size || !crcMatches(batch)) return null;
      if (header.attributes & CONTROL) controlType = controlTypeOf(batch);
    }
    const baseOffset = Number(this.header.readBigInt64BE(BatchField.baseOffset));
    return {
      position,
      size: header.size,
      baseOffset,
      lastOffset: baseOffset + header.lastOffsetDelta,
      maxTimestamp: header.maxTimestamp,
      producerId: header.producerId,
      producerEpoch: header.producerEpoch,
      baseSequence: header.baseSequence,
      attributes: header.attributes,
      controlType,
    };
  }

  /** Accounts for a batch now in the file: size, next offset, sparse indexes. */
  private track(batch: TrackedBatch): void {
    this.firstBatchTimestamp ??= batch.maxTimestamp;
    this.maxTimestamp = Math.max(this.maxTimestamp, batch.maxTimestamp);
    if (this.bytesSinceIndex >= INDEX_INTERVAL_BYTES) {
      this.index.push({ offset: batch.baseOffset, position: batch.position, maxTimestamp: this.maxTimestamp });
      this.bytesSinceIndex = 0;
    }
    this.bytesSinceIndex += batch.size;
    this.size = batch.position + batch.size;
    this.nextOffset = batch.lastOffset + 1;
  }

  /** Appends a batch whose baseOffset was already set to `nextOffset`. */
  append(batch: Buffer, lastOffsetDelta: number, maxTimestamp: number): void {
    const position = this.size;
    let written = 0;
    while (written < batch.length)
      written += writeSync(this.fd, batch, written, batch.length - written, position + written);
    const baseOffset = this.nextOffset;
    this.track({ position, size: batch.length, baseOffset, lastOffset: baseOffset + lastOffsetDelta, maxTimestamp });
  }

  /**
   * fdatasync off the event loop. A segment closed meanwhile (topic deleted, retention) keeps
   * its descriptor until the sync returns, so the sync never lands on a closed or reused fd.
   */
  flush(): Promise<void> {
    if (this.closing) return Promise.resolve(); // deleted data needs no durability
    this.syncsInFlight++;
    return new Promise((resolve, reject) =>
      fdatasync(this.fd, (error) => {
        this.syncsInFlight--;
        if (this.closing && this.syncsInFlight === 0) closeSync(this.fd);
        if (error) reject(error);
        else resolve();
      }),
    );
  }

  /** Position of the last indexed batch at or before `offset`. */
  private indexedPosition(offset: number): number {
    let low = 0;
    let high = this.index.length - 1;
    let found = 0;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const entry = this.index[middle] as IndexEntry;
      if (entry.offset <= offset) {
        found = entry.position;
        low = middle + 1;
      } else high = middle - 1;
    }
    return found;
  }

  /** The first batch whose last offset is ≥ `offset`, or null past the end. */
  findBatch(offset: number): BatchLocation | null {
    let position = this.indexedPosition(offset);
    while (position < this.size) {
      const location = this.readLocation(position, this.size - position, false);
      if (location === null) return null;
      if (location.lastOffset >= offset) return location;
      position += location.size;
    }
    return null;
  }

  /** The first batch holding an offset ≥ `fromOffset` whose max timestamp is ≥ `timestamp`, or null. */
  findTimestamp(timestamp: number, fromOffset = this.baseOffset): BatchLocation | null {
    if (this.maxTimestamp < timestamp) return null;
    // The time index holds running maxima: start from the last entry still below the target.
    let position = this.indexedPosition(fromOffset);
    for (const entry of this.index) {
      if (entry.maxTimestamp >= timestamp) break;
      position = Math.max(position, entry.position);
    }
    for (const location of this.batchesFrom(position)) {
      if (location.maxTimestamp >= timestamp && location.lastOffset >= fromOffset) return location;
    }
    return null;
  }

  /** The locations of the batches from file position `position` (a batch start) to the end. */
  *batchesFrom(position = 0): Generator<BatchLocation> {
    for (let at = position; at < this.size; ) {
      const location = this.readLocation(at, this.size - at, false);
      if (location === null) return;
      yield location;
      at += location.size;
    }
  }

  /** The bytes of one batch. */
  readBatch(location: BatchLocation): Buffer {
    const bytes = Buffer.allocUnsafe(location.size);
    readSync(this.fd, bytes, 0, bytes.length, location.position);
    return bytes;
  }

  /**
   * Whole batches from `first` on, at most `maxBytes` of them, but always the first one whole
   * (KIP-74) when `firstWhole`, none starting at or past `endOffset` (a read_committed reader's
   * last-stable offset). One read of everything that may be sent, then the batch headers are
   * walked in memory: a read per header was one blocking syscall per batch, thousands per Fetch
   * of a log of small batches, and a reader of old data (an edge's replays) held up every other
   * client of the broker for that long.
   */
  read(first: BatchLocation, maxBytes: number, firstWhole: boolean, endOffset = Number.POSITIVE_INFINITY): Buffer {
    if ((first.size > maxBytes && !firstWhole) || first.baseOffset >= endOffset) return Buffer.alloc(0);
    const span = Math.max(first.size, Math.min(maxBytes, this.size - first.position));
    const bytes = Buffer.allocUnsafe(span);
    const got = readSync(this.fd, bytes, 0, span, first.position);
    if (got < first.size) return Buffer.alloc(0);
    let end = first.size;
    while (end < got) {
      const next = readBatchHeader(bytes, end, got - end);
      if (next === null || Number(bytes.readBigInt64BE(end + BatchField.baseOffset)) >= endOffset) break;
      end += next.size;
    }
    return bytes.subarray(0, end);
  }

  close(): void {
    if (this.closing) return;
    this.closing = true;
    if (this.syncsInFlight === 0) closeSync(this.fd);
  }
}
