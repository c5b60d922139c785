import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Histogram } from 'hdr-histogram-js';
import { io as connectSocketIo, type Socket } from 'socket.io-client';
import { ApplyingEdgeClient } from './applying-client.js';
import { subscriptionsFor } from './edge.js';
import { newLatencyHistogram } from './edge-load-protocol.js';
import { cpuSeconds, freePort, spawnProducer, startBrokerProcess, startEdgeProcess, stopChild } from './processes.js';
import { median } from './stats.js';

/**
 * Issue 9's baseline: the seeds' design (a Socket.IO server emitting one JSON message per tick to
 * the symbol's room, bench/src/baseline/socketio-server.ts) and tickstream's edge, measured side
 * by side on the same broker, the same producer at the same rate and the same clients: C clients,
 * each following one of 20 shared pages of 50 of the 1,000 symbols (the edge bench's `pages`).
 * Each run measures the baseline, then the edge, each with a fresh server process.
 *
 * - delivered updates/s: baseline, `stock_update` messages received; edge, symbol updates applied
 *   (applyDelta into the client's QuoteTable, seq checked).
 * - bytes per update: what the server put on the wire, counted in the client. Baseline: each
 *   engine.io `message` packet (the engine's 'packet' event: its type character '4' plus the
 *   Socket.IO packet `2["stock_update",{…}]`, UTF-8) plus its WebSocket frame header; handshake, ping and
 *   connect packets are left out. Edge: each binary WebSocket message plus its frame header.
 * - server CPU: utime + stime of the server process (/proc) over the measured seconds.
 * - latency: client receive time minus the tick's exchange time (the producer's wall clock,
 *   `--clock real`), one sample per delivered update, raw (no coordinated-omission correction,
 *   for neither side). The baseline's timestamps are read to the ms; the edge's are µs. The edge's
 *   includes up to one 25 ms conflation window by design.
 *
 * The edge conflates per symbol within its window, so it delivers fewer updates than ticks once
 * a symbol ticks faster than 40/s: the default 5,000 ticks/s over 1,000 symbols is 5 ticks/s per
 * symbol, where conflation merges almost nothing and both sides owe the clients the same updates.
 */
export interface BaselineSide {
  /** Ticks/s the server consumed from Kafka. */
  consumedTicksPerSecond: number;
  /** Updates/s the clients were owed: consumed ticks × clients following each symbol. */
  owedUpdatesPerSecond: number;
  updatesPerSecond: number;
  bytesPerUpdate: number;
  serverCpuSecondsPer10kUpdates: number;
  updatesPerServerCpuSecond: number;
  /**
   * Owed updates per server CPU-second: the work the server accounted for, delivered or not. When a
   * server lags (messages still in its socket buffers, or clients too slow to read them), the
   * delivered figure charges it for what the clients did not take yet; this one does not.
   */
  owedPerServerCpuSecond: number;
  /** Server CPU-seconds per second (1 = one core). */
  serverCores: number;
  /** The benchmark process (all clients) CPU-seconds per second: on 2 cores, the other half of the machine. */
  clientCores: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** Baseline only (NaN for the edge): mean age of a tick when the server emits it, ms: the server's share of the latency. */
  emitAgeMs: number;
  /** Edge only (NaN for the baseline): ticks/s folded into another update of their symbol within a window. */
  conflatedTicksPerSecond: number;
}

export interface BaselineResult {
  runs: number;
  seconds: number;
  clients: number;
  rate: number;
  symbols: number;
  symbolsPerClient: number;
  baseline: BaselineSide;
  edge: BaselineSide;
  /** Edge ÷ baseline. */
  updatesPerCpuRatio: number;
  /** Edge ÷ baseline, owed updates per server CPU-second. */
  owedPerCpuRatio: number;
  /** Baseline ÷ edge. */
  bytesPerUpdateRatio: number;
  samples: { baseline: BaselineSide[]; edge: BaselineSide[] };
}

export interface BaselineOptions {
  runs?: number;
  seconds?: number;
  clients?: number;
  rate?: number;
  symbols?: number;
  symbolsPerClient?: number;
  progress?: (line: string) => void;
}

