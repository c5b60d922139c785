import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../protocol/errors.js';
import { buildRecordBatch } from '../testing/record-batch-builder.js';
import { buildControlBatch, ControlType, controlTypeOf } from './control-batch.js';
import { PartitionLog, type PartitionSettings } from './partition-log.js';
import { PartitionTransactions } from './partition-transactions.js';
import { BatchField, CONTROL, crcMatches, LOG_OVERHEAD, TRANSACTIONAL, validateProducedBatch } from './record-batch.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const settings: PartitionSettings = { segmentBytes: 1 << 20, retentionMs: -1, retentionBytes: -1, log: () => {} };

function openLog(dir?: string): { log: PartitionLog; dir: string } {
  const at = dir ?? mkdtempSync(join(tmpdir(), 'tickstream-txn-log-'));
  if (dir === undefined) dirs.push(at);
  return { log: PartitionLog.open('t', 0, at, settings), dir: at };
}

/** Appends a (transactional) batch of `values` for producer `producerId`; returns its base offset. */
function append(
  log: PartitionLog,
  values: string[],
  producer?: { id: number; epoch: number; sequence: number; transactional: boolean },
): number {
  const batch = buildRecordBatch({
    values,
    producerId: producer?.id,
    producerEpoch: producer?.epoch,
    baseSequence: producer?.sequence,
    transactional: producer?.transactional,
  });
  const result = log.append(batch, validateProducedBatch(batch, 1 << 20, 7));
  if (!('baseOffset' in result)) throw new Error(`append failed: ${result.message}`);
  return result.baseOffset;
}

const marker = (producerId: number, commit: boolean, producerEpoch = 0) => ({
  producerId,
  producerEpoch,
  commit,
  coordinatorEpoch: 0,
  timestamp: Date.now(),
});

/** [baseOffset, isControl] of every batch from `offset` up to `endOffset`. */
function batches(log: PartitionLog, offset = 0, endOffset = Number.POSITIVE_INFINITY): [number, boolean][] {
  const bytes = log.read(offset, 1 << 30, true, endOffset);
  const found: [number, boolean][] = [];
  for (let at = 0; at < bytes.length; at += LOG_OVERHEAD + bytes.readInt32BE(at + BatchField.batchLength)) {
    found.push([Number(bytes.readBigInt64BE(at)), (bytes.readInt16BE(at + BatchField.attributes) & CONTROL) !== 0]);
  }
  return found;
}

describe('transaction markers', () => {
  it('builds a control batch clients can check and read: CRC, attributes, producer, marker type', () => {
    for (const commit of [true, false]) {
      const batch = buildControlBatch({
        producerId: 42,
        producerEpoch: 3,
        commit,
        coordinatorEpoch: 7,
        timestamp: 1000,
      });
      expect(crcMatches(batch)).toBe(true);
      expect(batch.readInt16BE(BatchField.attributes)).toBe(TRANSACTIONAL | CONTROL);
      expect(Number(batch.readBigInt64BE(BatchField.producerId))).toBe(42);
      expect(batch.readInt16BE(BatchField.producerEpoch)).toBe(3);
      expect(batch.readInt32BE(BatchField.baseSequence)).toBe(-1);
      expect(controlTypeOf(batch)).toBe(commit ? ControlType.commit : ControlType.abort);
    }
  });

  it('refuses control batches from clients, and transactional ones without a producer id', () => {
    const control = buildControlBatch({
      producerId: 1,
      producerEpoch: 0,
      commit: true,
      coordinatorEpoch: 0,
      timestamp: 0,
    });
    expect(() => validateProducedBatch(control, 1 << 20, 7)).toThrow(
      expect.objectContaining({ errorCode: ErrorCode.INVALID_RECORD }),
    );
    const anonymous = buildRecordBatch({ values: ['x'], transactional: true });
    expect(() => validateProducedBatch(anonymous, 1 << 20, 7)).toThrow(
      expect.objectContaining({ errorCode: ErrorCode.INVALID_RECORD }),
    );
  });
});

