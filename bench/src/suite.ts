import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatAlertRulesBench, runAlertRulesBench } from './alert-rules.js';
import { formatAnalyticsBench, runAnalyticsBench } from './analytics.js';
import { type BaselineResult, formatBaselineBench, runBaselineBench } from './baseline.js';
import type { BenchmarkName } from './benchmark-names.js';
import { formatBrokerBench, runBrokerBench } from './broker.js';
import { runCodecBench } from './codec.js';
import { formatCompactionBench, runCompactionBench } from './compaction.js';
import {
  type DashboardBenchRow,
  DEFAULT_CONFIGS,
  formatViewRow,
  runDashboardBench,
  runViewsBench,
  type ViewBenchRow,
} from './dashboard-loaded.js';
import { formatE2eBench, runE2eBench } from './e2e.js';
import { formatEdgeBench, runEdgeBench } from './edge.js';
import { formatFillLatency, runFillLatencyBench } from './fill-latency.js';
import { type Floor, formatFloor } from './floors.js';
import { formatHttpBench, runHttpBench } from './http.js';
import { formatOrdersBench, runOrdersBench } from './orders.js';
import { formatProducerBench, runProducerBench } from './producer.js';
import { formatRenderBench, runRenderBench } from './render.js';
import { formatReplayBench, QUICK, runReplayBench } from './replay.js';
import { median } from './stats.js';
import { type Bar, barChart, formatValue } from './svg-chart.js';
import { formatThroughputBench, runThroughputBench, throughputFigures } from './throughput.js';
import { formatTransactionsBench, runTransactionsBench } from './transactions.js';

/**
 * `tickstream bench`: every benchmark of bench/ in one command, as medians of 5 runs (3 with
 * --quick), a progress line while each runs, a table at the end, the whole result in
 * bench/results/<timestamp>.json and latest.json, and a bar chart per benchmark. The
 * benchmarks themselves live in their own modules and run alone too (node bench/dist/X.js).
 */

/** One headline figure of a benchmark: a row of the final table and a bar of its chart. */
export interface Figure {
  label: string;
  value: number;
  unit: string;
  /** The issue's target for it, printed beside it with ✔/✘. */
  floor?: Floor;
}

interface BenchmarkOutcome {
  /** Everything the benchmark measured, as it returned it. */
  result: unknown;
  figures: Figure[];
  /** The benchmark's own table. */
  text: string;
}

interface RunContext {
  quick: boolean;
  runs: number;
  progress: (line: string) => void;
  /** The reference harnesses of the render benchmark (default: found beside the repository). */
  anchorsDir?: string;
}

const round = (value: number): string => formatValue(value);

