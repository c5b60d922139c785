/**
 * The analytics job at steady state (issue 19's "ticks/s the job sustains … with its lag flat"):
 * the figures of a span between two polls of a running job, when its JIT counts as settled, and
 * whether its lag stayed flat. The drain of a backlog by a JVM started for it (the `throughput`
 * part) measures the job while C2 still compiles (0.4 cores of 1.8 on the quiet machine,
 * 2026-12-07); the `sustained` part warms the job up first on live ticks and uses these.
 */

/** One poll of a running job. */
export interface JobSample {
  ms: number;
  /** Ticks the job has read (its source's committed offsets, summed over partitions). */
  ticks: number;
  /** The ticks topic's end offsets, summed: what had been written by then. */
  written: number;
  /** The JVM's CPU seconds so far (every thread). */
  cpu: number;
  /** Its C1 and C2 compiler threads' CPU seconds so far. */
  c1: number;
  c2: number;
}

export interface SpanFigures {
  seconds: number;
  ticksPerSecond: number;
  jvmCores: number;
  /** Ticks read over the JVM's CPU-seconds: the "per core". */
  ticksPerCoreSecond: number;
  c2Cores: number;
  c1Cores: number;
  /** Ticks written and not yet read, at each end. */
  lagStart: number;
  lagEnd: number;
}

/** The figures of the span from `start` to `end` (compiler threads that ended count as 0, never below). */
export function spanFigures(start: JobSample, end: JobSample): SpanFigures {
  const seconds = (end.ms - start.ms) / 1000;
  if (!(seconds > 0)) throw new RangeError(`a span needs its end after its start (${seconds} s)`);
  const ticks = end.ticks - start.ticks;
  const cpu = end.cpu - start.cpu;
  return {
    seconds,
    ticksPerSecond: ticks / seconds,
    jvmCores: cpu / seconds,
    ticksPerCoreSecond: cpu > 0 ? ticks / cpu : Number.NaN,
    c2Cores: Math.max(0, end.c2 - start.c2) / seconds,
    c1Cores: Math.max(0, end.c1 - start.c1) / seconds,
    lagStart: start.written - start.ticks,
    lagEnd: end.written - end.ticks,
  };
}

/**
 * Whether the JIT has settled: C2's cores over each of the last `windows` warm-up windows at most
 * `threshold`. One quiet window is not enough: C2 compiles in bursts as new paths turn hot.
 */
export function jitSettled(c2CoresByWindow: readonly number[], threshold: number, windows: number): boolean {
  if (windows < 1 || c2CoresByWindow.length < windows) return false;
  return c2CoresByWindow.slice(-windows).every((cores) => cores <= threshold);
}

/**
 * Whether the job kept up over a span at a set rate: its lag grew by at most `slackSeconds` of the
 * rate. The lag is read from offsets committed at each checkpoint (every 200 ms by default), so it
 * moves by up to a checkpoint's ticks between polls even when the job keeps up.
 */
export function lagFlat(figures: SpanFigures, ratePerSecond: number, slackSeconds = 1): boolean {
  return figures.lagEnd - figures.lagStart <= ratePerSecond * slackSeconds;
}

/**
 * The end of a drain's measured span: once the job has read `share` of what was behind at its
 * start (the lag then), before the backlog runs out and the job waits for ticks.
 */
export function drainTarget(start: JobSample, share: number): number {
  return start.ticks + share * (start.written - start.ticks);
}
