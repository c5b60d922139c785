import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CleanReply } from './cleaner-worker.js';
import type { CleanOutcome, CleanTask } from './compaction.js';
import type { PartitionLog } from './partition-log.js';
import type { Segment, TrackedBatch } from './segment.js';
import type { TopicSettings } from './topic-config.js';

/*
 * Log compaction's scheduler (Apache Kafka's LogCleanerManager): every `backoffMs` it picks the
 * compacted partition with the largest share of uncleaned bytes above its
 * min.cleanable.dirty.ratio (or past max.compaction.lag.ms), has the cleaner thread clean it
 * (compaction.ts), and swaps the cleaned segments in. Only closed segments are cleaned, never
 * the active one, nor records younger than min.compaction.lag.ms or past the last stable
 * offset. Produce and Fetch go on meanwhile: the thread only reads files the log no longer
 * writes, and the swap is a few renames.
 */

export interface CleanerSettings {
  /** Pause between looks for work when there was none (Kafka's log.cleaner.backoff.ms). */
  backoffMs: number;
  /** Bound on one cleaning's key map (Kafka's log.cleaner.dedupe.buffer.size). */
  maxMapBytes: number;
  /** Share of wall time the cleaner thread may compute (compaction.ts). */
  dutyCycle: number;
  log: (line: string) => void;
}

export interface CleanablePartition {
  log: PartitionLog;
  settings: TopicSettings;
}

/** Totals since start, for benchmarks and logs. */
export interface CleanerStats {
  cleanings: number;
  bytesRead: number;
  bytesWritten: number;
  recordsRead: number;
  recordsKept: number;
  tombstonesDropped: number;
  abortedRecordsDropped: number;
  markersDropped: number;
  /** Wall time spent with a cleaning in flight. */
  busyMs: number;
}

interface Plan {
  partition: CleanablePartition;
  task: CleanTask;
  segments: readonly Segment[];
  dirtyRatio: number;
}

