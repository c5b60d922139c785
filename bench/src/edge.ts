import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DEFAULT_KAFKA_VERSION, startApacheKafka } from '@tickstream/broker';
import hdr, { type Histogram } from 'hdr-histogram-js';
import {
  type FromLoadWorker,
  type LoadCounts,
  type LoadWorkerTask,
  newLatencyHistogram,
  type ToLoadWorker,
} from './edge-load-protocol.js';
import {
  type BrokerProcess,
  cpuSeconds,
  cpuTimes,
  recentOutput,
  rssMb,
  spawnCli,
  spawnProducer,
  startBrokerProcess,
  stopChild,
} from './processes.js';
import { median } from './stats.js';

/**
 * Edge fan-out benchmark (issue 6): the embedded broker (or one Apache Kafka node with
 * `--backend apache`), a producer at a fixed rate and one edge,
 * each a process of its own as users run them, and a load generator of C WebSocket clients in
 * worker threads, each following 50 of 1,000 symbols. Two subscription modes: `pages` (clients
 * share 20 pages of 50 symbols, the dashboard case: one channel, one encode per page) and
 * `random` (each client its own 50: one channel per client). The headline is symbol updates
 * delivered per second of the EDGE process's CPU, comparable with the Socket.IO and bare-uWS
 * anchors in /work/shared/README.md; the load generator shares the 2 cores, so per-second rates
 * say more about the machine than about the edge.
 */
export type SubscriptionMode = 'pages' | 'random';

export type EdgeBenchBackend = 'embedded' | 'apache';

export interface EdgeBenchOptions {
  /** The Kafka the producer writes and the edge reads: the embedded broker, or one Apache Kafka node. */
  backend: EdgeBenchBackend;
  runs: number;
  clients: number[];
  modes: SubscriptionMode[];
  /** Producer ticks per second. */
  rate: number;
  /** The producer's --workers; null: 1, or 2 above 50,000 ticks/s. */
  producerWorkers: number | null;
  symbolCount: number;
  symbolsPerClient: number;
  pages: number;
  /** 1 = every client decodes every frame; N = one client in N does (see edge-load-worker.ts). */
  decodeEvery: number;
  warmupSeconds: number;
  seconds: number;
  idleSeconds: number;
  windowMs: number;
  workers: number;
  /** Runs the edge under `node --cpu-prof`, profiles written here. */
  cpuProfileDir: string | null;
  /** The `tickstream` CLI that runs the edge (another build's, to compare); null: this one's. */
  edgeCli: string | null;
  progress: (line: string) => void;
  /**
   * Runs after each measured configuration, while the broker and producer still run and the
   * edge is gone: a reference server measured on the same clients, under the same load
   * (throughput.ts's bare uWebSockets.js publisher).
   */
  alongside: ((configuration: AlongsideConfiguration) => Promise<void>) | null;
}

/** What `alongside` gets: the configuration just measured, its clients' subscriptions and its figures. */
export interface AlongsideConfiguration {
  clients: number;
  mode: SubscriptionMode;
  run: number;
  subscriptions: string[][];
  figures: EdgeRunFigures;
}

export const defaultEdgeBenchOptions: EdgeBenchOptions = {
  backend: 'embedded',
  runs: 5,
  clients: [1000, 5000, 10_000],
  modes: ['pages', 'random'],
  // What 2 cores sustain next to everything else: the edge's ingest alone takes ~0.4 core here.
  rate: 20_000,
  producerWorkers: null,
  symbolCount: 1000,
  symbolsPerClient: 50,
  pages: 20,
  decodeEvery: 10,
  warmupSeconds: 2,
  seconds: 5,
  idleSeconds: 1.5,
  windowMs: 25,
  workers: 2,
  cpuProfileDir: null,
  edgeCli: null,
  progress: () => {},
  alongside: null,
};

