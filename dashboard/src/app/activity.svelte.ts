import type { LogEntry } from '../engine/index.js';

const LIMIT = 500;

/** The Activity log: connection events, resyncs, market events, newest first. */
class Activity {
  entries = $state.raw<LogEntry[]>([]);

  add(entry: LogEntry): void {
    this.entries = [entry, ...this.entries.slice(0, LIMIT - 1)];
  }

  clear(): void {
    this.entries = [];
  }
}

export const activity = new Activity();
