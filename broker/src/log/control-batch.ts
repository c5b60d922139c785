import { crc32c } from '@node-rs/crc32';
import { Reader } from '../protocol/reader.js';
import { Writer } from '../protocol/writer.js';
import { BATCH_HEADER_SIZE, BatchField, CONTROL, LOG_OVERHEAD, TRANSACTIONAL } from './record-batch.js';

/*
 * Transaction markers (Apache Kafka's EndTransactionMarker, kafka-protocol.md §3): a record
 * batch with the transactional and control bits set, the producer's id and epoch, no
 * sequence, and one uncompressed record whose
 *   key   = version i16 (0), type i16 (0 = ABORT, 1 = COMMIT)
 *   value = version i16 (0), coordinatorEpoch i32
 * The transaction coordinator appends one to every partition of a transaction when it ends;
 * read_committed consumers drop the aborted records it closes, and everyone skips the marker.
 */
export const ControlType = { abort: 0, commit: 1 } as const;
export type ControlType = (typeof ControlType)[keyof typeof ControlType];

export interface TransactionMarker {
  producerId: number;
  producerEpoch: number;
  commit: boolean;
  coordinatorEpoch: number;
  timestamp: number;
}

/** The marker batch, base offset 0 (the log sets it), with its CRC-32C computed. */
export function buildControlBatch(marker: TransactionMarker): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(marker.commit ? ControlType.commit : ControlType.abort, 2);
  const value = Buffer.alloc(6);
  value.writeInt16BE(0, 0);
  value.writeInt32BE(marker.coordinatorEpoch, 2);
  const record = Buffer.concat(
    new Writer(32)
      .int8(0) // attributes
      .varint(0) // timestamp delta
      .varint(0) // offset delta
      .varint(key.length)
      .raw(key)
      .varint(value.length)
      .raw(value)
      .varint(0) // headers
      .finish(),
  );
  const body = Buffer.concat(new Writer(16).varint(record.length).raw(record).finish());
  const batch = Buffer.alloc(BATCH_HEADER_SIZE + body.length);
  batch.writeBigInt64BE(0n, BatchField.baseOffset);
  batch.writeInt32BE(batch.length - LOG_OVERHEAD, BatchField.batchLength);
  batch.writeInt32BE(0, BatchField.partitionLeaderEpoch);
  batch.writeInt8(2, BatchField.magic);
  batch.writeInt16BE(TRANSACTIONAL | CONTROL, BatchField.attributes);
  batch.writeInt32BE(0, BatchField.lastOffsetDelta);
  batch.writeBigInt64BE(BigInt(marker.timestamp), BatchField.baseTimestamp);
  batch.writeBigInt64BE(BigInt(marker.timestamp), BatchField.maxTimestamp);
  batch.writeBigInt64BE(BigInt(marker.producerId), BatchField.producerId);
  batch.writeInt16BE(marker.producerEpoch, BatchField.producerEpoch);
  batch.writeInt32BE(-1, BatchField.baseSequence);
  batch.writeInt32BE(1, BatchField.recordCount);
  body.copy(batch, BATCH_HEADER_SIZE);
  batch.writeUInt32BE(crc32c(batch.subarray(BatchField.attributes)) >>> 0, BatchField.crc);
  return batch;
}

/**
 * The type (ABORT or COMMIT) of the control batch `batch` holds whole from `at`, or null if its
 * first record cannot be read as a marker (an unknown control type is null too, as Apache
 * Kafka ignores control records it does not know).
 */
export function controlTypeOf(batch: Buffer, at = 0): ControlType | null {
  try {
    const size = LOG_OVERHEAD + batch.readInt32BE(at + BatchField.batchLength);
    const reader = new Reader(batch, at + BATCH_HEADER_SIZE, at + size);
    reader.varint(); // record length
    reader.int8(); // attributes
    reader.varlong(); // timestamp delta
    reader.varint(); // offset delta
    if (reader.varint() < 4) return null;
    reader.int16(); // key version
    const type = reader.int16();
    return type === ControlType.abort || type === ControlType.commit ? type : null;
  } catch {
    return null;
  }
}
