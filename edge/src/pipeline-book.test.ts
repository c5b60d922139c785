import type { SystemMetricFields } from '@tickstream/schemas';
import { describe, expect, it } from 'vitest';
import {
  HISTORY_MS,
  HISTORY_SAMPLES,
  MAX_COMPONENTS,
  MAX_FIGURE_KEYS,
  PipelineBook,
  SILENT_AFTER_MS,
} from './pipeline-book.js';
import { pipelineLinks, pipelinePartitions } from './pipeline-links.js';

const T0 = Date.UTC(2026, 11, 6, 12);

function record(id: string, atMs: number, figures: Record<string, number> = {}, problem = ''): SystemMetricFields {
  return {
    componentId: id,
    kind: id.startsWith('edge') ? 'edge' : 'producer',
    timeUs: atMs * 1000,
    intervalMs: 1000,
    problem,
    host: 'test',
    pid: 1,
    figures: Object.entries(figures).map(([key, value]) => {
      const [name, label = ''] = key.split(':');
      return { name: name as string, label, value };
    }),
  };
}

describe('PipelineBook', () => {
  it('says ok, degraded with the reason, and silent with since when after SILENT_AFTER_MS without a record', () => {
    let now = T0;
    const book = new PipelineBook(() => now);
    book.add(record('producer-a', T0, { 'ticks_per_s:0': 2500, 'ticks_per_s:1': 2500 }));
    book.add(record('edge-b', T0, { ticks_per_s: 5000, 'lag:0': 3, 'lag:1': 1200, clients: 4 }, 'Kafka: unreachable'));
    expect(book.view().map((c) => [c.id, c.status, c.detail])).toEqual([
      ['edge-b', 'degraded', 'Kafka: unreachable'],
      ['producer-a', 'ok', ''],
    ]);
    now = T0 + SILENT_AFTER_MS + 1;
    book.add(record('edge-b', now, { ticks_per_s: 5000 }));
    const producer = book.view().find((c) => c.id === 'producer-a');
    expect(producer).toMatchObject({ status: 'silent', silentSince: new Date(T0).toISOString() });
    expect(book.view().find((c) => c.id === 'edge-b')?.status).toBe('ok');
  });

  it('keeps HISTORY_SAMPLES per figure however long it runs, oldest first', () => {
    let now = T0;
    const book = new PipelineBook(() => now);
    for (let i = 0; i < HISTORY_SAMPLES * 3; i++) {
      now = T0 + i * 1000;
      book.add(record('producer-a', now, { ticks_per_s: i, ...(i % 2 === 0 ? { errors: i } : {}) }));
    }
    const history = book.history('producer-a');
    expect(history?.times.length).toBe(HISTORY_SAMPLES);
    expect(history?.times[0]).toBe(T0 + HISTORY_SAMPLES * 2 * 1000);
    expect(history?.series.ticks_per_s?.at(-1)).toBe(HISTORY_SAMPLES * 3 - 1);
    // A figure missing from a record is null there, not the previous value.
    expect(history?.series.errors?.slice(-2)).toEqual([HISTORY_SAMPLES * 3 - 2, null]);
  });

  it('bounds figures per component and components, and forgets one silent for the whole history', () => {
    let now = T0;
    const book = new PipelineBook(() => now);
    const many: Record<string, number> = {};
    for (let i = 0; i < MAX_FIGURE_KEYS + 50; i++) many[`lag:${i}`] = i;
    book.add(record('edge-many', now, many));
    expect(Object.keys(book.history('edge-many')?.series ?? {}).length).toBe(MAX_FIGURE_KEYS);
    for (let i = 0; i < MAX_COMPONENTS + 10; i++) book.add(record(`producer-${i}`, now));
    expect(book.size).toBe(MAX_COMPONENTS);
    expect(book.dropped).toBe(11);
    now = T0 + HISTORY_MS + 1;
    book.add(record('producer-new', now));
    expect(book.view().map((c) => c.id)).toEqual(['producer-new']);
  });

  it('ignores a record older than the newest of its component (a replay)', () => {
    const book = new PipelineBook(() => T0);
    book.add(record('producer-a', T0, { ticks_per_s: 10 }));
    book.add(record('producer-a', T0 - 5000, { ticks_per_s: 99 }));
    expect(book.view()[0]?.figures.ticks_per_s).toBe(10);
    expect(book.history('producer-a')?.times).toEqual([T0]);
  });

  it('links producers and edges through the ticks topic, null where a component is silent', () => {
    let now = T0;
    const book = new PipelineBook(() => now);
    book.add(record('producer-a', T0, { 'ticks_per_s:0': 2000, 'ticks_per_s:1': 3000 }));
    now = T0 + SILENT_AFTER_MS;
    book.add(record('edge-b', now, { ticks_per_s: 4900, 'lag:0': 7, 'lag:1': 2, frames_per_s: 80, clients: 3 }));
    now += 1000;
    const components = book.view();
    expect(pipelineLinks(components)).toContainEqual({
      from: 'edge-b',
      to: 'clients:edge-b',
      unit: 'frames',
      ratePerS: 80,
      clients: 3,
    });
    expect(pipelineLinks(components).find((l) => l.from === 'producer-a')?.ratePerS).toBeNull();
    expect(pipelineLinks(components).find((l) => l.to === 'edge-b')).toMatchObject({
      ratePerS: 4900,
      lagByPartition: { '0': 7, '1': 2 },
    });
    expect(pipelinePartitions(components)).toEqual([
      { topic: 'ticks', partition: 0, maxLag: 7, lagByEdge: { 'edge-b': 7 } },
      { topic: 'ticks', partition: 1, maxLag: 2, lagByEdge: { 'edge-b': 2 } },
    ]);
  });

  it('keeps a Recovery record as a fault timeline, not a component, updated in place and forgotten after 15 minutes', () => {
    let now = T0;
    const book = new PipelineBook(() => now);
    const step = (detectedUs: number, recoveredUs: number): SystemMetricFields => ({
      ...record('recovery-abc', T0),
      kind: 'edge',
      recovery: {
        fault: 'kill-edge',
        target: 'edge-host-edge-1',
        injectedUs: T0 * 1000,
        detectedUs,
        detectedBy: detectedUs ? 'process exit' : '',
        recoveredUs,
        recoveredBy: recoveredUs ? '/readyz 200' : '',
        lost: -1,
        detail: '',
      },
    });
    book.add(step(0, 0));
    book.add(step((T0 + 150) * 1000, 0));
    expect(book.view()).toEqual([]);
    expect(book.recoveries()).toEqual([
      expect.objectContaining({
        id: 'recovery-abc',
        detectedAfterMs: 150,
        recoveredAt: null,
        recoveredAfterMs: null,
        lost: null,
      }),
    ]);
    book.add(step((T0 + 150) * 1000, (T0 + 9000) * 1000));
    expect(book.recoveries()).toHaveLength(1);
    expect(book.recoveries()[0]).toMatchObject({ recoveredAfterMs: 9000, recoveredBy: '/readyz 200' });
    now = T0 + HISTORY_MS + 1;
    expect(book.recoveries()).toEqual([]);
  });
});
