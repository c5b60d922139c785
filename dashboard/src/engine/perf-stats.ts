import type { FeedCounters } from './feed-protocol.js';

/** The Performance tab's figures, computed once a second. */
export interface PerformanceSample {
  messagesPerS: number;
  updatesPerS: number;
  bytesPerS: number;
  compressionRatio: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  fps: number;
  frameTimeP95Ms: number;
  reconnects: number;
  conflated: number;
  dropped: number;
  resyncs: number;
  rttMs: number;
  symbols: number;
}

/** Sorted-copy percentile: the inputs are at most a few thousand samples a second. */
export function percentile(values: ArrayLike<number>, count: number, p: number): number {
  if (count === 0) return 0;
  const sorted = Float64Array.from({ length: count }, (_, i) => values[i] as number).sort();
  return sorted[Math.min(count - 1, Math.floor((p / 100) * count))] as number;
}

const MAX_SAMPLES = 4096;

/**
 * Turns the worker's cumulative counters and the render loop's per-frame measurements into
 * per-second figures, and keeps a minute of history for the sparklines.
 */
export class PerformanceMeter {
  readonly history: PerformanceSample[] = [];
  latest: PerformanceSample | null = null;
  /** Symbol updates the main thread has applied since start (tests read this). */
  appliedUpdates = 0;
  renderedFrames = 0;
  private previous: FeedCounters | null = null;
  private previousApplied = 0;
  private previousAt = 0;
  private readonly latency = new Float64Array(MAX_SAMPLES);
  private latencyCount = 0;
  private readonly frameTimes = new Float64Array(MAX_SAMPLES);
  private frameCount = 0;

  recordLatency(ms: number): void {
    if (this.latencyCount < MAX_SAMPLES) this.latency[this.latencyCount++] = ms;
    else this.latency[Math.floor(Math.random() * MAX_SAMPLES)] = ms;
  }

  recordFrame(workMs: number): void {
    this.renderedFrames++;
    if (this.frameCount < MAX_SAMPLES) this.frameTimes[this.frameCount++] = workMs;
  }

  /** Called once a second with the newest counters; returns the new sample. */
  sample(counters: FeedCounters, nowMs: number, symbols: number): PerformanceSample {
    const previous = this.previous ?? counters;
    const seconds = this.previousAt === 0 ? 1 : Math.max(0.001, (nowMs - this.previousAt) / 1000);
    const bytes = counters.wireBytes - previous.wireBytes;
    const body = counters.bodyBytes - previous.bodyBytes;
    const sample: PerformanceSample = {
      messagesPerS: (counters.messages - previous.messages) / seconds,
      updatesPerS: (this.appliedUpdates - this.previousApplied) / seconds,
      bytesPerS: bytes / seconds,
      compressionRatio: bytes > 0 ? body / bytes : (this.latest?.compressionRatio ?? 1),
      latencyP50Ms: percentile(this.latency, this.latencyCount, 50),
      latencyP99Ms: percentile(this.latency, this.latencyCount, 99),
      fps: this.frameCount / seconds,
      frameTimeP95Ms: percentile(this.frameTimes, this.frameCount, 95),
      reconnects: counters.reconnects,
      conflated: counters.conflated,
      dropped: counters.dropped,
      resyncs: counters.resyncs,
      rttMs: counters.rttMs,
      symbols,
    };
    this.previous = { ...counters };
    this.previousApplied = this.appliedUpdates;
    this.previousAt = nowMs;
    this.latencyCount = 0;
    this.frameCount = 0;
    this.latest = sample;
    this.history.push(sample);
    if (this.history.length > 60) this.history.shift();
    return sample;
  }
}
