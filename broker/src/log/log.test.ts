import { appendFileSync, mkdtempSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../protocol/errors.js';
import { buildRecordBatch } from '../testing/record-batch-builder.js';
import { type AppendResult, PartitionLog, type PartitionSettings } from './partition-log.js';
import { InvalidBatchError, LOG_OVERHEAD, validateProducedBatch } from './record-batch.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function partitionDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tickstream-log-test-'));
  dirs.push(dir);
  return dir;
}

function settings(overrides: Partial<PartitionSettings> = {}): PartitionSettings & { lines: string[] } {
  const lines: string[] = [];
  return {
    segmentBytes: 1 << 20,
    retentionMs: -1,
    retentionBytes: -1,
    log: (line) => lines.push(line),
    lines,
    ...overrides,
  };
}

function append(
  log: PartitionLog,
  values: string[],
  options: Parameters<typeof buildRecordBatch>[0] = { values },
): AppendResult {
  const batch = buildRecordBatch({ ...options, values });
  return log.append(batch, validateProducedBatch(batch, 1 << 20, 7));
}

function baseOffset(result: AppendResult): number {
  if (!('baseOffset' in result)) throw new Error(`append failed: ${result.message}`);
  return result.baseOffset;
}

/** Base offsets of every batch from `offset` on, fetched as a consumer would (a segment per read). */
function batchOffsets(log: PartitionLog, offset: number): number[] {
  const offsets: number[] = [];
  for (
    let next = offset, bytes = log.read(next, 1 << 30, true);
    bytes.length > 0;
    bytes = log.read(next, 1 << 30, true)
  ) {
    for (let at = 0; at < bytes.length; at += LOG_OVERHEAD + bytes.readInt32BE(at + 8)) {
      offsets.push(Number(bytes.readBigInt64BE(at)));
      next = Number(bytes.readBigInt64BE(at)) + bytes.readInt32BE(at + 23) + 1;
    }
  }
  return offsets;
}

