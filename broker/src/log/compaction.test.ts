import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { keyedBatch, type TestRecord } from '../testing/record-batches.js';
import { clean } from './compaction.js';
import { ControlType, controlTypeOf } from './control-batch.js';
import { LogCleaner } from './log-cleaner.js';
import { PartitionLog } from './partition-log.js';
import { BatchAttribute, Compression, crcMatches, LOG_OVERHEAD, validateProducedBatch } from './record-batch.js';
import { batchFields, deleteHorizon, readRecords } from './records.js';
import { topicSettings } from './topic-config.js';

const dirs: string[] = [];
const cleaners: LogCleaner[] = [];
afterEach(async () => {
  for (const cleaner of cleaners.splice(0)) await cleaner.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const SEGMENT_BYTES = 2048;

function partitionDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tickstream-compaction-test-'));
  dirs.push(dir);
  return dir;
}

function openLog(dir: string, lines: string[] = []): PartitionLog {
  return PartitionLog.open('t', 0, dir, {
    segmentBytes: SEGMENT_BYTES,
    retentionMs: -1,
    retentionBytes: -1,
    log: (line) => lines.push(line),
  });
}

/** A cleaner over one log, run by hand (its own timer waits an hour). */
function cleanerFor(log: PartitionLog, configs: Record<string, string> = {}): LogCleaner {
  const settings = topicSettings(
    { 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0', 'segment.bytes': String(1 << 20), ...configs },
    { retentionMs: -1, retentionBytes: -1, segmentBytes: SEGMENT_BYTES, maxMessageBytes: 1 << 20 },
  );
  // The cleaner groups segments up to segment.bytes; keep groups small like the log's own segments.
  settings.segmentBytes = SEGMENT_BYTES * 2;
  const cleaner = new LogCleaner(() => [{ log, settings }], {
    backoffMs: 3_600_000,
    maxMapBytes: 1 << 24,
    dutyCycle: 1,
    log: () => {},
  });
  cleaners.push(cleaner);
  return cleaner;
}

const NOW = Date.now();

async function append(
  log: PartitionLog,
  records: TestRecord[],
  codec: number = Compression.none,
  producer?: { id: number; epoch: number; baseSequence: number },
): Promise<number> {
  const batch = await keyedBatch(records, codec, producer);
  const result = log.append(batch, validateProducedBatch(batch, 1 << 20, 7));
  if (!('baseOffset' in result)) throw new Error(result.message);
  return result.baseOffset;
}

interface Read {
  offset: number;
  key: string | null;
  value: string | null;
}

/** Every record from the log start, batch by batch as a consumer fetches them, checking each batch's CRC. */
async function readAll(log: PartitionLog): Promise<Read[]> {
  const records: Read[] = [];
  for (let next = log.logStartOffset; next < log.logEndOffset; ) {
    const bytes = log.read(next, 1 << 30, true);
    if (bytes.length === 0) break;
    for (let at = 0; at < bytes.length; ) {
      const size = bytes.readInt32BE(at + 8) + LOG_OVERHEAD;
      const batch = bytes.subarray(at, at + size);
      expect(crcMatches(batch)).toBe(true);
      for (const record of await readRecords(batch)) {
        if (record.offset >= next) {
          records.push({
            offset: record.offset,
            key: record.key?.toString() ?? null,
            value: record.value?.toString() ?? null,
          });
        }
      }
      const fields = batchFields(batch);
      next = fields.baseOffset + fields.lastOffsetDelta + 1;
      at += size;
    }
  }
  return records;
}

/** Writes `rounds` updates of each of `keys` keys, one batch per round, some compressed. */
async function writeUpdates(
  log: PartitionLog,
  keys: number,
  rounds: number,
  firstRound = 0,
): Promise<Map<string, { offset: number; value: string }>> {
  const latest = new Map<string, { offset: number; value: string }>();
  for (let round = firstRound; round < firstRound + rounds; round++) {
    const records = Array.from({ length: keys }, (_, k) => ({
      key: `key-${k}`,
      value: `round-${round}-key-${k}-${'v'.repeat(20)}`,
      timestamp: NOW - 60_000 + round,
    }));
    const base = await append(
      log,
      records,
      round % 3 === 0 ? Compression.lz4 : round % 3 === 1 ? Compression.gzip : Compression.none,
    );
    for (const [k, record] of records.entries()) latest.set(`key-${k}`, { offset: base + k, value: record.value });
  }
  return latest;
}

describe('log compaction', () => {
  it('keeps the latest record per key at its offset, never touches the active segment, and survives a reopen', async () => {
    const dir = partitionDir();
    const log = openLog(dir);
    const latest = await writeUpdates(log, 8, 40);
    const segmentsBefore = log.segmentList.length;
    const active = log.segmentList[segmentsBefore - 1];
    const before = await readAll(log);
    const activeRecords = before.filter((record) => record.offset >= (active?.baseOffset ?? 0));
    const endOffset = log.logEndOffset;
    const sizeBefore = log.sizeBytes;

    expect(await cleanerFor(log).runOnce(NOW)).toBe(true);

    const after = await readAll(log);
    expect(log.logEndOffset).toBe(endOffset);
    expect(log.sizeBytes).toBeLessThan(sizeBefore / 2);
    expect(log.segmentList[log.segmentList.length - 1]).toBe(active);
    // The active segment is as it was; below it, one record per key: the latest one there.
    expect(after.filter((record) => record.offset >= (active?.baseOffset ?? 0))).toEqual(activeRecords);
    // The active segment is never read for the key map either (as in Kafka): a key updated there
    // keeps its latest value below it too, until the next cleaning after a roll.
    const cleanedPart = after.filter((record) => record.offset < (active?.baseOffset ?? 0));
    const beforeActive = before.filter((record) => record.offset < (active?.baseOffset ?? 0));
    const latestBelowActive = new Map(beforeActive.map((record) => [record.key, record]));
    expect(cleanedPart).toEqual([...latestBelowActive.values()].sort((a, b) => a.offset - b.offset));
    for (const [key, record] of latest) {
      expect(after.find((r) => r.key === key && r.offset === record.offset)?.value).toBe(record.value);
    }
    const offsets = after.map((record) => record.offset);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    log.close();

    // Offsets now skip ahead between batches and between segments: recovery keeps all of it.
    const lines: string[] = [];
    const reopened = openLog(dir, lines);
    expect(lines).toEqual([]);
    expect(reopened.logEndOffset).toBe(endOffset);
    expect(await readAll(reopened)).toEqual(after);
    expect(await append(reopened, [{ key: 'key-0', value: 'after', timestamp: NOW }])).toBe(endOffset);
    reopened.close();
  });

  it('keeps a tombstone until delete.retention.ms after the cleaning that first saw it, then drops it', async () => {
    const log = openLog(partitionDir());
    await append(log, [
      { key: 'gone', value: 'v1', timestamp: NOW - 60_000 },
      { key: 'kept', value: 'k1', timestamp: NOW - 60_000 },
    ]);
    await append(log, [{ key: 'gone', value: null, timestamp: NOW - 59_000 }]);
    await writeUpdates(log, 4, 30);
    const cleaner = cleanerFor(log, { 'delete.retention.ms': '5000' });
    expect(await cleaner.runOnce(NOW)).toBe(true);

    let records = await readAll(log);
    expect(records.filter((record) => record.key === 'gone')).toEqual([{ offset: 2, key: 'gone', value: null }]);
    expect(records.find((record) => record.key === 'kept')?.value).toBe('k1');
    const horizonBatch = log.read(2, 1, true);
    expect(deleteHorizon(batchFields(horizonBatch))).toBe(NOW + 5000);

    // Before the horizon a later cleaning keeps it; after it, the tombstone goes.
    await writeUpdates(log, 4, 30, 100);
    expect(await cleaner.runOnce(NOW + 4_000)).toBe(true);
    expect((await readAll(log)).some((record) => record.key === 'gone')).toBe(true);
    await writeUpdates(log, 4, 30, 200);
    expect(await cleaner.runOnce(NOW + 5_001)).toBe(true);
    records = await readAll(log);
    expect(records.some((record) => record.key === 'gone')).toBe(false);
    expect(records.find((record) => record.key === 'kept')?.value).toBe('k1');
    expect(cleaner.stats.tombstonesDropped).toBe(1);
    log.close();
  });

  it('leaves records younger than min.compaction.lag.ms, and needs dirt above min.cleanable.dirty.ratio', async () => {
    const log = openLog(partitionDir());
    for (let round = 0; round < 30; round++) {
      await append(log, [{ key: 'k', value: `v${round}-${'p'.repeat(200)}`, timestamp: NOW - 30_000 + round * 1000 }]);
    }
    const before = await readAll(log);
    // Every record is younger than an hour: nothing may go.
    expect(await cleanerFor(log, { 'min.compaction.lag.ms': '3600000' }).runOnce(NOW)).toBe(false);
    expect(await cleanerFor(log, { 'min.cleanable.dirty.ratio': '1' }).runOnce(NOW)).toBe(false);
    expect(await readAll(log)).toEqual(before);
    // A 10 s lag: records of the last 10 s stay, older ones compact (their segments end earlier).
    expect(await cleanerFor(log, { 'min.compaction.lag.ms': '10000' }).runOnce(NOW)).toBe(true);
    const after = await readAll(log);
    for (const record of before) {
      const young = Number(record.value?.slice(1, record.value.indexOf('-'))) >= 20;
      if (young) expect(after).toContainEqual(record);
    }
    expect(after.length).toBeLessThan(before.length);
    log.close();
  });

  it("keeps each idempotent producer's last batch, emptied, so its sequence survives a restart", async () => {
    const dir = partitionDir();
    const log = openLog(dir);
    const producer = { id: 42, epoch: 0, baseSequence: 0 };
    await append(log, [{ key: 'p', value: 'first', timestamp: NOW - 50_000 }], Compression.none, producer);
    await append(log, [{ key: 'p', value: 'second', timestamp: NOW - 50_000 }], Compression.none, {
      ...producer,
      baseSequence: 1,
    });
    await writeUpdates(log, 2, 40);
    await append(log, [{ key: 'p', value: 'newest', timestamp: NOW - 1_000 }]);
    await writeUpdates(log, 2, 20, 100);
    expect(await cleanerFor(log).runOnce(NOW)).toBe(true);
    const kept = log.read(1, 1, true);
    expect(batchFields(kept)).toMatchObject({ baseOffset: 1, producerId: 42, baseSequence: 1, recordCount: 0 });
    expect((await readAll(log)).filter((record) => record.key === 'p').map((record) => record.value)).toEqual([
      'newest',
    ]);
    log.close();
    const reopened = openLog(dir);
    const retry = await keyedBatch([{ key: 'p', value: 'second', timestamp: NOW }], Compression.none, {
      ...producer,
      baseSequence: 1,
    });
    expect(reopened.append(retry, validateProducedBatch(retry, 1 << 20, 7))).toMatchObject({
      baseOffset: 1,
      duplicate: true,
    });
    const next = await keyedBatch([{ key: 'p', value: 'third', timestamp: NOW }], Compression.none, {
      ...producer,
      baseSequence: 2,
    });
    expect(reopened.append(next, validateProducedBatch(next, 1 << 20, 7))).toMatchObject({ duplicate: false });
    reopened.close();
  });

  it('recovers from a crash at any step of a cleaning: before the swap, and half-way through it', async () => {
    const dir = partitionDir();
    const log = openLog(dir);
    await writeUpdates(log, 6, 40);
    const before = await readAll(log);
    const segments = log.segmentList.slice(0, -1);
    const task = {
      dir,
      segments: segments.map((s) => ({ baseOffset: s.baseOffset, path: s.path, size: s.size })),
      firstDirtyOffset: 0,
      endOffset: (log.segmentList[segments.length] as { baseOffset: number }).baseOffset,
      segmentBytes: SEGMENT_BYTES,
      now: NOW,
      deleteRetentionMs: 0,
      keepBatches: [],
      abortedTransactions: [],
      maxMapBytes: 1 << 24,
      dutyCycle: 1,
    };
    const outcome = await clean(task);
    expect(outcome.groups.length).toBeGreaterThan(1);
    log.close();

    // Crash 1: cleaned files written, nothing swapped. Start-up drops them; the log is as it was.
    const lines: string[] = [];
    let reopened = openLog(dir, lines);
    expect(lines.filter((line) => line.includes('had not finished')).length).toBe(outcome.groups.length);
    expect(readdirSync(dir).some((name) => name.endsWith('.cleaned'))).toBe(false);
    expect(await readAll(reopened)).toEqual(before);
    reopened.close();

    // Crash 2: the first group renamed to .swap and one of its old segments already deleted.
    const again = await clean(task);
    const group = again.groups[0] as (typeof again.groups)[number];
    const swap = join(
      dir,
      `${String(group.baseOffset).padStart(20, '0')}-${String(group.endOffset).padStart(20, '0')}.swap`,
    );
    renameSync(group.path, swap);
    rmSync(join(dir, `${String(group.baseOffset).padStart(20, '0')}.log`));
    for (const other of again.groups.slice(1)) rmSync(other.path);
    lines.length = 0;
    reopened = openLog(dir, lines);
    expect(lines.some((line) => line.includes('finished putting cleaned segment'))).toBe(true);
    expect(existsSync(swap)).toBe(false);
    const recovered = await readAll(reopened);
    // The first group is compacted, the rest untouched; nothing that should be kept is lost.
    const latestBefore = new Map(before.map((record) => [record.key, record]));
    for (const record of latestBefore.values()) expect(recovered).toContainEqual(record);
    expect(recovered.length).toBeLessThan(before.length);
    expect(reopened.logEndOffset).toBe((before[before.length - 1]?.offset as number) + 1);
    reopened.close();
  });
});

/** Every COMMIT/ABORT marker batch in the log, with its record count (0 once emptied). */
function markers(log: PartitionLog): { offset: number; type: ControlType | null; records: number }[] {
  const found: { offset: number; type: ControlType | null; records: number }[] = [];
  for (let next = log.logStartOffset; next < log.logEndOffset; ) {
    const bytes = log.read(next, 1 << 30, true);
    if (bytes.length === 0) break;
    for (let at = 0; at < bytes.length; ) {
      const fields = batchFields(bytes, at);
      if (fields.attributes & BatchAttribute.control) {
        found.push({ offset: fields.baseOffset, type: controlTypeOf(bytes, at), records: fields.recordCount });
      }
      next = fields.baseOffset + fields.lastOffsetDelta + 1;
      at += bytes.readInt32BE(at + 8) + LOG_OVERHEAD;
    }
  }
  return found;
}

describe('log compaction of transactional data', () => {
  /** A transaction of producer `id` in this partition: one batch of `records`, then its marker. */
  async function transaction(
    log: PartitionLog,
    producer: { id: number; epoch: number; baseSequence: number },
    records: TestRecord[],
    commit: boolean,
    markerEpoch = producer.epoch,
  ): Promise<{ firstOffset: number; markerOffset: number }> {
    const firstOffset = await append(log, records, BatchAttribute.transactional, producer);
    const markerOffset = log.appendMarker({
      producerId: producer.id,
      producerEpoch: markerEpoch,
      commit,
      coordinatorEpoch: 0,
      timestamp: NOW - 40_000,
    });
    return { firstOffset, markerOffset };
  }

  const at = (timestamp: number) => (key: string, value: string) => ({ key, value, timestamp });

  it('drops aborted records at once, compacts committed ones, and drops markers left alone after delete.retention.ms; a restart agrees', async () => {
    const dir = partitionDir();
    const log = openLog(dir);
    const record = at(NOW - 50_000);
    await append(log, [record('a', 'plain'), record('b', 'plain')]);
    const producer = { id: 7, epoch: 0, baseSequence: 0 };
    await transaction(log, producer, [record('a', 't1'), record('c', 't1')], true);
    const aborted = await transaction(
      log,
      { ...producer, baseSequence: 2 },
      [record('a', 'x'), record('b', 'x')],
      false,
    );
    await transaction(log, { ...producer, baseSequence: 4 }, [record('b', 't3')], true);
    await writeUpdates(log, 4, 30);
    expect(log.abortedTransactions(0, log.logEndOffset)).toEqual([{ producerId: 7, firstOffset: aborted.firstOffset }]);
    const cleaner = cleanerFor(log, { 'delete.retention.ms': '5000' });
    const transactional = async (): Promise<Map<string, string | null>> =>
      new Map(
        (await readAll(log))
          .filter((r) => r.key === 'a' || r.key === 'b' || r.key === 'c')
          .map((r) => [r.key as string, r.value]),
      );

    // 1. The aborted records go, and with them the values they would have hidden nothing of;
    //    committed transactional records replace older plain ones. The ABORT marker stays while
    //    consumers may still hold the records it closes.
    expect(await cleaner.runOnce(NOW)).toBe(true);
    const kept = (await readAll(log)).filter((r) => r.key === 'a' || r.key === 'b' || r.key === 'c');
    expect(kept.map((r) => r.value)).not.toContain('x');
    expect(kept.map((r) => r.value)).not.toContain('plain');
    expect(await transactional()).toEqual(
      new Map([
        ['a', 't1'],
        ['c', 't1'],
        ['b', 't3'],
      ]),
    );
    expect(markers(log).map((m) => m.type)).toEqual([ControlType.commit, ControlType.abort, ControlType.commit]);
    expect(cleaner.stats.abortedRecordsDropped).toBe(2);

    // 2. Now no batch of the aborted transaction is left: its marker gets a delete horizon.
    await writeUpdates(log, 4, 30, 100);
    expect(await cleaner.runOnce(NOW + 1_000)).toBe(true);
    const abortMarker = log.read(aborted.markerOffset, 1, true);
    expect(deleteHorizon(batchFields(abortMarker))).toBe(NOW + 1_000 + 5_000);
    expect(log.abortedTransactions(0, log.logEndOffset)).toHaveLength(1);

    // 3. Past the horizon the ABORT marker goes, and the log no longer lists that abort. Both
    //    COMMIT markers stay: batches of their transactions hold the latest a, b and c.
    await writeUpdates(log, 4, 30, 200);
    expect(await cleaner.runOnce(NOW + 6_001)).toBe(true);
    expect(markers(log).map((m) => m.type)).toEqual([ControlType.commit, ControlType.commit]);
    expect(log.abortedTransactions(0, log.logEndOffset)).toEqual([]);
    expect(log.lastStableOffset).toBe(log.logEndOffset);
    expect(await transactional()).toEqual(
      new Map([
        ['a', 't1'],
        ['c', 't1'],
        ['b', 't3'],
      ]),
    );
    const after = await readAll(log);
    log.close();

    // A restart rebuilds the same transactional state from the cleaned log: no open
    // transaction (the LSO is the log end), no abort listed, and the producer goes on.
    const reopened = openLog(dir);
    expect(await readAll(reopened)).toEqual(after);
    expect(reopened.lastStableOffset).toBe(reopened.logEndOffset);
    expect(reopened.abortedTransactions(0, reopened.logEndOffset)).toEqual([]);
    const next = await keyedBatch([record('a', 't4')], BatchAttribute.transactional, { ...producer, baseSequence: 5 });
    expect(reopened.append(next, validateProducedBatch(next, 1 << 20, 7))).toMatchObject({ duplicate: false });
    reopened.close();
  });

  it('keeps an emptied marker that fenced its producer, so a restart still refuses the old epoch', async () => {
    const dir = partitionDir();
    const log = openLog(dir);
    const record = at(NOW - 50_000);
    const zombie = { id: 9, epoch: 0, baseSequence: 0 };
    // The coordinator fenced the producer: its transaction was aborted with the next epoch.
    const fenced = await transaction(log, zombie, [record('z', 'zombie')], false, 1);
    await writeUpdates(log, 4, 30);
    const cleaner = cleanerFor(log, { 'delete.retention.ms': '0' });
    for (const [round, now] of [NOW, NOW + 1, NOW + 2].entries()) {
      expect(await cleaner.runOnce(now)).toBe(true);
      await writeUpdates(log, 4, 30, 100 * (round + 1));
    }
    expect((await readAll(log)).some((r) => r.key === 'z')).toBe(false);
    expect(markers(log)).toEqual([{ offset: fenced.markerOffset, type: null, records: 0 }]);
    expect(log.abortedTransactions(0, log.logEndOffset)).toEqual([]);
    log.close();

    const reopened = openLog(dir);
    const late = await keyedBatch([record('z', 'late')], Compression.none, { ...zombie, baseSequence: 1 });
    expect(reopened.append(late, validateProducedBatch(late, 1 << 20, 7))).toMatchObject({
      errorCode: 47, // INVALID_PRODUCER_EPOCH
    });
    reopened.close();
  });
});
