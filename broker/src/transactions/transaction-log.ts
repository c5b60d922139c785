import {
  closeSync,
  existsSync,
  fdatasync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  writeSync,
} from 'node:fs';
import { open, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Below this size the file is never rewritten; above it, once it holds 4× the live state. */
const COMPACT_MIN_BYTES = 1024 * 1024;
const COMPACT_RATIO = 4;

/** When a write resolves: once its line is fdatasynced, or once it is in the file. */
export type Durability = 'synced' | 'written';

/** What the log knows about each record: the key its lines are kept by. */
export interface Keyed {
  transactionalId: string;
}

interface Removal {
  transactionalId: string;
  removed: true;
}

/**
 * The transaction coordinator's state on disk, `<dir>/transactions.log`: one JSON line per
 * change, and the last line for a transactional id wins — the same idea as Apache Kafka's
 * compacted `__transaction_state` topic, in one file.
 *
 * - A change is appended with one `write` and is durable once `fdatasync` returns; changes
 *   made in the same event-loop turn share one fdatasync (group commit), and only one runs at
 *   a time. A change written `'written'` resolves once it is in the file (it survives a kill of
 *   the process, not a power cut) and is made durable by the next fdatasync of anyone's change:
 *   the file is appended to in order, so a synced change carries every change before it.
 * - A crash can only tear the last line: at start a line without its newline, or that does not
 *   parse, ends the file, which is cut there.
 * - Once the file reaches 1 MiB and 4× the live lines, it is rewritten with one line per
 *   transactional id (write, fsync, rename) without blocking the event loop.
 */
export class TransactionLog<T extends Keyed> {
  private fd: number;
  private size: number;
  /** The last line written for every live transactional id. */
  private readonly live = new Map<string, string>();
  private liveBytes = 0;
  private waiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  /** `'written'` changes held during a rewrite: resolved once their lines are in the new file. */
  private heldWaiters: (() => void)[] = [];
  private syncing = false;
  private scheduled = false;
  private rewriting = false;
  /** Lines written while the file is being rewritten, appended to the new file after. */
  private readonly held: Buffer[] = [];
  private closed = false;

  private constructor(
    private readonly path: string,
    readonly records: Map<string, T>,
    private readonly log: (line: string) => void,
  ) {
    this.fd = openSync(path, 'a');
    this.size = statSync(path).size;
  }

  /** Reads (and repairs) the log in `dir`; `records` holds the last state of every transactional id. */
  static open<T extends Keyed>(dir: string, log: (line: string) => void): TransactionLog<T> {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'transactions.log');
    const records = new Map<string, T>();
    const lines = new Map<string, string>();
    if (existsSync(path)) {
      const content = readFileSync(path);
      let position = 0;
      for (let end = content.indexOf(10, position); end >= 0; end = content.indexOf(10, position)) {
        const line = content.toString('utf8', position, end);
        const record = parseRecord<T>(line);
        if (record === null) break;
        if ('removed' in record) {
          records.delete(record.transactionalId);
          lines.delete(record.transactionalId);
        } else {
          records.set(record.transactionalId, record);
          lines.set(record.transactionalId, `${line}\n`);
        }
        position = end + 1;
      }
      if (position < content.length) {
        log(`transaction log: cut a torn or corrupt tail of ${content.length - position} bytes`);
        const fd = openSync(path, 'r+');
        ftruncateSync(fd, position);
        closeSync(fd);
      }
    }
    const transactionLog = new TransactionLog<T>(path, records, log);
    for (const [id, line] of lines) transactionLog.remember(id, line);
    return transactionLog;
  }

  /**
   * Appends the new state of one transactional id; resolves once it is on disk (`'synced'`), or
   * once it is in the file (`'written'`: for changes whose loss in a power cut the coordinator
   * recovers from, see transaction-coordinator.ts).
   */
  write(record: T, durability: Durability = 'synced'): Promise<void> {
    return this.append(record.transactionalId, JSON.stringify(record), false, durability);
  }

  /** Forgets a transactional id (expiry); resolves once that is on disk. */
  remove(transactionalId: string): Promise<void> {
    const removal: Removal = { transactionalId, removed: true };
    return this.append(transactionalId, JSON.stringify(removal), true);
  }

  private append(
    transactionalId: string,
    json: string,
    removal: boolean,
    durability: Durability = 'synced',
  ): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the transaction log is closed'));
    const line = `${json}\n`;
    const bytes = Buffer.from(line);
    if (this.rewriting) this.held.push(bytes);
    else this.writeLine(bytes);
    if (removal) this.forget(transactionalId);
    else this.remember(transactionalId, line);
    if (durability === 'written') {
      if (!this.rewriting) return Promise.resolve();
      return new Promise((resolve) => this.heldWaiters.push(resolve));
    }
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      if (!this.scheduled && !this.syncing && !this.rewriting) {
        this.scheduled = true;
        setImmediate(() => this.sync());
      }
    });
  }

  private writeLine(bytes: Buffer): void {
    for (let written = 0; written < bytes.length; )
      written += writeSync(this.fd, bytes, written, bytes.length - written);
    this.size += bytes.length;
  }

  private remember(transactionalId: string, line: string): void {
    this.forget(transactionalId);
    this.live.set(transactionalId, line);
    this.liveBytes += Buffer.byteLength(line);
  }

  private forget(transactionalId: string): void {
    const previous = this.live.get(transactionalId);
    if (previous === undefined) return;
    this.live.delete(transactionalId);
    this.liveBytes -= Buffer.byteLength(previous);
  }

  private sync(): void {
    this.scheduled = false;
    if (this.waiters.length === 0 || this.syncing || this.rewriting) return;
    const waiters = this.waiters;
    this.waiters = [];
    this.syncing = true;
    fdatasync(this.fd, (error) => {
      this.syncing = false;
      for (const waiter of waiters) {
        if (error) waiter.reject(error);
        else waiter.resolve();
      }
      const dead = this.size >= COMPACT_MIN_BYTES && this.size >= COMPACT_RATIO * this.liveBytes;
      if (!error && dead && !this.closed) void this.rewrite();
      else this.carryOn();
    });
  }

  /** After an fdatasync or a rewrite: sync what came meanwhile, or close if asked to. */
  private carryOn(): void {
    if (this.waiters.length > 0) this.sync();
    else if (this.closed) closeSync(this.fd);
  }

  /**
   * Rewrites the file as one line per live id (write, fsync, rename) off the event loop. Changes
   * made meanwhile are held in memory and appended to the new file once it is in place; their
   * callers wait for the fdatasync after that, so nothing is answered from a file about to be
   * replaced.
   */
  private async rewrite(): Promise<void> {
    this.rewriting = true;
    const content = [...this.live.values()].join('');
    const temporary = `${this.path}.tmp`;
    try {
      await writeFile(temporary, content);
      const handle = await open(temporary, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, this.path);
      closeSync(this.fd);
      this.fd = openSync(this.path, 'a');
      this.log(`transaction log: rewrote ${this.size} bytes as ${content.length}`);
      this.size = Buffer.byteLength(content);
    } catch (error) {
      this.log(`transaction log: could not rewrite ${this.path}: ${(error as Error).message}`);
    } finally {
      this.rewriting = false;
      for (const bytes of this.held.splice(0)) this.writeLine(bytes);
      for (const resolve of this.heldWaiters.splice(0)) resolve();
      this.carryOn();
    }
  }

  /** Stops accepting changes; the descriptor closes once the last fdatasync or rewrite is done. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.syncing && !this.rewriting) this.carryOn();
  }
}

function parseRecord<T extends Keyed>(line: string): T | Removal | null {
  try {
    const value = JSON.parse(line) as unknown;
    if (typeof value !== 'object' || value === null) return null;
    if (typeof (value as Keyed).transactionalId !== 'string') return null;
    return value as T | Removal;
  } catch {
    return null;
  }
}
