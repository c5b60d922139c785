import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { cpuBetween, cpuSnapshot, findBrowserPid } from './chromium-cpu.js';
import { RECORDING_PLANS, type RecordingPlan, recordAtRate } from './feed-recorder.js';
import { type Recording, readRecording, writeRecording } from './feed-recording.js';
import { FeedReplayServer } from './feed-replay-server.js';

/**
 * The dashboard's rendering measured alone (issue 25): the built dashboard in headless Chromium
 * fed by a recorded feed (feed-replay-server.ts) at 0 (idle) / 10k / 50k / 200k updates/s, so the
 * broker, producer and edge cost nothing while it is measured, and the reference harnesses of
 * ../shared/anchors/dashboard (DOM, visible-rows DOM, Canvas 2D, Pixi) run by their own driver
 * (run.mjs) in the same run, on the same Chromium flags, viewport and accounting.
 *
 * Per page and rate: fps and frame-time p95 from requestAnimationFrame, long tasks, the CPU-s/s
 * of the page's renderer main thread (/proc, as the harness driver counts it), of the renderer
 * and of the GPU process (where SwiftShader rasterises and runs WebGL here).
 */
export interface RenderRow {
  page: string;
  /** The rate asked for, and what the page was offered (the recording's rate; the harness worker's). */
  rate: number;
  offeredPerSecond: number;
  appliedPerSecond: number;
  fps: number;
  frameP95Ms: number;
  longTasks: number;
  longTaskMs: number;
  mainThreadCpu: number;
  rendererCpu: number;
  gpuCpu: number;
  /** CDP Performance: main-thread task time per second. */
  taskSeconds: number;
  /**
   * The dashboard's: frames it drew per second (its engine's count). It draws only when
   * something changed, so this may be below `fps` (the page's requestAnimationFrame rate).
   */
  drawnPerSecond?: number;
  /** The dashboard's: CPU-s/s per thread of its renderer and the GPU process (chromium-cpu.ts). */
  threads?: Record<string, number>;
  /** The dashboard's: CPU-s/s of this process, the replay server and the Playwright driver together (an upper bound on the server's). */
  replayProcessCpu?: number;
}

export interface RenderBenchResult {
  /** null: a quick run that found no harnesses and measured the dashboard alone. */
  anchorsDir: string | null;
  rows: RenderRow[];
  recordings: Record<string, Recording['header']>;
  /** What the replay server did for the dashboard's runs (skipped Deltas: the page could not take them). */
  replay: { deltas: number; skippedDeltas: number; resyncs: number; passes: number };
  summary: RenderSummary;
}

export interface RenderSummary {
  dashboardFps50k: number;
  dashboardMain50k: number;
  /** Renderer + GPU process CPU-s/s at 0 updates/s. */
  dashboardIdle: number;
  dashboardFps200k: number;
  bestHarness: string;
  bestHarnessFps50k: number;
}

