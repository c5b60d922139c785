import { crc32c } from '@node-rs/crc32';
import { Writer } from '../protocol/writer.js';
import {
  codecName,
  compressRecords,
  compressRecordsOnThread,
  decompressRecords,
  UnreadableRecordsError,
} from './compression.js';
import { BATCH_HEADER_SIZE, BatchAttribute, BatchField, LOG_OVERHEAD } from './record-batch.js';

/*
 * Records inside a stored batch v2 (kafka-protocol.md §3), read and written. The broker stores
 * and serves batches whole; this is for what needs single records: ListOffsets by timestamp,
 * the key check on compacted topics and the log cleaner.
 *
 * Record: length varint, attributes i8, timestampDelta varlong, offsetDelta varint,
 *         keyLength varint (-1 = null), key, valueLength varint (-1 = null), value,
 *         headerCount varint, headers [keyLength varint, key, valueLength varint, value]
 */

export interface BatchFields {
  baseOffset: number;
  partitionLeaderEpoch: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

export interface LogRecord {
  offset: number;
  /** The record's timestamp as a consumer sees it (LogAppendTime batches: the batch's). */
  timestamp: number;
  /** The producer's timestamp (base + delta), kept when a batch is rewritten. */
  createTimestamp: number;
  attributes: number;
  key: Buffer | null;
  value: Buffer | null;
  /** The header count and headers exactly as stored: copied, never interpreted. */
  headers: Buffer;
}

export function batchFields(batch: Buffer, at = 0): BatchFields {
  return {
    baseOffset: Number(batch.readBigInt64BE(at + BatchField.baseOffset)),
    partitionLeaderEpoch: batch.readInt32BE(at + BatchField.partitionLeaderEpoch),
    attributes: batch.readInt16BE(at + BatchField.attributes),
    lastOffsetDelta: batch.readInt32BE(at + BatchField.lastOffsetDelta),
    baseTimestamp: Number(batch.readBigInt64BE(at + BatchField.baseTimestamp)),
    maxTimestamp: Number(batch.readBigInt64BE(at + BatchField.maxTimestamp)),
    producerId: Number(batch.readBigInt64BE(at + BatchField.producerId)),
    producerEpoch: batch.readInt16BE(at + BatchField.producerEpoch),
    baseSequence: batch.readInt32BE(at + BatchField.baseSequence),
    recordCount: batch.readInt32BE(at + BatchField.recordCount),
  };
}

/** The time after which the cleaner may drop this batch's tombstones, if a cleaner set one (KIP-534). */
export function deleteHorizon(fields: BatchFields): number | null {
  return fields.attributes & BatchAttribute.deleteHorizon ? fields.baseTimestamp : null;
}

/** Every record of one whole batch (`batch` holds exactly the batch), decompressed as needed. */
export async function readRecords(batch: Buffer): Promise<LogRecord[]> {
  if (batch.length < BATCH_HEADER_SIZE || batch.readInt8(BatchField.magic) !== 2) {
    throw new UnreadableRecordsError(`not a record batch v2 (${batch.length} bytes)`);
  }
  const fields = batchFields(batch);
  const codec = fields.attributes & BatchAttribute.codecMask;
  const data = await decompressRecords(codec, batch.subarray(BATCH_HEADER_SIZE));
  const logAppendTime = (fields.attributes & BatchAttribute.logAppendTime) !== 0;
  const cursor = new RecordCursor(data, fields.baseOffset, codec);
  const records: LogRecord[] = [];
  for (let i = 0; i < fields.recordCount; i++) {
    const length = cursor.varint();
    const end = cursor.position + length;
    if (length < 0 || end > data.length) throw cursor.unreadable(`record length ${length} past the batch end`);
    const attributes = cursor.int8();
    const createTimestamp = fields.baseTimestamp + cursor.varint();
    const offset = fields.baseOffset + cursor.varint();
    const key = cursor.bytes();
    const value = cursor.bytes();
    if (cursor.position > end) throw cursor.unreadable('record fields run past its length');
    records.push({
      offset,
      timestamp: logAppendTime ? fields.maxTimestamp : createTimestamp,
      createTimestamp,
      attributes,
      key,
      value,
      headers: data.subarray(cursor.position, end),
    });
    cursor.position = end;
  }
  return records;
}

/** Zigzag varints (varlongs too, exact below 2^53) and length-prefixed bytes, bounds-checked. */
class RecordCursor {
  position = 0;

