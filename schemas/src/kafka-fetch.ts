import { gunzipSync } from 'node:zlib';
import {
  decodeKafkaLz4Frame,
  decompressKafkaLz4,
  decompressKafkaLz4Transient,
  kafkaLz4Output,
  Lz4FrameError,
} from './kafka-lz4-frame.js';
import { ResponseReader } from './kafka-protocol.js';

/*
 * Fetch v4 and the record batches (v2, magic 2) it returns, for the edge's own reader
 * (kafka-protocol.md §1-3). Records are handed out as views on the response (or on the
 * decompressed batch): no per-record objects, no offsets as strings.
 *
 * read_committed (KIP-98): the broker answers only up to the last stable offset and lists the
 * aborted transactions that overlap the records it sent; the reader drops those transactions'
 * batches and every control batch (the COMMIT/ABORT markers), as Apache Kafka's own consumer
 * does (clients/…/internals/CompletedFetch.java).
 */

export { decompressKafkaLz4, Lz4FrameError } from './kafka-lz4-frame.js';

/** Fetch's isolation_level: what a consumer may see of transactional records. */
export const IsolationLevel = { readUncommitted: 0, readCommitted: 1 } as const;
export type IsolationLevel = (typeof IsolationLevel)[keyof typeof IsolationLevel];

export interface FetchPosition {
  partition: number;
  /** The next offset to read. */
  offset: number;
}

export interface FetchTopicRequest {
  topic: string;
  partitions: readonly FetchPosition[];
}

export interface FetchLimits {
  /** How long the broker may hold the request when it has less than `minBytes`. */
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  partitionMaxBytes: number;
}

/** A Fetch v4 body: replica -1 (a consumer), the isolation level, one entry per topic and partition. */
export function fetchRequestBody(
  topics: readonly FetchTopicRequest[],
  limits: FetchLimits,
  isolation: IsolationLevel = IsolationLevel.readUncommitted,
): Buffer {
  const names = topics.map(({ topic }) => Buffer.from(topic));
  let size = 4 + 4 + 4 + 4 + 1 + 4;
  for (const [index, { partitions }] of topics.entries())
    size += 2 + (names[index]?.length ?? 0) + 4 + 16 * partitions.length;
  const body = Buffer.allocUnsafe(size);
  let at = body.writeInt32BE(-1, 0);
  at = body.writeInt32BE(limits.maxWaitMs, at);
  at = body.writeInt32BE(limits.minBytes, at);
  at = body.writeInt32BE(limits.maxBytes, at);
  at = body.writeInt8(isolation, at);
  at = body.writeInt32BE(topics.length, at);
  for (const [index, { partitions }] of topics.entries()) {
    const name = names[index] as Buffer;
    at = body.writeInt16BE(name.length, at);
    at += name.copy(body, at);
    at = body.writeInt32BE(partitions.length, at);
    for (const { partition, offset } of partitions) {
      at = body.writeInt32BE(partition, at);
      at = body.writeBigInt64BE(BigInt(offset), at);
      at = body.writeInt32BE(limits.partitionMaxBytes, at);
    }
  }
  return body;
}

/** A transaction the broker says was aborted: its producer's batches from `firstOffset` on are not to be read. */
export interface AbortedTransaction {
  /** int64 on the wire; brokers hand out ids far below 2^53. */
  producerId: number;
  firstOffset: number;
}

export interface FetchedPartition {
  topic: string;
  partition: number;
  errorCode: number;
  highWatermark: number;
  /** The end of what read_committed may read: below it every transaction is decided (-1 if the broker does not say). */
  lastStableOffset: number;
  /** Aborted transactions overlapping these records (read_committed only; empty otherwise). */
  abortedTransactions: AbortedTransaction[];
  /** The partition's record batches as the broker sent them (possibly ending in a cut-off batch). */
  records: Buffer | null;
}

