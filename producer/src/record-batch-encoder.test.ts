import { createRequire } from 'node:module';
import { TickEncoder, type TickFields, TickWriter } from '@tickstream/schemas';
import { decompressFrameSync } from 'lz4-napi';
import { describe, expect, it } from 'vitest';
import { BatchField, crcMatches, validateProducedBatch } from '../../broker/src/log/record-batch.js';
import { Reader } from '../../broker/src/protocol/reader.js';
import { kafkaLz4Codec } from '../../schemas/src/lz4-node.js';
import { encodeRecordKey, RecordBatchBuilder, stampProducer } from './record-batch-encoder.js';

// kafkajs' own record batch decoder, reached by path: it is not part of kafkajs' public API.
const require = createRequire(import.meta.url);
interface KafkajsRecord {
  key: Buffer | null;
  value: Buffer | null;
  offset: string;
  timestamp: string;
  headers: Record<string, unknown>;
}
interface KafkajsBatch {
  firstOffset: string;
  lastOffsetDelta: number;
  firstTimestamp: string;
  maxTimestamp: string;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  records: KafkajsRecord[];
}
const KafkajsDecoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => unknown;
const decodeKafkajsBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (
  decoder: unknown,
) => Promise<KafkajsBatch>;
const { CompressionCodecs, CompressionTypes } = require('kafkajs') as {
  CompressionCodecs: Record<number, unknown>;
  CompressionTypes: { LZ4: number };
};
CompressionCodecs[CompressionTypes.LZ4] = kafkaLz4Codec;

interface Tick {
  key: string;
  value: Buffer;
  timestampMs: number;
}

/** The records of a batch, decompressed and decoded with the broker's Reader (zigzag varints). */
function decodeRecords(batch: Buffer): { offsetDelta: number; timestampDelta: number; key: string; value: Buffer }[] {
  expect(batch.readInt16BE(BatchField.attributes) & 0x07).toBe(3); // lz4
  const records = decompressFrameSync(batch.subarray(61));
  const reader = new Reader(records);
  const decoded = [];
  while (reader.remaining > 0) {
    const length = reader.varint();
    const end = reader.offset + length;
    expect(reader.int8()).toBe(0); // attributes
    const timestampDelta = reader.varlong();
    const offsetDelta = reader.varint();
    const keyLength = reader.varint();
    const key = records.toString('utf8', reader.offset, reader.offset + keyLength);
    for (let i = 0; i < keyLength; i++) reader.int8();
    const valueLength = reader.varint();
    const value = Buffer.from(records.subarray(reader.offset, reader.offset + valueLength));
    for (let i = 0; i < valueLength; i++) reader.int8();
    expect(reader.varint()).toBe(0); // no headers
    expect(reader.offset).toBe(end);
    decoded.push({ offsetDelta, timestampDelta, key, value });
  }
  return decoded;
}

/** Packs ticks as a worker does (one buffer, end offsets) and builds one batch from them. */
function buildBatch(ticks: readonly Tick[], initialBytes?: number): Buffer {
  const builder = new RecordBatchBuilder(initialBytes);
  const keys = new Map<string, Uint8Array>();
  const bytes = Buffer.concat(ticks.map((tick) => tick.value));
  let start = 0;
  for (const tick of ticks) {
    let key = keys.get(tick.key);
    if (key === undefined) {
      key = encodeRecordKey(Buffer.from(tick.key));
      keys.set(tick.key, key);
    }
    builder.append(key, bytes, start, start + tick.value.length, tick.timestampMs);
    start += tick.value.length;
  }
  const sealed = builder.seal();
  expect(sealed.recordCount).toBe(ticks.length);
  expect(sealed.valueBytes).toBe(bytes.length);
  expect(builder.recordCount).toBe(0);
  return sealed.bytes;
}

function sampleTicks(count: number, baseTimestamp: number): Tick[] {
  const symbols = ['AAPL', 'MSFT', 'BRK.B', 'ÆØÅ', 'X'];
  return Array.from({ length: count }, (_, i) => ({
    key: symbols[i % symbols.length] as string,
    // Values of varied length, some long enough to need a 2-byte length varint.
    value: Buffer.from(`tick ${i} `.repeat(1 + (i % 30))),
    timestampMs: baseTimestamp + (i % 7) * 3,
  }));
}

