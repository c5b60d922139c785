import { describe, expect, it } from 'vitest';
import { buildRecordBatch } from '../../broker/src/testing/record-batch-builder.js';
import { encodeRecordKey, RecordBatchBuilder } from '../../producer/src/record-batch-encoder.js';
import {
  type AbortedTransaction,
  fetchRequestBody,
  IsolationLevel,
  offsetAfterBatches,
  parseFetchResponse,
  RecordBatchError,
  RecordBatchWalker,
  readKeyedRecordBatches,
  readRecordValues,
} from './kafka-fetch.js';

/** One lz4 record batch of `values` (key AAPL) as the producer writes it, numbered from `baseOffset` as a broker would. */
function lz4Batch(values: string[], baseOffset: number): Buffer {
  const key = encodeRecordKey(Buffer.from('AAPL'));
  const builder = new RecordBatchBuilder();
  const bytes = Buffer.from(values.join(''));
  let start = 0;
  for (const value of values) {
    builder.append(key, bytes, start, start + value.length, Date.now());
    start += value.length;
  }
  const sealed = Buffer.from(builder.seal().bytes);
  sealed.writeBigInt64BE(BigInt(baseOffset), 0);
  return sealed;
}

/** Two lz4 record batches: offsets 0-2 and 3-4. */
function twoBatches(): Buffer {
  return Buffer.concat([lz4Batch(['v0', 'v1', 'v2'], 0), lz4Batch(['v3', 'v4'], 3)]);
}

function read(
  records: Buffer,
  from: number,
  aborted: AbortedTransaction[] | null = null,
): { values: string[]; offsets: number[]; next: number } {
  const values: string[] = [];
  const offsets: number[] = [];
  const next = readRecordValues(
    records,
    from,
    (bytes, start, end, offset) => {
      offsets.push(offset);
      // Copied at once: `bytes` is reused for the next lz4 batch.
      values.push(Buffer.from(bytes.subarray(start, end)).toString());
    },
    aborted,
  );
  return { values, offsets, next };
}

/** Batches numbered from `baseOffset` on, one after the other, as a broker's log holds them. */
function log(batches: Parameters<typeof buildRecordBatch>[0][], baseOffset = 0): Buffer {
  let offset = baseOffset;
  return Buffer.concat(
    batches.map((options) => {
      const batch = buildRecordBatch(options);
      batch.writeBigInt64BE(BigInt(offset), 0);
      offset += batch.readInt32BE(57);
      return batch;
    }),
  );
}

