/**
 * The Pipeline tab's fault timelines: each injected fault's Recovery record (GET /api/pipeline
 * "recoveries", written by the `up` supervisor to system_metrics) as steps a person reads —
 * injected → detected (by which signal) → recovered (by which signal) — with the data lost.
 * Plain TypeScript: the Svelte tab only draws what this returns.
 */

/** One fault's record as /api/pipeline serves it (edge/src/pipeline-book.ts, RecoveryView). */
export interface RecoveryRecord {
  id: string;
  fault: string;
  target: string;
  injectedAt: string;
  detectedAt: string | null;
  detectedBy: string;
  recoveredAt: string | null;
  recoveredBy: string;
  detectedAfterMs: number | null;
  recoveredAfterMs: number | null;
  lost: number | null;
  detail: string;
}

/** How far a fault has got: the last step reached. */
export type RecoveryStage = 'injected' | 'detected' | 'recovered';

export interface TimelineStep {
  stage: RecoveryStage;
  /** Reached (false: not yet, or never). */
  reached: boolean;
  /** "12:01:02.345" in local time, or '' when not reached. */
  at: string;
  /** "+1,234 ms" after the injection, '' for the injection itself or when not reached. */
  after: string;
  /** Which signal saw it ('' for the injection). */
  by: string;
}

export interface FaultTimeline {
  id: string;
  title: string;
  stage: RecoveryStage;
  steps: TimelineStep[];
  /** "0 lost", "12 lost" or "not checked". */
  lost: string;
  detail: string;
}

const clock = (iso: string): string => {
  const date = new Date(iso);
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
};

const afterText = (ms: number | null): string => (ms === null ? '' : `+${ms.toLocaleString('en-US')} ms`);

export function recoveryTimeline(record: RecoveryRecord): FaultTimeline {
  const stage: RecoveryStage =
    record.recoveredAt !== null ? 'recovered' : record.detectedAt !== null ? 'detected' : 'injected';
  return {
    id: record.id,
    title: `${record.fault} on ${record.target}`,
    stage,
    steps: [
      { stage: 'injected', reached: true, at: clock(record.injectedAt), after: '', by: '' },
      {
        stage: 'detected',
        reached: record.detectedAt !== null,
        at: record.detectedAt === null ? '' : clock(record.detectedAt),
        after: afterText(record.detectedAfterMs),
        by: record.detectedBy,
      },
      {
        stage: 'recovered',
        reached: record.recoveredAt !== null,
        at: record.recoveredAt === null ? '' : clock(record.recoveredAt),
        after: afterText(record.recoveredAfterMs),
        by: record.recoveredBy,
      },
    ],
    lost: record.lost === null ? 'not checked' : `${record.lost.toLocaleString('en-US')} lost`,
    detail: record.detail,
  };
}

/** Newest first: the fault just injected is the one being watched. */
export function recoveryTimelines(records: readonly RecoveryRecord[]): FaultTimeline[] {
  return [...records].reverse().map(recoveryTimeline);
}