const serverScript = fileURLToPath(new URL('./baseline/socketio-server.js', import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const wireHeaderBytes = (payload: number): number => (payload < 126 ? 2 : payload < 65_536 ? 4 : 10);
const WARM_UP_MS = 2000;
/** Symbols the producer makes: each client follows a page of them. */
const DEFAULT_SYMBOLS = 1000;

/** What a side's clients counted since recording started. */
interface Tally {
  updates: number;
  bytes: number;
  latency: Histogram;
  recording: boolean;
}

const newTally = (): Tally => ({ updates: 0, bytes: 0, latency: newLatencyHistogram(), recording: false });

function recordAge(tally: Tally, ageUs: number): void {
  if (ageUs >= 0) tally.latency.recordValue(ageUs);
}

/** A Socket.IO client following a list of symbols; resolves once the server acknowledged the subscribe. */
function socketIoClient(url: string, symbols: string[], tally: Tally): { socket: Socket; ready: Promise<void> } {
  const socket = connectSocketIo(url, { transports: ['websocket'], reconnection: false, forceNew: true });
  const ready = new Promise<void>((resolve, reject) => {
    socket.once('connect_error', reject);
    socket.once('connect', () => {
      socket.io.engine.on('packet', (packet: { type: string; data?: unknown }) => {
        if (!tally.recording || packet.type !== 'message' || typeof packet.data !== 'string') return;
        const payload = 1 + Buffer.byteLength(packet.data);
        tally.bytes += payload + wireHeaderBytes(payload);
      });
      socket.emit('subscribe', symbols, () => resolve());
    });
  });
  socket.on('stock_update', (update: { timestamp: string }) => {
    if (!tally.recording) return;
    tally.updates++;
    // The seeds' timestamp has no zone; it is UTC (Date.parse alone would read it as local time).
    recordAge(tally, (Date.now() - Date.parse(`${update.timestamp.slice(0, 23)}Z`)) * 1000);
  });
  return { socket, ready };
}

async function waitFor<T>(what: string, probe: () => Promise<T | null>): Promise<T> {
  for (const started = Date.now(); ; await sleep(200)) {
    const value = await probe().catch(() => null);
    if (value !== null) return value;
    if (Date.now() - started > 60_000) throw new Error(`${what} after 60 s`);
  }
}

async function startSocketIoServer(bootstrap: string): Promise<{ child: ChildProcess; base: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [serverScript, '--brokers', bootstrap, '--port', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('listening on')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`socket.io server exited with ${code}: ${stderr}`)));
  });
  return { child, base: `http://127.0.0.1:${port}` };
}

/**
 * GET, tried up to three times: a server that lags by seconds (the Socket.IO server, saturated)
 * closes a kept-alive connection just as fetch reuses it, and the request fails with ECONNRESET
 * though the server is up. A GET of counters is safe to repeat.
 */
async function get(url: string): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch(url);
    } catch (error) {
      if (attempt === 3) throw error;
      await sleep(100);
    }
  }
}

async function socketIoStats(base: string): Promise<{ ticks: number; emitAgeMs: number; symbols: string[] }> {
  return (await (await get(`${base}/stats`)).json()) as { ticks: number; emitAgeMs: number; symbols: string[] };
}

async function edgeCounters(base: string): Promise<{ ticks: number; emitAgeMs: number; conflated: number }> {
  const text = await (await get(`${base}/metrics`)).text();
  const counter = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return {
    ticks: counter('tickstream_edge_ticks_consumed_total'),
    emitAgeMs: Number.NaN,
    conflated: counter('tickstream_edge_conflated_ticks_total'),
  };
}

interface Window {
  tally: Tally;
  serverPid: number;
  /** Ticks consumed so far, and (baseline) the sum of their ages when emitted, ms. */
  consumed: () => Promise<{ ticks: number; emitAgeMs: number; conflated: number }>;
}

