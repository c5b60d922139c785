import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { until } from '../../broker/src/testing/until.js';
import { AnalyticsJobMetrics, jobFigures, parsePrometheusText } from './analytics-job-metrics.js';

// fixtures/flink-prometheus.txt: the lines of the figures the edge reads, as Flink 2.3's
// Prometheus reporter served them from the analytics job (analytics branch, MiniCluster,
// embedded broker, 500 ticks/s), 2026-12-06.
const text = readFileSync(new URL('./fixtures/flink-prometheus.txt', import.meta.url), 'utf8');

describe("the analytics job's figures from Flink's Prometheus text", () => {
  it('reads sources, sinks, watermarks, checkpoints and back-pressure out of a real scrape', () => {
    const metrics = parsePrometheusText(text);
    const completedAt = 1_796_554_297_517;
    const first = jobFigures(metrics, completedAt + 1000, null);
    expect(first.figures).toMatchObject({
      recordsInPerSecond: 494.8666666666667,
      recordsOutPerSecond: null, // a rate needs two reads
      watermarkLagMs: 455,
      pendingRecords: 0,
      lastCheckpointDurationMs: 313,
      lastCheckpointBytes: 126_542,
      checkpointAgeMs: 1000,
      completedCheckpoints: 8,
      backPressuredMsPerSecond: 8,
      backPressuredTask: 'Source: ticks',
      lateTicks: 6096,
    });
    expect(first.recordsSent).toBe(2072);
    const second = jobFigures(metrics, completedAt + 3000, { atMs: completedAt + 1000, recordsSent: 2032 });
    expect(second.figures.recordsOutPerSecond).toBe(20);
  });

  it('skips what is not a sample and unescapes label values', () => {
    const metrics = parsePrometheusText('# HELP x\n\nbroken line\nx{a="q\\"uote",b="2"} 1.5e3\ny 7\n');
    expect(metrics.get('x')).toEqual([{ labels: { a: 'q"uote', b: '2' }, value: 1500 }]);
    expect(metrics.get('y')).toEqual([{ labels: {}, value: 7 }]);
    expect(metrics.size).toBe(2);
  });

  it('keeps the last figures read through a failed read, and says why it failed', async () => {
    const server = createServer((_request, response) => response.end(text));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const lines: string[] = [];
    const reader = new AnalyticsJobMetrics(`http://127.0.0.1:${port}/metrics`, (line) => lines.push(line));
    try {
      reader.start();
      await until(() => reader.figures !== null, 5000, 'a first read');
      const read = reader.figures;
      expect(reader.problem).toBe('');
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await until(() => reader.problem !== '', 5000, 'a failed read');
      expect(reader.figures).toBeNull();
      expect(reader.lastRead).toBe(read);
      expect(lines).toEqual([expect.stringMatching(/metrics at http:\/\/127\.0\.0\.1:\d+\/metrics could not be read/)]);
    } finally {
      reader.stop();
      server.close();
    }
  });
});