// The edge's record batch reader on the producer's own batches (the other direction of the
// same wire format); against real brokers in edge/src/kafka-fetch-reader.kafka.test.ts.
describe('Kafka record batches as the edge reads them', () => {
  it('hands over every record with its offset, and says where to fetch next', () => {
    expect(read(twoBatches(), 0)).toEqual({
      values: ['v0', 'v1', 'v2', 'v3', 'v4'],
      offsets: [0, 1, 2, 3, 4],
      next: 5,
    });
  });

  it('skips records before the position inside a batch, and whole batches before it', () => {
    expect(read(twoBatches(), 2)).toEqual({ values: ['v2', 'v3', 'v4'], offsets: [2, 3, 4], next: 5 });
    expect(read(twoBatches(), 4)).toEqual({ values: ['v4'], offsets: [4], next: 5 });
  });

  it('leaves a batch cut short by the size limit for the next Fetch', () => {
    const records = twoBatches();
    expect(read(records.subarray(0, records.length - 5), 0)).toEqual({
      values: ['v0', 'v1', 'v2'],
      offsets: [0, 1, 2],
      next: 3,
    });
  });

  it('refuses an lz4 batch that claims more records than it holds, not reading on into the shared buffer', () => {
    // The first batch leaves 40 records in the buffer lz4 batches decode into; the second says
    // it has 3 records and holds 2: the third must be an error, not a record of the first batch.
    const big = lz4Batch(
      Array.from({ length: 40 }, (_, i) => `value-${i}`),
      0,
    );
    const short = lz4Batch(['v40', 'v41'], 40);
    short.writeInt32BE(3, 57); // the record count
    expect(read(big, 0).values).toHaveLength(40);
    expect(() => read(Buffer.concat([big, short]), 0)).toThrow(RangeError);
  });

  it('names a codec it cannot read, with the batch offset, instead of skipping the batch', () => {
    const records = twoBatches();
    const firstLength = 12 + records.readInt32BE(8);
    records.writeInt16BE(4, firstLength + 21); // the second batch says zstd
    expect(() => read(records, 0)).toThrow(RecordBatchError);
    expect(() => read(records, 0)).toThrow(
      'record batch at offset 3 is compressed with zstd; the edge reads none, gzip and lz4 (the producer writes lz4)',
    );
  });

  it('read_committed: skips the batches of aborted transactions and every control batch', () => {
    // Producers 7 and 8 interleave: 7 commits, 8 aborts, 7 then aborts a second transaction.
    const records = log([
      { values: ['plain'] }, // 0, no transaction
      { values: ['a1', 'a2'], producerId: 7, transactional: true }, // 1-2, committed
      { values: ['x1'], producerId: 8, transactional: true }, // 3, aborted
      { values: [], producerId: 7, controlMarker: 'commit' }, // 4
      { values: ['x2'], producerId: 8, transactional: true }, // 5, aborted
      { values: [], producerId: 8, controlMarker: 'abort' }, // 6
      { values: ['y1'], producerId: 7, transactional: true }, // 7, aborted
      { values: [], producerId: 7, controlMarker: 'abort' }, // 8
      { values: ['after'], producerId: 8, transactional: true }, // 9, committed
      { values: [], producerId: 8, controlMarker: 'commit' }, // 10
    ]);
    const aborted = [
      { producerId: 7, firstOffset: 7 },
      { producerId: 8, firstOffset: 3 },
    ];
    expect(read(records, 0, aborted)).toEqual({
      values: ['plain', 'a1', 'a2', 'after'],
      offsets: [0, 1, 2, 9],
      next: 11,
    });
    // The keyed reader of the per-user topics (user-state-kafka.ts) skips the same.
    const keyed: string[] = [];
    readKeyedRecordBatches(records, 0, (_, __, value) => keyed.push(String(value)), aborted);
    expect(keyed).toEqual(['plain', 'a1', 'a2', 'after']);
    // read_uncommitted sees every data record, markers still hidden.
    expect(read(records, 0).values).toEqual(['plain', 'a1', 'a2', 'x1', 'x2', 'y1', 'after']);
    // From inside the log: the aborted transaction that began before the position still counts.
    expect(read(log([{ values: ['x2'], producerId: 8, transactional: true }], 5), 5, aborted).values).toEqual([]);
  });

  it('parses the last stable offset and the aborted transactions of a Fetch answer, and asks read_committed', () => {
    const topic = Buffer.from('candles');
    const answer = Buffer.alloc(4 + 4 + 2 + topic.length + 4 + 4 + 2 + 8 + 8 + 4 + 2 * 16 + 4);
    let at = answer.writeInt32BE(0, 0);
    at = answer.writeInt32BE(1, at);
    at = answer.writeInt16BE(topic.length, at);
    at += topic.copy(answer, at);
    at = answer.writeInt32BE(1, at);
    at = answer.writeInt32BE(4, at); // partition
    at = answer.writeInt16BE(0, at);
    at = answer.writeBigInt64BE(20n, at); // high watermark
    at = answer.writeBigInt64BE(12n, at); // last stable offset: a transaction is open at 12
    at = answer.writeInt32BE(2, at);
    at = answer.writeBigInt64BE(1001n, at);
    at = answer.writeBigInt64BE(3n, at);
    at = answer.writeBigInt64BE(1002n, at);
    at = answer.writeBigInt64BE(8n, at);
    answer.writeInt32BE(-1, at); // null records
    expect(parseFetchResponse(answer)).toEqual([
      {
        topic: 'candles',
        partition: 4,
        errorCode: 0,
        highWatermark: 20,
        lastStableOffset: 12,
        abortedTransactions: [
          { producerId: 1001, firstOffset: 3 },
          { producerId: 1002, firstOffset: 8 },
        ],
        records: null,
      },
    ]);
    const limits = { maxWaitMs: 500, minBytes: 1, maxBytes: 1024, partitionMaxBytes: 512 };
    const request = (isolation?: IsolationLevel) =>
      fetchRequestBody([{ topic: 'candles', partitions: [{ partition: 4, offset: 0 }] }], limits, isolation);
    // replica, max wait, min bytes, max bytes, then the isolation level byte.
    expect(request()[16]).toBe(0);
    expect(request(IsolationLevel.readCommitted)[16]).toBe(1);
  });

  it('throws RangeError on a Fetch answer cut short, and reads back the answer it asked for', () => {
    const topic = Buffer.from('ticks');
    const records = twoBatches();
    const answer = Buffer.alloc(4 + 4 + 2 + topic.length + 4 + 4 + 2 + 8 + 8 + 4 + 4 + records.length);
    let at = answer.writeInt32BE(0, 0); // throttle
    at = answer.writeInt32BE(1, at);
    at = answer.writeInt16BE(topic.length, at);
    at += topic.copy(answer, at);
    at = answer.writeInt32BE(1, at);
    at = answer.writeInt32BE(2, at); // partition
    at = answer.writeInt16BE(0, at);
    at = answer.writeBigInt64BE(5n, at); // high watermark
    at = answer.writeBigInt64BE(5n, at);
    at = answer.writeInt32BE(-1, at); // no aborted transactions
    at = answer.writeInt32BE(records.length, at);
    records.copy(answer, at);
    const [partition] = parseFetchResponse(answer);
    expect(partition).toMatchObject({ topic: 'ticks', partition: 2, errorCode: 0, highWatermark: 5 });
    expect(partition?.records?.equals(records)).toBe(true);
    expect(() => parseFetchResponse(answer.subarray(0, answer.length - 1))).toThrow(RangeError);
    const request = fetchRequestBody([{ topic: 'ticks', partitions: [{ partition: 2, offset: 3 }] }], {
      maxWaitMs: 500,
      minBytes: 1,
      maxBytes: 1024,
      partitionMaxBytes: 512,
    });
    expect(request.length).toBe(4 * 4 + 1 + 4 + 2 + 5 + 4 + 16);
    expect(request.readBigInt64BE(request.length - 12)).toBe(3n);
  });
});

