import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { keyedBatch, type TestRecord } from '../testing/record-batches.js';
import { offsetForTimestamp, offsetOfMaxTimestamp } from './offset-lookup.js';
import { PartitionLog } from './partition-log.js';
import { Compression, validateProducedBatch } from './record-batch.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function openLog(segmentBytes = 1 << 24): PartitionLog {
  const dir = mkdtempSync(join(tmpdir(), 'tickstream-lookup-test-'));
  dirs.push(dir);
  return PartitionLog.open('t', 0, dir, { segmentBytes, retentionMs: -1, retentionBytes: -1, log: () => {} });
}

async function append(log: PartitionLog, records: TestRecord[], codec: number = Compression.none): Promise<void> {
  const batch = await keyedBatch(records, codec);
  const result = log.append(batch, validateProducedBatch(batch, 1 << 24, 7));
  if (!('baseOffset' in result)) throw new Error(result.message);
}

/** The answer by definition: the first record in offset order at or after the log start with a timestamp ≥ target. */
function expected(all: { offset: number; timestamp: number }[], target: number, start = 0) {
  const found = all.find((record) => record.offset >= start && record.timestamp >= target);
  return found === undefined ? null : { offset: found.offset, timestamp: found.timestamp };
}

const BASE = 1_700_000_000_000;
// Timestamps that wander: not every later record is newer, as with several producers' clocks.
const wandering = (i: number): number => BASE + i * 10 + ((i * 7919) % 13) * 3 - 18;

describe('offset lookup by timestamp, at record precision', () => {
  for (const [name, codec] of Object.entries(Compression)) {
    it(`finds the exact record inside one large ${name} batch, with its own timestamp`, async () => {
      const log = openLog();
      const records = Array.from({ length: 2000 }, (_, i) => ({
        key: `k${i % 50}`,
        value: `value-${i}-${'x'.repeat(i % 40)}`,
        timestamp: wandering(i),
      }));
      await append(log, records, codec);
      const all = records.map((record, offset) => ({ offset, timestamp: record.timestamp }));
      for (const target of [0, BASE - 100, BASE, BASE + 1, BASE + 5_003, BASE + 9_999, BASE + 19_970, BASE + 50_000]) {
        expect(await offsetForTimestamp(log, target), `target ${target - BASE}`).toEqual(expected(all, target));
      }
      // Every record's own timestamp finds a record at or before it, never a later one.
      for (let i = 0; i < records.length; i += 97) {
        const found = await offsetForTimestamp(log, all[i]?.timestamp ?? 0);
        expect(found).toEqual(expected(all, all[i]?.timestamp ?? 0));
        expect(found?.offset).toBeLessThanOrEqual(i);
      }
      const max = Math.max(...all.map((record) => record.timestamp));
      expect(await offsetOfMaxTimestamp(log)).toEqual({
        offset: all.findIndex((r) => r.timestamp === max),
        timestamp: max,
      });
      log.close();
    });
  }

  it('searches across segments and batches, and skips records below the log start', async () => {
    const log = openLog(4096);
    const all: { offset: number; timestamp: number }[] = [];
    for (let batch = 0; batch < 60; batch++) {
      const records = Array.from({ length: 25 }, (_, i) => ({
        key: `k${i}`,
        value: `v${batch}-${i}-${'y'.repeat(30)}`,
        timestamp: wandering(batch * 25 + i),
      }));
      for (const record of records) all.push({ offset: all.length, timestamp: record.timestamp });
      await append(log, records, batch % 2 === 0 ? Compression.lz4 : Compression.none);
    }
    expect(log.segmentList.length).toBeGreaterThan(5);
    for (const target of [BASE, BASE + 3_333, BASE + 7_771, BASE + 14_000, BASE + 14_990, BASE + 15_100]) {
      expect(await offsetForTimestamp(log, target)).toEqual(expected(all, target));
    }
    // DeleteRecords to the middle of a batch: records below it are gone for lookups too.
    log.deleteRecordsBefore(512);
    expect(log.logStartOffset).toBe(512);
    for (const target of [0, BASE + 5_000, BASE + 5_120, BASE + 9_000]) {
      expect(await offsetForTimestamp(log, target)).toEqual(expected(all, target, 512));
    }
    log.close();
  });

  it('answers null for an empty log and past the newest record', async () => {
    const log = openLog();
    expect(await offsetForTimestamp(log, 0)).toBeNull();
    expect(await offsetOfMaxTimestamp(log)).toBeNull();
    await append(log, [{ key: 'a', value: 'b', timestamp: BASE }]);
    expect(await offsetForTimestamp(log, BASE + 1)).toBeNull();
    log.close();
  });
});