/** Warm-up, then `seconds` of recording: the side's figures. */
async function measure(window: Window, seconds: number, owedPerTick: number): Promise<BaselineSide> {
  await sleep(WARM_UP_MS);
  const before = await window.consumed();
  const cpuBefore = cpuSeconds(window.serverPid);
  const clientCpuBefore = process.cpuUsage();
  const started = performance.now();
  window.tally.recording = true;
  await sleep(seconds * 1000);
  window.tally.recording = false;
  const elapsed = (performance.now() - started) / 1000;
  const cpu = cpuSeconds(window.serverPid) - cpuBefore;
  const clientCpu = process.cpuUsage(clientCpuBefore);
  const after = await window.consumed();
  const consumed = (after.ticks - before.ticks) / elapsed;
  const { updates, bytes, latency } = window.tally;
  return {
    consumedTicksPerSecond: consumed,
    owedUpdatesPerSecond: consumed * owedPerTick,
    updatesPerSecond: updates / elapsed,
    bytesPerUpdate: bytes / updates,
    serverCpuSecondsPer10kUpdates: (cpu / updates) * 10_000,
    updatesPerServerCpuSecond: updates / cpu,
    owedPerServerCpuSecond: (consumed * owedPerTick * elapsed) / cpu,
    serverCores: cpu / elapsed,
    clientCores: (clientCpu.user + clientCpu.system) / 1e6 / elapsed,
    latencyP50Ms: latency.getValueAtPercentile(50) / 1000,
    latencyP99Ms: latency.getValueAtPercentile(99) / 1000,
    emitAgeMs: (after.emitAgeMs - before.emitAgeMs) / (after.ticks - before.ticks),
    conflatedTicksPerSecond: (after.conflated - before.conflated) / elapsed,
  };
}

async function measureBaseline(
  bootstrap: string,
  subscriptions: string[][] | null,
  settings: { seconds: number; symbols: number; owedPerTick: number },
  onSymbols: (symbols: string[]) => string[][],
): Promise<BaselineSide> {
  const { child, base } = await startSocketIoServer(bootstrap);
  const sockets: Socket[] = [];
  try {
    // The consumer has joined its group and sees the whole universe.
    const symbols = await waitFor(`socket.io server not seeing ${settings.symbols} symbols`, async () => {
      const stats = await socketIoStats(base);
      return stats.symbols.length >= settings.symbols ? stats.symbols : null;
    });
    const lists = subscriptions ?? onSymbols(symbols);
    const tally = newTally();
    const clients = lists.map((list) => socketIoClient(base, list, tally));
    sockets.push(...clients.map((client) => client.socket));
    await Promise.all(clients.map((client) => client.ready));
    return await measure(
      {
        tally,
        serverPid: child.pid ?? 0,
        consumed: async () => ({ ...(await socketIoStats(base)), conflated: Number.NaN }),
      },
      settings.seconds,
      settings.owedPerTick,
    );
  } finally {
    for (const socket of sockets) socket.disconnect();
    await stopChild(child);
  }
}

async function measureEdge(
  bootstrap: string,
  subscriptions: string[][],
  settings: { seconds: number; symbols: number; owedPerTick: number },
): Promise<BaselineSide & { gaps: number }> {
  const { child, port, base } = await startEdgeProcess(bootstrap, { history: '0', minSymbols: settings.symbols });
  const clients: ApplyingEdgeClient[] = [];
  try {
    const tally = newTally();
    for (const list of subscriptions)
      clients.push(
        new ApplyingEdgeClient(`ws://127.0.0.1:${port}/ws`, list, {
          onMessage: (bytes) => {
            if (tally.recording) tally.bytes += bytes + wireHeaderBytes(bytes);
          },
          onUpdate: (ageUs) => {
            if (!tally.recording) return;
            tally.updates++;
            recordAge(tally, ageUs);
          },
        }),
      );
    await Promise.all(clients.map((client) => client.ready));
    const side = await measure(
      {
        tally,
        serverPid: child.pid ?? 0,
        consumed: () => edgeCounters(base),
      },
      settings.seconds,
      settings.owedPerTick,
    );
    return { ...side, gaps: clients.reduce((sum, client) => sum + client.gaps, 0) };
  } finally {
    for (const client of clients) client.close();
    await stopChild(child);
  }
}