describe('record batch encoder', () => {
  it("builds batches the broker's validator accepts, with a matching CRC-32C and header", () => {
    const now = Date.now();
    const ticks = sampleTicks(1000, now);
    const batch = buildBatch(ticks);
    const header = validateProducedBatch(batch, 1_048_588, 7);
    expect(crcMatches(batch)).toBe(true);
    expect(header.size).toBe(batch.length);
    expect(header.recordCount).toBe(1000);
    expect(header.lastOffsetDelta).toBe(999);
    expect(header.compression).toBe(3);
    expect(header.maxTimestamp).toBe(now + 18);
    expect(header.producerId).toBe(-1);
    expect(header.producerEpoch).toBe(-1);
    expect(header.baseSequence).toBe(-1);
    expect(batch.readBigInt64BE(BatchField.baseOffset)).toBe(0n);
    expect(batch.readInt32BE(BatchField.partitionLeaderEpoch)).toBe(-1);
    expect(batch.readInt8(BatchField.magic)).toBe(2);
    expect(Number(batch.readBigInt64BE(BatchField.baseTimestamp))).toBe(now);
  });

  it('round-trips keys, values, offset and timestamp deltas through lz4', () => {
    const now = Date.now();
    const ticks = sampleTicks(3000, now);
    // A small first buffer, so the record buffer has to grow several times.
    const records = decodeRecords(buildBatch(ticks, 256));
    expect(records).toHaveLength(ticks.length);
    records.forEach((record, i) => {
      const tick = ticks[i] as Tick;
      expect(record.offsetDelta).toBe(i);
      expect(record.timestampDelta).toBe(tick.timestampMs - now);
      expect(record.key).toBe(tick.key);
      expect(record.value.equals(tick.value)).toBe(true);
    });
  });

  it("decodes with kafkajs' record batch decoder to the same records", async () => {
    const now = Date.now();
    const ticks = sampleTicks(500, now);
    const batch = buildBatch(ticks);
    batch.writeBigInt64BE(1234n, BatchField.baseOffset); // as a broker numbers it
    const decoded = await decodeKafkajsBatch(new KafkajsDecoder(batch));
    expect(decoded.firstOffset).toBe('1234');
    expect(decoded.lastOffsetDelta).toBe(499);
    expect(decoded.records).toHaveLength(500);
    decoded.records.forEach((record, i) => {
      const tick = ticks[i] as Tick;
      expect(record.offset).toBe(String(1234 + i));
      expect(record.timestamp).toBe(String(tick.timestampMs));
      expect(record.key?.toString()).toBe(tick.key);
      expect(record.value?.equals(tick.value)).toBe(true);
      expect(record.headers).toEqual({});
    });
  });

  it('encodes timestamps earlier than the first record and deltas beyond 32 bits', () => {
    const now = Date.now();
    const ticks: Tick[] = [
      { key: 'A', value: Buffer.from('first'), timestampMs: now },
      { key: 'B', value: Buffer.from('earlier'), timestampMs: now - 5000 },
      { key: 'C', value: Buffer.from('much later'), timestampMs: now + 2 ** 33 },
      { key: '', value: Buffer.alloc(0), timestampMs: now },
    ];
    const batch = buildBatch(ticks);
    expect(validateProducedBatch(batch, 1_048_588, 7).maxTimestamp).toBe(now + 2 ** 33);
    const records = decodeRecords(batch);
    expect(records.map((r) => r.timestampDelta)).toEqual([0, -5000, 2 ** 33, 0]);
    expect(records.map((r) => r.key)).toEqual(['A', 'B', 'C', '']);
    expect(records[3]?.value.length).toBe(0);
  });

  it('stamps producer id, epoch and base sequence with a fresh CRC, leaving the records alone', () => {
    const batch = buildBatch(sampleTicks(10, Date.now()));
    const before = Buffer.from(batch.subarray(61));
    stampProducer(batch, { producerId: 2 ** 40 + 7, producerEpoch: 3, baseSequence: 123_456 });
    const header = validateProducedBatch(batch, 1_048_588, 7);
    expect(header.producerId).toBe(2 ** 40 + 7);
    expect(header.producerEpoch).toBe(3);
    expect(header.baseSequence).toBe(123_456);
    expect(batch.subarray(61).equals(before)).toBe(true);
    batch[batch.length - 1] = (batch[batch.length - 1] as number) ^ 0xff;
    expect(crcMatches(batch)).toBe(false);
  });

  it('reuses its record buffer: consecutive batches do not share state', () => {
    const builder = new RecordBatchBuilder(64);
    const key = encodeRecordKey(Buffer.from('K'));
    const value = Buffer.from('0123456789');
    builder.append(key, value, 0, 10, 1000);
    const first = builder.seal().bytes;
    builder.append(key, value, 2, 5, 2000);
    builder.append(key, value, 5, 9, 2001);
    const second = builder.seal().bytes;
    expect(decodeRecords(first).map((r) => r.value.toString())).toEqual(['0123456789']);
    expect(decodeRecords(second).map((r) => [r.offsetDelta, r.timestampDelta, r.value.toString()])).toEqual([
      [0, 0, '234'],
      [1, 1, '5678'],
    ]);
    expect(() => builder.seal()).toThrow(RangeError);
  });

  it("writes ticks with appendTick as append writes the library's encoding of them, byte for byte, from a small buffer up", () => {
    const symbols = ['AAPL', 'BRK.B', 'ÆØÅ', 'X'];
    const sectors = ['Technology', 'Financials', '', 'Énergie'];
    const writer = new TickWriter(symbols, sectors);
    const encoder = new TickEncoder();
    // From 64 bytes both builders grow many times over the 500 ticks.
    const direct = new RecordBatchBuilder(64);
    const copied = new RecordBatchBuilder(64);
    for (let i = 0; i < 500; i++) {
      const index = i % symbols.length;
      const tick: TickFields = {
        symbol: symbols[index] as string,
        sector: sectors[index] as string,
        price: 1_892_345 + i * 7,
        size: i % 17 === 0 ? 0 : 100 * i, // size 0: the library's layout
        bid: 1_892_300 + i,
        ask: 1_892_400 + i,
        exchangeTimeUs: 1_795_000_000_000_000 + i * 1000,
        sequence: i + 1,
      };
      const key = encodeRecordKey(Buffer.from(tick.symbol));
      direct.appendTick(key, writer, index, tick, 1_795_000_000_000 + i);
      const value = encoder.encode(tick);
      copied.append(key, value, 0, value.length, 1_795_000_000_000 + i);
    }
    expect(direct.recordBytes).toBe(copied.recordBytes);
    const a = direct.seal();
    const b = copied.seal();
    expect(a.valueBytes).toBe(b.valueBytes);
    expect(a.bytes.equals(b.bytes)).toBe(true);
    expect(validateProducedBatch(a.bytes, 1 << 20, 7).recordCount).toBe(500);
  });
});
