import { describe, expect, it } from 'vitest';
import { encodeRecordKey, RecordBatchBuilder } from '../../producer/src/record-batch-encoder.js';
import { fetchRequestBody, parseFetchResponse, RecordBatchError, readRecordBatches } from './kafka-fetch.js';

/** Two lz4 record batches as the producer writes them, numbered as a broker would: offsets 0-2 and 3-4. */
function twoBatches(): Buffer {
  const key = encodeRecordKey(Buffer.from('AAPL'));
  const batch = (values: string[], baseOffset: number): Buffer => {
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
  };
  return Buffer.concat([batch(['v0', 'v1', 'v2'], 0), batch(['v3', 'v4'], 3)]);
}

function read(records: Buffer, from: number): { values: string[]; offsets: number[]; next: number } {
  const values: string[] = [];
  const offsets: number[] = [];
  const next = readRecordBatches(records, from, (offset, value) => {
    offsets.push(offset);
    values.push(value.toString());
  });
  return { values, offsets, next };
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

  it('names a codec it cannot read, with the batch offset, instead of skipping the batch', () => {
    const records = twoBatches();
    const firstLength = 12 + records.readInt32BE(8);
    records.writeInt16BE(4, firstLength + 21); // the second batch says zstd
    expect(() => read(records, 0)).toThrow(RecordBatchError);
    expect(() => read(records, 0)).toThrow(
      'record batch at offset 3 is compressed with zstd; the edge reads none, gzip and lz4 (the producer writes lz4)',
    );
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
