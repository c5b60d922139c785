import type { ComponentKindName, RecoveryFields, SystemMetricFields } from '@tickstream/schemas';

/**
 * What the edge knows of every component from `system_metrics` (docs/operations.md, "The
 * pipeline"): each one's newest record, its status, and 15 minutes of every figure for the
 * sparklines. Memory is bounded: HISTORY_SAMPLES per figure in a ring of Float64Arrays, at most
 * MAX_FIGURE_KEYS figures per component and MAX_COMPONENTS components; a component silent for
 * the whole history is forgotten (an edge that left the scale-out disappears on its own).
 */
export const HISTORY_MS = 15 * 60_000;
/** One a second over the history; a faster reporter only shortens what is kept. */
export const HISTORY_SAMPLES = 900;
/** A component that has not reported for this long is silent. */
export const SILENT_AFTER_MS = 3000;
export const MAX_COMPONENTS = 128;
export const MAX_FIGURE_KEYS = 256;
/** Injected faults' timelines kept (the newest): each is one record, updated as it recovers. */
export const MAX_RECOVERIES = 64;

export type ComponentStatus = 'ok' | 'degraded' | 'silent';

/** "name" for a whole-component figure, "name:label" for one of a part (a worker, a partition). */
export const figureKey = (name: string, label: string): string => (label === '' ? name : `${name}:${label}`);

interface ComponentRecord {
  latest: SystemMetricFields;
  lastSeenMs: number;
  /** When the component first reported in this run of the edge (or in the history read back). */
  firstSeenMs: number;
  times: Float64Array;
  series: Map<string, Float64Array>;
  /** Next slot to write; `count` slots are filled. */
  head: number;
  count: number;
}

export interface ComponentView {
  id: string;
  kind: ComponentKindName;
  status: ComponentStatus;
  /** Why degraded, or since when silent, in words. */
  detail: string;
  /** ISO time of the last record (for a silent component: silent since then). */
  lastSeen: string;
  /** Set when silent: the same instant as lastSeen. */
  silentSince?: string;
  host: string;
  pid: number;
  intervalMs: number;
  /** The newest record's figures: { "ticks_per_s": 5000, "lag:0": 12, … }. */
  figures: Record<string, number>;
}

export interface ComponentHistory {
  id: string;
  kind: ComponentKindName;
  /** ms since the epoch, oldest first. */
  times: number[];
  /** Per figure key, one value per time (null where the figure was not reported). */
  series: Record<string, (number | null)[]>;
}

/** One injected fault's timeline as /api/pipeline serves it (docs/api.md): ISO times, null where not reached. */
export interface RecoveryView {
  id: string;
  fault: string;
  target: string;
  injectedAt: string;
  detectedAt: string | null;
  detectedBy: string;
  recoveredAt: string | null;
  recoveredBy: string;
  /** ms from injection to detection and from injection to recovery; null until reached. */
  detectedAfterMs: number | null;
  recoveredAfterMs: number | null;
  /** Records or ticks lost as checked; null where it was not checked. */
  lost: number | null;
  detail: string;
}

export class PipelineBook {
  private readonly components = new Map<string, ComponentRecord>();
  /** By record key, oldest first (a Map keeps insertion order; an update moves it to the end). */
  private readonly recoveryRecords = new Map<string, RecoveryFields>();
  /** Records refused for want of room (MAX_COMPONENTS), for /metrics and the log. */
  dropped = 0;

  constructor(private readonly now: () => number = Date.now) {}

  add(metric: SystemMetricFields): void {
    // A recovery record is a fault's timeline, not a component's figures.
    if (metric.recovery !== undefined) {
      this.addRecovery(metric.componentId, metric.recovery);
      return;
    }
    const atMs = metric.timeUs / 1000;
    let record = this.components.get(metric.componentId);
    if (record === undefined) {
      this.forgetSilent();
      if (this.components.size >= MAX_COMPONENTS) {
        this.dropped++;
        return;
      }
      record = {
        latest: metric,
        lastSeenMs: atMs,
        firstSeenMs: atMs,
        times: new Float64Array(HISTORY_SAMPLES),
        series: new Map(),
        head: 0,
        count: 0,
      };
      this.components.set(metric.componentId, record);
    }
    // Records of one component arrive in order (one key, one partition); an older one is a replay.
    if (atMs < record.lastSeenMs) return;
    record.latest = metric;
    record.lastSeenMs = atMs;
    const slot = record.head;
    record.times[slot] = atMs;
    for (const values of record.series.values()) values[slot] = Number.NaN;
    for (const figure of metric.figures) {
      const key = figureKey(figure.name, figure.label);
      let values = record.series.get(key);
      if (values === undefined) {
        if (record.series.size >= MAX_FIGURE_KEYS) continue;
        values = new Float64Array(HISTORY_SAMPLES).fill(Number.NaN);
        record.series.set(key, values);
      }
      values[slot] = figure.value;
    }
    record.head = (slot + 1) % HISTORY_SAMPLES;
    record.count = Math.min(record.count + 1, HISTORY_SAMPLES);
  }

