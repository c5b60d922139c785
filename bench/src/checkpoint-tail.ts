/**
 * What the fill engine's slow checkpoints coincide with (docs/trading.md, "Order → fill
 * latency"): a fill is visible when the checkpoint after it completes, so the slowest
 * checkpoints are the fills' p99. Both jobs share one JVM (AnalyticsMain), so a fill engine
 * checkpoint may run while the analytics job's larger one runs, or across a stop-the-world pause
 * of the JVM (GC or another safepoint). This reads both from logs: the jobs' checkpoints from
 * Flink's log, the pauses from the JVM's `-Xlog:safepoint,gc` (jvmPauseLogOptions).
 */

/** One completed checkpoint of one job: from its trigger to its completion, JobManager times. */
export interface JobCheckpoint {
  id: number;
  triggeredAt: number;
  durationMs: number;
}

/**
 * A job's completed checkpoints in Flink's log: "Triggering checkpoint N (…) @ <ms> for job ID"
 * and "Completed checkpoint N for job ID (… checkpointDuration=D ms …)"; checkpoints that never
 * completed are left out.
 */
export function jobCheckpoints(log: string, jobId: string): JobCheckpoint[] {
  const triggered = new Map<number, number>();
  for (const match of log.matchAll(/Triggering checkpoint (\d+) \(.*?\) @ (\d+) for job (\w+)/g))
    if (match[3] === jobId) triggered.set(Number(match[1]), Number(match[2]));
  const done: JobCheckpoint[] = [];
  for (const match of log.matchAll(/Completed checkpoint (\d+) for job (\w+) .*?checkpointDuration=(\d+) ms/g)) {
    const id = Number(match[1]);
    const at = triggered.get(id);
    if (match[2] === jobId && at !== undefined) done.push({ id, triggeredAt: at, durationMs: Number(match[3]) });
  }
  return done.sort((a, b) => a.triggeredAt - b.triggeredAt);
}

/** A stop-the-world pause of the JVM: every Java thread held at a safepoint, ended at `endAt`. */
export interface JvmPause {
  endAt: number;
  ms: number;
  /** The VM operation ("G1CollectForAllocation", "Cleanup", …). */
  operation: string;
}

/** The JVM options that write the pauses (and the collector's own lines) to `file` for jvmPauses. */
export function jvmPauseLogOptions(file: string): string {
  return `-Xlog:safepoint,gc:file=${file}:time,tags`;
}

/** `[2026-12-07T20:10:00.123+0000]` → ms since the epoch. */
function logTime(stamp: string): number {
  return Date.parse(stamp.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
}

/**
 * The pauses in a JDK 17 safepoint log: `[time][safepoint] Safepoint "Op", Time since last: … ns,
 * Reaching safepoint: … ns, At safepoint: … ns, Total: N ns`, written when the pause ends. Total
 * counts from the request: threads that reached the safepoint early already stood still.
 */
export function jvmPauses(gcLog: string): JvmPause[] {
  return [...gcLog.matchAll(/^\[([^\]]+)\]\[safepoint\s*\] Safepoint "(\w+)".*?Total: (\d+) ns/gm)].map((match) => ({
    endAt: logTime(match[1] as string),
    ms: Number(match[3]) / 1e6,
    operation: match[2] as string,
  }));
}

/** The collector the JVM chose or was given ("Using G1"), '' when the log does not say. */
export function collectorName(gcLog: string): string {
  return /\[gc\s*(?:,init)?\s*\] Using (.+)$/m.exec(gcLog)?.[1]?.trim() ?? '';
}

/**
 * The collector's pauses by kind ("Pause Young (Normal) (G1 Evacuation Pause)": count, longest),
 * from its `[gc]` lines: which of its pauses the long safepoints were.
 */
export function gcPauseKinds(gcLog: string): { kind: string; count: number; maxMs: number; totalMs: number }[] {
  const kinds = new Map<string, { count: number; maxMs: number; totalMs: number }>();
  for (const match of gcLog.matchAll(/\[gc\s*\] GC\(\d+\) (Pause .*?)(?: \d+M->\d+M\(\d+M\))? ([\d.]+)ms$/gm)) {
    const kind = match[1] as string;
    const ms = Number(match[2]);
    const sum = kinds.get(kind) ?? { count: 0, maxMs: 0, totalMs: 0 };
    kinds.set(kind, { count: sum.count + 1, maxMs: Math.max(sum.maxMs, ms), totalMs: sum.totalMs + ms });
  }
  return [...kinds].map(([kind, sum]) => ({ kind, ...sum })).sort((a, b) => b.totalMs - a.totalMs);
}