const SUITE: Record<BenchmarkName, (context: RunContext) => Promise<BenchmarkOutcome>> = {
  async codec({ runs }) {
    const result = await runCodecBench({ runs });
    return {
      result,
      figures: [
        { label: 'Delta encode + lz4', value: result.encodeFramesPerSecond, unit: 'frames/s' },
        { label: 'Delta decode', value: result.decodeFramesPerSecond, unit: 'frames/s' },
        { label: 'Delta bytes per symbol', value: result.deltaBytesPerSymbol, unit: 'B' },
        { label: 'JSON bytes per update', value: result.jsonBytesPerUpdate, unit: 'B' },
      ],
      text: `codec: ${round(result.encodeFramesPerSecond)} frames/s encoded, ${round(result.decodeFramesPerSecond)} decoded, ${round(result.deltaBytesPerSymbol)} B/symbol (JSON ${round(result.jsonToDeltaRatio)}× bigger)`,
    };
  },

  async broker({ quick, runs, progress }) {
    const result = await runBrokerBench({ runs, seconds: quick ? 1 : 4, backends: ['embedded'], progress });
    const figures = result.measurements
      .filter((m) => m.client !== 'disk')
      .map((m) => ({
        label: `${m.client} ${m.direction} ${m.recordBytes} B`,
        value: m.megabytesPerSecond,
        unit: 'MB/s',
      }));
    return { result, figures, text: formatBrokerBench(result) };
  },

  async transactions({ quick, runs, progress }) {
    // Embedded only, like broker; node bench/dist/transactions.js --backend both adds Apache Kafka.
    const result = await runTransactionsBench({ runs, seconds: quick ? 1 : 4, backends: ['embedded'], progress });
    const figures = result.measurements.map((m) => ({ label: m.what, value: m.value, unit: m.unit }));
    return { result, figures, text: formatTransactionsBench(result) };
  },

  async compaction({ quick, runs, progress }) {
    const result = await runCompactionBench({
      runs,
      prefillMegabytes: quick ? 20 : 100,
      seconds: quick ? 2 : 5,
      progress,
    });
    return {
      result,
      figures: [
        { label: 'Cleaner throughput', value: result.cleanedMegabytesPerSecond, unit: 'MB/s' },
        {
          label: 'Cleaner throughput per compute second',
          value: result.cleanedMegabytesPerComputeSecond,
          unit: 'MB/s',
        },
        { label: 'Produce p99, cleaner off', value: result.p99OffMs, unit: 'ms' },
        { label: 'Produce p99, cleaner running', value: result.p99OnMs, unit: 'ms' },
        { label: 'Produce p99 with / without cleaner', value: result.p99Ratio, unit: '×' },
      ],
      text: formatCompactionBench(result),
    };
  },

  async producer({ quick, runs, progress }) {
    const result = await runProducerBench({
      runs,
      seconds: quick ? 3 : 5,
      workers: quick ? [2] : [1, 2, 4],
      writers: quick ? ['workers', 'kafkajs-workers'] : undefined,
      progress,
    });
    const figures = result.rows.map((row) => ({
      label: `${row.writer}, ${row.workers} worker${row.workers > 1 ? 's' : ''}`,
      value: row.ticksPerSecond,
      unit: 'ticks/s',
    }));
    return { result, figures, text: formatProducerBench(result) };
  },

  async edge({ quick, runs, progress }) {
    const result = await runEdgeBench(
      quick
        ? { runs, clients: [1000], modes: ['pages'], seconds: 3, warmupSeconds: 1, progress }
        : { runs, clients: [1000, 5000, 10_000], modes: ['pages'], progress },
    );
    const figures = result.rows.flatMap((row) => [
      { label: `${row.clients} clients: frames`, value: row.median.framesPerSecond, unit: 'frames/s' },
      { label: `${row.clients} clients: updates`, value: row.median.updatesPerSecond, unit: 'updates/s' },
      { label: `${row.clients} clients: per edge CPU-s`, value: row.median.updatesPerEdgeCpuSecond, unit: 'updates' },
      { label: `${row.clients} clients: latency p99`, value: row.median.latencyP99Ms, unit: 'ms' },
    ]);
    return { result, figures, text: formatEdgeBench(result) };
  },

  async e2e({ quick, runs, progress }) {
    const result = await runE2eBench({
      runs,
      seconds: quick ? 3 : 10,
      rates: quick ? [10_000] : [10_000, 100_000],
      progress,
    });
    const figures = result.rows.flatMap((row) => {
      const at = `${row.ticksPerSecond / 1000}k ticks/s`;
      return [
        { label: `${at}: p50`, value: row.corrected.p50, unit: 'ms' },
        { label: `${at}: p90`, value: row.corrected.p90, unit: 'ms' },
        { label: `${at}: p99`, value: row.corrected.p99, unit: 'ms' },
        { label: `${at}: p99.9`, value: row.corrected.p999, unit: 'ms' },
        { label: `${at}: max`, value: row.corrected.max, unit: 'ms' },
        { label: `${at}: consumed by the edge`, value: row.consumedTicksPerSecond, unit: 'ticks/s' },
      ];
    });
    return { result, figures, text: formatE2eBench(result) };
  },

  async baseline({ quick, runs, progress }) {
    // Socket.IO + JSON and the edge side by side at 5,000 ticks/s over 1,000 symbols, in two
    // workloads: 200 clients on pages of 50 symbols, and 100 clients on every symbol (the
    // dashboard's Market grid). Quick: one 3 s run of each.
    const timing = { runs: quick ? 1 : runs, seconds: quick ? 3 : 8, progress };
    const pages = await runBaselineBench(timing);
    const everySymbol = await runBaselineBench({ ...timing, clients: 100, symbolsPerClient: 1000 });
    return {
      result: { pages, everySymbol },
      figures: [...baselineFigures('pages', pages), ...baselineFigures('all symbols', everySymbol)],
      text: `${formatBaselineBench(pages)}\n\n${formatBaselineBench(everySymbol)}`,
    };
  },

  async http({ quick, runs, progress }) {
    const result = await runHttpBench({ runs, seconds: quick ? 2 : 5, progress });
    const figures = result.rows.map((row) => ({
      label: row.path.split('?')[0] ?? row.path,
      value: row.requestsPerSecond,
      unit: 'req/s',
    }));
    return { result, figures, text: formatHttpBench(result) };
  },

  async orders({ quick, runs, progress }) {
    // 1,000 simulated traders posting orders to one edge; quick: one 3 s run.
    const result = await runOrdersBench({ runs: quick ? 1 : runs, seconds: quick ? 3 : 10, progress });
    const m = result.median;
    return {
      result,
      figures: [
        { label: 'orders accepted at the edge', value: m.acceptedPerSecond, unit: 'orders/s' },
        { label: 'orders stored on orders', value: m.storedPerSecond, unit: 'orders/s' },
        { label: 'POST /api/orders p50', value: m.latencyP50Ms, unit: 'ms' },
        { label: 'POST /api/orders p99', value: m.latencyP99Ms, unit: 'ms' },
        { label: 'edge CPU per order', value: m.edgeCpuMicrosPerOrder, unit: 'µs' },
      ],
      text: formatOrdersBench(result),
    };
  },

  async 'dashboard-loaded'({ quick, progress }) {
    // A browser run is long; quick: one 10 s run at 10k updates/s, full: 3 runs of 30 s at each rate.
    const configs = quick ? DEFAULT_CONFIGS.slice(0, 1) : DEFAULT_CONFIGS;
    const runs = quick ? 1 : 3;
    const perRun: DashboardBenchRow[][] = [];
    for (let run = 0; run < runs; run++) {
      perRun.push(await runDashboardBench({ seconds: quick ? 10 : 30, configs, log: progress }));
    }
    const rows = configs.map((config, index) => {
      const samples = perRun.map((rowsOfRun) => rowsOfRun[index]).filter((row) => row !== undefined);
      const of = (pick: (row: (typeof samples)[number]) => number): number => median(samples.map(pick));
      return {
        ...config,
        decodedUpdatesPerSecond: of((row) => row.decodedUpdatesPerSecond),
        fps: of((row) => row.fps),
        frameTimeP95Ms: of((row) => row.frameTimeP95Ms),
        scriptMsPerFrame: of((row) => row.scriptMsPerFrame),
        runs: samples,
      };
    });
    const figures = rows.flatMap((row) => [
      {
        label: `${row.targetUpdatesPerSecond / 1000}k offered: decoded`,
        value: row.decodedUpdatesPerSecond,
        unit: 'updates/s',
      },
      { label: `${row.targetUpdatesPerSecond / 1000}k offered: fps`, value: row.fps, unit: 'fps' },
      { label: `${row.targetUpdatesPerSecond / 1000}k offered: frame p95`, value: row.frameTimeP95Ms, unit: 'ms' },
      { label: `${row.targetUpdatesPerSecond / 1000}k offered: script`, value: row.scriptMsPerFrame, unit: 'ms/frame' },
    ]);
    // Issue 22: every view in turn at 50k offered (full runs only): none may fall 10 % below the grid.
    const views: ViewBenchRow[] = quick ? [] : await runViewsBench({ seconds: 15, log: progress });
    const market = views[0];
    for (const view of views)
      figures.push(
        { label: `view ${view.view} at 50k: fps`, value: view.fps, unit: 'fps' },
        { label: `view ${view.view} at 50k: script`, value: view.scriptMsPerFrame, unit: 'ms/frame' },
      );
    const text = [
      ...rows.map(
        (row) =>
          `dashboard ${row.targetUpdatesPerSecond} offered: ${round(row.decodedUpdatesPerSecond)} decoded/s, ${round(row.fps)} fps, p95 ${round(row.frameTimeP95Ms)} ms, ${round(row.scriptMsPerFrame)} ms script/frame (SwiftShader)`,
      ),
      ...views.map((view) => `dashboard view ${formatViewRow(view, market)}`),
    ].join('\n');
    return { result: { runs, rows, views }, figures, text };
  },

  async render({ quick, progress, anchorsDir }) {
    // The page alone on a recorded feed, beside the reference harnesses (issue 25).
    const result = await runRenderBench({ quick, anchorsDir, log: progress });
    const figures = result.rows.map((row) => ({
      label: `${row.page} at ${row.rate / 1000}k: fps`,
      value: row.fps,
      unit: 'fps',
    }));
    figures.push(
      ...result.rows.map((row) => ({
        label: `${row.page} at ${row.rate / 1000}k: main thread`,
        value: row.mainThreadCpu,
        unit: 'CPU-s/s',
      })),
      { label: 'dashboard idle: renderer + GPU', value: result.summary.dashboardIdle, unit: 'CPU-s/s idle' },
    );
    return { result, figures, text: formatRenderBench(result) };
  },

  async analytics({ quick, progress }) {
    // One pass (the backlogs, JVM starts and kills take minutes): the floors are ≥ 200,000 ticks
    // per core-second, p99 detection ≤ 500 ms, recovery ≤ 10 s.
    const result = await runAnalyticsBench({ quick, progress });
    const figures = [
      ...result.throughput.map((row) => ({
        label: `parallelism ${row.parallelism}, cold drain: ticks/s`,
        value: row.ticksPerSecond,
        unit: 'ticks/s',
      })),
      ...result.throughput.map((row) => ({
        label: `parallelism ${row.parallelism}, cold drain (JIT still compiling): per core-second`,
        value: row.ticksPerCoreSecond,
        unit: 'ticks/core-s',
      })),
      // The issue's floor is on the sustained figure: the warm JVM (not in --quick).
      ...result.sustained.flatMap((row) => [
        {
          label: `parallelism ${row.parallelism}, sustained (warm JVM draining a burst): ticks/s`,
          value: row.drain.ticksPerSecond,
          unit: 'ticks/s',
        },
        {
          label: `parallelism ${row.parallelism}, sustained (warm JVM draining a burst): per core-second`,
          value: row.drain.ticksPerCoreSecond,
          unit: 'ticks/core-s',
          floor: { at: 'least' as const, value: 200_000 },
        },
        {
          label: `parallelism ${row.parallelism}, warm at ${row.rate.toLocaleString('en-US')} ticks/s${row.fixedRate.flat ? ' (lag flat)' : ' (lag growing)'}: per core-second`,
          value: row.fixedRate.ticksPerCoreSecond,
          unit: 'ticks/core-s',
        },
      ]),
      { label: 'default load: CPU per 1,000 ticks', value: result.live.cpuMsPer1000Ticks, unit: 'CPU-ms' },
      { label: 'checkpoint duration', value: result.live.checkpointMs, unit: 'ms' },
      { label: 'JVM RSS at the default load', value: result.live.rssMb, unit: 'MB' },
      { label: 'tick → FlashCrash p50', value: result.latency.p50Ms, unit: 'ms' },
      { label: 'tick → FlashCrash p99', value: result.latency.p99Ms, unit: 'ms' },
      { label: 'tick → FlashCrash written (read_uncommitted) p50', value: result.writtenLatency.p50Ms, unit: 'ms' },
      { label: 'tick → FlashCrash written (read_uncommitted) p99', value: result.writtenLatency.p99Ms, unit: 'ms' },
      { label: 'recovery after kill -9', value: median(result.recoverySeconds), unit: 's' },
    ];
    return { result, figures, text: formatAnalyticsBench(result) };
  },

  async 'alert-rules'({ quick, progress }) {
    // Issue 20's floor: 10,000 active rules cost ≤ 10 % more job CPU than none (interleaved pairs
    // in one warm JVM); the trigger latency's target is p99 ≤ 250 ms tick → client.
    const result = await runAlertRulesBench({ quick, progress });
    const figures = [
      { label: 'no rules: job CPU per 1,000 ticks', value: result.cpuMsPer1000TicksNone, unit: 'CPU-ms' },
      { label: '10,000 rules: job CPU per 1,000 ticks', value: result.cpuMsPer1000TicksRules, unit: 'CPU-ms' },
      { label: '10,000 rules: extra job CPU', value: result.extraCpuShare * 100, unit: '%' },
      { label: 'rule evaluations per job CPU-second', value: result.evaluationsPerCoreSecond, unit: 'evaluations/s' },
      { label: 'tick → trigger at the client p50', value: result.latencyMs.p50, unit: 'ms' },
      { label: 'tick → trigger at the client p99', value: result.latencyMs.p99, unit: 'ms' },
    ];
    return { result, figures, text: formatAlertRulesBench(result) };
  },

  async fills({ quick, progress }) {
    // Order → fill through the Flink fill engine (docs/trading.md): one trader, market orders one
    // after another; quick: 20 orders, full: 100. The floor: p99 ≤ 100 ms after the filling tick.
    const result = await runFillLatencyBench({ orders: quick ? 20 : 100, progress });
    const figures = [
      { label: 'accepted → fill at the client p50', value: result.acceptedToClientMs.p50, unit: 'ms' },
      { label: 'accepted → fill at the client p99', value: result.acceptedToClientMs.p99, unit: 'ms' },
      { label: 'filling tick → fill at the client p50', value: result.tickToClientMs.p50, unit: 'ms' },
      { label: 'filling tick → fill at the client p99', value: result.tickToClientMs.p99, unit: 'ms' },
      { label: 'accepted → fill written p50', value: result.acceptedToWrittenMs.p50, unit: 'ms' },
      { label: "fill engine's checkpoint p50", value: result.checkpointMs.p50, unit: 'ms' },
    ];
    return { result, figures, text: formatFillLatency(result) };
  },

  async replay({ quick, progress }) {
    // Issue 27: the live clients' latency without and with 20 replays at 10× in one run, and one
    // replay at 100× alone. Quick (CI, ~40 s): replay.ts's QUICK.
    const result = await runReplayBench(quick ? { ...QUICK, progress } : { progress });
    const { live, withReplays, at100 } = result;
    const figures = [
      { label: 'live p50, no replays', value: live.p50, unit: 'ms' },
      { label: `live p50, ${result.replays} replays at 10×`, value: withReplays.p50, unit: 'ms' },
      { label: 'live p99, no replays', value: live.p99, unit: 'ms' },
      { label: `live p99, ${result.replays} replays at 10×`, value: withReplays.p99, unit: 'ms' },
      ...(result.liveAfter === null
        ? []
        : [{ label: 'live p99, no replays, after', value: result.liveAfter.p99, unit: 'ms' }]),
      { label: 'live p99 with ÷ without replays', value: result.p99Ratio, unit: '×' },
      {
        label: 'replayed updates per replaying client at 10×',
        value: withReplays.replayUpdatesPerClient,
        unit: 'updates/s',
      },
      {
        label: `replays that played during the ${result.replays}-replay stretch`,
        value: withReplays.replaysAdvanced,
        unit: 'replays',
      },
      { label: 'one replay at 100×', value: at100.updatesPerSecond, unit: 'updates/s' },
      { label: 'one replay at 100×: clock', value: at100.eventSecondsPerSecond, unit: 'event s/s' },
      { label: 'edge CPU, no replays', value: live.edgeCores, unit: 'cores' },
      { label: `edge CPU, ${result.replays} replays at 10×`, value: withReplays.edgeCores, unit: 'cores' },
      { label: 'edge CPU per replay at 10×', value: result.edgeCoresPerReplay, unit: 'cores' },
      { label: 'edge CPU, one replay at 100×', value: at100.edgeCores, unit: 'cores' },
    ];
    return { result, figures, text: formatReplayBench(result) };
  },

  async throughput({ quick, runs, progress }) {
    // Issue 24's "Measure": ingest, fan-out, bytes, producer, e2e at 250k and idle cost, each beside
    // its reference (Java ConsumerPerformance / ProducerPerformance, a bare uWS publisher) and floor.
    const result = await runThroughputBench({ quick, runs, progress });
    return { result, figures: throughputFigures(result), text: formatThroughputBench(result) };
  },
};