/** Reads a Fetch v4 response body; a malformed body throws RangeError (the connection is then dropped). */
export function parseFetchResponse(body: Buffer): FetchedPartition[] {
  const r = new ResponseReader(body);
  r.int32(); // throttle
  const fetched: FetchedPartition[] = [];
  for (let t = r.int32(); t > 0; t--) {
    const topic = r.string();
    for (let p = r.int32(); p > 0; p--) {
      const partition = r.int32();
      const errorCode = r.int16();
      const highWatermark = r.int64();
      const lastStableOffset = r.int64();
      const abortedTransactions: AbortedTransaction[] = [];
      // A null array (-1) and an empty one both mean none.
      for (let a = r.int32(); a > 0; a--) abortedTransactions.push({ producerId: r.int64(), firstOffset: r.int64() });
      const size = r.int32();
      if (size > body.length - r.at) throw new RangeError(`records of ${size} B run past the end of the response`);
      const records = size < 0 ? null : body.subarray(r.at, r.at + size);
      if (size > 0) r.at += size;
      fetched.push({ topic, partition, errorCode, highWatermark, lastStableOffset, abortedTransactions, records });
    }
  }
  return fetched;
}

/** A record batch this reader cannot read; the Fetch answer is otherwise fine. */
export class RecordBatchError extends Error {}

// Record batch v2 header: baseOffset i64 @0, batchLength i32 @8, partitionLeaderEpoch i32 @12,
// magic i8 @16, crc u32 @17, attributes i16 @21, lastOffsetDelta i32 @23, baseTimestamp i64 @27,
// maxTimestamp i64 @35, producerId i64 @43, producerEpoch i16 @51, baseSequence i32 @53, count i32 @57.
const BATCH_HEADER = 61;
const TRANSACTIONAL_BATCH = 0x10;
const CONTROL_BATCH = 0x20;
/** A control record's key is (version i16, type i16); type 0 is ABORT, 1 COMMIT. */
const ABORT_MARKER = 0;
const CODEC_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

/**
 * Calls `onValue` with the value and offset of every record at or after `from` (records without
 * a value are skipped), batch by batch, and returns the offset to fetch next: after the last
 * complete batch. A batch cut short by the size limits comes again, whole, in the next Fetch.
 * Control batches are never handed over. With `aborted` (read_committed: the Fetch answer's
 * aborted transactions for these records), the batches of those transactions are skipped too.
 *
 * Each value is handed over in place, as `bytes[start, end)`, not as a view of its own (a view
 * per record was the largest allocation of the edge's tick path), and `bytes` is reused once
 * `onValue` returns: lz4 batches are decoded into one buffer shared from batch to batch. Read
 * the value there and then; copy what you keep.
 */
export function readRecordValues(
  records: Buffer,
  from: number,
  onValue: (bytes: Uint8Array, start: number, end: number, offset: number) => void,
  aborted: readonly AbortedTransaction[] | null = null,
): number {
  const walker = new RecordBatchWalker(records, from, aborted, true);
  while (walker.stepInPlace(onValue)) {}
  return walker.next;
}

/**
 * As readRecordValues, with each record's key, and records without a value too (null: the
 * tombstones of a compacted topic), each as a view of its own that stays valid. For the small
 * keyed topics; the tick path uses the one above.
 */
export function readKeyedRecordBatches(
  records: Buffer,
  from: number,
  onRecord: (offset: number, key: Buffer | null, value: Buffer | null) => void,
  aborted: readonly AbortedTransaction[] | null = null,
): number {
  const walker = new RecordBatchWalker(records, from, aborted, false);
  while (
    walker.step((payload, count, baseOffset, next) => readKeyedRecords(payload, count, baseOffset, next, onRecord))
  ) {}
  return walker.next;
}

/**
 * One Fetch answer's record batches read one batch per step(), for a reader that spreads the
 * decompression over time (replay-reader.ts decodes a batch only when its merge needs the next
 * record, within a time budget). Same rules as readRecordValues, with records as views of their
 * own unless `transient`.
 */
