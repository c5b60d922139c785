import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeDurably } from '../log/index.js';

/** Longest offset metadata kept (Kafka's offset.metadata.max.bytes); longer is OFFSET_METADATA_TOO_LARGE. */
export const MAX_OFFSET_METADATA_CHARS = 4096;

export interface CommittedOffset {
  offset: number;
  metadata: string | null;
  /** OffsetCommit v6+: the leader epoch of the record consumed last; -1 or absent when unknown. */
  leaderEpoch?: number;
}

type Snapshot = Record<string, Record<string, Record<string, CommittedOffset>>>;

/**
 * Committed group offsets, kept in memory and written to `<dataDir>/__consumer_offsets/offsets.json`
 * by write + fsync + rename: a crash leaves the previous or the new file, never half of one.
 * Commits in the same event-loop turn share one write; a commit is answered after it.
 * Rewriting the whole file is fine for a development broker's handful of groups.
 */
export class OffsetStore {
  private readonly offsets = new Map<string, Map<string, CommittedOffset>>();
  private readonly path: string;
  private waiters: { resolve: () => void; reject: (error: Error) => void }[] = [];

  constructor(dataDir: string) {
    const dir = join(dataDir, '__consumer_offsets');
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, 'offsets.json');
    if (existsSync(this.path)) {
      const snapshot = JSON.parse(readFileSync(this.path, 'utf8')) as Snapshot;
      for (const [group, topics] of Object.entries(snapshot)) {
        const entries = new Map<string, CommittedOffset>();
        for (const [topic, partitions] of Object.entries(topics)) {
          for (const [partition, committed] of Object.entries(partitions))
            entries.set(key(topic, Number(partition)), committed);
        }
        this.offsets.set(group, entries);
      }
    }
  }

  get(group: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.offsets.get(group)?.get(key(topic, partition));
  }

  /** Every (topic, partition) the group has committed. */
  partitions(group: string): { topic: string; partition: number }[] {
    return [...(this.offsets.get(group)?.keys() ?? [])].map((entry) => {
      const at = entry.lastIndexOf(':');
      return { topic: entry.slice(0, at), partition: Number(entry.slice(at + 1)) };
    });
  }

  hasGroup(group: string): boolean {
    return this.offsets.has(group);
  }

  groups(): string[] {
    return [...this.offsets.keys()];
  }

  /** Forgets every offset of the group; resolves once that is on disk. */
  deleteGroup(group: string): Promise<void> {
    this.offsets.delete(group);
    return this.persistSoon();
  }

  /** Stores the commits and resolves once they are on disk. */
  commit(group: string, commits: { topic: string; partition: number; committed: CommittedOffset }[]): Promise<void> {
    let entries = this.offsets.get(group);
    if (entries === undefined) {
      entries = new Map();
      this.offsets.set(group, entries);
    }
    for (const { topic, partition, committed } of commits) entries.set(key(topic, partition), committed);
    return this.persistSoon();
  }

  private persistSoon(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      if (this.waiters.length === 1) setImmediate(() => this.persist());
    });
  }

  private persist(): void {
    const waiters = this.waiters;
    this.waiters = [];
    try {
      const snapshot: Snapshot = {};
      for (const [group, entries] of this.offsets) {
        const topics: Record<string, Record<string, CommittedOffset>> = {};
        for (const [entry, committed] of entries) {
          const at = entry.lastIndexOf(':');
          const topic = entry.slice(0, at);
          topics[topic] ??= {};
          (topics[topic] as Record<string, CommittedOffset>)[entry.slice(at + 1)] = committed;
        }
        snapshot[group] = topics;
      }
      writeDurably(this.path, JSON.stringify(snapshot));
      for (const waiter of waiters) waiter.resolve();
    } catch (error) {
      for (const waiter of waiters) waiter.reject(error as Error);
    }
  }
}

function key(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}