// The replay reader's way through an answer: one batch per step, the next Fetch's offset from the
// headers alone (edge/src/replay-reader.ts); it must agree with readRecordValues record for record.
describe('a Fetch answer walked one batch at a time', () => {
  it('hands over the same records as readRecordValues, one batch per step, and knows where to fetch next from the headers', () => {
    const records = twoBatches();
    const walker = new RecordBatchWalker(records, 1, null);
    const steps: string[][] = [];
    for (;;) {
      const values: string[] = [];
      if (!walker.readBatch((_offset, value) => values.push(value.toString()))) break;
      steps.push(values);
    }
    expect(steps).toEqual([
      ['v1', 'v2'],
      ['v3', 'v4'],
    ]);
    expect(walker.next).toBe(5);
    expect(offsetAfterBatches(records, 1)).toBe(read(records, 1).next);
  });

  it('stops before a batch cut short by the size limit, as readRecordValues does', () => {
    const records = twoBatches();
    const cut = records.subarray(0, records.length - 10);
    const walker = new RecordBatchWalker(cut, 0, null);
    const values: string[] = [];
    while (walker.readBatch((_offset, value) => values.push(value.toString()))) {}
    expect(values).toEqual(read(cut, 0).values);
    expect(walker.next).toBe(3);
    expect(offsetAfterBatches(cut, 0)).toBe(3);
    expect(offsetAfterBatches(Buffer.alloc(0), 7)).toBe(7);
  });
});