export class RecordBatchWalker {
  /** The offset to fetch next: after the last complete batch walked. */
  next: number;
  private at = 0;
  private readonly transactions: AbortedTransactions | null;
  /** The batch nextBatch() read last: whether to hand it over, its header's figures, its records' range. */
  private readable = false;
  private from = 0;
  private baseOffset = 0;
  private count = 0;
  private codec = 0;
  private payloadStart = 0;
  private payloadEnd = 0;
  /** Reused from batch to batch of this walk. */
  private readonly cursor = new VarintCursor();

  /**
   * @param transient decode lz4 batches into a buffer shared by every batch (valid until the
   *   next step), for a reader done with each batch's records before it asks for the next
   */
  constructor(
    private readonly records: Buffer,
    from: number,
    aborted: readonly AbortedTransaction[] | null,
    private readonly transient = false,
  ) {
    this.next = from;
    this.transactions = aborted === null ? null : new AbortedTransactions(aborted);
  }

  /** Walks one complete batch (handing its records over unless skipped); false once none is left. */
  step(onBatch: (payload: Buffer, count: number, baseOffset: number, from: number) => void): boolean {
    if (!this.nextBatch()) return false;
    if (this.readable) {
      onBatch(this.payload(), this.count, this.baseOffset, this.from);
    }
    return true;
  }

  /**
   * As step(), each record's value handed over in place (readRecordValues): lz4 batches decode
   * into the shared buffer and nothing is allocated per batch, the tick path's case.
   */
  stepInPlace(onValue: (bytes: Uint8Array, start: number, end: number, offset: number) => void): boolean {
    if (!this.nextBatch()) return false;
    if (!this.readable) return true;
    const { records, baseOffset, count, from } = this;
    if (this.codec === 0)
      readValuesInPlace(this.cursor, records, this.payloadStart, this.payloadEnd, count, baseOffset, from, onValue);
    else if (this.codec === 3 && this.transient) {
      let length: number;
      try {
        length = decodeKafkaLz4Frame(records, this.payloadStart, this.payloadEnd);
      } catch (error) {
        throw lz4BatchError(error, baseOffset);
      }
      readValuesInPlace(this.cursor, kafkaLz4Output(), 0, length, count, baseOffset, from, onValue);
    } else {
      const payload = this.payload();
      readValuesInPlace(this.cursor, payload, 0, payload.length, count, baseOffset, from, onValue);
    }
    return true;
  }

  /** The last batch's records, decompressed (a view of its own unless transient). */
  private payload(): Buffer {
    const records = this.records.subarray(this.payloadStart, this.payloadEnd);
    return decompress(records, this.codec, this.baseOffset, this.transient);
  }

  /**
   * Reads the next complete batch's header into the fields below and moves past it; false once
   * none is left. `readable`: it has records at or after the start offset and is not skipped.
   */
  private nextBatch(): boolean {
    const records = this.records;
    const at = this.at;
    const transactions = this.transactions;
    if (records.length - at < BATCH_HEADER) return false;
    // int64s as two halves: a BigInt per read was an object per batch; offsets stay below 2^53.
    const baseOffset = int64At(records, at);
    const end = at + 12 + records.readInt32BE(at + 8);
    if (end > records.length) return false;
    const magic = records[at + 16];
    if (magic !== 2)
      throw new RecordBatchError(`record batch at offset ${baseOffset} has magic ${magic}; only v2 is read`);
    const attributes = records.readInt16BE(at + 21);
    const lastOffset = baseOffset + records.readInt32BE(at + 23);
    const control = (attributes & CONTROL_BATCH) !== 0;
    let skip = control;
    if (transactions !== null && (attributes & TRANSACTIONAL_BATCH) !== 0) {
      const producerId = int64At(records, at + 43);
      transactions.reachedOffset(lastOffset);
      if (control) {
        if (controlType(records.subarray(at + BATCH_HEADER, end), baseOffset) === ABORT_MARKER)
          transactions.ended(producerId);
      } else skip = transactions.isAborting(producerId);
    }
    this.from = this.next;
    if (lastOffset + 1 > this.next) this.next = lastOffset + 1;
    this.at = end;
    this.readable = lastOffset >= this.from && !skip;
    this.baseOffset = baseOffset;
    this.count = records.readInt32BE(at + 57);
    this.codec = attributes & 7;
    this.payloadStart = at + BATCH_HEADER;
    this.payloadEnd = end;
    return true;
  }

