import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TransactionLog } from './transaction-log.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface Counter {
  transactionalId: string;
  count: number;
}

describe('transaction log', () => {
  it("resolves a 'written' change once it is in the file, without waiting for an fdatasync", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tickstream-txn-state-'));
    dirs.push(dir);
    const log = TransactionLog.open<Counter>(dir, () => {});
    // A synced change resolves in fdatasync's callback, after the event loop's check phase.
    let checkPhase = false;
    setImmediate(() => {
      checkPhase = true;
    });
    await log.write({ transactionalId: 'a', count: 1 }, 'written');
    expect(checkPhase).toBe(false);
    expect(readFileSync(join(dir, 'transactions.log'), 'utf8')).toContain('"count":1');
    await log.write({ transactionalId: 'b', count: 2 });
    expect(checkPhase).toBe(true);
    log.close();

    // Read back as a restarted broker reads it (the process killed: the file as written).
    const reopened = TransactionLog.open<Counter>(dir, () => {});
    expect(reopened.records.get('a')?.count).toBe(1);
    expect(reopened.records.get('b')?.count).toBe(2);
    reopened.close();
  });

  it('rewrites itself once dead lines dominate, keeping the last state of every id', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tickstream-txn-state-'));
    dirs.push(dir);
    const lines: string[] = [];
    const log = TransactionLog.open<Counter>(dir, (line) => lines.push(line));
    // ~2 MiB of changes to 10 ids, in batches that share an fdatasync.
    for (let round = 0; round < 400; round++) {
      const writes: Promise<void>[] = [];
      for (let i = 0; i < 100; i++) {
        writes.push(log.write({ transactionalId: `id-${i % 10}`, count: round * 100 + i }));
      }
      await Promise.all(writes);
    }
    await log.remove('id-9');
    log.close();
    expect(lines.some((line) => line.startsWith('transaction log: rewrote'))).toBe(true);
    expect(statSync(join(dir, 'transactions.log')).size).toBeLessThan(1024 * 1024);

    const reopened = TransactionLog.open<Counter>(dir, () => {});
    expect(reopened.records.size).toBe(9);
    for (let i = 0; i < 9; i++) expect(reopened.records.get(`id-${i}`)?.count).toBe(39_990 + i);
    reopened.close();
  });
});
