import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { cpuSeconds, spawnProducer, startBrokerProcess, startEdgeProcess, stopChild } from './processes.js';
import { median } from './stats.js';

/**
 * HTTP benchmark (issue 9): autocannon against a real edge's `/health` and `/api/candles`, the
 * edge fed by the producer (so its state changes while it answers, as in production).
 * `/api/candles` asks for 1-second bars, so its responses grow with the run (up to 500 bars);
 * B/response says how big they were. The edge's CPU per request comes from /proc.
 */
export interface HttpBenchRow {
  path: string;
  /** Medians over the runs. */
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  bytesPerResponse: number;
  edgeCpuMicrosPerRequest: number;
  errors: number;
  runs: number[];
}

export interface HttpBenchResult {
  connections: number;
  seconds: number;
  rows: HttpBenchRow[];
}

const PATHS = ['/health', '/api/candles?symbol=AAPL&tf=1s&limit=500', '/api/symbols'];

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function runHttpBench(
  options: { runs?: number; seconds?: number; connections?: number; progress?: (line: string) => void } = {},
): Promise<HttpBenchResult> {
  const runs = options.runs ?? 5;
  const seconds = options.seconds ?? 5;
  const connections = options.connections ?? 50;
  const progress = options.progress ?? (() => {});
  const dataDir = mkdtempSync(join(tmpdir(), 'tickstream-bench-http-'));
  const broker = await startBrokerProcess(dataDir);
  const children: ChildProcess[] = [];
  try {
    children.push(spawnProducer(broker.bootstrap, { symbols: 500, rate: 5000, workers: 1 }));
    await sleep(2000);
    const { child: edge, base } = await startEdgeProcess(broker.bootstrap);
    children.push(edge);
    const samples = new Map<
      string,
      { rps: number; p50: number; p99: number; bytes: number; cpu: number; errors: number }[]
    >();
    for (let run = 0; run < runs; run++) {
      // Paths interleaved within each run, so drift of the machine hits all of them alike.
      for (const path of PATHS) {
        const cpuBefore = cpuSeconds(edge.pid ?? 0);
        const result = await autocannon({ url: base + path, connections, duration: seconds });
        const cpu = cpuSeconds(edge.pid ?? 0) - cpuBefore;
        const requests = result.requests.total;
        const failures = result.errors + result.timeouts + result.non2xx;
        const list = samples.get(path) ?? [];
        list.push({
          rps: result.requests.average,
          p50: result.latency.p50,
          p99: result.latency.p99,
          bytes: requests > 0 ? result.throughput.total / requests : 0,
          cpu: requests > 0 ? (cpu * 1e6) / requests : Number.NaN,
          errors: failures,
        });
        samples.set(path, list);
        progress(
          `http run ${run + 1}/${runs} ${path}: ${Math.round(result.requests.average).toLocaleString('en-US')} req/s, ` +
            `p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ${failures} errors`,
        );
      }
    }
    const rows = PATHS.map((path): HttpBenchRow => {
      const list = samples.get(path) ?? [];
      const of = (pick: (s: (typeof list)[number]) => number): number => median(list.map(pick));
      return {
        path,
        requestsPerSecond: of((s) => s.rps),
        latencyP50Ms: of((s) => s.p50),
        latencyP99Ms: of((s) => s.p99),
        bytesPerResponse: of((s) => s.bytes),
        edgeCpuMicrosPerRequest: of((s) => s.cpu),
        errors: list.reduce((sum, s) => sum + s.errors, 0),
        runs: list.map((s) => s.rps),
      };
    });
    return { connections, seconds, rows };
  } finally {
    for (const child of children.reverse()) await stopChild(child);
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export function formatHttpBench(result: HttpBenchResult): string {
  const lines = [
    `autocannon, ${result.connections} connections, ${result.seconds} s per run; medians`,
    'path                                      req/s   p50 ms  p99 ms  B/response  edge µs/req  errors',
  ];
  for (const row of result.rows) {
    lines.push(
      `${row.path.padEnd(40)} ${Math.round(row.requestsPerSecond).toLocaleString('en-US').padStart(7)} ` +
        `${row.latencyP50Ms.toFixed(0).padStart(7)} ${row.latencyP99Ms.toFixed(0).padStart(7)} ` +
        `${Math.round(row.bytesPerResponse).toLocaleString('en-US').padStart(11)} ${row.edgeCpuMicrosPerRequest.toFixed(1).padStart(12)} ${String(row.errors).padStart(7)}`,
    );
  }
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // node bench/dist/http.js [runs] [seconds]
  const [runs = '5', seconds = '5'] = process.argv.slice(2);
  if (!/^\d+$/.test(runs) || !/^\d+$/.test(seconds)) {
    process.stderr.write('usage: node bench/dist/http.js [runs] [seconds]\n');
    process.exit(2);
  }
  const result = await runHttpBench({
    runs: Number(runs),
    seconds: Number(seconds),
    progress: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${formatHttpBench(result)}\n`);
}