  /** Hands over the next batch's records at or after the start offset (with a value), each a view of its own. */
  readBatch(onRecord: (offset: number, value: Buffer) => void): boolean {
    return this.step((payload, count, baseOffset, from) => readRecords(payload, count, baseOffset, from, onRecord));
  }
}

/**
 * The offset after the last complete batch of `records` (at least `from`): where the next Fetch
 * starts, found from the batch headers alone, without decompressing anything.
 */
export function offsetAfterBatches(records: Buffer, from: number): number {
  let next = from;
  let at = 0;
  while (records.length - at >= BATCH_HEADER) {
    const end = at + 12 + records.readInt32BE(at + 8);
    if (end > records.length) break;
    const lastOffset = Number(records.readBigInt64BE(at)) + records.readInt32BE(at + 23);
    if (lastOffset + 1 > next) next = lastOffset + 1;
    at = end;
  }
  return next;
}

/**
 * The aborted transactions of one Fetch answer as its batches are walked in offset order: a
 * producer's transaction counts as aborted from its first offset until its ABORT marker.
 */
class AbortedTransactions {
  private readonly pending: AbortedTransaction[];
  private readonly aborting = new Set<number>();

  constructor(aborted: readonly AbortedTransaction[]) {
    this.pending = [...aborted].sort((a, b) => a.firstOffset - b.firstOffset);
  }

  /** Every aborted transaction that began at or before `offset` is now open. */
  reachedOffset(offset: number): void {
    while (this.pending.length > 0 && (this.pending[0] as AbortedTransaction).firstOffset <= offset)
      this.aborting.add((this.pending.shift() as AbortedTransaction).producerId);
  }

  isAborting(producerId: number): boolean {
    return this.aborting.has(producerId);
  }

  ended(producerId: number): void {
    this.aborting.delete(producerId);
  }
}

/** The type of a control batch's marker (its first record's key); -1 if it has none. */
function controlType(payload: Buffer, baseOffset: number): number {
  const varint = new VarintCursor();
  varint.reset(payload, 0, payload.length);
  varint.signed(); // length
  varint.at += 1; // attributes
  varint.skip(); // timestamp delta
  varint.signed(); // offset delta
  const keyLength = varint.signed();
  if (keyLength < 4 || varint.at + keyLength > payload.length) {
    if (keyLength < 0) return -1;
    throw new RangeError(`control record at ${baseOffset} has a key of ${keyLength} bytes, not a (version, type) pair`);
  }
  return payload.readInt16BE(varint.at + 2);
}

function decompress(payload: Buffer, codec: number, baseOffset: number, transient: boolean): Buffer {
  switch (codec) {
    case 0:
      return payload;
    case 1:
      return gunzipSync(payload);
    case 3:
      try {
        return transient ? decompressKafkaLz4Transient(payload) : decompressKafkaLz4(payload);
      } catch (error) {
        throw lz4BatchError(error, baseOffset);
      }
    default:
      throw new RecordBatchError(
        `record batch at offset ${baseOffset} is compressed with ${CODEC_NAMES[codec] ?? `codec ${codec}`}; the edge reads none, gzip and lz4 (the producer writes lz4)`,
      );
  }
}

/** A corrupt lz4 frame as the batch's error; anything else as it was. */
function lz4BatchError(error: unknown, baseOffset: number): unknown {
  return error instanceof Lz4FrameError
    ? new RecordBatchError(`record batch at offset ${baseOffset}: ${error.message}`)
    : error;
}

/** A signed big-endian int64 at `at`, exact below 2^53 (offsets, producer ids). */
function int64At(bytes: Buffer, at: number): number {
  return bytes.readInt32BE(at) * 0x100000000 + bytes.readUInt32BE(at + 4);
}

const EMPTY = new Uint8Array(0);

