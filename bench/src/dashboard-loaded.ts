import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type CDPSession, chromium, type Page } from 'playwright-core';
import { producerWorkersFor } from './edge.js';
import { spawnProducer, startBrokerProcess, startEdgeProcess, stopChild } from './processes.js';

/**
 * The dashboard on a loaded machine (issue 8; `dashboard-loaded` since issue 25, which added
 * `render`, the page alone on a recorded feed): the built dashboard in headless Chromium at 1280×800 against a
 * real edge, fed by the producer at a rate chosen to offer a target number of symbol updates
 * per second (every symbol of the universe subscribed; at most one update per symbol per
 * 25 ms window). Measured in the page: frames per second and frame-time p95 from
 * requestAnimationFrame, long tasks (PerformanceObserver), main-thread script time per frame
 * (CDP Performance.getMetrics ScriptDuration), JS heap at the start and end of the window, and
 * the updates the worker decoded and the main thread applied. WebGL runs on SwiftShader here:
 * a software renderer, so frame figures are regression signals, not GPU figures.
 */
export interface DashboardBenchConfig {
  targetUpdatesPerSecond: number;
  symbols: number;
  ticksPerSecond: number;
}

export interface DashboardBenchRow extends DashboardBenchConfig {
  seconds: number;
  decodedUpdatesPerSecond: number;
  appliedUpdatesPerSecond: number;
  fps: number;
  frameTimeP95Ms: number;
  longTasks: number;
  longTaskMsPerSecond: number;
  scriptMsPerFrame: number;
  heapStartMb: number;
  heapEndMb: number;
  /** JS heap after a forced GC, every `heapEverySeconds` through the window: what the page retains. */
  retainedHeapMb: number[];
}

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DASHBOARD_DIST = fileURLToPath(new URL('../../dashboard/dist/index.html', import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Offered updates/s ≈ symbols × min(ticks per symbol per second, 40 windows a second). */
export const DEFAULT_CONFIGS: DashboardBenchConfig[] = [
  { targetUpdatesPerSecond: 10_000, symbols: 1000, ticksPerSecond: 10_000 },
  { targetUpdatesPerSecond: 50_000, symbols: 2000, ticksPerSecond: 50_000 },
  { targetUpdatesPerSecond: 100_000, symbols: 2500, ticksPerSecond: 100_000 },
];

/** Runs in the page before the app: frame intervals, long tasks, heap, for the bench to read. */
const PAGE_PROBE = `
  window.__bench = { frames: [], longTasks: [], reset() { this.frames = []; this.longTasks = []; } };
  let previous = 0;
  const frame = (now) => { if (previous) window.__bench.frames.push(now - previous); previous = now; requestAnimationFrame(frame); };
  requestAnimationFrame(frame);
  new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__bench.longTasks.push(e.duration); })
    .observe({ type: 'longtask', buffered: true });
`;

interface PageSample {
  frames: number[];
  longTasks: number[];
  heap: number;
  counters: { updates: number } | null;
  applied: number;
}

/** The views measured one after another by `--views` (issue 22): the Market grid is the reference. */
export const VIEWS = ['Market', 'Overview', 'Symbol', 'History', 'Volume', 'Correlation'] as const;

export interface ViewBenchRow {
  view: string;
  seconds: number;
  appliedUpdatesPerSecond: number;
  fps: number;
  frameTimeP95Ms: number;
  longTasks: number;
  longTaskMsPerSecond: number;
  scriptMsPerFrame: number;
}

interface RunningSystem {
  page: Page;
  cdp: CDPSession;
}

/**
 * The system for one configuration: an embedded broker, the producer at the configured rate, an
 * edge, and the dashboard in Chromium gone live on its Market tab; torn down after `use`.
 */
async function withSystem<T>(config: DashboardBenchConfig, use: (system: RunningSystem) => Promise<T>): Promise<T> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tickstream-dashboard-bench-'));
  const broker = await startBrokerProcess(dataDir);
  const children: ChildProcess[] = [];
  const profile = mkdtempSync(join(tmpdir(), 'tickstream-dashboard-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
      '--ignore-gpu-blocklist',
      '--no-sandbox',
      '--enable-precise-memory-info',
    ],
  });
  try {
    const rate = config.ticksPerSecond;
    const workers = producerWorkersFor({ rate, producerWorkers: null });
    children.push(spawnProducer(broker.bootstrap, { symbols: config.symbols, rate, workers, clock: 'real' }));
    await sleep(1500);
    const { child: edge, port } = await startEdgeProcess(broker.bootstrap, {
      history: '0',
      minSymbols: config.symbols,
    });
    children.push(edge);
    const page = context.pages()[0] ?? (await context.newPage());
    await page.addInitScript(PAGE_PROBE);
    await page.goto(`http://127.0.0.1:${port}/`);
    const live = "document.querySelector('[data-testid=status]')?.textContent?.trim() === 'live'";
    await page.waitForFunction(live, null, { timeout: 30_000 });
    // The figures of issue 8 are the Market grid's; the Overview opens first since issue 22.
    await openView(page, 'Market');
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    return await use({ page, cdp });
  } finally {
    await context.close();
    for (const child of children) await stopChild(child, 'SIGKILL');
    await broker.close();
    rmSync(profile, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const openView = (page: Page, view: string): Promise<void> =>
  page.getByRole('tab', { name: new RegExp(`^${view}`) }).click();

const sample = (page: Page): Promise<PageSample> =>
  page.evaluate(`(() => {
    const e = window.tickstream.engine;
    const b = window.__bench;
    return { frames: b.frames.slice(), longTasks: b.longTasks.slice(), heap: performance.memory.usedJSHeapSize,
             counters: e.counters ? { updates: e.counters.updates } : null, applied: e.meter.appliedUpdates };
  })()`) as Promise<PageSample>;

const scriptSeconds = async (cdp: CDPSession): Promise<number> =>
  (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'ScriptDuration')?.value ?? 0;

async function measureOne(
  config: DashboardBenchConfig,
  seconds: number,
  log: (line: string) => void,
): Promise<DashboardBenchRow> {
  return withSystem(config, async ({ page, cdp }) => {
    await sleep(5000); // warm-up: JIT, atlas, first Snapshot
    await page.evaluate('window.__bench.reset()');
    const start = await sample(page);
    const scriptStart = await scriptSeconds(cdp);
    const startedAt = Date.now();
    const retainedHeapMb: number[] = [];
    const retainedHeap = async (): Promise<number> => {
      await cdp.send('HeapProfiler.collectGarbage');
      return (await cdp.send('Runtime.getHeapUsage')).usedSize / 2 ** 20;
    };
    retainedHeapMb.push(await retainedHeap());
    // A forced GC every 30 s (or 6 times in a shorter window) shows growth, if any, without waiting
    // for V8 to collect on its own; each costs one pause, so frame figures include 6+ of them.
    const heapEveryMs = Math.min(30_000, (seconds * 1000) / 6);
    for (let elapsedMs = 0; elapsedMs < seconds * 1000; elapsedMs += heapEveryMs) {
      await sleep(Math.min(heapEveryMs, seconds * 1000 - elapsedMs));
      retainedHeapMb.push(await retainedHeap());
    }
    const end = await sample(page);
    const scriptEnd = await scriptSeconds(cdp);
    const elapsed = (Date.now() - startedAt) / 1000;

    const frames = [...end.frames].sort((a, b) => a - b);
    const p95 = frames[Math.min(frames.length - 1, Math.floor(frames.length * 0.95))] ?? Number.NaN;
    const row: DashboardBenchRow = {
      ...config,
      seconds: elapsed,
      decodedUpdatesPerSecond: ((end.counters?.updates ?? 0) - (start.counters?.updates ?? 0)) / elapsed,
      appliedUpdatesPerSecond: (end.applied - start.applied) / elapsed,
      fps: end.frames.length / elapsed,
      frameTimeP95Ms: p95,
      longTasks: end.longTasks.length,
      longTaskMsPerSecond: end.longTasks.reduce((sum, d) => sum + d, 0) / elapsed,
      scriptMsPerFrame: ((scriptEnd - scriptStart) * 1000) / Math.max(1, end.frames.length),
      heapStartMb: start.heap / 2 ** 20,
      heapEndMb: end.heap / 2 ** 20,
      retainedHeapMb,
    };
    log(formatRow(row));
    return row;
  });
}

/**
 * Every view open in turn at one offered rate (issue 22: 50,000 updates/s): per view a warm-up
 * of 3 s after opening it, then `seconds` of fps, frame p95, long tasks and main-thread script
 * time per frame, the same probes as the Market grid's row above.
 */
export async function runViewsBench(options: {
  seconds: number;
  config?: DashboardBenchConfig;
  views?: readonly string[];
  log?: (line: string) => void;
}): Promise<ViewBenchRow[]> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
  if (!existsSync(DASHBOARD_DIST)) throw new Error('the dashboard is not built (npm run build -w dashboard)');
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const config = options.config ?? (DEFAULT_CONFIGS[1] as DashboardBenchConfig);
  return withSystem(config, async ({ page, cdp }) => {
    const rows: ViewBenchRow[] = [];
    for (const view of options.views ?? VIEWS) {
      await openView(page, view);
      await sleep(3000);
      await page.evaluate('window.__bench.reset()');
      const start = await sample(page);
      const scriptStart = await scriptSeconds(cdp);
      const startedAt = Date.now();
      await sleep(options.seconds * 1000);
      const end = await sample(page);
      const scriptEnd = await scriptSeconds(cdp);
      const elapsed = (Date.now() - startedAt) / 1000;
      const frames = [...end.frames].sort((a, b) => a - b);
      const row: ViewBenchRow = {
        view,
        seconds: elapsed,
        appliedUpdatesPerSecond: (end.applied - start.applied) / elapsed,
        fps: end.frames.length / elapsed,
        frameTimeP95Ms: frames[Math.min(frames.length - 1, Math.floor(frames.length * 0.95))] ?? Number.NaN,
        longTasks: end.longTasks.length,
        longTaskMsPerSecond: end.longTasks.reduce((sum, d) => sum + d, 0) / elapsed,
        scriptMsPerFrame: ((scriptEnd - scriptStart) * 1000) / Math.max(1, end.frames.length),
      };
      log(formatViewRow(row, rows[0]));
      rows.push(row);
    }
    return rows;
  });
}

/** A view's row, and how it compares with the first (the Market grid): issue 22 allows 10 % below it. */
export function formatViewRow(row: ViewBenchRow, reference?: ViewBenchRow): string {
  const versus = reference
    ? ` (${(((row.fps - reference.fps) / reference.fps) * 100).toFixed(0)} % fps vs ${reference.view})`
    : '';
  return (
    `${row.view.padEnd(12)} ${row.fps.toFixed(1)} fps${versus}, frame p95 ${row.frameTimeP95Ms.toFixed(1)} ms, ` +
    `script ${row.scriptMsPerFrame.toFixed(2)} ms/frame, ${row.longTasks} long tasks (${row.longTaskMsPerSecond.toFixed(0)} ms/s), ` +
    `applied ${Math.round(row.appliedUpdatesPerSecond).toLocaleString('en-US')}/s over ${row.seconds.toFixed(0)} s`
  );
}

function formatRow(row: DashboardBenchRow): string {
  const n = (value: number): string => Math.round(value).toLocaleString('en-US');
  return (
    `target ${n(row.targetUpdatesPerSecond)} upd/s (${n(row.symbols)} symbols, ${n(row.ticksPerSecond)} ticks/s): ` +
    `decoded ${n(row.decodedUpdatesPerSecond)}/s, applied ${n(row.appliedUpdatesPerSecond)}/s, ${row.fps.toFixed(1)} fps, ` +
    `frame p95 ${row.frameTimeP95Ms.toFixed(1)} ms, ${row.longTasks} long tasks (${row.longTaskMsPerSecond.toFixed(0)} ms/s), ` +
    `script ${row.scriptMsPerFrame.toFixed(2)} ms/frame, heap ${row.heapStartMb.toFixed(1)} → ${row.heapEndMb.toFixed(1)} MB over ${row.seconds.toFixed(0)} s, ` +
    `after GC ${row.retainedHeapMb.map((mb) => mb.toFixed(1)).join(' → ')} MB`
  );
}

export async function runDashboardBench(options: {
  seconds: number;
  configs?: DashboardBenchConfig[];
  log?: (line: string) => void;
}): Promise<DashboardBenchRow[]> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
  if (!existsSync(DASHBOARD_DIST)) throw new Error('the dashboard is not built (npm run build -w dashboard)');
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const rows: DashboardBenchRow[] = [];
  for (const config of options.configs ?? DEFAULT_CONFIGS) rows.push(await measureOne(config, options.seconds, log));
  return rows;
}

/** `node bench/dist/dashboard-loaded.js` (or its old name, dashboard.js) [--seconds 60] [--only 10000,50000] [--views]. */
export async function main(argv: readonly string[]): Promise<void> {
  const views = argv.includes('--views');
  const args = argv.slice(2).filter((arg) => arg !== '--views');
  for (let i = 0; i < args.length; i += 2) {
    if (!['--seconds', '--only'].includes(args[i] ?? '') || args[i + 1] === undefined) {
      process.stderr.write(
        `bench dashboard-loaded: unknown option or missing value '${args[i]}' (--seconds N, --only 10000,50000,100000, --views)\n`,
      );
      process.exit(2);
    }
  }
  const flag = (name: string): string | undefined => {
    const at = args.indexOf(name);
    return at >= 0 ? args[at + 1] : undefined;
  };
  const only = flag('--only')?.split(',').map(Number);
  const seconds = Number(flag('--seconds') ?? 60);
  if (!(seconds >= 5) || only?.some((target) => !DEFAULT_CONFIGS.some((c) => c.targetUpdatesPerSecond === target))) {
    process.stderr.write('bench dashboard-loaded: --seconds must be ≥ 5 and --only a list of 10000, 50000, 100000\n');
    process.exit(2);
  }
  if (views) {
    // Every view in turn at 50,000 offered updates/s (or the one --only names).
    const config = DEFAULT_CONFIGS.find((c) => c.targetUpdatesPerSecond === (only?.[0] ?? 50_000));
    const rows = await runViewsBench({ seconds, config, log: () => {} });
    for (const row of rows) process.stdout.write(`${formatViewRow(row, rows[0])}\n`);
    process.exit(0);
  }
  const rows = await runDashboardBench({
    seconds,
    configs: only ? DEFAULT_CONFIGS.filter((c) => only.includes(c.targetUpdatesPerSecond)) : undefined,
  });
  for (const row of rows) process.stdout.write(`${formatRow(row)}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main(process.argv);