const medianSide = (list: BaselineSide[]): BaselineSide => {
  const of = (key: keyof BaselineSide): number => median(list.map((side) => side[key]));
  return {
    consumedTicksPerSecond: of('consumedTicksPerSecond'),
    owedUpdatesPerSecond: of('owedUpdatesPerSecond'),
    updatesPerSecond: of('updatesPerSecond'),
    bytesPerUpdate: of('bytesPerUpdate'),
    serverCpuSecondsPer10kUpdates: of('serverCpuSecondsPer10kUpdates'),
    updatesPerServerCpuSecond: of('updatesPerServerCpuSecond'),
    owedPerServerCpuSecond: of('owedPerServerCpuSecond'),
    serverCores: of('serverCores'),
    clientCores: of('clientCores'),
    latencyP50Ms: of('latencyP50Ms'),
    latencyP99Ms: of('latencyP99Ms'),
    emitAgeMs: of('emitAgeMs'),
    conflatedTicksPerSecond: of('conflatedTicksPerSecond'),
  };
};

const thousands = (value: number): string => Math.round(value).toLocaleString('en-US');

function describe(name: string, side: BaselineSide): string {
  return (
    `${name}: ${thousands(side.updatesPerSecond)} updates/s of ${thousands(side.owedUpdatesPerSecond)} owed, ` +
    `${side.bytesPerUpdate.toFixed(1)} B/update, ${side.serverCpuSecondsPer10kUpdates.toFixed(3)} server CPU-s per 10k ` +
    `(${side.serverCores.toFixed(2)} cores; clients ${side.clientCores.toFixed(2)}), p50 ${side.latencyP50Ms.toFixed(1)} ms, p99 ${side.latencyP99Ms.toFixed(1)} ms` +
    (Number.isNaN(side.emitAgeMs) ? '' : `, ticks ${side.emitAgeMs.toFixed(1)} ms old when emitted`) +
    (Number.isNaN(side.conflatedTicksPerSecond) ? '' : `, ${thousands(side.conflatedTicksPerSecond)} ticks/s conflated`)
  );
}