  /** Every component known, edges and producers first by id. */
  view(): ComponentView[] {
    this.forgetSilent();
    const nowMs = this.now();
    return [...this.components.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([id, record]) => {
        const { latest } = record;
        const silent = nowMs - record.lastSeenMs > SILENT_AFTER_MS;
        const lastSeen = new Date(record.lastSeenMs).toISOString();
        const figures: Record<string, number> = {};
        for (const figure of latest.figures) figures[figureKey(figure.name, figure.label)] = roundFigure(figure.value);
        return {
          id,
          kind: latest.kind,
          status: silent ? 'silent' : latest.problem === '' ? 'ok' : 'degraded',
          detail: silent ? `no record for ${Math.round((nowMs - record.lastSeenMs) / 1000)} s` : latest.problem,
          lastSeen,
          ...(silent ? { silentSince: lastSeen } : {}),
          host: latest.host,
          pid: latest.pid,
          intervalMs: latest.intervalMs,
          figures,
        } satisfies ComponentView;
      });
  }

  /** The injected faults of the last 15 minutes, oldest first. */
  recoveries(): RecoveryView[] {
    const oldestUs = (this.now() - HISTORY_MS) * 1000;
    const views: RecoveryView[] = [];
    for (const [id, recovery] of this.recoveryRecords) {
      if (recovery.injectedUs < oldestUs) continue;
      const at = (us: number): string | null => (us === 0 ? null : new Date(us / 1000).toISOString());
      const after = (us: number): number | null => (us === 0 ? null : Math.round((us - recovery.injectedUs) / 1000));
      views.push({
        id,
        fault: recovery.fault,
        target: recovery.target,
        injectedAt: new Date(recovery.injectedUs / 1000).toISOString(),
        detectedAt: at(recovery.detectedUs),
        detectedBy: recovery.detectedBy,
        recoveredAt: at(recovery.recoveredUs),
        recoveredBy: recovery.recoveredBy,
        detectedAfterMs: after(recovery.detectedUs),
        recoveredAfterMs: after(recovery.recoveredUs),
        lost: recovery.lost < 0 ? null : recovery.lost,
        detail: recovery.detail,
      });
    }
    return views;
  }

  private addRecovery(id: string, recovery: RecoveryFields): void {
    this.recoveryRecords.delete(id);
    this.recoveryRecords.set(id, recovery);
    if (this.recoveryRecords.size > MAX_RECOVERIES) {
      const oldest = this.recoveryRecords.keys().next();
      if (!oldest.done) this.recoveryRecords.delete(oldest.value);
    }
  }

  history(id: string): ComponentHistory | undefined {
    const record = this.components.get(id);
    if (record === undefined) return undefined;
    const first = (record.head - record.count + HISTORY_SAMPLES) % HISTORY_SAMPLES;
    const order = Array.from({ length: record.count }, (_, i) => (first + i) % HISTORY_SAMPLES);
    const series: Record<string, (number | null)[]> = {};
    for (const [key, values] of record.series) {
      series[key] = order.map((slot) => {
        const value = values[slot] as number;
        return Number.isNaN(value) ? null : roundFigure(value);
      });
    }
    return { id, kind: record.latest.kind, times: order.map((slot) => record.times[slot] as number), series };
  }

  get size(): number {
    return this.components.size;
  }

  /** Components silent for the whole history are gone from the pipeline. */
  private forgetSilent(): void {
    const nowMs = this.now();
    for (const [id, record] of this.components) if (nowMs - record.lastSeenMs > HISTORY_MS) this.components.delete(id);
  }
}

/** Six significant digits: figures are for people and charts, not for sums. */
function roundFigure(value: number): number {
  return Number.isFinite(value) ? Number(value.toPrecision(6)) : 0;
}
