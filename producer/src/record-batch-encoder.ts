import { crc32c } from '@node-rs/crc32';
import type { TickFields, TickWriter } from '@tickstream/schemas';
import { compressKafkaLz4 } from '@tickstream/schemas/lz4-node';

/*
 * Kafka record batch v2 (magic 2), written straight from tick bytes (kafka-protocol.md §3):
 *
 *   baseOffset i64 | batchLength i32 | partitionLeaderEpoch i32 | magic i8 | crc u32 |
 *   attributes i16 | lastOffsetDelta i32 | baseTimestamp i64 | maxTimestamp i64 |
 *   producerId i64 | producerEpoch i16 | baseSequence i32 | recordCount i32 | records (lz4)
 *
 * Record: length varint, attributes i8, timestampDelta varlong, offsetDelta varint,
 * key (varint length + bytes), value (varint length + bytes), header count varint.
 * Every varint is zigzag-encoded.
 */

export const RECORD_BATCH_HEADER_BYTES = 61;
/** Bytes before batchLength's count starts (baseOffset + batchLength). */
const LOG_OVERHEAD = 12;
const MAGIC = 2;
/** Kafka's codec id for lz4 in the attributes' low three bits. */
const LZ4_ATTRIBUTES = 3;
const CRC_START = 21;