export async function runBaselineBench(options: BaselineOptions = {}): Promise<BaselineResult> {
  const runs = options.runs ?? 3;
  const seconds = options.seconds ?? 8;
  const clients = options.clients ?? 200;
  const rate = options.rate ?? 5000;
  const symbolCount = options.symbols ?? DEFAULT_SYMBOLS;
  const symbolsPerClient = options.symbolsPerClient ?? 50;
  const pages = Math.max(1, Math.floor(symbolCount / symbolsPerClient));
  const progress = options.progress ?? (() => {});
  // Each tick is owed to the clients whose page holds its symbol.
  const settings = { seconds, symbols: symbolCount, owedPerTick: (clients * symbolsPerClient) / symbolCount };
  const dataDir = mkdtempSync(join(tmpdir(), 'tickstream-bench-baseline-'));
  const broker = await startBrokerProcess(dataDir);
  const producer = spawnProducer(broker.bootstrap, { symbols: symbolCount, rate, clock: 'real' });
  const samples: BaselineResult['samples'] = { baseline: [], edge: [] };
  let subscriptions: string[][] | null = null;
  try {
    await sleep(1500);
    for (let run = 0; run < runs; run++) {
      const baseline = await measureBaseline(broker.bootstrap, subscriptions, settings, (symbols) => {
        subscriptions = subscriptionsFor('pages', clients, [...symbols].sort(), { symbolsPerClient, pages });
        return subscriptions;
      });
      samples.baseline.push(baseline);
      progress(`baseline run ${run + 1}/${runs}: ${describe('Socket.IO + JSON', baseline)}`);
      if (subscriptions === null) throw new Error('no subscriptions');
      const edge = await measureEdge(broker.bootstrap, subscriptions, settings);
      samples.edge.push(edge);
      progress(`baseline run ${run + 1}/${runs}: ${describe('tickstream edge', edge)}, ${edge.gaps} gaps`);
    }
  } finally {
    await stopChild(producer);
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const baseline = medianSide(samples.baseline);
  const edge = medianSide(samples.edge);
  return {
    runs,
    seconds,
    clients,
    rate,
    symbols: symbolCount,
    symbolsPerClient,
    baseline,
    edge,
    updatesPerCpuRatio: edge.updatesPerServerCpuSecond / baseline.updatesPerServerCpuSecond,
    owedPerCpuRatio: edge.owedPerServerCpuSecond / baseline.owedPerServerCpuSecond,
    bytesPerUpdateRatio: baseline.bytesPerUpdate / edge.bytesPerUpdate,
    samples,
  };
}

export function formatBaselineBench(result: BaselineResult): string {
  const row = (name: string, side: BaselineSide): string =>
    `${name.padEnd(18)} ${thousands(side.consumedTicksPerSecond).padStart(8)} ${thousands(side.owedUpdatesPerSecond).padStart(8)} ` +
    `${thousands(side.updatesPerSecond).padStart(10)} ${side.bytesPerUpdate.toFixed(1).padStart(8)} ` +
    `${side.serverCpuSecondsPer10kUpdates.toFixed(3).padStart(10)} ${thousands(side.updatesPerServerCpuSecond).padStart(11)} ` +
    `${thousands(side.owedPerServerCpuSecond).padStart(11)} ` +
    `${side.serverCores.toFixed(2).padStart(6)} ${side.latencyP50Ms.toFixed(1).padStart(7)} ${side.latencyP99Ms.toFixed(1).padStart(7)}`;
  return [
    `Socket.IO + JSON vs tickstream edge: ${thousands(result.rate)} ticks/s over ${thousands(result.symbols)} symbols, ` +
      `${thousands(result.clients)} clients × ${result.symbolsPerClient} symbols (shared pages), ${result.seconds} s × ${result.runs} runs; medians`,
    'server             ticks/s    owed/s  updates/s  B/update  CPU-s/10k  upd/CPU-s owed/CPU-s  cores  p50 ms  p99 ms',
    row('Socket.IO + JSON', result.baseline),
    row('tickstream edge', result.edge),
    `updates per server CPU-second, edge ÷ baseline: ${result.updatesPerCpuRatio.toFixed(1)}× delivered, ${result.owedPerCpuRatio.toFixed(1)}× owed`,
    `bytes per update, baseline ÷ edge: ${result.bytesPerUpdateRatio.toFixed(1)}×`,
  ].join('\n');
}

const USAGE =
  'usage: node bench/dist/baseline.js [--runs 3] [--seconds 8] [--clients 200] [--rate 5000] [--symbols-per-client 50]';

export function parseBaselineArgs(argv: string[]): BaselineOptions | string {
  const options: BaselineOptions = {};
  const names: Record<string, 'runs' | 'seconds' | 'clients' | 'rate' | 'symbolsPerClient'> = {
    '--runs': 'runs',
    '--seconds': 'seconds',
    '--clients': 'clients',
    '--rate': 'rate',
    // 1,000 (every symbol): one page, the dashboard's Market grid of everything.
    '--symbols-per-client': 'symbolsPerClient',
  };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i] as string;
    const key = names[flag];
    const value = argv[i + 1];
    if (key === undefined) return `bench baseline: unknown option '${flag}'\n${USAGE}`;
    if (value === undefined || !/^[1-9]\d*$/.test(value))
      return `bench baseline: ${flag} needs a positive integer\n${USAGE}`;
    options[key] = Number(value);
  }
  if ((options.symbolsPerClient ?? 0) > (options.symbols ?? DEFAULT_SYMBOLS))
    return `bench baseline: --symbols-per-client is at most the ${DEFAULT_SYMBOLS.toLocaleString('en-US')} symbols the producer makes\n${USAGE}`;
  return options;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const parsed = parseBaselineArgs(process.argv.slice(2));
  if (typeof parsed === 'string') {
    process.stderr.write(`${parsed}\n`);
    process.exit(2);
  }
  const result = await runBaselineBench({ ...parsed, progress: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(`${formatBaselineBench(result)}\n`);
  process.exit(0);
}
