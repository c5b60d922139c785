import { ErrorCode } from '../protocol/errors.js';
import { UnreadableRecordsError } from './compression.js';
import { BATCH_HEADER_SIZE, LOG_OVERHEAD } from './record-batch.js';
import { readRecords } from './records.js';

/**
 * A compacted topic keeps the latest record per key, so a record without a key has no place in
 * it: Apache Kafka refuses the batch with INVALID_RECORD (87), and so does this broker. Records
 * that do not decode are CORRUPT_MESSAGE. Null when every batch in `records` is fine; batches
 * too short to read are left to the produce path's own checks.
 */
export async function compactedTopicProblem(records: Buffer): Promise<ErrorCode | null> {
  for (let at = 0; at + LOG_OVERHEAD <= records.length; ) {
    const size = records.readInt32BE(at + 8) + LOG_OVERHEAD;
    if (size < BATCH_HEADER_SIZE || at + size > records.length || records.readInt8(at + 16) !== 2) return null;
    try {
      for (const record of await readRecords(records.subarray(at, at + size))) {
        if (record.key === null) return ErrorCode.INVALID_RECORD;
      }
    } catch (error) {
      if (error instanceof UnreadableRecordsError) return ErrorCode.CORRUPT_MESSAGE;
      throw error;
    }
    at += size;
  }
  return null;
}
