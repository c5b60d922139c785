import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Histogram } from 'hdr-histogram-js';
import { ApplyingEdgeClient } from './applying-client.js';
import { producerWorkersFor } from './edge.js';
import { newLatencyHistogram } from './edge-load-protocol.js';
import { spawnProducer, startBrokerProcess, startEdgeProcess, stopChild } from './processes.js';
import { median } from './stats.js';

/**
 * End-to-end latency (issue 9): a tick's exchange time, stamped by the producer's wall clock
 * (`--clock real`), to the moment a client has decoded and applied the update that carries it:
 * producer batching, Kafka, the edge's fetch, up to one window of conflation, encoding, lz4,
 * the socket, lz4 and FlatBuffers decoding in the client. Every applied symbol update is one
 * sample (its own exchange time, from the Delta's per-symbol time field), into an HdrHistogram.
 *
 * Coordinated omission: a client that stalls (GC, a busy core) does not sample while it stalls,
 * and the updates that pile up behind the stall would be under-counted if only the ones that
 * arrived were recorded. Each client receives one frame per window, so samples are recorded
 * with `recordValueWithExpectedInterval(latency, window)`: a latency of k windows also records
 * the k-1 samples the client would have taken meanwhile (latency − window, − 2 windows, …),
 * HdrHistogram's standard correction. Both histograms are reported.
 */