/** The compiled worker; under vitest (sources as .ts) the build's copy (npm test builds first). */
function workerFile(): URL {
  const beside = new URL('./cleaner-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  const built = new URL('../../dist/log/cleaner-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new Error(`the log cleaner's worker is not built (${fileURLToPath(beside)}): run npm run build`);
}

export class LogCleaner {
  private worker: Worker | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private closed = false;
  /** Per partition: offsets below this are clean (Kafka's cleaner-offset-checkpoint; in memory). */
  private readonly firstDirty = new WeakMap<PartitionLog, number>();
  readonly stats: CleanerStats = {
    cleanings: 0,
    bytesRead: 0,
    bytesWritten: 0,
    recordsRead: 0,
    recordsKept: 0,
    tombstonesDropped: 0,
    abortedRecordsDropped: 0,
    markersDropped: 0,
    busyMs: 0,
  };

  constructor(
    private readonly partitions: () => Iterable<CleanablePartition>,
    private readonly settings: CleanerSettings,
  ) {
    this.schedule(this.backoffMs);
  }

  private get backoffMs(): number {
    return Math.max(10, this.settings.backoffMs);
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.running = this.runOnce()
        .then((cleaned) => this.schedule(cleaned ? 0 : this.backoffMs))
        .catch((error: Error) => {
          this.settings.log(`log cleaner: ${error.stack ?? error.message}`);
          this.schedule(this.backoffMs);
        });
    }, delayMs);
    this.timer.unref();
  }

  /** Cleans the filthiest partition, if one needs it; true if it cleaned one. */
  async runOnce(now = Date.now()): Promise<boolean> {
    let best: Plan | null = null;
    for (const partition of this.partitions()) {
      if (!partition.settings.compact) continue;
      // compact,delete: retention runs here too, at the cleaner's pace, as Kafka's cleaner thread does it.
      if (partition.settings.delete) partition.log.enforceRetention(now);
      const plan = this.plan(partition, now);
      if (plan !== null && (best === null || plan.dirtyRatio > best.dirtyRatio)) best = plan;
    }
    if (best === null || this.closed) return false;
    const started = performance.now();
    const outcome = await this.runTask(best.task);
    this.stats.busyMs += performance.now() - started;
    if (outcome === null) return false;
    await this.install(best, outcome);
    return true;
  }

  private plan(partition: CleanablePartition, now: number): Plan | null {
    const { log, settings } = partition;
    const segments = log.segmentList;
    const start = log.logStartOffset;
    let firstDirty = this.firstDirty.get(log) ?? start;
    if (firstDirty < start || firstDirty > log.logEndOffset) firstDirty = start;
    // Never the active segment, no open transaction, nothing younger than the lag.
    let boundary = Math.min((segments[segments.length - 1] as Segment).baseOffset, log.firstUnstableOffset);
    if (settings.minCompactionLagMs > 0) {
      const young = segments.find(
        (segment) => segment.nextOffset > firstDirty && segment.maxTimestamp > now - settings.minCompactionLagMs,
      );
      if (young !== undefined) boundary = Math.min(boundary, young.baseOffset);
    }
    let count = 0;
    while (count < segments.length - 1 && (segments[count + 1] as Segment).baseOffset <= boundary) count++;
    const cleanable = segments.slice(0, count);
    const endOffset = (segments[count] as Segment).baseOffset;
    let cleanBytes = 0;
    let dirtyBytes = 0;
    let oldestDirty = Number.POSITIVE_INFINITY;
    for (const [i, segment] of cleanable.entries()) {
      const end = (segments[i + 1] as Segment).baseOffset;
      if (end <= firstDirty) cleanBytes += segment.size;
      else {
        dirtyBytes += segment.size;
        if (segment.firstBatchTimestamp !== null && segment.firstBatchTimestamp > 0)
          oldestDirty = Math.min(oldestDirty, segment.firstBatchTimestamp);
      }
    }
    if (dirtyBytes === 0) return null;
    const dirtyRatio = dirtyBytes / (cleanBytes + dirtyBytes);
    const overdue = oldestDirty < now - settings.maxCompactionLagMs;
    if (!overdue && !(dirtyRatio > settings.minCleanableDirtyRatio)) return null;
    return {
      partition,
      segments: cleanable,
      dirtyRatio,
      task: {
        dir: log.directory,
        segments: cleanable.map((segment) => ({
          baseOffset: segment.baseOffset,
          path: segment.path,
          size: segment.size,
        })),
        firstDirtyOffset: firstDirty,
        endOffset,
        segmentBytes: settings.segmentBytes,
        now,
        deleteRetentionMs: settings.deleteRetentionMs,
        keepBatches: log.producerLastBatches(),
        abortedTransactions: log.abortedTransactionRanges((segments[0] as Segment).baseOffset, endOffset),
        maxMapBytes: this.settings.maxMapBytes,
        dutyCycle: this.settings.dutyCycle,
      },
    };
  }

  private runTask(task: CleanTask): Promise<CleanOutcome | null> {
    if (this.worker === null) {
      this.worker = new Worker(workerFile());
      this.worker.unref();
    }
    const worker = this.worker;
    return new Promise((resolve, reject) => {
      const onExit = (code: number): void => {
        this.worker = null;
        if (this.closed) resolve(null);
        else reject(new Error(`the cleaner thread exited with code ${code}`));
      };
      worker.once('exit', onExit);
      worker.once('message', (reply: CleanReply) => {
        worker.off('exit', onExit);
        if (reply.ok) resolve(reply.outcome);
        else reject(new Error(`cleaning ${task.dir} failed: ${reply.error}`));
      });
      worker.postMessage(task);
    });
  }

  private async install(plan: Plan, outcome: CleanOutcome): Promise<void> {
    const { log } = plan.partition;
    let installed = true;
    for (const group of outcome.groups) {
      const replaced = plan.segments.filter(
        (segment) => segment.baseOffset >= group.baseOffset && segment.baseOffset < group.endOffset,
      );
      const batches = trackedBatches(group.batches);
      installed =
        (await log.installCleaned(replaced, group.path, group.endOffset, batches, group.droppedAbortMarkers)) &&
        installed;
      this.stats.bytesRead += group.bytesRead;
      this.stats.bytesWritten += group.bytesWritten;
    }
    if (installed) this.firstDirty.set(log, outcome.cleanedUpTo);
    this.stats.cleanings++;
    this.stats.recordsRead += outcome.recordsRead;
    this.stats.recordsKept += outcome.recordsKept;
    this.stats.tombstonesDropped += outcome.tombstonesDropped;
    this.stats.abortedRecordsDropped += outcome.abortedRecordsDropped;
    this.stats.markersDropped += outcome.markersDropped;
    const read = outcome.groups.reduce((sum, group) => sum + group.bytesRead, 0);
    const written = outcome.groups.reduce((sum, group) => sum + group.bytesWritten, 0);
    this.settings.log(
      `${log.topic}-${log.partition}: cleaned ${outcome.groups.length} segment group(s), ${read} → ${written} bytes, ` +
        `${outcome.recordsRead} → ${outcome.recordsKept} records (${outcome.tombstonesDropped} tombstones, ${outcome.abortedRecordsDropped} aborted records and ${outcome.markersDropped} markers dropped) in ${Math.round(outcome.elapsedMs)} ms (${Math.round(outcome.pausedMs)} ms paused)`,
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    await this.worker?.terminate();
    this.worker = null;
    await this.running?.catch(() => {});
  }
}

function* trackedBatches(flat: readonly number[]): Generator<TrackedBatch> {
  for (let i = 0; i + 4 < flat.length; i += 5) {
    yield {
      position: flat[i] as number,
      size: flat[i + 1] as number,
      baseOffset: flat[i + 2] as number,
      lastOffset: flat[i + 3] as number,
      maxTimestamp: flat[i + 4] as number,
    };
  }
}