/** One measured configuration, one run. Rates are per second of the steady window. */
export interface EdgeRunFigures {
  connected: number;
  failedToConnect: number;
  decoders: number;
  /** Frames received by all clients. */
  framesPerSecond: number;
  /** Symbol updates the edge delivered (tickstream_edge_updates_sent_total). */
  updatesPerSecond: number;
  /** Updates applied by decoding clients, per decoding client: checks the edge's count. */
  updatesPerDecoderSecond: number;
  /** Received WebSocket bytes (payload + frame header), all clients. */
  wireBytesPerSecond: number;
  /** Decoding clients' wire bytes over the updates they applied. */
  wireBytesPerUpdate: number;
  edgeCores: number;
  /** Share of the edge's CPU spent in the kernel: on loopback a send also runs the receiver's TCP path. */
  edgeSystemShare: number;
  /** The edge's CPU with no client: reading and applying ticks from Kafka. */
  idleEdgeCores: number;
  /** Its user-space share. */
  idleEdgeUserCores: number;
  updatesPerEdgeCpuSecond: number;
  /** Updates per CPU-second above the idle edge: the fan-out's own cost. */
  updatesPerFanOutCpuSecond: number;
  /** Fan-out CPU per frame sent (all frame types), µs. */
  fanOutMicrosPerFrame: number;
  /** That CPU split into user space and kernel (each above the idle edge's), µs per frame. */
  fanOutUserMicrosPerFrame: number;
  fanOutKernelMicrosPerFrame: number;
  /** The whole edge process's user-space and kernel CPU (ingest included) per frame sent, µs. */
  edgeUserMicrosPerFrame: number;
  edgeKernelMicrosPerFrame: number;
  /** Mean time to publish one window, ms (tickstream_edge_window_seconds). */
  windowMeanMs: number;
  edgeRssMb: number;
  idleEdgeRssMb: number;
  rssPerConnectionKb: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencySamples: number;
  /** Deltas decoding clients saw with a seq other than the previous + 1. */
  gaps: number;
  /** Deltas the edge skipped for clients over their soft buffer limit (tickstream_edge_deltas_skipped_total). */
  deltasSkipped: number;
  /** Clients the edge closed for not reading, whole run (tickstream_edge_slow_client_closes_total). */
  slowCloses: number;
  /** Connections closed by the edge, by close code, as the clients saw them. */
  closes: Record<string, number>;
  channels: number;
  ticksPerSecond: number;
  /** Kafka lag at the end of the window (records). */
  consumerLag: number;
  /** Time the edge needed, after the warm-up, to get within 0.1 s of ticks of Kafka's end. */
  catchUpSeconds: number;
  loadGeneratorCores: number;
  /** The load generator's CPU (all its threads) per frame its clients received, µs. */
  loadGeneratorMicrosPerFrame: number;
  /** The same for its client threads alone, split into user space and kernel. */
  clientThreadUserMicrosPerFrame: number;
  clientThreadKernelMicrosPerFrame: number;
  brokerCores: number;
  producerCores: number;
}

export interface EdgeBenchRow {
  clients: number;
  mode: SubscriptionMode;
  /** Medians over the runs. */
  median: EdgeRunFigures;
  runs: EdgeRunFigures[];
}