  constructor(
    private readonly data: Buffer,
    private readonly baseOffset: number,
    private readonly codec: number,
  ) {}

  unreadable(problem: string): UnreadableRecordsError {
    return new UnreadableRecordsError(
      `${codecName(this.codec)} batch at offset ${this.baseOffset} holds an unreadable record: ${problem}`,
    );
  }

  int8(): number {
    if (this.position >= this.data.length) throw this.unreadable('cut short');
    return this.data.readInt8(this.position++);
  }

  varint(): number {
    const data = this.data;
    let position = this.position;
    // Nearly every field fits in 4 bytes: integer arithmetic there, floats only beyond 28 bits.
    let value = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      const byte = data[position++];
      if (byte === undefined) throw this.unreadable('varint cut short');
      value |= (byte & 0x7f) << shift;
      if (byte < 0x80) {
        this.position = position;
        return (value >>> 1) ^ -(value & 1);
      }
    }
    let zigzag = value >>> 0;
    for (let shift = 28; shift < 70; shift += 7) {
      const byte = data[position++];
      if (byte === undefined) throw this.unreadable('varint cut short');
      zigzag += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) {
        this.position = position;
        return zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
      }
    }
    throw this.unreadable('varint longer than 10 bytes');
  }

  bytes(): Buffer | null {
    const length = this.varint();
    if (length < 0) return null;
    if (this.position + length > this.data.length) throw this.unreadable(`field of ${length} bytes past the batch end`);
    this.position += length;
    return this.data.subarray(this.position - length, this.position);
  }
}

/**
 * Builds a batch v2 around `records` (offsets ≥ `fields.baseOffset`, in order), compressed with
 * the codec in `fields.attributes`, with its CRC-32C. As Apache Kafka's cleaner does, the caller
 * passes the original batch's base offset and lastOffsetDelta, so producer sequence numbers keep
 * lining up; baseTimestamp is the delete horizon when that attribute is set, else the first
 * record's timestamp.
 */
export async function buildBatch(
  fields: Omit<BatchFields, 'recordCount'>,
  records: readonly LogRecord[],
): Promise<Buffer> {
  const hasHorizon = (fields.attributes & BatchAttribute.deleteHorizon) !== 0;
  const logAppendTime = (fields.attributes & BatchAttribute.logAppendTime) !== 0;
  const baseTimestamp = hasHorizon ? fields.baseTimestamp : (records[0]?.createTimestamp ?? fields.baseTimestamp);
  // An empty batch (a producer's emptied last batch) keeps the timestamp it had.
  let maxTimestamp = logAppendTime || records.length === 0 ? fields.maxTimestamp : -1;
  const body = new Writer(Math.max(256, records.length * 32));
  for (const record of records) {
    if (!logAppendTime) maxTimestamp = Math.max(maxTimestamp, record.createTimestamp);
    const encoded = new Writer(64)
      .int8(record.attributes)
      .varint(record.createTimestamp - baseTimestamp)
      .varint(record.offset - fields.baseOffset);
    if (record.key === null) encoded.varint(-1);
    else encoded.varint(record.key.length).raw(record.key);
    if (record.value === null) encoded.varint(-1);
    else encoded.varint(record.value.length).raw(record.value);
    encoded.raw(record.headers);
    const bytes = Buffer.concat(encoded.finish());
    body.varint(bytes.length).raw(bytes);
  }
  const codec = fields.attributes & BatchAttribute.codecMask;
  const data = await compressRecords(codec, Buffer.concat(body.finish()));
  return assembleBatch(fields, baseTimestamp, maxTimestamp, records.length, data);
}