export interface RenderBenchOptions {
  quick: boolean;
  /** The reference harnesses' directory; default: $TICKSTREAM_ANCHORS, else ../shared/anchors/dashboard beside the repository. */
  anchorsDir?: string;
  /** Record the feeds again even when bench/recordings/ holds them. */
  record?: boolean;
  log?: (line: string) => void;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DASHBOARD_DIST = join(ROOT, 'dashboard/dist');
/** Recordings are made at bench time and kept here (gitignored): 10 s at 200k is ~20 MB. */
export const RECORDINGS_DIR = join(ROOT, 'bench/recordings');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The harness driver's flags, exactly: both sides get the same software WebGL. */
const CHROMIUM_ARGS = ['--use-angle=swiftshader', '--enable-unsafe-swiftshader'];
const HARNESS_RENDERERS = ['dom', 'dom-virtual', 'canvas', 'pixi'];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The anchors' directory, or an error saying where it was looked for and how to name it. */
export function findAnchorsDir(given?: string): string {
  const candidates = given
    ? [resolve(given)]
    : process.env.TICKSTREAM_ANCHORS
      ? [resolve(process.env.TICKSTREAM_ANCHORS)]
      : [resolve(ROOT, '../shared/anchors/dashboard'), resolve(ROOT, '../../shared/anchors/dashboard')];
  const found = candidates.find((dir) => existsSync(join(dir, 'run.mjs')));
  if (found === undefined)
    throw new Error(
      `the reference harnesses (run.mjs) are not in ${candidates.join(' or ')}: ` +
        'name their directory with --anchors DIR or TICKSTREAM_ANCHORS',
    );
  return found;
}

/**
 * Runs in the page before the app: frame intervals and long tasks, for the bench to read. Its
 * requestAnimationFrame loop makes Blink run a main frame every vsync whatever the page does
 * (measured: ~0.09 CPU-s/s of renderer and GPU process with a page that requests no frame), so
 * idle is measured without it (IDLE_PROBE): there the dashboard's own count of frames drawn is
 * the fps.
 */
const PAGE_PROBE = `
  window.__render = { frames: [], longTasks: [], reset() { this.frames = []; this.longTasks = []; } };
  let previous = 0;
  const frame = (now) => { if (previous) window.__render.frames.push(now - previous); previous = now; requestAnimationFrame(frame); };
  requestAnimationFrame(frame);
  new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__render.longTasks.push(e.duration); })
    .observe({ type: 'longtask', buffered: true });
`;

/** Idle: long tasks only, no frame loop of the bench's own. */
const IDLE_PROBE = `
  window.__render = { frames: [], longTasks: [], reset() { this.frames = []; this.longTasks = []; } };
  new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__render.longTasks.push(e.duration); })
    .observe({ type: 'longtask', buffered: true });
`;

interface Timing {
  warmupSeconds: number;
  measureSeconds: number;
}

/** A recording per plan, from bench/recordings/ or made now. */
async function recordings(
  plans: readonly RecordingPlan[],
  seconds: number,
  record: boolean,
  log: (line: string) => void,
): Promise<Map<number, Recording>> {
  mkdirSync(RECORDINGS_DIR, { recursive: true });
  const out = new Map<number, Recording>();
  for (const plan of plans) {
    const file = join(RECORDINGS_DIR, `feed-${plan.targetUpdatesPerSecond}.tsfeed`);
    let recording: Recording | null = null;
    if (!record && existsSync(file)) {
      try {
        recording = readRecording(file);
        if (recording.header.seconds < seconds * 0.9) recording = null;
      } catch {
        recording = null; // an older layout: recorded again below
      }
    }
    if (recording === null) {
      log(`recording ${plan.targetUpdatesPerSecond.toLocaleString('en-US')} updates/s for ${seconds} s into ${file}`);
      recording = await recordAtRate(plan, seconds, log);
      writeRecording(file, recording);
    }
    if (recording.header.updatesPerSecond < plan.targetUpdatesPerSecond * 0.8)
      log(
        `WARNING: the ${plan.targetUpdatesPerSecond.toLocaleString('en-US')}/s recording carries ${Math.round(recording.header.updatesPerSecond).toLocaleString('en-US')} updates/s: ` +
          'the machine could not run the producer and edge at that rate; record again on a quieter one (node bench/dist/render.js --record)',
      );
    out.set(plan.targetUpdatesPerSecond, recording);
  }
  return out;
}

interface ProbeSample {
  frames: number[];
  longTasks: number[];
  applied: number;
  /** Frames the dashboard drew (its engine's count). */
  drawn: number;
}

/** The built dashboard on the Market grid, fed `recording` by a replay server; one measured window. */
async function measureDashboard(
  rate: number,
  recording: Recording,
  timing: Timing,
  replayTotals: RenderBenchResult['replay'],
): Promise<RenderRow> {
  const server = await FeedReplayServer.start({ recording, staticDir: DASHBOARD_DIST });
  const profile = mkdtempSync(join(tmpdir(), 'tickstream-render-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: CHROMIUM_ARGS,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const idle = recording.deltas.length === 0;
    await page.addInitScript(idle ? IDLE_PROBE : PAGE_PROBE);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
    await page.goto(server.url);
    await page.waitForFunction("document.querySelector('[data-testid=status]')?.textContent?.trim() === 'live'", null, {
      timeout: 30_000,
    });
    await page.getByRole('tab', { name: /^Market/ }).click();
    await sleep(timing.warmupSeconds * 1000);
    const browserPid = findBrowserPid(profile);
    const taskSeconds = async (): Promise<number> =>
      (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration')?.value ?? 0;
    const sample = (): Promise<ProbeSample> =>
      page.evaluate(
        `({ frames: window.__render.frames.slice(), longTasks: window.__render.longTasks.slice(), applied: window.tickstream.engine.meter.appliedUpdates, drawn: window.tickstream.engine.meter.renderedFrames })`,
      ) as Promise<ProbeSample>;
    const updatesBefore = server.counters.updates;
    await page.evaluate('window.__render.reset()');
    const start = await sample();
    const task0 = await taskSeconds();
    const cpu0 = cpuSnapshot(browserPid);
    const own0 = process.cpuUsage();
    await sleep(timing.measureSeconds * 1000);
    const own = process.cpuUsage(own0);
    const cpu = cpuBetween(cpu0, cpuSnapshot(browserPid));
    const task1 = await taskSeconds();
    const end = await sample();
    const seconds = timing.measureSeconds;
    const frames = [...end.frames].sort((a, b) => a - b);
    replayTotals.deltas += server.counters.deltas;
    replayTotals.skippedDeltas += server.counters.skippedDeltas;
    replayTotals.resyncs += server.counters.resyncs;
    replayTotals.passes += server.counters.passes;
    return {
      page: 'dashboard',
      rate,
      offeredPerSecond: (server.counters.updates - updatesBefore) / seconds,
      appliedPerSecond: (end.applied - start.applied) / seconds,
      fps: idle ? (end.drawn - start.drawn) / seconds : end.frames.length / seconds,
      drawnPerSecond: (end.drawn - start.drawn) / seconds,
      frameP95Ms: frames[Math.min(frames.length - 1, Math.floor(frames.length * 0.95))] ?? Number.NaN,
      longTasks: end.longTasks.length,
      longTaskMs: end.longTasks.reduce((sum, d) => sum + d, 0),
      mainThreadCpu: cpu.rendererMainThread,
      rendererCpu: cpu.renderer,
      gpuCpu: cpu.gpu,
      taskSeconds: (task1 - task0) / seconds,
      threads: cpu.threads,
      replayProcessCpu: (own.user + own.system) / 1e6 / seconds,
    };
  } finally {
    await context.close();
    await server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

/** The summary row run.mjs writes per renderer and rate (summary.json). */
interface HarnessSummaryRow {
  renderer: string;
  rate: number;
  fps: number;
  p95: number;
  appliedPerS: number;
  generatedPerS: number;
  longTasks: number;
  longTaskMs: number;
  rendererCpu: number;
  gpuCpu: number;
  mainThreadCpu: number;
  taskBusy: number;
}

/**
 * The harnesses through their own driver, from a temporary copy (never from inside the repo).
 * Their node_modules is the repository's when it holds the versions they pin (it does:
 * pixi.js 8.22.0, playwright-core 1.65.1), else `npm ci` installs theirs.
 */
async function runHarnesses(
  anchorsDir: string,
  renderers: readonly string[],
  rates: readonly number[],
  timing: Timing,
  log: (line: string) => void,
): Promise<RenderRow[]> {
  const work = mkdtempSync(join(tmpdir(), 'tickstream-anchors-'));
  const copy = join(work, 'dashboard');
  try {
    cpSync(anchorsDir, copy, { recursive: true, filter: (path) => !/[/\\](node_modules|results)$/.test(path) });
    const pinned = JSON.parse(readFileSync(join(copy, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const ours = (name: string): string | null => {
      try {
        return (
          JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }
        ).version;
      } catch {
        return null;
      }
    };
    if (Object.entries(pinned.dependencies).every(([name, version]) => ours(name) === version)) {
      symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
    } else {
      log('installing the harnesses’ pinned packages (npm ci)');
      await run('npm', ['ci', '--no-audit', '--no-fund'], copy, log);
    }
    const results = join(work, 'results');
    await run(
      process.execPath,
      [
        'run.mjs',
        ...['--renderers', renderers.join(','), '--rates', rates.join(','), '--reps', '1', '--shots', '0'],
        ...['--warmup', String(timing.warmupSeconds), '--measure', String(timing.measureSeconds), '--out', results],
      ],
      copy,
      (line) => {
        if (/_r\d+_rep\d+:/.test(line)) log(`harness ${line.slice(0, 160)}`);
      },
    );
    const rows = JSON.parse(readFileSync(join(results, 'summary.json'), 'utf8')) as HarnessSummaryRow[];
    return rows.map((row) => ({
      page: row.renderer,
      rate: row.rate,
      offeredPerSecond: row.generatedPerS,
      appliedPerSecond: row.appliedPerS,
      fps: row.fps,
      frameP95Ms: row.p95,
      longTasks: row.longTasks,
      longTaskMs: row.longTaskMs,
      mainThreadCpu: row.mainThreadCpu,
      rendererCpu: row.rendererCpu,
      gpuCpu: row.gpuCpu,
      taskSeconds: row.taskBusy,
    }));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function run(command: string, args: string[], cwd: string, onLine: (line: string) => void): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const lines = (chunk: Buffer): void => {
      const text = chunk.toString();
      tail = (tail + text).slice(-2000);
      for (const line of text.split('\n')) if (line.trim()) onLine(line);
    };
    child.stdout.on('data', lines);
    child.stderr.on('data', lines);
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolvePromise() : reject(new Error(`${command} ${args[0]} exited with ${code}: ${tail.trim()}`)),
    );
  });
}

export async function runRenderBench(options: RenderBenchOptions): Promise<RenderBenchResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  // A full run without the harnesses has nothing to compare with: it stops here. A quick run
  // (CI's smoke test, on a clean clone with no ../shared beside it) measures the dashboard alone.
  let anchorsDir: string | null;
  try {
    anchorsDir = findAnchorsDir(options.anchorsDir);
  } catch (error) {
    if (!options.quick) throw error;
    log(`WARNING: ${(error as Error).message}; measuring the dashboard alone`);
    anchorsDir = null;
  }
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
  if (!existsSync(join(DASHBOARD_DIST, 'index.html'))) throw new Error('the dashboard is not built (npm run build)');
  // Quick (CI's smoke run): the contract's rates only, short windows, the two best harnesses at 50k.
  const rates = options.quick ? [0, 50_000, 200_000] : [0, 10_000, 50_000, 200_000];
  const timing: Timing = options.quick
    ? { warmupSeconds: 1, measureSeconds: 3 }
    : { warmupSeconds: 3, measureSeconds: 10 };
  const plans = RECORDING_PLANS.filter((plan) => rates.includes(plan.targetUpdatesPerSecond));
  const feeds = await recordings(plans, options.quick ? 4 : 10, options.record ?? false, log);

  const replay = { deltas: 0, skippedDeltas: 0, resyncs: 0, passes: 0 };
  const rows: RenderRow[] = [];
  for (const rate of rates) {
    // Idle: the 50k recording's Snapshot and nothing after it.
    const feed = rate === 0 ? { ...(feeds.get(50_000) as Recording), deltas: [] } : (feeds.get(rate) as Recording);
    const row = await measureDashboard(rate, feed, timing, replay);
    log(`dashboard ${formatRow(row)}`);
    rows.push(row);
  }
  const harnessRenderers = options.quick ? ['canvas', 'dom-virtual'] : HARNESS_RENDERERS;
  const harnessRates = options.quick ? [50_000] : rates;
  if (anchorsDir !== null) rows.push(...(await runHarnesses(anchorsDir, harnessRenderers, harnessRates, timing, log)));

  const recordingHeaders = Object.fromEntries([...feeds].map(([rate, feed]) => [String(rate), feed.header]));
  return { anchorsDir, rows, recordings: recordingHeaders, replay, summary: summarize(rows) };
}

function summarize(rows: readonly RenderRow[]): RenderSummary {
  const dashboard = (rate: number): RenderRow | undefined =>
    rows.find((r) => r.page === 'dashboard' && r.rate === rate);
  const best = rows.filter((row) => row.page !== 'dashboard' && row.rate === 50_000).sort((a, b) => b.fps - a.fps)[0];
  const idle = dashboard(0);
  return {
    dashboardFps50k: dashboard(50_000)?.fps ?? Number.NaN,
    dashboardMain50k: dashboard(50_000)?.mainThreadCpu ?? Number.NaN,
    dashboardIdle: idle ? idle.rendererCpu + idle.gpuCpu : Number.NaN,
    dashboardFps200k: dashboard(200_000)?.fps ?? Number.NaN,
    bestHarness: best?.page ?? 'none',
    bestHarnessFps50k: best?.fps ?? Number.NaN,
  };
}

const n0 = (value: number): string => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a');
const n1 = (value: number): string => (Number.isFinite(value) ? value.toFixed(1) : 'n/a');
const n2 = (value: number): string => (Number.isFinite(value) ? value.toFixed(2) : 'n/a');

function formatRow(row: RenderRow): string {
  return (
    `${n0(row.rate)}/s: offered ${n0(row.offeredPerSecond)}/s, applied ${n0(row.appliedPerSecond)}/s, ${n1(row.fps)} fps, ` +
    `${row.drawnPerSecond === undefined ? '' : `${n1(row.drawnPerSecond)} drawn/s, `}` +
    `p95 ${n1(row.frameP95Ms)} ms, main ${n2(row.mainThreadCpu)} CPU-s/s, renderer ${n2(row.rendererCpu)}, GPU ${n2(row.gpuCpu)}, ` +
    `${row.longTasks} long tasks${row.threads ? `; busiest threads ${busiestThreads(row.threads)}` : ''}`
  );
}

function busiestThreads(threads: Record<string, number>): string {
  return Object.entries(threads)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([name, cpu]) => `${name} ${n2(cpu)}`)
    .join(', ');
}

/** The exact last line of `tickstream bench --only render` (issue 25's contract). */
export function contractLine(summary: RenderSummary): string {
  return (
    `render: dashboard fps@50k=${n1(summary.dashboardFps50k)} main@50k=${n2(summary.dashboardMain50k)} ` +
    `idle=${n2(summary.dashboardIdle)} fps@200k=${n1(summary.dashboardFps200k)}; ` +
    `best harness fps@50k=${n1(summary.bestHarnessFps50k)} (${summary.bestHarness})`
  );
}

/** A table per rate: every page, and the dashboard's fps as a ratio of each harness's. */
export function formatRenderBench(result: RenderBenchResult): string {
  const header =
    '| rate/s | page | offered/s | applied/s | fps | frame p95 ms | long tasks (n / ms) | main thread CPU-s/s (/proc; CDP task) | renderer / GPU CPU-s/s | dashboard fps ÷ page fps |';
  const lines = [header, '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|'];
  const rates = [...new Set(result.rows.map((row) => row.rate))].sort((a, b) => a - b);
  for (const rate of rates) {
    const atRate = result.rows.filter((row) => row.rate === rate);
    const dashboard = atRate.find((row) => row.page === 'dashboard');
    for (const row of atRate) {
      // Idle, the dashboard's fps is the frames it drew (none, with nothing new): no ratio.
      const ratio = dashboard && row !== dashboard && rate > 0 ? `${(dashboard.fps / row.fps).toFixed(2)}×` : '';
      lines.push(
        `| ${n0(rate)} | ${row.page} | ${n0(row.offeredPerSecond)} | ${n0(row.appliedPerSecond)} | ${n1(row.fps)} | ` +
          `${n1(row.frameP95Ms)} | ${row.longTasks} / ${n0(row.longTaskMs)} | ${n2(row.mainThreadCpu)}; ${n2(row.taskSeconds)} | ` +
          `${n2(row.rendererCpu)} / ${n2(row.gpuCpu)} | ${ratio} |`,
      );
    }
  }
  lines.push('');
  for (const row of result.rows)
    if (row.page === 'dashboard' && row.threads)
      lines.push(
        `dashboard at ${n0(row.rate)}/s, ${n1(row.drawnPerSecond ?? Number.NaN)} frames drawn/s, busiest threads (CPU-s/s): ${busiestThreads(row.threads)}; ` +
          `replay server + driver ${n2(row.replayProcessCpu ?? Number.NaN)}`,
      );
  const r = result.replay;
  lines.push(
    '',
    `replay server: ${r.deltas.toLocaleString('en-US')} Deltas sent, ${r.skippedDeltas} skipped (page too slow), ${r.resyncs} resyncs, ${r.passes} passes; harnesses from ${result.anchorsDir ?? 'nowhere (not found: the dashboard alone)'}`,
    contractLine(result.summary),
  );
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // node bench/dist/render.js [--quick] [--record] [--anchors DIR]
  const args = process.argv.slice(2);
  const at = args.indexOf('--anchors');
  const result = await runRenderBench({
    quick: args.includes('--quick'),
    record: args.includes('--record'),
    anchorsDir: at >= 0 ? args[at + 1] : undefined,
  });
  process.stdout.write(`${formatRenderBench(result)}\n`);
}
