import { crc32c } from '@node-rs/crc32';
import { ErrorCode } from '../protocol/errors.js';

/**
 * Record batch v2 header fields the broker reads (kafka-protocol.md §3). The broker never
 * decodes records: it validates the header and CRC, rewrites baseOffset, and stores the bytes.
 */
export const BATCH_HEADER_SIZE = 61;
export const LOG_OVERHEAD = 12; // baseOffset + batchLength: bytes not counted in batchLength

export const BatchField = {
  baseOffset: 0,
  batchLength: 8,
  partitionLeaderEpoch: 12,
  magic: 16,
  crc: 17,
  attributes: 21,
  lastOffsetDelta: 23,
  baseTimestamp: 27,
  maxTimestamp: 35,
  producerId: 43,
  producerEpoch: 51,
  baseSequence: 53,
  recordCount: 57,
} as const;

const CODEC_MASK = 0x07;
/** Attribute bits of a batch that belongs to a transaction, and of a commit/abort marker batch. */
export const TRANSACTIONAL = 0x10;
export const CONTROL = 0x20;
/** The attribute bits (kafka-protocol.md §3), for code that reads or rewrites records. */
export const BatchAttribute = {
  codecMask: CODEC_MASK,
  logAppendTime: 0x08,
  transactional: TRANSACTIONAL,
  control: CONTROL,
  /** KIP-534: baseTimestamp holds the time after which the cleaner may drop this batch's tombstones. */
  deleteHorizon: 0x40,
} as const;
export const Compression = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;

export interface BatchHeader {
  /** Total bytes of the batch, header included. */
  size: number;
  attributes: number;
  lastOffsetDelta: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
  compression: number;
}

export class InvalidBatchError extends Error {
  constructor(
    readonly errorCode: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Reads the header of the batch starting at `at`; `size` is checked against `available`. */
export function readBatchHeader(buffer: Buffer, at: number, available: number): BatchHeader | null {
  if (available < BATCH_HEADER_SIZE) return null;
  const batchLength = buffer.readInt32BE(at + BatchField.batchLength);
  const size = batchLength + LOG_OVERHEAD;
  if (batchLength < BATCH_HEADER_SIZE - LOG_OVERHEAD || size > available) return null;
  return {
    size,
    attributes: buffer.readInt16BE(at + BatchField.attributes),
    lastOffsetDelta: buffer.readInt32BE(at + BatchField.lastOffsetDelta),
    maxTimestamp: Number(buffer.readBigInt64BE(at + BatchField.maxTimestamp)),
    producerId: Number(buffer.readBigInt64BE(at + BatchField.producerId)),
    producerEpoch: buffer.readInt16BE(at + BatchField.producerEpoch),
    baseSequence: buffer.readInt32BE(at + BatchField.baseSequence),
    recordCount: buffer.readInt32BE(at + BatchField.recordCount),
    compression: buffer.readInt16BE(at + BatchField.attributes) & CODEC_MASK,
  };
}

export function crcMatches(batch: Buffer, at = 0, size = batch.length): boolean {
  const stored = batch.readUInt32BE(at + BatchField.crc);
  return crc32c(batch.subarray(at + BatchField.attributes, at + size)) >>> 0 === stored;
}

/**
 * Validates one batch exactly as a produce request delivers it (the whole `batch` buffer).
 * Throws InvalidBatchError carrying the Kafka error code to answer with.
 */
export function validateProducedBatch(batch: Buffer, maxMessageBytes: number, produceVersion: number): BatchHeader {
  if (batch.length < BATCH_HEADER_SIZE) {
    throw new InvalidBatchError(
      ErrorCode.CORRUPT_MESSAGE,
      `record batch of ${batch.length} bytes is shorter than its header`,
    );
  }
  const magic = batch.readInt8(BatchField.magic);
  if (magic !== 2) {
    // Like Apache Kafka 4 (KIP-896), only record batches v2 are stored: magic 0/1 is refused.
    throw new InvalidBatchError(
      ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT,
      `message format v${magic} is not supported; only record batches v2`,
    );
  }
  const header = readBatchHeader(batch, 0, batch.length);
  if (header === null || header.size !== batch.length) {
    throw new InvalidBatchError(ErrorCode.CORRUPT_MESSAGE, 'batchLength does not match the bytes sent');
  }
  if (batch.length > maxMessageBytes) {
    throw new InvalidBatchError(
      ErrorCode.MESSAGE_TOO_LARGE,
      `batch of ${batch.length} bytes exceeds max.message.bytes ${maxMessageBytes}`,
    );
  }
  if (!crcMatches(batch)) throw new InvalidBatchError(ErrorCode.CORRUPT_MESSAGE, 'record batch CRC-32C does not match');
  if (header.recordCount <= 0 || header.lastOffsetDelta !== header.recordCount - 1) {
    throw new InvalidBatchError(
      ErrorCode.INVALID_RECORD,
      `lastOffsetDelta ${header.lastOffsetDelta} does not fit recordCount ${header.recordCount}`,
    );
  }
  if (header.attributes & CONTROL) {
    // Commit/abort markers are written by the transaction coordinator only, as in Apache Kafka.
    throw new InvalidBatchError(ErrorCode.INVALID_RECORD, 'clients may not produce control batches');
  }
  if (header.attributes & TRANSACTIONAL && header.producerId < 0) {
    throw new InvalidBatchError(ErrorCode.INVALID_RECORD, 'a transactional batch needs a producer id');
  }
  if (header.compression > Compression.zstd) {
    throw new InvalidBatchError(ErrorCode.CORRUPT_MESSAGE, `unknown compression codec ${header.compression}`);
  }
  if (header.compression === Compression.zstd && produceVersion < 7) {
    throw new InvalidBatchError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, 'zstd needs Produce v7 or later');
  }
  return header;
}
