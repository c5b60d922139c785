import type { PartitionLog } from './partition-log.js';
import { batchFields, readRecords } from './records.js';

/*
 * ListOffsets' lookups that need single records (Apache Kafka's UnifiedLog.fetchOffsetByTimestamp):
 * the batch indexes narrow the search to one batch, whose records are then decoded. Each batch
 * is read from the log in one synchronous call before any await, so a segment swapped or
 * deleted meanwhile is never read half-way.
 */

export interface OffsetAndTimestamp {
  offset: number;
  timestamp: number;
}

/**
 * The first record at or after the log start whose timestamp is ≥ `timestamp`, with its own
 * timestamp; null when there is none. Record timestamps need not increase: this is the first
 * in offset order, as in Kafka.
 */
export async function offsetForTimestamp(log: PartitionLog, timestamp: number): Promise<OffsetAndTimestamp | null> {
  for (let from = log.logStartOffset; ; ) {
    const batch = log.batchAtTimestamp(timestamp, from);
    if (batch === null) return null;
    const records = await readRecords(batch);
    const start = log.logStartOffset;
    const found = records.find(
      (record) => record.offset >= start && record.offset >= from && record.timestamp >= timestamp,
    );
    if (found !== undefined) return { offset: found.offset, timestamp: found.timestamp };
    // Every record that qualifies lies below the log start: look on from the next batch.
    const fields = batchFields(batch);
    from = Math.max(start, fields.baseOffset + fields.lastOffsetDelta + 1);
  }
}

/** MAX_TIMESTAMP (-3): the first record holding the largest timestamp in the log, or null when it is empty. */
export async function offsetOfMaxTimestamp(log: PartitionLog): Promise<OffsetAndTimestamp | null> {
  const batch = log.batchWithMaxTimestamp();
  if (batch === null) return null;
  const records = await readRecords(batch);
  let best: OffsetAndTimestamp | null = null;
  for (const record of records) {
    if (best === null || record.timestamp > best.timestamp)
      best = { offset: record.offset, timestamp: record.timestamp };
  }
  return best;
}
