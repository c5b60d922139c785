import { AnalyticsState, type AnalyticsStatusFields, BAR_TIMEFRAME_US, type BarTimeframe } from '@tickstream/schemas';
import type { AnalyticsSeen } from './analytics-consumer.js';
import type { AnalyticsJobFigures } from './analytics-job-metrics.js';

/** The job is offline when its newest bar ends this long (beyond the bar's own length) before the newest tick. */
export const OFFLINE_AFTER_MS = 30_000;
/** Ticks applied within this long count as flowing: without them there is nothing to judge the job by. */
const TICKS_FLOWING_MS = 10_000;
/**
 * The job's own figures count as news for this long after they were read: they are read every
 * 2 s, but a JVM catching up answers late, and half the reads timed out then (measured under `up`).
 */
const JOB_FIGURES_FRESH_MS = 15_000;

export { AnalyticsState };

/**
 * Whether the analytics job is alive, judged from what the edge reads: the job needs no
 * heartbeat of its own. Its bars trail the ticks by the watermark bound plus a checkpoint
 * (about 1-2 s); when, while ticks flow, the newest bar of its finest timeframe ends more than
 * that bar's length + 30 s before the newest tick's exchange time, the job has stopped or fallen
 * far behind: offline. No `candles` topic, or an empty one: it has never run. Exchange times on
 * both sides, so the producer's clock (real or simulated) and the edge's own lag do not matter.
 * Where the edge reads the job's metrics (--analytics-metrics), bars far behind while the job
 * reports reading ticks and completing checkpoints mean it is catching up (after a restart it
 * reads the minutes it missed): online, said in the detail. An unreadable metrics endpoint is no
 * verdict (a busy JVM answers late); only the bars decide then.
 */
export class AnalyticsMonitor {
  private ticksSeen = -1;
  private ticksChangedMs = 0;
  private current: AnalyticsStatusFields = {
    state: AnalyticsState.Unknown,
    detail: 'loading candles',
    newestBarEndUs: 0,
    lagMs: -1,
  };

  constructor(
    private readonly seen: AnalyticsSeen,
    private readonly ticks: { applied: () => number; newestTimeUs: () => number },
    private readonly loaded: () => boolean,
    /** The job's figures last read from its metrics endpoint; null when not configured or never read. */
    private readonly job: () => AnalyticsJobFigures | null = () => null,
  ) {}

  get status(): AnalyticsStatusFields {
    return this.current;
  }

  /** Judges again; true when the state changed (clients are then told). */
  update(nowMs: number): boolean {
    const applied = this.ticks.applied();
    if (applied !== this.ticksSeen) {
      this.ticksSeen = applied;
      this.ticksChangedMs = nowMs;
    }
    const next = this.judge(nowMs - this.ticksChangedMs < TICKS_FLOWING_MS, nowMs);
    const changed = next.state !== this.current.state;
    this.current = next;
    return changed;
  }

  private judge(ticksFlowing: boolean, nowMs: number): AnalyticsStatusFields {
    const seen = this.seen;
    if (!this.loaded())
      return { state: AnalyticsState.Unknown, detail: 'loading candles', newestBarEndUs: 0, lagMs: -1 };
    if (seen.present !== true)
      return {
        state: AnalyticsState.NeverRan,
        detail: 'no candles topic: the analytics job has never run against this Kafka',
        newestBarEndUs: 0,
        lagMs: -1,
      };
    const finest = seen.newestEndUs.findIndex((end) => end > 0);
    if (finest < 0)
      return {
        state: AnalyticsState.NeverRan,
        detail: 'the candles topic is empty: the analytics job has not written a bar yet',
        newestBarEndUs: 0,
        lagMs: -1,
      };
    const newestBarEndUs = seen.newestEndUs[finest] as number;
    const newestTickUs = this.ticks.newestTimeUs();
    if (newestTickUs === 0)
      return {
        state: AnalyticsState.Online,
        detail: 'bars loaded; no ticks yet to compare them with',
        newestBarEndUs,
        lagMs: -1,
      };
    const lagMs = Math.max(0, (newestTickUs - newestBarEndUs) / 1000);
    const lengthMs = BAR_TIMEFRAME_US[finest as BarTimeframe] / 1000;
    const behind = `the newest bar ends ${formatSeconds(lagMs)} before the newest tick`;
    if (ticksFlowing && lagMs > lengthMs + OFFLINE_AFTER_MS) {
      const catchingUp = this.catchingUp(nowMs);
      if (catchingUp !== null)
        return { state: AnalyticsState.Online, detail: `${behind}: ${catchingUp}`, newestBarEndUs, lagMs };
      return {
        state: AnalyticsState.Offline,
        detail: `${behind}: the analytics job has stopped or fallen behind`,
        newestBarEndUs,
        lagMs,
      };
    }
    if (!ticksFlowing && this.current.state === AnalyticsState.Offline) return { ...this.current, lagMs };
    return {
      state: AnalyticsState.Online,
      detail: ticksFlowing ? behind : `${behind}; no ticks are flowing`,
      newestBarEndUs,
      lagMs,
    };
  }

  /** What the job says of itself when it is running and making progress, else null. */
  private catchingUp(nowMs: number): string | null {
    const job = this.job();
    if (job === null || nowMs - job.scrapedAtMs > JOB_FIGURES_FRESH_MS || job.recordsInPerSecond <= 0) return null;
    // Bars reach `candles` (read_committed) only with a completed checkpoint; none for this long is no progress.
    if (job.checkpointAgeMs !== null && job.checkpointAgeMs > OFFLINE_AFTER_MS) return null;
    return `the job is running and catching up (reading ${Math.round(job.recordsInPerSecond).toLocaleString('en-US')} ticks/s)`;
  }
}

function formatSeconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}