export interface EdgeBenchResult {
  machine: { cpus: number; model: string; memoryGb: number; node: string };
  settings: Omit<EdgeBenchOptions, 'progress' | 'producerWorkers' | 'alongside'> & {
    producerWorkers: number;
    bufferutil: boolean;
    decoding: string;
  };
  rows: EdgeBenchRow[];
  skipped: string[];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `promise`, or `null` after `ms`; the timer is cleared either way so it cannot hold the process open. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Deterministic subscriptions: the same run of the bench asks for the same symbols. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

export function subscriptionsFor(
  mode: SubscriptionMode,
  clients: number,
  symbols: readonly string[],
  options: Pick<EdgeBenchOptions, 'symbolsPerClient' | 'pages'>,
  seed = 1,
): string[][] {
  const random = mulberry32(seed);
  const per = options.symbolsPerClient;
  if (mode === 'pages') {
    const order = shuffled(symbols, random);
    const pages = Array.from({ length: options.pages }, (_, p) =>
      Array.from({ length: per }, (_, i) => order[(p * per + i) % order.length] as string),
    );
    return Array.from({ length: clients }, (_, i) => pages[i % pages.length] as string[]);
  }
  return Array.from({ length: clients }, () => shuffled(symbols, random).slice(0, per));
}

/** Soft limit on open files: the load generator holds one per client, the edge one per connection. */
function openFileLimit(): number {
  const line = readFileSync('/proc/self/limits', 'utf8').match(/Max open files\s+(\d+|unlimited)/);
  return line?.[1] === 'unlimited' || line?.[1] === undefined ? Number.POSITIVE_INFINITY : Number(line[1]);
}

/** Whether ws finds bufferutil (it looks it up itself, from its own directory, unless WS_NO_BUFFER_UTIL is set). */
function bufferutilLoaded(): boolean {
  if (process.env.WS_NO_BUFFER_UTIL) return false;
  try {
    createRequire(import.meta.resolve('ws')).resolve('bufferutil');
    return true;
  } catch {
    return false;
  }
}

/** Sum of every series of `name` in Prometheus text (optionally only those whose labels contain `labels`). */
export function metricValue(text: string, name: string, labels = ''): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    if (labels !== '' && !rest.includes(labels)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

export interface ManagedProcess {
  child: ChildProcess;
  pid: number;
  stop(): Promise<void>;
}

export function producerWorkersFor(options: Pick<EdgeBenchOptions, 'rate' | 'producerWorkers'>): number {
  return options.producerWorkers ?? (options.rate > 50_000 ? 2 : 1);
}

export async function startProducer(
  bootstrap: string,
  options: Pick<EdgeBenchOptions, 'rate' | 'producerWorkers' | 'symbolCount'>,
): Promise<ManagedProcess> {
  const child = spawnProducer(bootstrap, {
    symbols: options.symbolCount,
    rate: options.rate,
    workers: producerWorkersFor(options),
    clock: 'real',
    scenario: 'normal',
  });
  for (const started = Date.now(); !recentOutput(child).includes('producing'); await sleep(50)) {
    if (child.exitCode !== null) throw new Error(`producer exited early: ${recentOutput(child)}`);
    if (Date.now() - started > 30_000) {
      await stopChild(child);
      throw new Error(`producer did not start in 30 s: ${recentOutput(child)}`);
    }
  }
  return { child, pid: child.pid ?? 0, stop: () => stopChild(child) };
}

interface EdgeProcess extends ManagedProcess {
  baseUrl: string;
  wsUrl: string;
}

async function startEdgeProcess(
  bootstrap: string,
  options: Pick<EdgeBenchOptions, 'windowMs' | 'symbolCount' | 'cpuProfileDir' | 'edgeCli'>,
): Promise<EdgeProcess> {
  const node = options.cpuProfileDir === null ? [] : ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir];
  // --history 0: each configuration gets a fresh edge (clean RSS baseline) that should not
  // replay the minutes of ticks the earlier configurations already produced.
  const args = ['edge', '--port', '0', '--host', '127.0.0.1', '--brokers', bootstrap];
  args.push('--window', String(options.windowMs), '--history', '0', '--edge-id', 'bench');
  const child = spawnCli(args, node, options.edgeCli ?? undefined);
  // Once measured, an edge is killed: its clean stop (leaving the Kafka group) takes ~4 s and
  // changes nothing measured. Under --cpu-prof it must exit cleanly to write its profile.
  const stop = (): Promise<void> => stopChild(child, options.cpuProfileDir === null ? 'SIGKILL' : 'SIGTERM');
  try {
    let port = 0;
    for (const started = Date.now(); ; await sleep(100)) {
      if (child.exitCode !== null) throw new Error(`edge exited with ${child.exitCode}: ${recentOutput(child)}`);
      if (Date.now() - started > 60_000)
        throw new Error(`edge not serving 1,000 symbols after 60 s: ${recentOutput(child)}`);
      port ||= Number(recentOutput(child).match(/listening on http:\/\/[\d.]+:(\d+)/)?.[1] ?? 0);
      if (port === 0) continue;
      const response = await fetch(`http://127.0.0.1:${port}/health`).catch(() => null);
      if (response?.status !== 200) continue;
      const health = (await response.json()) as { symbols?: number };
      if ((health.symbols ?? 0) >= options.symbolCount) break;
    }
    return {
      child,
      pid: child.pid ?? 0,
      stop,
      baseUrl: `http://127.0.0.1:${port}`,
      wsUrl: `ws://127.0.0.1:${port}/ws`,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function scrape(baseUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/metrics`);
  return response.text();
}

export interface LoadGenerator {
  connected: number;
  failed: number;
  firstFailure: string | null;
  decoders: number;
  reset(): void;
  report(): Promise<{ counts: LoadCounts; latency: Histogram }>;
  close(): Promise<void>;
}

export async function startLoadGenerator(
  url: string,
  subscriptions: string[][],
  decodeEvery: number,
  pages: number,
  workerCount: number,
  /** False: every client counts frames and bytes only (a server that does not speak the whole protocol). */
  decoding = true,
): Promise<LoadGenerator> {
  const workers: Worker[] = [];
  const waiting = new Map<Worker, (message: FromLoadWorker) => void>();
  const next = (worker: Worker): Promise<FromLoadWorker> =>
    new Promise((resolve) => {
      waiting.set(worker, resolve);
    });
  const share = Math.ceil(subscriptions.length / workerCount);
  const connectedMessages: Promise<FromLoadWorker>[] = [];
  for (let w = 0; w < workerCount; w++) {
    const from = w * share;
    const slice = subscriptions.slice(from, from + share);
    // Decoding clients are whole groups of `pages` consecutive clients, so every page has some.
    const decoders = Uint8Array.from(slice, (_, i) =>
      decoding && Math.floor((from + i) / pages) % decodeEvery === 0 ? 1 : 0,
    );
    const task: LoadWorkerTask = { url, subscriptions: slice, decoders, connectConcurrency: 256 };
    const worker = new Worker(new URL('./edge-load-worker.js', import.meta.url), { workerData: task });
    worker.on('message', (message: FromLoadWorker) => {
      const resolve = waiting.get(worker);
      waiting.delete(worker);
      resolve?.(message);
    });
    worker.on('error', (error) => {
      throw error;
    });
    workers.push(worker);
    connectedMessages.push(next(worker));
  }
  const timeoutMs = 30_000 + subscriptions.length * 5;
  const connected = await within(Promise.all(connectedMessages), timeoutMs);
  if (connected === null) {
    await Promise.all(workers.map((worker) => worker.terminate()));
    throw new Error(`${subscriptions.length} clients did not all connect and subscribe within ${timeoutMs / 1000} s`);
  }
  const generator: LoadGenerator = {
    connected: 0,
    failed: 0,
    firstFailure: null,
    decoders: 0,
    reset() {
      for (const worker of workers) worker.postMessage({ type: 'reset' } satisfies ToLoadWorker);
    },
    async report() {
      const replies = await Promise.all(
        workers.map((worker) => {
          const reply = next(worker);
          worker.postMessage({ type: 'report' } satisfies ToLoadWorker);
          return reply;
        }),
      );
      const latency = newLatencyHistogram();
      const counts: LoadCounts = {
        frames: 0,
        bytes: 0,
        wireBytes: 0,
        decoderFrames: 0,
        decoderWireBytes: 0,
        updatesApplied: 0,
        deltas: 0,
        gaps: 0,
        snapshots: 0,
        errors: {},
        closes: {},
        threadUserSeconds: 0,
        threadSystemSeconds: 0,
      };
      for (const reply of replies) {
        if (reply.type !== 'report') continue;
        latency.add(hdr.decodeFromCompressedBase64(reply.latencyHistogram));
        const c = reply.counts;
        counts.frames += c.frames;
        counts.bytes += c.bytes;
        counts.wireBytes += c.wireBytes;
        counts.decoderFrames += c.decoderFrames;
        counts.decoderWireBytes += c.decoderWireBytes;
        counts.updatesApplied += c.updatesApplied;
        counts.deltas += c.deltas;
        counts.gaps += c.gaps;
        counts.snapshots += c.snapshots;
        counts.threadUserSeconds += c.threadUserSeconds;
        counts.threadSystemSeconds += c.threadSystemSeconds;
        for (const [code, n] of Object.entries(c.errors)) counts.errors[code] = (counts.errors[code] ?? 0) + n;
        for (const [code, n] of Object.entries(c.closes)) counts.closes[code] = (counts.closes[code] ?? 0) + n;
      }
      return { counts, latency };
    },
    async close() {
      await Promise.all(
        workers.map((worker) => {
          const reply = next(worker);
          worker.postMessage({ type: 'close' } satisfies ToLoadWorker);
          return within(reply, 10_000);
        }),
      );
      await Promise.all(workers.map((worker) => worker.terminate()));
    },
  };
  for (const message of connected) {
    if (message.type !== 'connected') continue;
    generator.connected += message.connected;
    generator.failed += message.failed;
    generator.decoders += message.decoders;
    generator.firstFailure ??= message.firstFailure;
  }
  return generator;
}

async function measureConfiguration(
  bootstrap: string,
  others: { brokerPid: number; producerPid: number },
  clients: number,
  mode: SubscriptionMode,
  /** The producer's symbols, read from the first edge's /api/symbols and kept for the rest. */
  names: string[],
  options: EdgeBenchOptions,
): Promise<EdgeRunFigures> {
  const startedAt = performance.now();
  const elapsed = (): string => `${((performance.now() - startedAt) / 1000).toFixed(1)} s`;
  const edge = await startEdgeProcess(bootstrap, options);
  try {
    if (names.length === 0) names.push(...(await fetchSymbols(edge.baseUrl)));
    await sleep(1000);
    const idleEdgeRssMb = rssMb(edge.pid);
    const subscriptions = subscriptionsFor(mode, clients, names, options);
    const load = await startLoadGenerator(
      edge.wsUrl,
      subscriptions,
      options.decodeEvery,
      options.pages,
      options.workers,
    );
    let steady: SteadyWindow;
    let catchUpSeconds = 0;
    try {
      options.progress(`  ${load.connected} clients subscribed ${elapsed()} after the edge started`);
      if (load.failed > 0) options.progress(`  ${load.failed} failed to connect, the first: ${load.firstFailure}`);
      await sleep(options.warmupSeconds * 1000);
      const catchUpStarted = performance.now();
      const caughtUp = await untilCaughtUp(edge, options.rate);
      catchUpSeconds = (performance.now() - catchUpStarted) / 1000;
      if (!caughtUp) options.progress(`  the edge is still behind Kafka after ${MAX_CATCH_UP_S} s: measuring anyway`);
      steady = await measureSteadyWindow(edge, others, load, options.seconds);
    } finally {
      await load.close();
    }
    // The same edge with no client, after the measurement so that its JIT is as warm: what
    // reading Kafka costs it, subtracted to get the fan-out's own CPU.
    await sleep(500);
    const idleCpu = cpuTimes(edge.pid);
    const idleStarted = performance.now();
    await sleep(options.idleSeconds * 1000);
    const idleCpuEnd = cpuTimes(edge.pid);
    const idleWall = (performance.now() - idleStarted) / 1000;
    const idle = {
      cores: (idleCpuEnd.user + idleCpuEnd.system - idleCpu.user - idleCpu.system) / idleWall,
      userCores: (idleCpuEnd.user - idleCpu.user) / idleWall,
    };
    return { ...figuresOf(steady, load, idle, idleEdgeRssMb), catchUpSeconds };
  } finally {
    await edge.stop();
  }
}

/** What one steady window measured: raw counts, turned into figures by figuresOf. */
interface SteadyWindow {
  wall: number;
  before: string;
  after: string;
  edgeCpu: number;
  edgeSystemCpu: number;
  edgeRssMb: number;
  loadCpu: number;
  brokerCpu: number;
  producerCpu: number;
  counts: LoadCounts;
  latency: Histogram;
}

async function measureSteadyWindow(
  edge: EdgeProcess,
  others: { brokerPid: number; producerPid: number },
  load: LoadGenerator,
  seconds: number,
): Promise<SteadyWindow> {
  load.reset();
  const before = await scrape(edge.baseUrl);
  const started = performance.now();
  const edgeCpu = cpuTimes(edge.pid);
  const brokerCpu = cpuSeconds(others.brokerPid);
  const producerCpu = cpuSeconds(others.producerPid);
  const loadCpu = process.cpuUsage();
  let edgeRssMb = 0;
  while (performance.now() - started < seconds * 1000) {
    await sleep(250);
    edgeRssMb = Math.max(edgeRssMb, rssMb(edge.pid));
  }
  const wall = (performance.now() - started) / 1000;
  const loadCpuUsed = process.cpuUsage(loadCpu);
  const edgeCpuEnd = cpuTimes(edge.pid);
  const window = {
    wall,
    edgeCpu: edgeCpuEnd.user + edgeCpuEnd.system - edgeCpu.user - edgeCpu.system,
    edgeSystemCpu: edgeCpuEnd.system - edgeCpu.system,
    edgeRssMb,
    loadCpu: (loadCpuUsed.user + loadCpuUsed.system) / 1e6,
    brokerCpu: cpuSeconds(others.brokerPid) - brokerCpu,
    producerCpu: cpuSeconds(others.producerPid) - producerCpu,
  };
  const after = await scrape(edge.baseUrl);
  const { counts, latency } = await load.report();
  return { ...window, before, after, counts, latency };
}

/** Longest wait for an edge to catch up with Kafka before its steady window. */
const MAX_CATCH_UP_S = 30;

/**
 * Waits until the edge is less than 0.1 s of ticks behind Kafka: subscribing thousands of
 * clients (a Snapshot each) can leave it behind, and a window spent catching up measures
 * ingest, not fan-out. False if it is still behind after MAX_CATCH_UP_S.
 */
async function untilCaughtUp(edge: EdgeProcess, rate: number): Promise<boolean> {
  for (const started = performance.now(); performance.now() - started < MAX_CATCH_UP_S * 1000; await sleep(500)) {
    if (metricValue(await scrape(edge.baseUrl), 'tickstream_edge_consumer_lag') < rate / 10) return true;
  }
  return false;
}

function figuresOf(
  w: SteadyWindow,
  load: LoadGenerator,
  idle: { cores: number; userCores: number },
  idleEdgeRssMb: number,
): Omit<EdgeRunFigures, 'catchUpSeconds'> {
  const idleEdgeCores = idle.cores;
  const { wall, counts, latency } = w;
  const delta = (name: string): number => metricValue(w.after, name) - metricValue(w.before, name);
  const updates = delta('tickstream_edge_updates_sent_total');
  const framesSent = delta('tickstream_edge_frames_sent_total');
  const windows = delta('tickstream_edge_window_seconds_count');
  const fanOutCpu = w.edgeCpu - idleEdgeCores * wall;
  const edgeUserCpu = w.edgeCpu - w.edgeSystemCpu;
  const fanOutUserCpu = edgeUserCpu - idle.userCores * wall;
  const perFrame = (cpu: number): number => (framesSent > 0 ? (cpu / framesSent) * 1e6 : 0);
  return {
    connected: load.connected,
    failedToConnect: load.failed,
    decoders: load.decoders,
    framesPerSecond: counts.frames / wall,
    updatesPerSecond: updates / wall,
    updatesPerDecoderSecond: load.decoders > 0 ? counts.updatesApplied / load.decoders / wall : 0,
    wireBytesPerSecond: counts.wireBytes / wall,
    wireBytesPerUpdate: counts.updatesApplied > 0 ? counts.decoderWireBytes / counts.updatesApplied : 0,
    edgeCores: w.edgeCpu / wall,
    edgeSystemShare: w.edgeSystemCpu / w.edgeCpu,
    idleEdgeCores,
    idleEdgeUserCores: idle.userCores,
    updatesPerEdgeCpuSecond: updates / w.edgeCpu,
    updatesPerFanOutCpuSecond: fanOutCpu > 0 ? updates / fanOutCpu : 0,
    fanOutMicrosPerFrame: perFrame(fanOutCpu),
    fanOutUserMicrosPerFrame: perFrame(fanOutUserCpu),
    fanOutKernelMicrosPerFrame: perFrame(fanOutCpu - fanOutUserCpu),
    edgeUserMicrosPerFrame: perFrame(edgeUserCpu),
    edgeKernelMicrosPerFrame: perFrame(w.edgeSystemCpu),
    windowMeanMs: windows > 0 ? (delta('tickstream_edge_window_seconds_sum') / windows) * 1000 : 0,
    edgeRssMb: w.edgeRssMb,
    idleEdgeRssMb,
    rssPerConnectionKb: load.connected > 0 ? ((w.edgeRssMb - idleEdgeRssMb) * 1024) / load.connected : 0,
    latencyP50Ms: latency.totalCount > 0 ? latency.getValueAtPercentile(50) / 1000 : 0,
    latencyP99Ms: latency.totalCount > 0 ? latency.getValueAtPercentile(99) / 1000 : 0,
    latencySamples: latency.totalCount,
    gaps: counts.gaps,
    deltasSkipped: delta('tickstream_edge_deltas_skipped_total'),
    slowCloses: metricValue(w.after, 'tickstream_edge_slow_client_closes_total'),
    closes: counts.closes,
    channels: metricValue(w.after, 'tickstream_edge_channels'),
    ticksPerSecond: delta('tickstream_edge_ticks_consumed_total') / wall,
    consumerLag: metricValue(w.after, 'tickstream_edge_consumer_lag'),
    loadGeneratorCores: w.loadCpu / wall,
    loadGeneratorMicrosPerFrame: counts.frames > 0 ? (w.loadCpu / counts.frames) * 1e6 : 0,
    clientThreadUserMicrosPerFrame: counts.frames > 0 ? (counts.threadUserSeconds / counts.frames) * 1e6 : 0,
    clientThreadKernelMicrosPerFrame: counts.frames > 0 ? (counts.threadSystemSeconds / counts.frames) * 1e6 : 0,
    brokerCores: w.brokerCpu / wall,
    producerCores: w.producerCpu / wall,
  };
}

async function fetchSymbols(baseUrl: string): Promise<string[]> {
  const response = await fetch(`${baseUrl}/api/symbols`);
  const body = (await response.json()) as { symbols: { name: string }[] };
  return body.symbols.map((symbol) => symbol.name);
}

/** Median of every numeric field; close counts are summed over the runs. */
function medianFigures(runs: EdgeRunFigures[]): EdgeRunFigures {
  const first = runs[0];
  if (first === undefined) throw new RangeError('no runs');
  const out = { ...first, closes: {} as Record<string, number> };
  for (const key of Object.keys(first) as (keyof EdgeRunFigures)[]) {
    if (typeof first[key] !== 'number') continue;
    (out as Record<string, unknown>)[key] = median(runs.map((run) => run[key] as number));
  }
  for (const run of runs) {
    for (const [code, n] of Object.entries(run.closes)) out.closes[code] = (out.closes[code] ?? 0) + n;
  }
  return out;
}

/** The broker process whose CPU the bench reports: `tickstream broker`, or one Apache Kafka JVM. */
export async function startKafka(backend: EdgeBenchBackend, dataDir: string): Promise<BrokerProcess> {
  if (backend === 'embedded') return startBrokerProcess(dataDir);
  const kafka = await startApacheKafka({ nodes: 1, port: 0, dataDir: join(dataDir, 'kafka'), log: () => {} });
  return { bootstrap: kafka.bootstrap, pid: kafka.pid(1) ?? 0, close: () => kafka.close() };
}

export async function runEdgeBench(overrides: Partial<EdgeBenchOptions> = {}): Promise<EdgeBenchResult> {
  const options: EdgeBenchOptions = { ...defaultEdgeBenchOptions, ...overrides };
  const skipped: string[] = [];
  const limit = openFileLimit();
  const clientCounts = options.clients.filter((clients) => {
    // The load generator holds a descriptor per client, plus its own and the workers' few dozen.
    if (clients + 200 <= limit) return true;
    skipped.push(
      `${clients} clients: needs ~${clients + 200} open files, the limit is ${limit} (raise it with ulimit -n before running)`,
    );
    return false;
  });
  for (const line of skipped) options.progress(`skipping ${line}`);

  const dataDir = mkdtempSync(join(tmpdir(), 'tickstream-bench-edge-'));
  if (options.cpuProfileDir !== null) mkdirSync(options.cpuProfileDir, { recursive: true });
  options.progress(`starting the broker (${options.backend}) and the producer`);
  const broker = await startKafka(options.backend, dataDir);
  const rows = new Map<string, EdgeBenchRow>();
  try {
    const producer = await startProducer(broker.bootstrap, options);
    try {
      const names: string[] = [];
      for (let run = 0; run < options.runs; run++) {
        // Configurations interleaved within a run, so a drift of the machine spreads over all of them.
        for (const clients of clientCounts) {
          for (const mode of options.modes) {
            options.progress(`edge: ${clients} clients, ${mode}, run ${run + 1}/${options.runs}`);
            const figures = await measureConfiguration(
              broker.bootstrap,
              { brokerPid: broker.pid, producerPid: producer.pid },
              clients,
              mode,
              names,
              options,
            );
            options.progress(`  ${formatFigures(figures)}`);
            const key = `${clients}/${mode}`;
            const row = rows.get(key) ?? { clients, mode, median: figures, runs: [] };
            row.runs.push(figures);
            rows.set(key, row);
            const subscriptions = subscriptionsFor(mode, clients, names, options);
            await options.alongside?.({ clients, mode, run, subscriptions, figures });
          }
        }
      }
    } finally {
      options.progress('stopping the producer and the broker');
      await producer.stop();
    }
  } finally {
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const { progress: _progress, alongside: _alongside, ...settings } = options;
  return {
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model ?? '?',
      memoryGb: Math.round(totalmem() / 1e9),
      node: process.version,
    },
    settings: {
      ...settings,
      producerWorkers: producerWorkersFor(options),
      clients: clientCounts,
      bufferutil: bufferutilLoaded(),
      decoding:
        options.decodeEvery === 1
          ? 'every client (@tickstream/client on ws) decodes every frame (its Delta frame applied in place, or lz4 + FlatBuffers verify), checks seq, resyncs'
          : `1 client in ${options.decodeEvery} (@tickstream/client on ws) decodes every frame (its Delta frame applied in place, or lz4 + FlatBuffers verify), checks seq and resyncs; the others (raw sockets, frame headers only) count frames and bytes`,
    },
    rows: [...rows.values()].map((row) => ({ ...row, median: medianFigures(row.runs) })),
    skipped,
  };
}

const thousands = (value: number): string => Math.round(value).toLocaleString('en-US');

function formatFigures(f: EdgeRunFigures): string {
  return (
    `${thousands(f.updatesPerSecond)} updates/s, ${thousands(f.framesPerSecond)} frames/s, ` +
    `edge ${f.edgeCores.toFixed(2)} cores (idle ${f.idleEdgeCores.toFixed(2)}, kernel ${(f.edgeSystemShare * 100).toFixed(0)} %), ` +
    `${thousands(f.updatesPerEdgeCpuSecond)} updates/edge CPU-s, µs/frame: edge ${f.edgeUserMicrosPerFrame.toFixed(2)} user + ` +
    `${f.edgeKernelMicrosPerFrame.toFixed(2)} kernel, fan-out ${f.fanOutUserMicrosPerFrame.toFixed(2)} user + ` +
    `${f.fanOutKernelMicrosPerFrame.toFixed(2)} kernel, p50 ${f.latencyP50Ms.toFixed(1)} ms, ` +
    `caught up with Kafka in ${f.catchUpSeconds.toFixed(1)} s, ` +
    `skipped ${thousands(f.deltasSkipped)}, load generator ${f.loadGeneratorCores.toFixed(2)} cores ` +
    `(${f.loadGeneratorMicrosPerFrame.toFixed(2)} µs/frame; client threads ${f.clientThreadUserMicrosPerFrame.toFixed(2)} user + ` +
    `${f.clientThreadKernelMicrosPerFrame.toFixed(2)} kernel)`
  );
}

export function formatEdgeBench(result: EdgeBenchResult): string {
  const s = result.settings;
  const lines = [
    `edge fan-out on ${s.backend === 'apache' ? `Apache Kafka ${DEFAULT_KAFKA_VERSION} (one node)` : 'the embedded broker'}: producer ${thousands(s.rate)} ticks/s over ${s.symbolCount} symbols, --window ${s.windowMs}, ` +
      `(producer --workers ${s.producerWorkers}), ${s.symbolsPerClient} symbols per client (pages: ${s.pages} shared pages; random: each client its own), ` +
      `${s.seconds} s windows after ${s.warmupSeconds} s warm-up, medians of ${s.runs}`,
    `machine: ${result.machine.cpus} cores (${result.machine.model}), shared by broker, producer, edge and load generator (${s.workers} worker threads; decoding clients on ws${s.bufferutil ? ' + bufferutil' : ''}, counting clients on raw sockets)`,
    `clients: ${s.decoding}`,
    '',
    'clients  mode    frames/s   updates/s  wire B/upd  edge cores (idle)  kernel  upd/edge CPU-s  upd/fan-out CPU-s  µs/frame  user  kernel  RSS MB  KB/conn  p50 ms  p99 ms  catch-up s  gaps  skipped  slow closes  loadgen cores  loadgen µs/frame  all cores',
  ];
  for (const row of result.rows) {
    const m = row.median;
    const allCores = m.edgeCores + m.loadGeneratorCores + m.brokerCores + m.producerCores;
    lines.push(
      [
        String(row.clients).padStart(7),
        row.mode.padEnd(6),
        thousands(m.framesPerSecond).padStart(10),
        thousands(m.updatesPerSecond).padStart(11),
        m.wireBytesPerUpdate.toFixed(1).padStart(10),
        `${m.edgeCores.toFixed(2)} (${m.idleEdgeCores.toFixed(2)})`.padStart(17),
        `${(m.edgeSystemShare * 100).toFixed(0)} %`.padStart(6),
        thousands(m.updatesPerEdgeCpuSecond).padStart(14),
        thousands(m.updatesPerFanOutCpuSecond).padStart(17),
        m.fanOutMicrosPerFrame.toFixed(2).padStart(8),
        m.fanOutUserMicrosPerFrame.toFixed(2).padStart(4),
        m.fanOutKernelMicrosPerFrame.toFixed(2).padStart(6),
        m.edgeRssMb.toFixed(0).padStart(6),
        m.rssPerConnectionKb.toFixed(1).padStart(7),
        m.latencyP50Ms.toFixed(1).padStart(6),
        m.latencyP99Ms.toFixed(1).padStart(6),
        m.catchUpSeconds.toFixed(1).padStart(10),
        thousands(m.gaps).padStart(4),
        thousands(m.deltasSkipped).padStart(7),
        thousands(m.slowCloses).padStart(11),
        m.loadGeneratorCores.toFixed(2).padStart(13),
        m.loadGeneratorMicrosPerFrame.toFixed(2).padStart(16),
        allCores.toFixed(2).padStart(9),
      ].join('  '),
    );
  }
  lines.push(
    '',
    'updates: symbol updates the edge delivered (tickstream_edge_updates_sent_total); upd/edge CPU-s divides them by the',
    'edge process’s CPU (/proc utime+stime; kernel: the stime share), upd/fan-out CPU-s by its CPU above the same edge with no client (reading',
    'Kafka: the "idle" cores); µs/frame is that fan-out CPU per frame sent, user and kernel its two parts (each above',
    'the idle edge’s; the whole process’s are in the progress lines and edge.json). wire B/upd: bytes the decoding clients',
    'received (payload + WebSocket header) per update they applied. KB/conn: (RSS with the clients − RSS with none) / C;',
    'the edge’s own RSS moves by tens of MB (heap, candle rings), so only the larger client counts say much per connection.',
    'p50/p99: Delta arrival − its base_time_us (the newest tick’s exchange time, the producer’s clock), decoding clients.',
    'catch-up s: after the warm-up, how long the edge took to get within 0.1 s of ticks of Kafka’s end (the window',
    'starts then; connecting thousands of clients can leave it behind). gaps: seq jumps seen by decoding clients;',
    'skipped: Deltas the edge withheld from clients over the soft buffer limit. loadgen µs/frame: the load generator',
    'process’s CPU (all threads) per frame its clients received.',
  );
  for (const line of result.skipped) lines.push(`skipped ${line}`);
  return lines.join('\n');
}

function parseArgs(args: string[]): Partial<EdgeBenchOptions> {
  const value = (flag: string): string | undefined => {
    const at = args.indexOf(flag);
    return at >= 0 ? args[at + 1] : undefined;
  };
  const number = (flag: string): number | undefined => {
    const raw = value(flag);
    if (raw === undefined) return undefined;
    const parsed = Number(raw);
    if (!Number.isFinite(parsed) || parsed <= 0) {
      process.stderr.write(`bench edge: ${flag} must be a positive number, got '${raw}'\n`);
      process.exit(2);
    }
    return parsed;
  };
  const known = ['--quick', '--clients', '--modes', '--runs', '--rate', '--seconds', '--warmup', '--decode-every'];
  known.push('--producer-workers', '--cpu-prof', '--backend', '--edge');
  for (const arg of args) {
    if (arg.startsWith('--') && !known.includes(arg)) {
      process.stderr.write(`bench edge: unknown option ${arg}; the options are ${known.join(', ')}\n`);
      process.exit(2);
    }
  }
  const quick = args.includes('--quick');
  const overrides: Partial<EdgeBenchOptions> = quick
    ? { runs: 1, clients: [250, 1000], warmupSeconds: 1, seconds: 3, idleSeconds: 1 }
    : {};
  const clients = value('--clients');
  if (clients !== undefined) {
    const list = clients.split(',').map(Number);
    if (list.some((n) => !Number.isInteger(n) || n < 1)) {
      process.stderr.write(
        `bench edge: --clients must be a list of client counts such as 1000,5000, got '${clients}'\n`,
      );
      process.exit(2);
    }
    overrides.clients = list;
  }
  const modes = value('--modes');
  if (modes !== undefined) {
    const list = modes.split(',');
    if (list.some((mode) => mode !== 'pages' && mode !== 'random')) {
      process.stderr.write(`bench edge: --modes must be pages, random or pages,random, got '${modes}'\n`);
      process.exit(2);
    }
    overrides.modes = list as SubscriptionMode[];
  }
  const numbers: [string, keyof EdgeBenchOptions][] = [
    ['--runs', 'runs'],
    ['--rate', 'rate'],
    ['--seconds', 'seconds'],
    ['--warmup', 'warmupSeconds'],
    ['--decode-every', 'decodeEvery'],
    ['--producer-workers', 'producerWorkers'],
  ];
  for (const [flag, key] of numbers) {
    const parsed = number(flag);
    if (parsed !== undefined) (overrides as Record<string, unknown>)[key] = parsed;
  }
  const profile = value('--cpu-prof');
  if (profile !== undefined) overrides.cpuProfileDir = profile;
  const edgeCli = value('--edge');
  if (edgeCli !== undefined) {
    if (!existsSync(edgeCli)) {
      process.stderr.write(
        `bench edge: --edge ${edgeCli} does not exist; give another build's cli/bin/tickstream.js\n`,
      );
      process.exit(2);
    }
    overrides.edgeCli = resolve(edgeCli);
  }
  const backend = value('--backend');
  if (backend !== undefined) {
    if (backend !== 'embedded' && backend !== 'apache') {
      process.stderr.write(`bench edge: --backend must be embedded or apache, got '${backend}'\n`);
      process.exit(2);
    }
    overrides.backend = backend;
  }
  return overrides;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // node bench/dist/edge.js [--backend embedded|apache] [--runs 5] [--clients 1000,5000,10000] [--modes pages,random] [--quick]
  //   [--rate 20000] [--producer-workers N] [--seconds 6] [--warmup 3] [--decode-every 10] [--cpu-prof DIR]
  //   [--edge OTHER/cli/bin/tickstream.js]
  const started = performance.now();
  const result = await runEdgeBench({
    ...parseArgs(process.argv.slice(2)),
    progress: (line) =>
      process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`),
  });
  const out = fileURLToPath(new URL('../results/edge.json', import.meta.url));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${formatEdgeBench(result)}\nwritten to ${out}\n`);
}