function versions(root: string): Record<string, string> {
  let packages: Record<string, { version?: string }> = {};
  try {
    packages = (JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: typeof packages })
      .packages;
  } catch {
    // no lock file next to the results (a test's temporary root): versions stay unknown
  }
  const of = (name: string): string => packages[`node_modules/${name}`]?.version ?? 'unknown';
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    // not a git checkout (e.g. the Docker image)
  }
  return {
    tickstream: commit,
    node: process.versions.node,
    kafkajs: of('kafkajs'),
    'uWebSockets.js': of('uWebSockets.js'),
    flatbuffers: of('flatbuffers'),
    'lz4-napi': of('lz4-napi'),
    autocannon: of('autocannon'),
    'playwright-core': of('playwright-core'),
  };
}

export interface SuiteResult {
  startedAt: string;
  quick: boolean;
  runs: number;
  machine: { cpus: number; model: string; memoryGb: number; platform: string };
  versions: Record<string, string>;
  benchmarks: Partial<Record<BenchmarkName, BenchmarkOutcome & { seconds: number }>>;
  failures: Partial<Record<BenchmarkName, string>>;
}

export async function runSuite(options: {
  quick: boolean;
  only: readonly BenchmarkName[];
  /** The render benchmark's reference harnesses (--anchors). */
  anchorsDir?: string;
  /** Repository root: bench/results/ and docs/img/ are written under it. */
  root?: string;
  log?: (line: string) => void;
}): Promise<{ result: SuiteResult; resultPath: string; charts: string[] }> {
  const root = options.root ?? fileURLToPath(new URL('../../', import.meta.url));
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  // Quick is CI's smoke test (every benchmark completes with valid figures), not a measurement: one run.
  const runs = options.quick ? 1 : 5;
  const startedAt = new Date();
  const result: SuiteResult = {
    startedAt: startedAt.toISOString(),
    quick: options.quick,
    runs,
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model ?? 'unknown',
      memoryGb: Math.round(totalmem() / 2 ** 30),
      platform: `${process.platform} ${process.arch}`,
    },
    versions: versions(root),
    benchmarks: {},
    failures: {},
  };
  for (const [index, name] of options.only.entries()) {
    const began = Date.now();
    const progress = (line: string): void =>
      log(`[${index + 1}/${options.only.length} ${name} ${Math.round((Date.now() - began) / 1000)} s] ${line}`);
    progress('starting');
    try {
      const outcome = await SUITE[name]({ quick: options.quick, runs, progress, anchorsDir: options.anchorsDir });
      result.benchmarks[name] = { ...outcome, seconds: (Date.now() - began) / 1000 };
      progress(`done in ${Math.round((Date.now() - began) / 1000)} s`);
    } catch (error) {
      // One benchmark failing (e.g. no Chromium) must not lose the others' results.
      result.failures[name] = describeFailure(error);
      progress(`FAILED: ${result.failures[name]}`);
    }
  }

  const resultsDir = join(root, 'bench/results');
  mkdirSync(resultsDir, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const resultPath = join(resultsDir, `${stamp}.json`);
  const json = `${JSON.stringify(result, null, 2)}\n`;
  writeFileSync(resultPath, json);
  writeFileSync(join(resultsDir, 'latest.json'), json);

  // Quick runs are smoke tests: their charts go next to the results, not over the docs' ones.
  const chartDir = options.quick ? join(resultsDir, 'img') : join(root, 'docs/img');
  const charts = writeCharts(result, chartDir);
  return { result, resultPath, charts };
}