describe('record batch validation', () => {
  it('refuses a batch whose CRC-32C does not match, as CORRUPT_MESSAGE', () => {
    const batch = buildRecordBatch({ values: ['a', 'b'] });
    batch.writeUInt8(batch.readUInt8(batch.length - 2) ^ 0xff, batch.length - 2);
    expect(() => validateProducedBatch(batch, 1 << 20, 7)).toThrow(
      expect.objectContaining({ errorCode: ErrorCode.CORRUPT_MESSAGE, message: 'record batch CRC-32C does not match' }),
    );
  });

  it('refuses message format v0/v1 with UNSUPPORTED_FOR_MESSAGE_FORMAT', () => {
    const batch = buildRecordBatch({ values: ['a'] });
    batch.writeInt8(1, 16);
    const error = (() => {
      try {
        validateProducedBatch(batch, 1 << 20, 2);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(InvalidBatchError);
    expect((error as InvalidBatchError).errorCode).toBe(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT);
  });

  it('refuses a batch above max.message.bytes with MESSAGE_TOO_LARGE', () => {
    const batch = buildRecordBatch({ values: ['x'.repeat(2000)] });
    expect(() => validateProducedBatch(batch, 1000, 7)).toThrow(
      expect.objectContaining({ errorCode: ErrorCode.MESSAGE_TOO_LARGE }),
    );
  });
});

describe('partition log', () => {
  it('assigns consecutive offsets, rolls segments, and reads them back after reopening', () => {
    const dir = partitionDir();
    const log = PartitionLog.open('t', 0, dir, settings({ segmentBytes: 1024 }));
    const bases = Array.from({ length: 40 }, (_, i) => baseOffset(append(log, [`a${i}`, `b${i}`, `c${i}`])));
    expect(bases).toEqual(Array.from({ length: 40 }, (_, i) => i * 3));
    log.close();
    expect(readdirSync(dir).filter((name) => name.endsWith('.log')).length).toBeGreaterThan(3);

    const reopened = PartitionLog.open('t', 0, dir, settings({ segmentBytes: 1024 }));
    expect(reopened.logEndOffset).toBe(120);
    expect(batchOffsets(reopened, 0)).toEqual(bases);
    expect(batchOffsets(reopened, 61)[0]).toBe(60); // the batch holding offset 61
    expect(baseOffset(append(reopened, ['next']))).toBe(120);
    reopened.close();
  });

  it('cuts a torn tail on open and keeps everything before it', () => {
    const dir = partitionDir();
    const s = settings();
    const log = PartitionLog.open('t', 0, dir, s);
    for (let i = 0; i < 5; i++) append(log, [`v${i}`]);
    log.close();
    const segment = join(dir, '00000000000000000000.log');
    const whole = statSync(segment).size;
    // A crash in the middle of writing a sixth batch: only part of it reached the file.
    appendFileSync(segment, buildRecordBatch({ values: ['torn'] }).subarray(0, 30));

    const reopened = PartitionLog.open('t', 0, dir, s);
    expect(reopened.logEndOffset).toBe(5);
    expect(statSync(segment).size).toBe(whole);
    expect(s.lines.some((line) => line.includes('cut a torn or corrupt tail of 30 bytes'))).toBe(true);
    expect(baseOffset(append(reopened, ['after']))).toBe(5);
    reopened.close();
  });

  it('cuts a batch whose bytes were damaged on disk, found by its CRC', () => {
    const dir = partitionDir();
    const log = PartitionLog.open('t', 0, dir, settings());
    for (let i = 0; i < 3; i++) append(log, [`value-${i}`]);
    log.close();
    const segment = join(dir, '00000000000000000000.log');
    const size = statSync(segment).size;
    truncateSync(segment, size - 1); // the last batch loses its final byte
    appendFileSync(segment, Buffer.from([0x42]));

    const reopened = PartitionLog.open('t', 0, dir, settings());
    expect(reopened.logEndOffset).toBe(2);
    reopened.close();
  });

  it('answers a retried idempotent batch with its first offset, also after a restart', () => {
    const dir = partitionDir();
    const batch = { values: ['x', 'y'], producerId: 7, producerEpoch: 0, baseSequence: 0 };
    const log = PartitionLog.open('t', 0, dir, settings());
    expect(append(log, batch.values, batch)).toMatchObject({ baseOffset: 0, duplicate: false });
    expect(append(log, batch.values, batch)).toMatchObject({ baseOffset: 0, duplicate: true });
    log.close();
    const reopened = PartitionLog.open('t', 0, dir, settings());
    expect(append(reopened, batch.values, batch)).toMatchObject({ baseOffset: 0, duplicate: true });
    expect(append(reopened, ['z'], { ...batch, values: ['z'], baseSequence: 5 })).toMatchObject({
      errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    });
    expect(append(reopened, ['z'], { ...batch, values: ['z'], baseSequence: 2 })).toMatchObject({ baseOffset: 2 });
    expect(reopened.logEndOffset).toBe(3);
    reopened.close();
  });

  it('deletes whole old segments by size, never the active one', () => {
    const dir = partitionDir();
    const log = PartitionLog.open('t', 0, dir, settings({ segmentBytes: 1024, retentionBytes: 2048 }));
    for (let i = 0; i < 100; i++) append(log, [`value-${i}-${'x'.repeat(50)}`]);
    log.enforceRetention();
    expect(log.sizeBytes).toBeLessThanOrEqual(2048 + 1024);
    expect(log.logStartOffset).toBeGreaterThan(0);
    expect(log.logEndOffset).toBe(100);
    expect(batchOffsets(log, log.logStartOffset)[0]).toBe(log.logStartOffset);
    const files = readdirSync(dir).filter((name) => name.endsWith('.log'));
    expect(Number(files.sort()[0]?.slice(0, 20))).toBe(log.logStartOffset);
    log.close();
  });

  it('deletes whole segments older than the retention time', () => {
    const dir = partitionDir();
    const log = PartitionLog.open('t', 0, dir, settings({ segmentBytes: 512, retentionMs: 60_000 }));
    const now = Date.now();
    for (let i = 0; i < 20; i++)
      append(log, [`old-${i}-${'x'.repeat(40)}`], { values: [], timestamp: now - 3_600_000 });
    const firstNew = log.logEndOffset;
    for (let i = 0; i < 20; i++) append(log, [`new-${i}-${'x'.repeat(40)}`], { values: [], timestamp: now });
    log.enforceRetention(now);
    // Only segments made entirely of old batches go; the one where old meets new stays.
    expect(log.logStartOffset).toBeGreaterThan(0);
    expect(log.logStartOffset).toBeLessThanOrEqual(firstNew);
    expect(log.logEndOffset).toBe(40);
    log.close();
  });
});
