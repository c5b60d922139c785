import { closeSync, fsyncSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { UnreadableRecordsError } from './compression.js';
import { BATCH_HEADER_SIZE, BatchAttribute, BatchField, crcMatches, LOG_OVERHEAD } from './record-batch.js';
import { batchFields, buildBatch, deleteHorizon, type LogRecord, readRecords } from './records.js';

/*
 * One cleaning of one partition (docs/broker.md, "Compaction"), as Apache Kafka's LogCleaner
 * does it, run in the cleaner's worker thread on closed segment files only:
 *
 * 1. Map every key in the dirty part (from the first dirty offset on) to the offset of its
 *    latest record, within a memory bound (a full map ends the cleaning there).
 * 2. Rewrite the segments from the log start, in groups of at most segment.bytes, each group
 *    into one `<base>.log.cleaned` file, keeping a record when it is the latest for its key (or
 *    past the mapped range), and a tombstone (null value) only until its batch's delete
 *    horizon. The first cleaning that keeps a tombstone sets that horizon to now +
 *    delete.retention.ms, in the batch (KIP-534); a later cleaning after it drops the tombstone.
 * 3. fsync each file. The event loop then swaps it in (segment-swap.ts).
 *
 * A batch keeps its base offset, lastOffsetDelta and producer fields when records are dropped
 * from it, and each producer's last batch is kept even if emptied, so idempotent producers'
 * sequence numbers still line up after a restart. A batch that loses nothing is copied as it is.
 *
 * TODO(transactions): transactional and control batches are copied untouched, and their
 * records neither replace older values nor are replaced; Apache Kafka drops aborted records
 * and, after delete.retention.ms, the markers. Left for when transactions land.
 */

export interface SegmentFile {
  baseOffset: number;
  path: string;
  size: number;
}

export interface CleanTask {
  dir: string;
  /** The closed segments from the log start up to the first uncleanable offset, in order. */
  segments: SegmentFile[];
  /** Offsets below this were cleaned before: only keys from here on go into the map. */
  firstDirtyOffset: number;
  /** The first offset this cleaning may not touch: the base of the segment after the last one given. */
  endOffset: number;
  segmentBytes: number;
  now: number;
  deleteRetentionMs: number;
  /** Base offsets of batches kept even when all their records go (each producer's last). */
  keepBatches: number[];
  /** Bound on the key map, in bytes of keys plus a per-entry overhead. */
  maxMapBytes: number;
}

export interface CleanedGroup {
  /** The base offset of the group's first segment: the cleaned file's name. */
  baseOffset: number;
  /** The base offset of the segment after the group: the file replaces every segment in between. */
  endOffset: number;
  path: string;
  /** Per batch written: position, size, baseOffset, lastOffset, maxTimestamp. */
  batches: number[];
  bytesRead: number;
  bytesWritten: number;
}

export interface CleanOutcome {
  groups: CleanedGroup[];
  /** The next first dirty offset: everything below it is now clean. */
  cleanedUpTo: number;
  recordsRead: number;
  recordsKept: number;
  tombstonesDropped: number;
}

const MAP_ENTRY_OVERHEAD = 64;

export class CorruptSegmentError extends Error {
  override readonly name = 'CorruptSegmentError';
}

/** Cleans the segments of `task`; writes one `.cleaned` file per group and returns what was written. */
export async function clean(task: CleanTask): Promise<CleanOutcome> {
  const { map, mappedUpTo } = await buildOffsetMap(task);
  const cleanable = task.segments.filter((segment) => segment.baseOffset < mappedUpTo);
  const outcome: CleanOutcome = {
    groups: [],
    cleanedUpTo: mappedUpTo,
    recordsRead: 0,
    recordsKept: 0,
    tombstonesDropped: 0,
  };
  const keep = new Set(task.keepBatches);
  const groups = groupBySize(cleanable, task.segmentBytes);
  for (const [i, group] of groups.entries()) {
    const next = groups[i + 1]?.[0] ?? task.segments[cleanable.length];
    const endOffset = next?.baseOffset ?? task.endOffset;
    outcome.groups.push(await cleanGroup(task, group, endOffset, map, mappedUpTo, keep, outcome));
  }
  return outcome;
}

function groupBySize(segments: SegmentFile[], segmentBytes: number): SegmentFile[][] {
  const groups: SegmentFile[][] = [];
  let current: SegmentFile[] = [];
  let bytes = 0;
  for (const segment of segments) {
    if (current.length > 0 && bytes + segment.size > segmentBytes) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(segment);
    bytes += segment.size;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** Walks whole batches of one segment file, checking each one's length and CRC. */
function* batchesOf(segment: SegmentFile): Generator<Buffer> {
  const fd = openSync(segment.path, 'r');
  try {
    const header = Buffer.allocUnsafe(LOG_OVERHEAD);
    for (let position = 0; position < segment.size; ) {
      if (readSync(fd, header, 0, LOG_OVERHEAD, position) !== LOG_OVERHEAD) break;
      const size = header.readInt32BE(BatchField.batchLength) + LOG_OVERHEAD;
      if (size < BATCH_HEADER_SIZE || position + size > segment.size) {
        throw new CorruptSegmentError(`${segment.path}: batch at byte ${position} claims ${size} bytes`);
      }
      const batch = Buffer.allocUnsafe(size);
      readSync(fd, batch, 0, size, position);
      if (!crcMatches(batch)) throw new CorruptSegmentError(`${segment.path}: batch at byte ${position} fails its CRC`);
      yield batch;
      position += size;
    }
  } finally {
    closeSync(fd);
  }
}

/** A batch's records; none when they do not decode (such a batch is kept as it is, never guessed at). */
async function readableRecords(batch: Buffer): Promise<LogRecord[]> {
  try {
    return await readRecords(batch);
  } catch (error) {
    if (error instanceof UnreadableRecordsError) return [];
    throw error;
  }
}

const isTransactionalOrControl = (attributes: number): boolean =>
  (attributes & (BatchAttribute.transactional | BatchAttribute.control)) !== 0;

/** Key (as a binary string) → offset of its latest record, from the first dirty offset on. */
async function buildOffsetMap(task: CleanTask): Promise<{ map: Map<string, number>; mappedUpTo: number }> {
  const map = new Map<string, number>();
  let bytes = 0;
  for (const segment of task.segments) {
    for (const batch of batchesOf(segment)) {
      const fields = batchFields(batch);
      if (fields.baseOffset + fields.lastOffsetDelta < task.firstDirtyOffset) continue;
      if (isTransactionalOrControl(fields.attributes)) continue;
      for (const record of await readableRecords(batch)) {
        if (record.offset < task.firstDirtyOffset || record.key === null) continue;
        const key = record.key.toString('latin1');
        if (!map.has(key)) {
          // A full map ends this cleaning at this record: later offsets are left for the next one.
          if (bytes + key.length + MAP_ENTRY_OVERHEAD > task.maxMapBytes) return { map, mappedUpTo: record.offset };
          bytes += key.length + MAP_ENTRY_OVERHEAD;
        }
        map.set(key, record.offset);
      }
    }
  }
  return { map, mappedUpTo: task.endOffset };
}

async function cleanGroup(
  task: CleanTask,
  group: SegmentFile[],
  endOffset: number,
  map: Map<string, number>,
  mappedUpTo: number,
  keep: Set<number>,
  outcome: CleanOutcome,
): Promise<CleanedGroup> {
  const first = group[0] as SegmentFile;
  const path = `${first.path}.cleaned`;
  const fd = openSync(path, 'w');
  const cleaned: CleanedGroup = {
    baseOffset: first.baseOffset,
    endOffset,
    path,
    batches: [],
    bytesRead: 0,
    bytesWritten: 0,
  };
  try {
    for (const segment of group) {
      cleaned.bytesRead += segment.size;
      for (const batch of batchesOf(segment)) {
        const rewritten = await cleanBatch(batch, task, map, mappedUpTo, keep, outcome);
        if (rewritten === null) continue;
        const position = cleaned.bytesWritten;
        for (let written = 0; written < rewritten.length; )
          written += writeSync(fd, rewritten, written, rewritten.length - written, position + written);
        const fields = batchFields(rewritten);
        cleaned.batches.push(
          position,
          rewritten.length,
          fields.baseOffset,
          fields.baseOffset + fields.lastOffsetDelta,
          fields.maxTimestamp,
        );
        cleaned.bytesWritten += rewritten.length;
      }
    }
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(path, { force: true });
    throw error;
  }
  closeSync(fd);
  return cleaned;
}

/** The batch to write in place of `batch`: itself, a rewrite with fewer records, or null to drop it. */
async function cleanBatch(
  batch: Buffer,
  task: CleanTask,
  map: Map<string, number>,
  mappedUpTo: number,
  keep: Set<number>,
  outcome: CleanOutcome,
): Promise<Buffer | null> {
  const fields = batchFields(batch);
  if (isTransactionalOrControl(fields.attributes)) return batch;
  const records = await readableRecords(batch);
  if (records.length === 0 && fields.recordCount > 0) return batch; // unreadable: kept as it was
  outcome.recordsRead += records.length;
  const horizon = deleteHorizon(fields);
  const retained: LogRecord[] = [];
  for (const record of records) {
    if (record.offset >= mappedUpTo) {
      retained.push(record);
      continue;
    }
    if (record.key === null) continue; // a compacted topic keeps keyed records only
    const latest = map.get(record.key.toString('latin1'));
    if (latest !== undefined && record.offset < latest) continue;
    if (record.value === null && horizon !== null && task.now >= horizon) {
      outcome.tombstonesDropped++;
      continue;
    }
    retained.push(record);
  }
  outcome.recordsKept += retained.length;
  const setsHorizon = horizon === null && retained.some((record) => record.value === null);
  if (retained.length === records.length && !setsHorizon) return batch;
  if (retained.length === 0) {
    if (!keep.has(fields.baseOffset)) return null;
    // An emptied batch keeps the producer's sequence range, as Apache Kafka's writeEmptyHeader does.
    return buildBatch(
      {
        ...fields,
        attributes: fields.attributes & ~(BatchAttribute.codecMask | BatchAttribute.deleteHorizon),
        baseTimestamp: fields.maxTimestamp,
      },
      [],
    );
  }
  return buildBatch(
    setsHorizon
      ? {
          ...fields,
          attributes: fields.attributes | BatchAttribute.deleteHorizon,
          baseTimestamp: task.now + task.deleteRetentionMs,
        }
      : fields,
    retained,
  );
}
