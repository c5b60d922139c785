import { closeSync, fsyncSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { type AbortedTransactionRange, CleanedTransactions } from './cleaned-transactions.js';
import { decompressRecordsOnThread, UnreadableRecordsError } from './compression.js';
import { ControlType, controlTypeOf } from './control-batch.js';
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
 * from it, and each producer's last batch (or, after an epoch bump by a marker, its last marker)
 * is kept even if emptied, so idempotent producers' sequence numbers and epochs still line up
 * after a restart. A batch that loses nothing is copied as it is.
 *
 * Transactions (cleaned-transactions.ts): only decided transactions lie below the first unstable
 * offset, where cleaning stops. Records of aborted transactions are dropped and play no part in
 * the key map; committed transactional records are compacted like any others; a COMMIT or ABORT
 * marker left without any batch of its transaction gets a delete horizon like a tombstone and is
 * dropped after it. Dropped ABORT markers are reported, so the log forgets those aborted
 * transactions when the cleaned segment goes in (read_committed consumers must never be told
 * of an abort whose marker is gone).
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
  /** Base offsets of batches kept even when all their records go (each producer's last batch or marker). */
  keepBatches: number[];
  /** The aborted transactions overlapping the segments, sorted by first offset. */
  abortedTransactions: AbortedTransactionRange[];
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
  /** Offsets of the ABORT markers this group dropped: the log forgets those transactions once it is in place. */
  droppedAbortMarkers: number[];
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
  /** Records of aborted transactions dropped, and COMMIT/ABORT markers dropped. */
  abortedRecordsDropped: number;
  markersDropped: number;
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
    abortedRecordsDropped: 0,
    markersDropped: 0,
    elapsedMs: 0,
    pausedMs: 0,
  };
  const pass: CleaningPass = {
    task,
    map,
    mappedUpTo,
    keep: new Set(task.keepBatches),
    transactions: new CleanedTransactions(task.abortedTransactions),
    outcome,
  };
  const groups = groupBySize(cleanable, task.segmentBytes);
  for (const [i, group] of groups.entries()) {
    const next = groups[i + 1]?.[0] ?? task.segments[cleanable.length];
    const endOffset = next?.baseOffset ?? task.endOffset;
    outcome.groups.push(await cleanGroup(pass, group, endOffset, pacer));
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

/** What one walk over the segments to rewrite them carries from batch to batch. */
interface CleaningPass {
  task: CleanTask;
  /** Key → offset of its latest record below `mappedUpTo`. */
  map: Map<string, number>;
  mappedUpTo: number;
  keep: Set<number>;
  transactions: CleanedTransactions;
  outcome: CleanOutcome;
}

const isControl = (fields: BatchFields): boolean => (fields.attributes & BatchAttribute.control) !== 0;

/** Key (as a binary string) → offset of its latest record, from the first dirty offset on. */
async function buildOffsetMap(
  task: CleanTask,
  pacer: Pacer,
): Promise<{ map: Map<string, number>; mappedUpTo: number }> {
  const map = new Map<string, number>();
  // Its own walk over the transactions: aborted records replace no older value.
  const transactions = new CleanedTransactions(task.abortedTransactions);
  let bytes = 0;
  for (const segment of task.segments) {
    for (const batch of batchesOf(segment)) {
      await pacer.pace();
      const fields = batchFields(batch);
      if (isControl(fields)) {
        transactions.onControlBatch(fields, controlTypeOf(batch));
        continue;
      }
      if (transactions.onDataBatch(fields)) continue;
      if (fields.baseOffset + fields.lastOffsetDelta < task.firstDirtyOffset) continue;
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
  pass: CleaningPass,
  group: SegmentFile[],
  endOffset: number,
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
    droppedAbortMarkers: [],
    bytesRead: 0,
    bytesWritten: 0,
  };
  try {
    for (const segment of group) {
      cleaned.bytesRead += segment.size;
      for (const batch of batchesOf(segment)) {
        await pacer.pace();
        const rewritten = await cleanBatch(batch, pass, cleaned);
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
async function cleanBatch(batch: Buffer, pass: CleaningPass, group: CleanedGroup): Promise<Buffer | null> {
  const { task, map, mappedUpTo, keep, outcome } = pass;
  const fields = batchFields(batch);
  if (isControl(fields)) return cleanMarker(batch, fields, pass, group);
  if (pass.transactions.onDataBatch(fields)) {
    outcome.recordsRead += fields.recordCount;
    outcome.abortedRecordsDropped += fields.recordCount;
    return keep.has(fields.baseOffset) ? emptiedBatch(fields) : null;
  }
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
  if (retained.length === 0) return keep.has(fields.baseOffset) ? emptiedBatch(fields) : null;
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

/** A batch with no records that keeps the producer's sequence range and epoch, as Apache Kafka's writeEmptyHeader does. */
function emptiedBatch(fields: BatchFields): Promise<Buffer> {
  return buildBatch(
    {
      ...fields,
      attributes: fields.attributes & ~(BatchAttribute.codecMask | BatchAttribute.deleteHorizon),
      baseTimestamp: fields.maxTimestamp,
    },
    [],
  );
}

/**
 * A COMMIT or ABORT marker: kept while batches of its transaction are in the log; without them,
 * given a delete horizon by the first cleaning that finds it so, and dropped by one after it
 * (emptied instead when it is its producer's last word on its epoch).
 */
async function cleanMarker(
  batch: Buffer,
  fields: BatchFields,
  pass: CleaningPass,
  group: CleanedGroup,
): Promise<Buffer | null> {
  const type = controlTypeOf(batch);
  if (!pass.transactions.onControlBatch(fields, type)) return batch;
  const keep = pass.keep.has(fields.baseOffset);
  if (fields.recordCount === 0) return keep ? batch : null;
  const horizon = deleteHorizon(fields);
  if (horizon === null) {
    return buildBatch(
      {
        ...fields,
        attributes: fields.attributes | BatchAttribute.deleteHorizon,
        baseTimestamp: pass.task.now + pass.task.deleteRetentionMs,
      },
      await readRecords(batch),
    );
  }
  if (pass.task.now < horizon) return batch;
  pass.outcome.markersDropped++;
  if (type === ControlType.abort) group.droppedAbortMarkers.push(fields.baseOffset);
  return keep ? emptiedBatch(fields) : null;
}
