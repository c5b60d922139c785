import { describe, expect, it } from 'vitest';
import type { AnalyticsSeen } from './analytics-consumer.js';
import type { AnalyticsJobFigures } from './analytics-job-metrics.js';
import { AnalyticsMonitor, AnalyticsState, OFFLINE_AFTER_MS } from './analytics-status.js';

const T = 1_795_000_000_000_000;

function monitorOf(seen: Partial<AnalyticsSeen>, loaded = true, job: () => AnalyticsJobFigures | null = () => null) {
  const state: AnalyticsSeen = {
    present: true,
    bars: 0,
    newestEndUs: [0, 0, 0, 0, 0, 0, 0],
    lastRecordMs: 0,
    badRecords: 0,
    ...seen,
  };
  const ticks = { applied: 0, newestTimeUs: 0 };
  const monitor = new AnalyticsMonitor(
    state,
    { applied: () => ticks.applied, newestTimeUs: () => ticks.newestTimeUs },
    () => loaded,
    job,
  );
  return { monitor, state, ticks };
}

// The verdicts behind "analytics offline" (the wiring is covered by candle-history.kafka.test.ts).
describe('AnalyticsMonitor', () => {
  it('says loading, then never ran without a candles topic or with an empty one', () => {
    expect(monitorOf({}, false).monitor.status.state).toBe(AnalyticsState.Unknown);
    const absent = monitorOf({ present: false });
    expect(absent.monitor.update(0)).toBe(true);
    expect(absent.monitor.status).toMatchObject({
      state: AnalyticsState.NeverRan,
      detail: expect.stringMatching(/never run/),
    });
    const empty = monitorOf({});
    empty.monitor.update(0);
    expect(empty.monitor.status).toMatchObject({
      state: AnalyticsState.NeverRan,
      detail: expect.stringMatching(/empty/),
    });
  });

  it('is online while bars keep up with the ticks, offline once they fall behind while ticks flow', () => {
    const { monitor, state, ticks } = monitorOf({ newestEndUs: [T, T, 0, 0, 0, 0, 0] });
    ticks.applied = 1;
    ticks.newestTimeUs = T + 1_500_000;
    monitor.update(1000);
    expect(monitor.status).toMatchObject({ state: AnalyticsState.Online, lagMs: 1500 });

    // Ticks go on, bars stop: offline once the 1s bar is more than 1 s + 30 s behind.
    ticks.applied = 2;
    ticks.newestTimeUs = T + 1000 * (1000 + OFFLINE_AFTER_MS) - 1;
    expect(monitor.update(2000)).toBe(false);
    ticks.applied = 3;
    ticks.newestTimeUs = T + 1000 * (1000 + OFFLINE_AFTER_MS) + 1;
    expect(monitor.update(3000)).toBe(true);
    expect(monitor.status).toMatchObject({
      state: AnalyticsState.Offline,
      detail: expect.stringMatching(/stopped or fallen behind/),
    });

    // The ticks stop too: nothing to judge by, so the verdict stands...
    expect(monitor.update(60_000)).toBe(false);
    expect(monitor.status.state).toBe(AnalyticsState.Offline);
    // ...until the job's bars catch up.
    state.newestEndUs[0] = ticks.newestTimeUs;
    ticks.applied = 4;
    expect(monitor.update(61_000)).toBe(true);
    expect(monitor.status.state).toBe(AnalyticsState.Online);
  });

  it('judges by the finest timeframe that has bars, allowing for its length', () => {
    const { monitor, ticks } = monitorOf({ newestEndUs: [0, T, 0, 0, 0, 0, 0] });
    ticks.applied = 1;
    ticks.newestTimeUs = T + 59_000_000 + OFFLINE_AFTER_MS * 1000; // within a minute bar's length + 30 s
    monitor.update(0);
    expect(monitor.status.state).toBe(AnalyticsState.Online);
  });

  it('stays online while the job, by its own metrics, reads ticks and checkpoints to catch up; offline once it stops', () => {
    let job: AnalyticsJobFigures | null = null;
    const { monitor, ticks } = monitorOf({ newestEndUs: [T, T, 0, 0, 0, 0, 0] }, true, () => job);
    const running = (nowMs: number): AnalyticsJobFigures => ({
      scrapedAtMs: nowMs,
      recordsInPerSecond: 9000,
      recordsOutPerSecond: 1200,
      watermarkLagMs: 60_000,
      pendingRecords: 400_000,
      lastCheckpointDurationMs: 3000,
      lastCheckpointBytes: 3_000_000,
      checkpointAgeMs: 1500,
      completedCheckpoints: 4,
      failedCheckpoints: 0,
      backPressuredMsPerSecond: 0,
      backPressuredTask: '',
      lateTicks: 0,
      restarts: 0,
    });
    // A restarted job reading the minute it missed: its bars are far behind the ticks.
    ticks.applied = 1;
    ticks.newestTimeUs = T + 90_000_000;
    job = running(1000);
    monitor.update(1000);
    expect(monitor.status).toMatchObject({
      state: AnalyticsState.Online,
      lagMs: 90_000,
      detail: expect.stringMatching(/catching up \(reading 9,000 ticks\/s\)/),
    });
    // Figures too old to vouch for it (its metrics no longer answer): the bars decide.
    ticks.applied = 2;
    expect(monitor.update(1000 + 15_001)).toBe(true);
    expect(monitor.status.state).toBe(AnalyticsState.Offline);
    // Running but reading nothing, or without a checkpoint for longer than the offline bound: no progress.
    job = { ...running(20_000), recordsInPerSecond: 0 };
    ticks.applied = 3;
    monitor.update(20_000);
    expect(monitor.status.state).toBe(AnalyticsState.Offline);
    job = { ...running(21_000), checkpointAgeMs: OFFLINE_AFTER_MS + 1 };
    ticks.applied = 4;
    monitor.update(21_000);
    expect(monitor.status.state).toBe(AnalyticsState.Offline);
    job = running(22_000);
    ticks.applied = 5;
    expect(monitor.update(22_000)).toBe(true);
    expect(monitor.status.state).toBe(AnalyticsState.Online);
  });
});