export interface E2eRow {
  ticksPerSecond: number;
  /** Ticks/s the edge consumed (its /metrics): below the target when the machine cannot keep up. */
  consumedTicksPerSecond: number;
  updatesPerSecond: number;
  /** Percentiles in ms, corrected for coordinated omission; medians over the runs. */
  corrected: Percentiles;
  raw: Percentiles;
  runs: number;
}

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export interface E2eResult {
  clients: number;
  symbols: number;
  windowMs: number;
  seconds: number;
  rows: E2eRow[];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function percentiles(histogram: Histogram): Percentiles {
  const ms = (us: number): number => us / 1000;
  return {
    p50: ms(histogram.getValueAtPercentile(50)),
    p90: ms(histogram.getValueAtPercentile(90)),
    p99: ms(histogram.getValueAtPercentile(99)),
    p999: ms(histogram.getValueAtPercentile(99.9)),
    max: ms(histogram.maxValue),
  };
}

async function consumedTicks(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Number(/^tickstream_edge_ticks_consumed_total (\S+)$/m.exec(text)?.[1] ?? Number.NaN);
}

async function measureOnce(
  bootstrap: string,
  rate: number,
  options: { clients: number; symbols: number; windowMs: number; seconds: number },
): Promise<{ raw: Histogram; corrected: Histogram; updatesPerSecond: number; consumed: number; gaps: number }> {
  const children: ChildProcess[] = [];
  const clients: ApplyingEdgeClient[] = [];
  // Every applied update of every client, while recording: one latency sample each.
  let recording = false;
  let updates = 0;
  const raw = newLatencyHistogram();
  const corrected = newLatencyHistogram();
  try {
    const workers = producerWorkersFor({ rate, producerWorkers: null });
    children.push(spawnProducer(bootstrap, { symbols: options.symbols, rate, workers, clock: 'real' }));
    await sleep(1500);
    const {
      child: edge,
      port,
      base,
    } = await startEdgeProcess(bootstrap, {
      history: '0',
      minSymbols: options.symbols,
      args: ['--window', String(options.windowMs)],
    });
    children.push(edge);
    const windowUs = options.windowMs * 1000;
    const onUpdate = (ageUs: number): void => {
      if (!recording) return;
      updates++;
      if (ageUs < 0) return;
      raw.recordValue(ageUs);
      corrected.recordValueWithExpectedInterval(ageUs, windowUs);
    };
    for (let i = 0; i < options.clients; i++)
      clients.push(new ApplyingEdgeClient(`ws://127.0.0.1:${port}/ws`, ['*'], { onUpdate }));
    await Promise.all(clients.map((client) => client.ready));
    await sleep(2000); // warm-up: JIT, the edge catching up after the subscriptions
    const ticksBefore = await consumedTicks(base);
    recording = true;
    await sleep(options.seconds * 1000);
    recording = false;
    const consumed = ((await consumedTicks(base)) - ticksBefore) / options.seconds;
    return {
      raw,
      corrected,
      updatesPerSecond: updates / options.seconds,
      consumed,
      gaps: clients.reduce((sum, client) => sum + client.gaps, 0),
    };
  } finally {
    for (const client of clients) client.close();
    for (const child of children.reverse()) await stopChild(child);
  }
}

export async function runE2eBench(
  options: {
    runs?: number;
    seconds?: number;
    rates?: number[];
    clients?: number;
    symbols?: number;
    windowMs?: number;
    progress?: (line: string) => void;
  } = {},
): Promise<E2eResult> {
  const settings = {
    clients: options.clients ?? 4,
    symbols: options.symbols ?? 1000,
    windowMs: options.windowMs ?? 25,
    seconds: options.seconds ?? 10,
  };
  const runs = options.runs ?? 5;
  const rates = options.rates ?? [10_000, 100_000];
  const progress = options.progress ?? (() => {});
  const dataDir = mkdtempSync(join(tmpdir(), 'tickstream-bench-e2e-'));
  const broker = await startBrokerProcess(dataDir);
  const samples = new Map<number, { raw: Percentiles; corrected: Percentiles; updates: number; consumed: number }[]>();
  try {
    for (let run = 0; run < runs; run++) {
      for (const rate of rates) {
        const once = await measureOnce(broker.bootstrap, rate, settings);
        const figures = {
          raw: percentiles(once.raw),
          corrected: percentiles(once.corrected),
          updates: once.updatesPerSecond,
          consumed: once.consumed,
        };
        samples.set(rate, [...(samples.get(rate) ?? []), figures]);
        progress(
          `e2e run ${run + 1}/${runs} at ${rate.toLocaleString('en-US')} ticks/s: edge consumed ${Math.round(once.consumed).toLocaleString('en-US')}/s, ` +
            `${Math.round(once.updatesPerSecond).toLocaleString('en-US')} updates/s applied, corrected p50 ${figures.corrected.p50.toFixed(1)} ms, ` +
            `p99 ${figures.corrected.p99.toFixed(1)} ms, max ${figures.corrected.max.toFixed(0)} ms, ${once.gaps} gaps`,
        );
      }
    }
  } finally {
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const medianPercentiles = (list: Percentiles[]): Percentiles => ({
    p50: median(list.map((p) => p.p50)),
    p90: median(list.map((p) => p.p90)),
    p99: median(list.map((p) => p.p99)),
    p999: median(list.map((p) => p.p999)),
    max: median(list.map((p) => p.max)),
  });
  const rows = rates.map((rate): E2eRow => {
    const list = samples.get(rate) ?? [];
    return {
      ticksPerSecond: rate,
      consumedTicksPerSecond: median(list.map((s) => s.consumed)),
      updatesPerSecond: median(list.map((s) => s.updates)),
      corrected: medianPercentiles(list.map((s) => s.corrected)),
      raw: medianPercentiles(list.map((s) => s.raw)),
      runs: list.length,
    };
  });
  return { ...settings, rows };
}

export function formatE2eBench(result: E2eResult): string {
  const ms = (p: Percentiles): string =>
    [p.p50, p.p90, p.p99, p.p999, p.max].map((v) => v.toFixed(1).padStart(7)).join(' ');
  const lines = [
    `end to end, ${result.clients} clients × ${result.symbols} symbols, window ${result.windowMs} ms, ${result.seconds} s per run; medians`,
    'ticks/s offered  consumed  updates/s |     p50     p90     p99   p99.9     max (ms, CO-corrected) | raw p50 … max',
  ];
  for (const row of result.rows) {
    lines.push(
      `${row.ticksPerSecond.toLocaleString('en-US').padStart(15)} ${Math.round(row.consumedTicksPerSecond).toLocaleString('en-US').padStart(9)} ` +
        `${Math.round(row.updatesPerSecond).toLocaleString('en-US').padStart(10)} | ${ms(row.corrected)} | ${ms(row.raw)}`,
    );
  }
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // node bench/dist/e2e.js [runs] [seconds] [rates, e.g. 10000,100000]
  const [runs = '5', seconds = '10', rates = '10000,100000'] = process.argv.slice(2);
  if (!/^\d+$/.test(runs) || !/^\d+$/.test(seconds) || !/^\d+(,\d+)*$/.test(rates)) {
    process.stderr.write('usage: node bench/dist/e2e.js [runs] [seconds] [rates, e.g. 10000,100000]\n');
    process.exit(2);
  }
  const result = await runE2eBench({
    runs: Number(runs),
    seconds: Number(seconds),
    rates: rates.split(',').map(Number),
    progress: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${formatE2eBench(result)}\n`);
}