describe('partition transactions', () => {
  it('holds the last-stable offset at the oldest open transaction until its marker', () => {
    const { log } = openLog();
    append(log, ['plain']);
    const first = append(log, ['a1', 'a2'], { id: 1, epoch: 0, sequence: 0, transactional: true });
    append(log, ['b1'], { id: 2, epoch: 0, sequence: 0, transactional: true });
    append(log, ['a3'], { id: 1, epoch: 0, sequence: 2, transactional: true });
    expect(log.logEndOffset).toBe(5);
    expect(log.lastStableOffset).toBe(first);
    // read_committed reads stop before the LSO.
    expect(batches(log, 0, log.lastStableOffset)).toEqual([[0, false]]);

    log.appendMarker(marker(1, false));
    expect(log.lastStableOffset).toBe(3); // producer 2's transaction is still open
    log.appendMarker(marker(2, true));
    expect(log.lastStableOffset).toBe(log.logEndOffset);
    expect(log.abortedTransactions(0, log.logEndOffset)).toEqual([{ producerId: 1, firstOffset: 1 }]);
    log.close();
  });

  it('rebuilds open transactions, aborted ones and producer epochs from the log when reopened', () => {
    const { log, dir } = openLog();
    append(log, ['x'], { id: 5, epoch: 0, sequence: 0, transactional: true });
    log.appendMarker(marker(5, false, 1)); // the coordinator fenced epoch 0 and aborted
    append(log, ['y'], { id: 6, epoch: 0, sequence: 0, transactional: true });
    log.close();

    const reopened = PartitionLog.open('t', 0, dir, settings);
    expect(reopened.lastStableOffset).toBe(2);
    expect(reopened.hasOpenTransaction(6)).toBe(true);
    expect(reopened.hasOpenTransaction(5)).toBe(false);
    expect(reopened.abortedTransactions(0, 10)).toEqual([{ producerId: 5, firstOffset: 0 }]);
    expect(reopened.producerEpoch(5)).toBe(1);
    // The fenced epoch is refused by the partition itself.
    const zombie = buildRecordBatch({
      values: ['z'],
      producerId: 5,
      producerEpoch: 0,
      baseSequence: 1,
      transactional: true,
    });
    expect(reopened.append(zombie, validateProducedBatch(zombie, 1 << 20, 7))).toMatchObject({
      errorCode: ErrorCode.INVALID_PRODUCER_EPOCH,
    });
    reopened.close();
  });

  it('refuses a plain batch from a producer whose transaction is open there', () => {
    const { log } = openLog();
    append(log, ['in'], { id: 9, epoch: 0, sequence: 0, transactional: true });
    const plain = buildRecordBatch({ values: ['out'], producerId: 9, producerEpoch: 0, baseSequence: 1 });
    expect(log.append(plain, validateProducedBatch(plain, 1 << 20, 7))).toMatchObject({
      errorCode: ErrorCode.INVALID_TXN_STATE,
    });
    log.close();
  });

  it('a marker without an open transaction takes an offset and decides nothing', () => {
    const { log } = openLog();
    log.appendMarker(marker(3, false));
    expect(log.logEndOffset).toBe(1);
    expect(log.lastStableOffset).toBe(1);
    expect(log.hasAbortedTransactions).toBe(false);
    log.close();
  });
});

describe('aborted-transaction index', () => {
  it('lists exactly the aborted transactions overlapping a range, however they interleave', () => {
    // Random interleavings of transactions of 4 producers, checked against a brute-force scan.
    let seed = 7;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return Math.floor((seed / 2147483648) * n); // the high bits: an LCG's low bits cycle
    };
    for (let round = 0; round < 50; round++) {
      const index = new PartitionTransactions();
      const all: { producerId: number; firstOffset: number; lastOffset: number }[] = [];
      const open = new Map<number, number>();
      let offset = 0;
      for (let step = 0; step < 60; step++) {
        const producerId = next(4);
        if (open.has(producerId) && next(3) === 0) {
          const commit = next(2) === 0;
          if (!commit) all.push({ producerId, firstOffset: open.get(producerId) as number, lastOffset: offset });
          index.onMarker(producerId, offset, commit, offset + 1);
          open.delete(producerId);
        } else {
          if (!open.has(producerId)) open.set(producerId, offset);
          index.onTransactionalBatch(producerId, offset);
        }
        offset++;
      }
      for (let from = 0; from < offset; from += 3) {
        for (const to of [from + 1, from + 7, offset]) {
          const expected = all
            .filter((t) => t.lastOffset >= from && t.firstOffset < to)
            .map(({ producerId, firstOffset }) => ({ producerId, firstOffset }));
          expect(index.abortedWithin(from, to)).toEqual(expected);
        }
      }
    }
  });
});
