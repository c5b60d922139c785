import { createRequire } from 'node:module';
import { TickEncoder, type TickFields, TickWriter } from '@tickstream/schemas';
import { decompressKafkaLz4 } from '@tickstream/schemas/kafka-fetch';
import fc from 'fast-check';
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

/**
 * The LZ4 block rules a decoder may rely on, which lenient decoders do not check (lz4 block
 * format, "End of block conditions"): each block decodes to at most 64 KB, its last 5 bytes are
 * literals, and its last match starts at least 12 bytes before its end.
 */
function checkLz4Blocks(frame: Uint8Array): void {
  let at = 7; // magic, FLG, BD, HC
  for (;;) {
    const size = (frame[at] as number) | ((frame[at + 1] as number) << 8) | ((frame[at + 2] as number) << 16);
    at += 4;
    if (size === 0) return;
    expect(size).toBeLessThanOrEqual(65536);
    const end = at + size;
    let decoded = 0;
    let lastMatchAt = -1;
    let lastLiterals = 0;
    const length = (nibble: number): number => {
      let n = nibble;
      if (n === 15) for (let byte = 255; byte === 255; n += byte) byte = frame[at++] as number;
      return n;
    };
    while (at < end) {
      const token = frame[at++] as number;
      lastLiterals = length(token >>> 4);
      at += lastLiterals;
      decoded += lastLiterals;
      if (at === end) break; // the last sequence: literals only
      at += 2;
      lastMatchAt = decoded;
      decoded += length(token & 15) + 4;
    }
    expect(at).toBe(end);
    expect(decoded).toBeLessThanOrEqual(65536);
    expect(lastLiterals).toBeGreaterThanOrEqual(5);
    if (lastMatchAt >= 0) expect(lastMatchAt).toBeLessThanOrEqual(decoded - 12);
  }
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

  it("writes ticks with appendTick to the records append writes of the library's encoding, compressed by matches", () => {
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
    expect(validateProducedBatch(a.bytes, 1 << 20, 7).recordCount).toBe(500);
    const raw = decompressFrameSync(b.bytes.subarray(61));
    expect(decompressFrameSync(a.bytes.subarray(61)).equals(raw)).toBe(true);
    expect(decompressKafkaLz4(a.bytes.subarray(61)).equals(raw)).toBe(true);
    // Matches against each symbol's previous tick: 0.56 of the raw size here, where every 17th
    // tick and the next of its symbol are literals.
    expect(a.bytes.length - 61).toBeLessThan(raw.length * 0.6);
  });

  it('writes lz4 frames that lz4_flex and the edge decoder both decode to the raw records, for random runs of ticks and other records', () => {
    const symbols = ['AAPL', 'A', 'GOOGL', 'ÄPFEL', 'LONGNAME7', ''];
    const sectors = ['Technology', '', 'X', 'Communication Services', 'Énergie', 'Y'];
    const writer = new TickWriter(symbols, sectors);
    const encoder = new TickEncoder();
    const record = fc.oneof(
      {
        weight: 20,
        arbitrary: fc.record({
          index: fc.nat(symbols.length - 1),
          price: fc.oneof(fc.integer({ min: 1, max: 2 ** 40 }), fc.constant(0)),
          size: fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 1, max: 0xffffffff }) }, fc.constant(0)),
          delta: fc.integer({ min: -5000, max: 5000 }),
          sequence: fc.maxSafeInteger(),
        }),
      },
      // Any other record, now and then larger than an lz4 block.
      {
        weight: 1,
        arbitrary: fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.constant(new Uint8Array(70_000).fill(7))),
      },
    );
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 1500, size: 'max' }), fc.nat(3), (records, reuse) => {
        const direct = new RecordBatchBuilder(256);
        const copied = new RecordBatchBuilder(256);
        // A builder reused after earlier batches (its symbols' last positions must not leak into the next batch).
        for (let r = 0; r <= reuse; r++) {
          for (const [i, item] of records.entries()) {
            if (item instanceof Uint8Array) {
              const key = encodeRecordKey(Buffer.from('other'));
              direct.append(key, item, 0, item.length, 1000 + i);
              copied.append(key, item, 0, item.length, 1000 + i);
              continue;
            }
            const tick: TickFields = {
              symbol: symbols[item.index] as string,
              sector: sectors[item.index] as string,
              price: item.price,
              size: item.size,
              bid: item.price - item.delta,
              ask: item.price + item.delta,
              exchangeTimeUs: 1_795_000_000_000_000 + i,
              sequence: item.sequence,
            };
            const key = encodeRecordKey(Buffer.from(tick.symbol));
            direct.appendTick(key, writer, item.index, tick, 1000 + i);
            const value = encoder.encode(tick);
            copied.append(key, value, 0, value.length, 1000 + i);
          }
          const a = direct.seal().bytes;
          const raw = decompressFrameSync(copied.seal().bytes.subarray(61));
          expect(decompressFrameSync(a.subarray(61)).equals(raw)).toBe(true);
          expect(decompressKafkaLz4(a.subarray(61)).equals(raw)).toBe(true);
          checkLz4Blocks(a.subarray(61));
          expect(validateProducedBatch(a, 1 << 30, 7).recordCount).toBe(records.length);
        }
      }),
      { numRuns: 150, endOnFailure: true },
    );
  });
});
