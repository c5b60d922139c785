import { closeSync, fsyncSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { decompressRecordsOnThread, UnreadableRecordsError } from './compression.js';
import { BATCH_HEADER_SIZE, BatchAttribute, BatchField, crcMatches, LOG_OVERHEAD } from './record-batch.js';
import {
  type BatchFields,
  batchFields,
  batchOfSpans,
  buildBatch,
  deleteHorizon,
  type RecordSpan,
  readRecords,
  scanRecords,
} from './records.js';

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
  /** Share of wall time the cleaning may compute (0-1]; it sleeps the rest, leaving the cores to produce and fetch. */
  dutyCycle: number;
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
  /** Wall time of the cleaning on its thread, and the part of it spent paused by the duty cycle. */
  elapsedMs: number;
  pausedMs: number;
}

const MAP_ENTRY_OVERHEAD = 64;
/** Work between two pauses of the duty cycle: short, so a produce request never waits long for a core. */
const WORK_SLICE_MS = 4;

/**
 * Holds a cleaning to its duty cycle: after each slice of work it sleeps long enough that work
 * is at most `dutyCycle` of the wall time (Kafka throttles its cleaner by I/O bytes instead,
 * log.cleaner.io.max.bytes.per.second; CPU is what two cores run short of here).
 */
class Pacer {
  private sliceStart = performance.now();
  pausedMs = 0;

  constructor(private readonly dutyCycle: number) {}

  async pace(): Promise<void> {
    if (this.dutyCycle >= 1) return;
    const worked = performance.now() - this.sliceStart;
    if (worked < WORK_SLICE_MS) return;
    const pause = (worked * (1 - this.dutyCycle)) / this.dutyCycle;
    await new Promise((resolve) => setTimeout(resolve, pause));
    this.pausedMs += performance.now() - this.sliceStart - worked;
    this.sliceStart = performance.now();
  }
}

export class CorruptSegmentError extends Error {
  override readonly name = 'CorruptSegmentError';
}

/** Cleans the segments of `task`; writes one `.cleaned` file per group and returns what was written. */
export async function clean(task: CleanTask): Promise<CleanOutcome> {
  const started = performance.now();
  const pacer = new Pacer(task.dutyCycle);
  const { map, mappedUpTo } = await buildOffsetMap(task, pacer);
  const cleanable = task.segments.filter((segment) => segment.baseOffset < mappedUpTo);
  const outcome: CleanOutcome = {
    groups: [],
    cleanedUpTo: mappedUpTo,
    recordsRead: 0,
    recordsKept: 0,
    tombstonesDropped: 0,
    elapsedMs: 0,
    pausedMs: 0,
  };
  const keep = new Set(task.keepBatches);
  const groups = groupBySize(cleanable, task.segmentBytes);
  for (const [i, group] of groups.entries()) {
    const next = groups[i + 1]?.[0] ?? task.segments[cleanable.length];
    const endOffset = next?.baseOffset ?? task.endOffset;
    outcome.groups.push(await cleanGroup(task, group, endOffset, map, mappedUpTo, keep, outcome, pacer));
  }
  outcome.elapsedMs = performance.now() - started;
  outcome.pausedMs = pacer.pausedMs;
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

/** A batch's decompressed records section and where each record lies; null when they do not decode. */
async function readableSpans(
  batch: Buffer,
  fields: BatchFields,
): Promise<{ data: Buffer; spans: RecordSpan[] } | null> {
  try {
    const codec = fields.attributes & BatchAttribute.codecMask;
    const data = await decompressRecordsOnThread(codec, batch.subarray(BATCH_HEADER_SIZE));
    return { data, spans: scanRecords(data, fields) };
  } catch (error) {
    if (error instanceof UnreadableRecordsError) return null; // such a batch is kept as it is, never guessed at
    throw error;
  }
}

const isTransactionalOrControl = (attributes: number): boolean =>
  (attributes & (BatchAttribute.transactional | BatchAttribute.control)) !== 0;

/** Key (as a binary string) → offset of its latest record, from the first dirty offset on. */
async function buildOffsetMap(
  task: CleanTask,
  pacer: Pacer,
): Promise<{ map: Map<string, number>; mappedUpTo: number }> {
  const map = new Map<string, number>();
  let bytes = 0;
  for (const segment of task.segments) {
    for (const batch of batchesOf(segment)) {
      await pacer.pace();
      const fields = batchFields(batch);
      if (fields.baseOffset + fields.lastOffsetDelta < task.firstDirtyOffset) continue;
      if (isTransactionalOrControl(fields.attributes)) continue;
      for (const record of (await readableSpans(batch, fields))?.spans ?? []) {
        const key = record.key;
        if (record.offset < task.firstDirtyOffset || key === null) continue;
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
  pacer: Pacer,
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
        await pacer.pace();
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
  const readable = await readableSpans(batch, fields);
  if (readable === null) return batch;
  const { data, spans } = readable;
  outcome.recordsRead += spans.length;
  const horizon = deleteHorizon(fields);
  const retained: RecordSpan[] = [];
  for (const record of spans) {
    if (record.offset >= mappedUpTo) {
      retained.push(record);
      continue;
    }
    if (record.key === null) continue; // a compacted topic keeps keyed records only
    const latest = map.get(record.key);
    if (latest !== undefined && record.offset < latest) continue;
    if (record.tombstone && horizon !== null && task.now >= horizon) {
      outcome.tombstonesDropped++;
      continue;
    }
    retained.push(record);
  }
  outcome.recordsKept += retained.length;
  const setsHorizon = horizon === null && retained.some((record) => record.tombstone);
  if (retained.length === spans.length && !setsHorizon) return batch;
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
  if (!setsHorizon) return batchOfSpans(fields, data, retained);
  // The base timestamp becomes the delete horizon: every record's timestamp delta is written anew.
  const kept = new Set(retained.map((record) => record.offset));
  return buildBatch(
    {
      ...fields,
      attributes: fields.attributes | BatchAttribute.deleteHorizon,
      baseTimestamp: task.now + task.deleteRetentionMs,
    },
    (await readRecords(batch)).filter((record) => kept.has(record.offset)),
  );
}
