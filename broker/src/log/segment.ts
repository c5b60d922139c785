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
   * batch, a bad CRC, an offset out of sequence) is cut off: everything before it stays.
   */
  static recover(
    dir: string,
    baseOffset: number,
    fileSize: number,
    onBatch: (batch: BatchLocation) => void,
  ): { segment: Segment; truncatedBytes: number } {
    const segment = new Segment(baseOffset, join(dir, Segment.fileName(baseOffset)));
    let position = 0;
    while (position < fileSize) {
      const location = segment.readLocation(position, fileSize - position, true);
      if (location === null || location.baseOffset !== segment.nextOffset) break;
      segment.track(location.position, location.size, location.lastOffset, location.maxTimestamp);
      onBatch(location);
      position += location.size;
    }
    const truncatedBytes = fileSize - position;
    if (truncatedBytes > 0) ftruncateSync(segment.fd, position);
    segment.size = position;
    return { segment, truncatedBytes };
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

  /** Accounts for a batch now in the file at `position`: size, next offset, sparse indexes. */
  private track(position: number, size: number, lastOffset: number, maxTimestamp: number): void {
    this.maxTimestamp = Math.max(this.maxTimestamp, maxTimestamp);
    if (this.bytesSinceIndex >= INDEX_INTERVAL_BYTES) {
      this.index.push({ offset: this.nextOffset, position, maxTimestamp: this.maxTimestamp });
      this.bytesSinceIndex = 0;
    }
    this.bytesSinceIndex += size;
    this.size = position + size;
    this.nextOffset = lastOffset + 1;
  }

  /** Appends a batch whose baseOffset was already set to `nextOffset`. */
  append(batch: Buffer, lastOffsetDelta: number, maxTimestamp: number): void {
    const position = this.size;
    let written = 0;
    while (written < batch.length)
      written += writeSync(this.fd, batch, written, batch.length - written, position + written);
    this.track(position, batch.length, this.nextOffset + lastOffsetDelta, maxTimestamp);
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

  /** The first batch whose max timestamp is ≥ `timestamp`, or null. */
  findTimestamp(timestamp: number): BatchLocation | null {
    if (this.maxTimestamp < timestamp) return null;
    // The time index holds running maxima: start from the last entry still below the target.
    let position = 0;
    for (const entry of this.index) {
      if (entry.maxTimestamp >= timestamp) break;
      position = entry.position;
    }
    while (position < this.size) {
      const location = this.readLocation(position, this.size - position, false);
      if (location === null) return null;
      if (location.maxTimestamp >= timestamp) return location;
      position += location.size;
    }
    return null;
  }

  /**
   * Whole batches from `first` on, at most `maxBytes` of them, but always the first one whole
   * (KIP-74) when `firstWhole`, none starting at or past `endOffset` (a read_committed reader's
   * last-stable offset). Read in one call straight from the file.
   */
  read(first: BatchLocation, maxBytes: number, firstWhole: boolean, endOffset = Number.POSITIVE_INFINITY): Buffer {
    let end = first.position + first.size;
    if ((first.size > maxBytes && !firstWhole) || first.baseOffset >= endOffset) return Buffer.alloc(0);
    while (end < this.size) {
      const next = this.readLocation(end, this.size - end, false);
      if (next === null || next.baseOffset >= endOffset || end + next.size - first.position > maxBytes) break;
      end += next.size;
    }
    const bytes = Buffer.allocUnsafe(end - first.position);
    readSync(this.fd, bytes, 0, bytes.length, first.position);
    return bytes;
  }

  close(): void {
    if (this.closing) return;
    this.closing = true;
    if (this.syncsInFlight === 0) closeSync(this.fd);
  }
}
