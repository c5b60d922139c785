import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BENCHMARKS, parseBenchmarkList } from './benchmark-names.js';
import { formatSuite, runSuite, type SuiteResult } from './suite.js';
import { barChart } from './svg-chart.js';

describe('tickstream bench', () => {
  const root = mkdtempSync(join(tmpdir(), 'tickstream-suite-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('refuses an unknown benchmark by name', () => {
    expect(parseBenchmarkList('codec,http')).toEqual(['codec', 'http']);
    expect(() => parseBenchmarkList('codec,sockets')).toThrow(/unknown benchmark sockets \(one of codec, broker/);
    expect(BENCHMARKS).toContain('dashboard-loaded');
    expect(BENCHMARKS).toContain('render');
    // The loaded-machine bench's old name still selects it.
    expect(parseBenchmarkList('dashboard,render')).toEqual(['dashboard-loaded', 'render']);
    expect(parseBenchmarkList('throughput')).toEqual(['throughput']);
  });

  it('prints a floor beside its figure, met or not, in the direction it is stated', () => {
    const result: SuiteResult = {
      startedAt: '2026-12-07T07:00:00.000Z',
      quick: true,
      runs: 1,
      machine: { cpus: 2, model: 'test', memoryGb: 8, platform: 'linux x64' },
      versions: { node: '20' },
      benchmarks: {
        throughput: {
          result: null,
          text: '',
          seconds: 1,
          figures: [
            { label: 'producer', value: 1_600_000, unit: 'ticks/s', floor: { at: 'least', value: 1_500_000 } },
            { label: 'user CPU per frame', value: 0.7, unit: 'µs', floor: { at: 'most', value: 0.5 } },
            { label: 'no floor', value: 3, unit: 'x' },
          ],
        },
      },
      failures: {},
    };
    const lines = formatSuite(result).split('\n');
    expect(lines.find((line) => line.includes('producer'))).toMatch(/1,600,000 ticks\/s {2}✔ ≥ 1,500,000$/);
    expect(lines.find((line) => line.includes('user CPU'))).toMatch(/0\.70 µs {2}✘ ≤ 0\.50$/);
    expect(lines.find((line) => line.includes('no floor'))).toMatch(/3\.00 x$/);
  });

  it('runs a benchmark and writes its results, latest.json and a chart', async () => {
    const lines: string[] = [];
    const { result, resultPath, charts } = await runSuite({
      quick: true,
      only: ['codec'],
      root,
      log: (line) => lines.push(line),
    });
    expect(lines[0]).toMatch(/^\[1\/1 codec 0 s\] starting$/);
    const written = JSON.parse(readFileSync(resultPath, 'utf8')) as SuiteResult;
    expect(written).toEqual(JSON.parse(readFileSync(join(root, 'bench/results/latest.json'), 'utf8')));
    expect(written.runs).toBe(1);
    expect(written.failures).toEqual({});
    const codec = written.benchmarks.codec;
    expect(codec?.figures.find((f) => f.label === 'Delta bytes per symbol')?.value).toBeGreaterThan(4);
    expect(codec?.figures.every((f) => Number.isFinite(f.value) && f.value > 0)).toBe(true);
    // Quick charts stay out of docs/img.
    expect(charts.length).toBeGreaterThan(0);
    expect(readdirSync(join(root, 'bench/results/img')).length).toBe(charts.length);
    expect(readFileSync(charts[0] as string, 'utf8')).toMatch(/^<svg [^>]*>[\s\S]*<\/svg>\n$/);
    expect(formatSuite(result)).toContain('Delta encode + lz4');
  });

  it('draws bars in proportion, escaping labels', () => {
    const svg = barChart('t', 's', [
      { label: 'a<b', value: 100, unit: 'x' },
      { label: 'c', value: 50, unit: 'x', highlight: true },
    ]);
    const widths = [...svg.matchAll(/<rect x="\d+" y="\d+" width="([\d.]+)"/g)].map(([, w]) => Number(w));
    expect(widths).toHaveLength(2);
    expect(widths[0]).toBeCloseTo(2 * (widths[1] as number), 1);
    expect(svg).toContain('a&lt;b');
    expect(svg).toContain('#2563eb');
  });

  it('widens the label column for long labels instead of clipping them', () => {
    const long = 'owed updates per CPU-s, edge ÷ Socket.IO, a long label';
    const svg = barChart('t', 's', [{ label: long, value: 1, unit: 'x' }]);
    const labelEnd = Number(/<text x="(\d+)" y="\d+" text-anchor="end">/.exec(svg)?.[1]);
    // Right-aligned at labelEnd: the label's estimated width must fit between the edge and it.
    expect(labelEnd).toBeGreaterThan(long.length * 7);
    const barX = Number(/<rect x="(\d+)" y="\d+" width/.exec(svg)?.[1]);
    expect(barX).toBeGreaterThan(labelEnd);
  });
});