const At = {
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

/** Who wrote a batch, for idempotence: -1s for a plain producer. */
export interface ProducerStamp {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
}

export const NO_PRODUCER: ProducerStamp = { producerId: -1, producerEpoch: -1, baseSequence: -1 };

/** One finished record batch: the bytes go on the wire as they are, and again on a retry. */
export interface EncodedBatch {
  bytes: Buffer;
  recordCount: number;
  /** Bytes of the records' values (the ticks themselves), for the MB/s figures. */
  valueBytes: number;
}

/**
 * A record's key as it sits on the wire (zigzag length, then the bytes), prepared once per
 * symbol so that a tick only copies it.
 */
export function encodeRecordKey(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(varintSize(zigzag(key.length)) + key.length);
  const at = writeUvarint(out, 0, zigzag(key.length));
  out.set(key, at);
  return out;
}

/**
 * Accumulates one partition's records until `seal()` turns them into a record batch. The record
 * buffer is reused from batch to batch; appending allocates nothing unless it must grow.
 */
export class RecordBatchBuilder {
  private records: Buffer;
  private used = 0;
  private count = 0;
  private values = 0;
  private baseTimestamp = 0;
  private maxTimestamp = 0;

  constructor(initialBytes = 64 * 1024) {
    this.records = Buffer.allocUnsafe(initialBytes);
  }

  get recordCount(): number {
    return this.count;
  }

  /** Uncompressed bytes of the records so far. */
  get recordBytes(): number {
    return this.used;
  }

  /**
   * Appends one record: `encodedKey` from encodeRecordKey(), the value `source[start..end)`,
   * CreateTime `timestampMs`.
   */
  append(encodedKey: Uint8Array, source: Uint8Array, start: number, end: number, timestampMs: number): void {
    const valueLength = end - start;
    const at = this.startRecord(encodedKey, valueLength, timestampMs);
    this.records.set(source.subarray(start, end), at);
    this.endRecord(at + valueLength, valueLength);
  }

  /**
   * Appends one tick of symbol `index` as a record, its value written by `ticks` straight into
   * the batch (the FlatBuffers bytes, without a builder or an intermediate copy).
   */
  appendTick(encodedKey: Uint8Array, ticks: TickWriter, index: number, tick: TickFields, timestampMs: number): void {
    const valueLength = ticks.byteLength(index, tick);
    const at = this.startRecord(encodedKey, valueLength, timestampMs);
    this.endRecord(ticks.write(index, tick, this.records, at), valueLength);
  }

  /** Writes a record's header up to its value (growing the buffer for all of it) and returns where the value goes. */
  private startRecord(encodedKey: Uint8Array, valueLength: number, timestampMs: number): number {
    if (this.count === 0) {
      this.baseTimestamp = timestampMs;
      this.maxTimestamp = timestampMs;
    } else if (timestampMs > this.maxTimestamp) this.maxTimestamp = timestampMs;
    const timestampDelta = zigzag(timestampMs - this.baseTimestamp);
    const offsetDelta = zigzag(this.count);
    const valueLengthZ = zigzag(valueLength);
    const bodyLength =
      1 + // attributes
      varintSize(timestampDelta) +
      varintSize(offsetDelta) +
      encodedKey.length +
      varintSize(valueLengthZ) +
      valueLength +
      1; // no headers
    const bodyLengthZ = zigzag(bodyLength);
    const needed = varintSize(bodyLengthZ) + bodyLength;
    if (this.used + needed > this.records.length) this.grow(this.used + needed);

    const out = this.records;
    let at = writeUvarint(out, this.used, bodyLengthZ);
    out[at++] = 0; // attributes
    at = writeUvarint(out, at, timestampDelta);
    at = writeUvarint(out, at, offsetDelta);
    for (let i = 0; i < encodedKey.length; i++) out[at++] = encodedKey[i] as number;
    return writeUvarint(out, at, valueLengthZ);
  }

  /** Closes the record whose value ends at `valueEnd`. */
  private endRecord(valueEnd: number, valueLength: number): void {
    this.records[valueEnd] = 0; // header count
    this.used = valueEnd + 1;
    this.count++;
    this.values += valueLength;
  }

  private grow(atLeast: number): void {
    const grown = Buffer.allocUnsafe(Math.max(atLeast, this.records.length * 2));
    this.records.copy(grown, 0, 0, this.used);
    this.records = grown;
  }

  /**
   * The records so far as one lz4 record batch (no producer id: see stampProducer), and a fresh
   * start. Only call with at least one record.
   */
  seal(): EncodedBatch {
    if (this.count === 0) throw new RangeError('a record batch needs at least one record');
    const compressed = compressKafkaLz4(this.records.subarray(0, this.used));
    const bytes = Buffer.allocUnsafe(RECORD_BATCH_HEADER_BYTES + compressed.length);
    bytes.writeBigInt64BE(0n, At.baseOffset); // the broker assigns offsets
    bytes.writeInt32BE(bytes.length - LOG_OVERHEAD, At.batchLength);
    bytes.writeInt32BE(-1, At.partitionLeaderEpoch);
    bytes.writeInt8(MAGIC, At.magic);
    bytes.writeInt16BE(LZ4_ATTRIBUTES, At.attributes); // CreateTime, not transactional
    bytes.writeInt32BE(this.count - 1, At.lastOffsetDelta);
    bytes.writeBigInt64BE(BigInt(this.baseTimestamp), At.baseTimestamp);
    bytes.writeBigInt64BE(BigInt(this.maxTimestamp), At.maxTimestamp);
    bytes.writeInt32BE(this.count, At.recordCount);
    compressed.copy(bytes, RECORD_BATCH_HEADER_BYTES);
    stampProducer(bytes, NO_PRODUCER);
    const batch: EncodedBatch = { bytes, recordCount: this.count, valueBytes: this.values };
    this.used = 0;
    this.count = 0;
    this.values = 0;
    return batch;
  }
}

/**
 * Writes producer id, epoch and base sequence into a batch and recomputes its CRC (which
 * covers them). An idempotent producer stamps a batch when it first sends it, so sequences
 * follow the order batches really leave in.
 */
export function stampProducer(bytes: Buffer, stamp: ProducerStamp): void {
  bytes.writeBigInt64BE(BigInt(stamp.producerId), At.producerId);
  bytes.writeInt16BE(stamp.producerEpoch, At.producerEpoch);
  bytes.writeInt32BE(stamp.baseSequence, At.baseSequence);
  bytes.writeUInt32BE(crc32c(bytes.subarray(CRC_START)) >>> 0, At.crc);
}

/** Zigzag encoding of a safe integer (record fields are small; timestamps deltas too). */
function zigzag(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

function varintSize(unsigned: number): number {
  if (unsigned < 0x80) return 1;
  if (unsigned < 0x4000) return 2;
  if (unsigned < 0x200000) return 3;
  if (unsigned < 0x10000000) return 4;
  let size = 5;
  for (let rest = Math.floor(unsigned / 2 ** 35); rest > 0; rest = Math.floor(rest / 128)) size++;
  return size;
}

/** Unsigned LEB128 of an already zigzagged value; returns where the next byte goes. */
function writeUvarint(out: Uint8Array, at: number, unsigned: number): number {
  let rest = unsigned;
  let position = at;
  // Bit operations only while the value fits 31 bits; beyond, division keeps it exact.
  while (rest >= 0x80000000) {
    out[position++] = (rest % 128) | 0x80;
    rest = Math.floor(rest / 128);
  }
  while (rest >= 0x80) {
    out[position++] = (rest & 0x7f) | 0x80;
    rest >>>= 7;
  }
  out[position++] = rest;
  return position;
}