/** One bar chart per benchmark and unit, as `bench-<benchmark>-<unit>.svg` in `chartDir`; returns the files. */
/** An error's message with its causes (fetch's "fetch failed" says why only in `cause`). */
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause === undefined ? error.message : `${error.message}: ${describeFailure(error.cause)}`;
}

/** One baseline workload's figures, labelled with `workload`. */
function baselineFigures(workload: string, result: BaselineResult): { label: string; value: number; unit: string }[] {
  const sides = [
    ['Socket.IO', result.baseline],
    ['edge', result.edge],
  ] as const;
  return [
    ...sides.flatMap(([name, side]) => [
      { label: `${workload}: ${name} delivered`, value: side.updatesPerSecond, unit: 'updates/s' },
      { label: `${workload}: ${name} bytes per update`, value: side.bytesPerUpdate, unit: 'B' },
      { label: `${workload}: ${name} CPU per 10k updates`, value: side.serverCpuSecondsPer10kUpdates, unit: 'CPU-s' },
    ]),
    { label: `${workload}: updates per CPU-s, edge ÷ Socket.IO`, value: result.updatesPerCpuRatio, unit: 'times' },
    { label: `${workload}: owed per CPU-s, edge ÷ Socket.IO`, value: result.owedPerCpuRatio, unit: 'times' },
    { label: `${workload}: bytes per update, Socket.IO ÷ edge`, value: result.bytesPerUpdateRatio, unit: 'times' },
  ];
}