/** How long `[from, to)` overlaps `[start, end)`, ms. */
function overlap(from: number, to: number, start: number, end: number): number {
  return Math.max(0, Math.min(to, end) - Math.max(from, start));
}

export interface TailCheckpoint extends JobCheckpoint {
  /** JVM pause time inside this checkpoint, ms. */
  pausedMs: number;
  /** How long the analytics job's checkpoints ran while this one did, ms. */
  analyticsOverlapMs: number;
}

export interface Spread {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export interface CheckpointTail {
  /** The fill engine's checkpoints in the window. */
  all: Spread;
  /** Those that ran while an analytics checkpoint did, and those that did not. */
  withAnalytics: Spread;
  withoutAnalytics: Spread;
  /** Those with a JVM pause of 5 ms or more inside, and the rest. */
  withPause: Spread;
  withoutPause: Spread;
  /** The JVM's pauses in the window: each pause's length, and their share of the window. */
  pauses: Spread;
  pausedShare: number;
  /** The slowest checkpoints, slowest first. */
  slowest: TailCheckpoint[];
}

/** The value below which `p` % of `sorted` lie (nearest rank). */
function rank(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  return { count: sorted.length, p50: rank(sorted, 50), p99: rank(sorted, 99), max: sorted.at(-1) ?? Number.NaN };
}

/** A pause this long inside a checkpoint is counted as one that held it up. */
export const PAUSE_THAT_MATTERS_MS = 5;

/**
 * The fill engine's checkpoints triggered in `[from, to)`, each with the JVM pauses and the
 * analytics job's checkpoint time inside it, and the durations split by both.
 */
export function checkpointTail(
  fillCheckpoints: readonly JobCheckpoint[],
  analyticsCheckpoints: readonly JobCheckpoint[],
  pauses: readonly JvmPause[],
  from: number,
  to: number,
): CheckpointTail {
  const rows: TailCheckpoint[] = fillCheckpoints
    .filter((c) => c.triggeredAt >= from && c.triggeredAt < to)
    .map((c) => {
      const end = c.triggeredAt + c.durationMs;
      return {
        ...c,
        pausedMs: pauses.reduce((sum, p) => sum + overlap(c.triggeredAt, end, p.endAt - p.ms, p.endAt), 0),
        analyticsOverlapMs: analyticsCheckpoints.reduce(
          (sum, a) => sum + overlap(c.triggeredAt, end, a.triggeredAt, a.triggeredAt + a.durationMs),
          0,
        ),
      };
    });
  const of = (keep: (row: TailCheckpoint) => boolean): Spread => spread(rows.filter(keep).map((r) => r.durationMs));
  const inWindow = pauses.filter((p) => p.endAt >= from && p.endAt < to);
  return {
    all: of(() => true),
    withAnalytics: of((r) => r.analyticsOverlapMs > 0),
    withoutAnalytics: of((r) => r.analyticsOverlapMs === 0),
    withPause: of((r) => r.pausedMs >= PAUSE_THAT_MATTERS_MS),
    withoutPause: of((r) => r.pausedMs < PAUSE_THAT_MATTERS_MS),
    pauses: spread(inWindow.map((p) => p.ms)),
    pausedShare: to > from ? inWindow.reduce((sum, p) => sum + p.ms, 0) / (to - from) : Number.NaN,
    slowest: [...rows].sort((a, b) => b.durationMs - a.durationMs).slice(0, 5),
  };
}

export function formatCheckpointTail(tail: CheckpointTail, collector: string): string[] {
  const s = (label: string, x: Spread): string =>
    `${label} ${x.count}: p50 ${x.p50.toFixed(0)} / p99 ${x.p99.toFixed(0)} / max ${x.max.toFixed(0)} ms`;
  return [
    `fill engine checkpoints while the orders ran (JobManager's durations): ${s('all', tail.all)}`,
    `  ${s('beside an analytics checkpoint', tail.withAnalytics)}; ${s('alone', tail.withoutAnalytics)}`,
    `  ${s(`with a JVM pause ≥ ${PAUSE_THAT_MATTERS_MS} ms inside`, tail.withPause)}; ${s('without', tail.withoutPause)}`,
    `  JVM pauses (${collector || 'collector not logged'}): ${s('', tail.pauses)}, ${(tail.pausedShare * 100).toFixed(1)} % of the time`,
    ...tail.slowest.map(
      (c) =>
        `  slow checkpoint ${c.id}: ${c.durationMs} ms, JVM paused ${c.pausedMs.toFixed(0)} ms inside, analytics checkpoint beside it ${c.analyticsOverlapMs} ms`,
    ),
  ];
}
