import { describe, expect, it } from 'vitest';
import { checkpointTail, collectorName, jobCheckpoints, jvmPauses } from './checkpoint-tail.js';

// Lines as the analytics JVM writes them (Flink's JSON log, the JVM's -Xlog:safepoint,gc:…:time,tags).
const FLINK_LOG = [
  '{"level":"INFO","time":"2026-12-07T20:10:00.010Z","msg":"Triggering checkpoint 7 (type=CheckpointType{name=\'Checkpoint\', sharingFilesStrategy=FORWARD_BACKWARD}) @ 1796674200000 for job aaaa."}',
  '{"level":"INFO","time":"2026-12-07T20:10:00.020Z","msg":"Triggering checkpoint 8 (type=CheckpointType{name=\'Checkpoint\', sharingFilesStrategy=FORWARD_BACKWARD}) @ 1796674200020 for job bbbb."}',
  '{"level":"INFO","time":"2026-12-07T20:10:00.060Z","msg":"Completed checkpoint 7 for job aaaa (2154 bytes, checkpointDuration=60 ms, finalizationTime=1 ms)."}',
  '{"level":"INFO","time":"2026-12-07T20:10:00.100Z","msg":"Triggering checkpoint 8 (type=CheckpointType{name=\'Checkpoint\', sharingFilesStrategy=FORWARD_BACKWARD}) @ 1796674200100 for job aaaa."}',
  '{"level":"INFO","time":"2026-12-07T20:10:00.130Z","msg":"Completed checkpoint 8 for job aaaa (2154 bytes, checkpointDuration=30 ms, finalizationTime=1 ms)."}',
  '{"level":"INFO","time":"2026-12-07T20:10:00.200Z","msg":"Triggering checkpoint 9 (type=CheckpointType{name=\'Checkpoint\', sharingFilesStrategy=FORWARD_BACKWARD}) @ 1796674200200 for job aaaa."}',
  '{"level":"INFO","time":"2026-12-07T20:10:00.420Z","msg":"Completed checkpoint 8 for job bbbb (912345 bytes, checkpointDuration=400 ms, finalizationTime=3 ms)."}',
  '{"level":"INFO","time":"2026-12-07T20:10:00.500Z","msg":"Completed checkpoint 9 for job aaaa (2154 bytes, checkpointDuration=300 ms, finalizationTime=1 ms)."}',
].join('\n');

// 1796674200000 ms is 2026-12-07T20:10:00.000Z.
const GC_LOG = [
  '[2026-12-07T20:09:58.000+0000][gc,init] Using G1',
  '[2026-12-07T20:10:00.080+0000][safepoint] Safepoint "Cleanup", Time since last: 1000225305 ns, Reaching safepoint: 155722 ns, At safepoint: 9541 ns, Total: 165263 ns',
  '[2026-12-07T20:10:00.300+0000][gc] GC(12) Pause Young (Normal) (G1 Evacuation Pause) 120M->40M(256M) 49.800ms',
  '[2026-12-07T20:10:00.300+0000][safepoint] Safepoint "G1CollectForAllocation", Time since last: 215000000 ns, Reaching safepoint: 200000 ns, At safepoint: 49800000 ns, Total: 50000000 ns',
].join('\n');

describe('checkpoint-tail: what the slow checkpoints coincide with', () => {
  it("reads one job's completed checkpoints, trigger time and duration, from Flink's log (ids are per job)", () => {
    expect(jobCheckpoints(FLINK_LOG, 'aaaa')).toEqual([
      { id: 7, triggeredAt: 1796674200000, durationMs: 60 },
      { id: 8, triggeredAt: 1796674200100, durationMs: 30 },
      { id: 9, triggeredAt: 1796674200200, durationMs: 300 },
    ]);
    expect(jobCheckpoints(FLINK_LOG, 'bbbb')).toEqual([{ id: 8, triggeredAt: 1796674200020, durationMs: 400 }]);
  });

  it("reads the JVM's pauses, each ending at its line's time, and the collector", () => {
    expect(jvmPauses(GC_LOG)).toEqual([
      { endAt: 1796674200080, ms: 0.165263, operation: 'Cleanup' },
      { endAt: 1796674200300, ms: 50, operation: 'G1CollectForAllocation' },
    ]);
    expect(collectorName(GC_LOG)).toBe('G1');
  });

  it('charges each checkpoint with the pauses and the other job’s checkpoints inside it', () => {
    const tail = checkpointTail(
      jobCheckpoints(FLINK_LOG, 'aaaa'),
      jobCheckpoints(FLINK_LOG, 'bbbb'),
      jvmPauses(GC_LOG),
      1796674200000,
      1796674201000,
    );
    expect(tail.all).toEqual({ count: 3, p50: 60, p99: 300, max: 300 });
    // Checkpoint 9 (200-500) holds the 50 ms GC pause (250-300) and 220 ms of job bbbb's (20-420).
    expect(tail.slowest[0]).toMatchObject({ id: 9, pausedMs: 50, analyticsOverlapMs: 220 });
    // Checkpoint 7 (0-60) overlaps bbbb from 20; 8 (100-130) entirely; the Cleanup pause is < 5 ms.
    expect(tail.slowest.map((c) => [c.id, c.analyticsOverlapMs])).toEqual([
      [9, 220],
      [7, 40],
      [8, 30],
    ]);
    expect(tail.withPause).toEqual({ count: 1, p50: 300, p99: 300, max: 300 });
    expect(tail.withoutPause.count).toBe(2);
    expect(tail.withoutAnalytics.count).toBe(0);
    expect(tail.pausedShare).toBeCloseTo((50 + 0.165263) / 1000, 6);
  });

  it('leaves out checkpoints triggered outside the window', () => {
    const tail = checkpointTail(jobCheckpoints(FLINK_LOG, 'aaaa'), [], [], 1796674200050, 1796674200150);
    expect(tail.all.count).toBe(1);
    expect(tail.withoutAnalytics.count).toBe(1);
  });
});