/** A batch v2 around an already compressed records section, with its CRC-32C. */
function assembleBatch(
  fields: Omit<BatchFields, 'recordCount'>,
  baseTimestamp: number,
  maxTimestamp: number,
  recordCount: number,
  data: Buffer,
): Buffer {
  const batch = Buffer.allocUnsafe(BATCH_HEADER_SIZE + data.length);
  batch.writeBigInt64BE(BigInt(fields.baseOffset), BatchField.baseOffset);
  batch.writeInt32BE(batch.length - LOG_OVERHEAD, BatchField.batchLength);
  batch.writeInt32BE(fields.partitionLeaderEpoch, BatchField.partitionLeaderEpoch);
  batch.writeInt8(2, BatchField.magic);
  batch.writeInt16BE(fields.attributes, BatchField.attributes);
  batch.writeInt32BE(fields.lastOffsetDelta, BatchField.lastOffsetDelta);
  batch.writeBigInt64BE(BigInt(baseTimestamp), BatchField.baseTimestamp);
  batch.writeBigInt64BE(BigInt(maxTimestamp), BatchField.maxTimestamp);
  batch.writeBigInt64BE(BigInt(fields.producerId), BatchField.producerId);
  batch.writeInt16BE(fields.producerEpoch, BatchField.producerEpoch);
  batch.writeInt32BE(fields.baseSequence, BatchField.baseSequence);
  batch.writeInt32BE(recordCount, BatchField.recordCount);
  data.copy(batch, BATCH_HEADER_SIZE);
  batch.writeUInt32BE(crc32c(batch.subarray(BatchField.attributes)) >>> 0, BatchField.crc);
  return batch;
}

/** Where one record lies in a batch's decompressed records section, and what compaction needs of it. */
export interface RecordSpan {
  /** Byte range of the whole record (its length varint included) in the records section. */
  start: number;
  end: number;
  offset: number;
  timestamp: number;
  /** The key as a binary (latin1) string, one char per byte; null for no key. */
  key: string | null;
  tombstone: boolean;
}

/**
 * The records of a decompressed records section, located rather than copied: the log cleaner
 * reads every record twice and rewrites many, so it keeps only positions and keys.
 */
export function scanRecords(data: Buffer, fields: BatchFields): RecordSpan[] {
  const codec = fields.attributes & BatchAttribute.codecMask;
  const logAppendTime = (fields.attributes & BatchAttribute.logAppendTime) !== 0;
  const cursor = new RecordCursor(data, fields.baseOffset, codec);
  const spans: RecordSpan[] = [];
  for (let i = 0; i < fields.recordCount; i++) {
    const start = cursor.position;
    const length = cursor.varint();
    const end = cursor.position + length;
    if (length < 0 || end > data.length) throw cursor.unreadable(`record length ${length} past the batch end`);
    cursor.int8(); // attributes
    const timestamp = fields.baseTimestamp + cursor.varint();
    const offset = fields.baseOffset + cursor.varint();
    const keyLength = cursor.varint();
    let key: string | null = null;
    if (keyLength >= 0) {
      if (cursor.position + keyLength > end) throw cursor.unreadable('key past the record end');
      key = data.toString('latin1', cursor.position, cursor.position + keyLength);
      cursor.position += keyLength;
    }
    const tombstone = cursor.varint() < 0;
    spans.push({ start, end, offset, timestamp: logAppendTime ? fields.maxTimestamp : timestamp, key, tombstone });
    cursor.position = end;
  }
  return spans;
}

/**
 * A batch holding the records at `spans` of the decompressed section `data`, their bytes copied
 * as they are: the batch keeps its base offset, base timestamp and lastOffsetDelta, so every
 * record's deltas stay right. Compressed again with the batch's codec, on the calling thread.
 */
export async function batchOfSpans(fields: BatchFields, data: Buffer, spans: readonly RecordSpan[]): Promise<Buffer> {
  const logAppendTime = (fields.attributes & BatchAttribute.logAppendTime) !== 0;
  let maxTimestamp = -1;
  let size = 0;
  for (const span of spans) {
    size += span.end - span.start;
    if (!logAppendTime) maxTimestamp = Math.max(maxTimestamp, span.timestamp);
  }
  const section = Buffer.allocUnsafe(size);
  let at = 0;
  for (const span of spans) at += data.copy(section, at, span.start, span.end);
  const codec = fields.attributes & BatchAttribute.codecMask;
  const compressed = await compressRecordsOnThread(codec, section);
  return assembleBatch(
    fields,
    fields.baseTimestamp,
    logAppendTime ? fields.maxTimestamp : maxTimestamp,
    spans.length,
    compressed,
  );
}