export function writeCharts(result: SuiteResult, chartDir: string): string[] {
  mkdirSync(chartDir, { recursive: true });
  const charts: string[] = [];
  const subtitle = `${result.startedAt.slice(0, 10)}, ${result.machine.cpus} cores (${result.machine.model}), medians of ${result.runs}${result.quick ? ' (quick)' : ''}`;
  for (const [name, outcome] of Object.entries(result.benchmarks)) {
    const byUnit = new Map<string, Bar[]>();
    for (const figure of outcome.figures) {
      const bars = byUnit.get(figure.unit) ?? [];
      bars.push(figure);
      byUnit.set(figure.unit, bars);
    }
    for (const [unit, bars] of byUnit) {
      const file = join(chartDir, `bench-${name}-${unit.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.svg`);
      writeFileSync(file, barChart(`${name}: ${unit}`, subtitle, bars));
      charts.push(file);
    }
  }
  return charts;
}

/** The final table: every figure of every benchmark that ran, then the failures. */
export function formatSuite(result: SuiteResult): string {
  const lines = [
    `tickstream bench${result.quick ? ' --quick' : ''}: medians of ${result.runs} runs, ${result.machine.cpus} cores, Node ${result.versions.node}`,
  ];
  const outcomes = Object.entries(result.benchmarks);
  const labelWidth = Math.max(40, ...outcomes.flatMap(([, outcome]) => outcome.figures.map((f) => f.label.length)));
  for (const [name, outcome] of outcomes) {
    lines.push('', `${name} (${Math.round(outcome.seconds)} s)`);
    for (const figure of outcome.figures)
      lines.push(
        `  ${figure.label.padEnd(labelWidth)} ${formatValue(figure.value).padStart(14)} ${figure.unit}${figure.floor === undefined ? '' : `  ${formatFloor(figure.value, figure.floor)}`}`,
      );
  }
  for (const [name, why] of Object.entries(result.failures)) lines.push('', `${name}: FAILED — ${why}`);
  return lines.join('\n');
}