/** Record: length, attributes, timestampDelta, offsetDelta, key, value, headers (all varints zigzag). */
function readRecords(
  payload: Buffer,
  count: number,
  baseOffset: number,
  from: number,
  onRecord: (offset: number, value: Buffer) => void,
): void {
  readValuesInPlace(
    new VarintCursor(),
    payload,
    0,
    payload.length,
    count,
    baseOffset,
    from,
    (_bytes, start, end, offset) => onRecord(offset, payload.subarray(start, end)),
  );
}

/**
 * Each record's value in the batch's records `payload[start, stop)` as a range of `payload`
 * (readRecordValues; readRecords wraps it in a view).
 */
function readValuesInPlace(
  varint: VarintCursor,
  payload: Buffer,
  start: number,
  stop: number,
  count: number,
  baseOffset: number,
  from: number,
  onValue: (bytes: Uint8Array, start: number, end: number, offset: number) => void,
): void {
  varint.reset(payload, start, stop);
  for (let i = 0; i < count; i++) {
    const length = varint.signed();
    const end = varint.at + length;
    if (length < 0 || end > stop) throw new RangeError(`record ${i} of the batch at ${baseOffset} is cut short`);
    varint.at += 1; // attributes
    varint.skip(); // timestamp delta
    const offset = baseOffset + varint.signed();
    const keyLength = varint.signed();
    if (keyLength > 0) varint.at += keyLength;
    const valueLength = varint.signed();
    if (offset >= from && valueLength >= 0) {
      const start = varint.at;
      if (start + valueLength > end) throw new RangeError(`record at ${offset} has a value past its end`);
      onValue(payload, start, start + valueLength, offset);
    }
    varint.at = end; // headers: not used
  }
}

function readKeyedRecords(
  payload: Buffer,
  count: number,
  baseOffset: number,
  from: number,
  onRecord: (offset: number, key: Buffer | null, value: Buffer | null) => void,
): void {
  const varint = new VarintCursor();
  varint.reset(payload, 0, payload.length);
  for (let i = 0; i < count; i++) {
    const length = varint.signed();
    const end = varint.at + length;
    if (length < 0 || end > payload.length)
      throw new RangeError(`record ${i} of the batch at ${baseOffset} is cut short`);
    varint.at += 1; // attributes
    varint.skip(); // timestamp delta
    const offset = baseOffset + varint.signed();
    const keyLength = varint.signed();
    const keyStart = varint.at;
    if (keyLength > 0) varint.at += keyLength;
    const valueLength = varint.signed();
    if (varint.at + Math.max(0, valueLength) > end)
      throw new RangeError(`record at ${offset} has a value past its end`);
    if (offset >= from)
      onRecord(
        offset,
        keyLength < 0 ? null : payload.subarray(keyStart, keyStart + keyLength),
        valueLength < 0 ? null : payload.subarray(varint.at, varint.at + valueLength),
      );
    varint.at = end; // headers: not used
  }
}

/** Reads the varints of `bytes[at, end)`; `end` may fall short of the buffer's (a shared, larger one). */
class VarintCursor {
  at = 0;
  private end = 0;
  private bytes: Uint8Array = EMPTY;

  reset(bytes: Uint8Array, start: number, end: number): void {
    this.bytes = bytes;
    this.at = start;
    this.end = end;
  }

  /** A zigzag varint of up to 32 bits (lengths and offset deltas). */
  signed(): number {
    let value = 0;
    let shift = 0;
    for (;;) {
      if (this.at >= this.end) throw new RangeError('varint runs past the end of the record batch');
      const byte = this.bytes[this.at++] as number;
      value |= (byte & 0x7f) << shift;
      if (byte < 0x80) break;
      shift += 7;
      if (shift > 28) throw new RangeError('varint longer than 5 bytes in a record');
    }
    return (value >>> 1) ^ -(value & 1);
  }

  /** Skips a varint of any length (the 64-bit timestamp delta). */
  skip(): void {
    for (;;) {
      if (this.at >= this.end) throw new RangeError('varint runs past the end of the record batch');
      const byte = this.bytes[this.at++] as number;
      if (byte < 0x80) return;
    }
  }
}
