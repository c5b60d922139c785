import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type EdgeGroup, startEdgeGroup } from '@tickstream/edge';
import { decodeServerFrame, encodeClientFrame, type FrameOptions } from '@tickstream/schemas';
import { nodeLz4 } from '@tickstream/schemas/lz4-node';
import WebSocket from 'ws';
import { defaultEdgeBenchOptions, startLoadGenerator, startProducer, subscriptionsFor } from './edge.js';
import { cli, cpuSeconds, freePort, startBrokerProcess } from './processes.js';
import { median } from './stats.js';

/**
 * Scale-out benchmark (issue 7): N edges behind HAProxy, as `tickstream up --edges N` runs them
 * (startEdgeGroup), the clients connecting to the balancer's one port.
 *
 * 1. Delivered frames/s with 1 and with 2 edges, interleaved (1, 2, 1, 2, …), same producer,
 *    same clients (the edge bench's pages mode and load generator), with the CPU of every
 *    process, so the result can say what bounds it on this machine.
 * 2. Reconnect storm: S clients through the balancer on 2 edges, the edge holding most of them
 *    killed with SIGKILL; the time from the kill until every moved client is connected again
 *    (to the other edge, through the balancer), has its Hello and the Snapshot that answers its
 *    Subscribe. Clients reconnect as the dashboard does: exponential backoff from 100 ms with
 *    50-100 % jitter. Each storm client follows one symbol, so the storm measures connecting
 *    and resyncing, not streaming.
 */
export interface ScaleThroughputRow {
  edges: number;
  /** Medians over the runs. */
  framesPerSecond: number;
  updatesPerSecond: number;
  edgeCores: number;
  balancerCores: number;
  loadGeneratorCores: number;
  brokerCores: number;
  producerCores: number;
  runs: number[];
}

export interface ScaleStormRun {
  clients: number;
  moved: number;
  /** Kill to the last moved client's Snapshot, ms. */
  allResyncedMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  failed: number;
}

export interface ScaleBenchResult {
  clients: number;
  rate: number;
  seconds: number;
  throughput: ScaleThroughputRow[];
  storm: { clients: number; runs: ScaleStormRun[]; medianAllResyncedMs: number };
}

const frameOptions: FrameOptions = { lz4: nodeLz4 };
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function startGroup(edges: number, bootstrap: string, dataDir: string): Promise<EdgeGroup> {
  const port = await freePort();
  const group = await startEdgeGroup({
    edges,
    host: '127.0.0.1',
    port,
    edgePort: () => 0,
    edgeId: (index) => `bench-edge-${index + 1}`,
    edgeCommand: [process.execPath, cli, 'edge', '--brokers', bootstrap, '--history', '0'],
    dataDir,
    checkIntervalMs: 500,
    maxConnections: 20_000,
    log: () => {},
  });
  await group.healthy();
  // HAProxy marks an edge up after its first passing check.
  await sleep(1500);
  return group;
}

async function symbolsOf(port: number, wanted: number): Promise<string[]> {
  for (const started = Date.now(); ; await sleep(200)) {
    const body = (await (await fetch(`http://127.0.0.1:${port}/api/symbols`)).json()) as {
      symbols: { name: string }[];
    };
    if (body.symbols.length >= wanted) return body.symbols.map((symbol) => symbol.name);
    if (Date.now() - started > 30_000) throw new Error(`only ${body.symbols.length} of ${wanted} symbols after 30 s`);
  }
}

async function measureThroughput(
  edges: number,
  bootstrap: string,
  pids: { broker: number; producer: number },
  options: { clients: number; seconds: number; symbols: number },
): Promise<Omit<ScaleThroughputRow, 'runs'>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tickstream-bench-scale-'));
  const group = await startGroup(edges, bootstrap, dataDir);
  try {
    const names = await symbolsOf(group.edges[0]?.port ?? 0, options.symbols);
    const subscriptions = subscriptionsFor('pages', options.clients, names, defaultEdgeBenchOptions);
    // One decoding client in 10, the rest count frames: as in the edge bench.
    const load = await startLoadGenerator(`ws://127.0.0.1:${group.port}/ws`, subscriptions, 10, 20, 2);
    try {
      await sleep(2000);
      load.reset();
      const cpu = (): number[] => [
        group.edges.reduce((sum, edge) => sum + cpuSeconds(edge.pid), 0),
        cpuSeconds(group.balancerPid),
        process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6,
        cpuSeconds(pids.broker),
        cpuSeconds(pids.producer),
      ];
      const before = cpu();
      const started = Date.now();
      await sleep(options.seconds * 1000);
      const { counts } = await load.report();
      const after = cpu();
      const wall = (Date.now() - started) / 1000;
      const cores = after.map((value, i) => (value - (before[i] as number)) / wall);
      return {
        edges,
        framesPerSecond: counts.frames / wall,
        updatesPerSecond:
          counts.decoderFrames > 0 ? (counts.updatesApplied / counts.decoderFrames) * (counts.frames / wall) : 0,
        edgeCores: cores[0] as number,
        balancerCores: cores[1] as number,
        loadGeneratorCores: cores[2] as number,
        brokerCores: cores[3] as number,
        producerCores: cores[4] as number,
      };
    } finally {
      await load.close();
    }
  } finally {
    await group.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** A storm client: connects through the balancer, subscribes, and reconnects when dropped. */
export class StormClient {
  edgeId = '';
  syncedAt = 0;
  failed = false;
  private socket: WebSocket | null = null;
  private attempt = 0;
  private closing = false;

  constructor(
    private readonly url: string,
    private readonly symbol: string,
    private readonly onSynced: (client: StormClient) => void,
  ) {}

  connect(): void {
    const socket = new WebSocket(this.url, { perMessageDeflate: false });
    this.socket = socket;
    socket.on('open', () => {
      socket.send(encodeClientFrame({ type: 'subscribe', symbols: [this.symbol], sectors: [] }, frameOptions));
    });
    socket.on('message', (data: Buffer) => {
      const message = decodeServerFrame(new Uint8Array(data.buffer, data.byteOffset, data.length), frameOptions);
      if (message.type === 'hello') this.edgeId = message.edgeId;
      if (message.type === 'snapshot') {
        this.attempt = 0;
        this.syncedAt = performance.now();
        this.onSynced(this);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      if (this.closing) return;
      // The dashboard's policy (feed-connection.ts): exponential backoff with 50-100 % jitter.
      const ceiling = Math.min(5000, 100 * 2 ** this.attempt);
      this.attempt++;
      if (this.attempt > 12) {
        this.failed = true;
        return;
      }
      setTimeout(() => this.connect(), ceiling * (0.5 + Math.random() * 0.5));
    });
  }

  close(): void {
    this.closing = true;
    this.socket?.terminate();
  }
}

async function measureStorm(bootstrap: string, clients: number, symbols: number): Promise<ScaleStormRun> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tickstream-bench-storm-'));
  const group = await startGroup(2, bootstrap, dataDir);
  const storm: StormClient[] = [];
  try {
    const names = await symbolsOf(group.edges[0]?.port ?? 0, Math.min(symbols, 100));
    let synced = 0;
    let resolveAll: () => void = () => {};
    let allSynced = new Promise<void>((resolve) => {
      resolveAll = resolve;
    });
    let waitingFor = clients;
    const onSynced = (): void => {
      synced++;
      if (synced === waitingFor) resolveAll();
    };
    const url = `ws://127.0.0.1:${group.port}/ws`;
    // Connect in batches, as a crowd of dashboards would arrive, not in one burst.
    for (let i = 0; i < clients; i++) {
      const client = new StormClient(url, names[i % names.length] as string, onSynced);
      storm.push(client);
      client.connect();
      if (i % 250 === 249) await sleep(50);
    }
    if ((await Promise.race([allSynced.then(() => true), sleep(60_000).then(() => false)])) === false) {
      throw new Error(`only ${synced} of ${clients} storm clients subscribed within 60 s`);
    }
    const byEdge = new Map<string, number>();
    for (const client of storm) byEdge.set(client.edgeId, (byEdge.get(client.edgeId) ?? 0) + 1);
    const victimId = [...byEdge.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
    const victim = group.edges.find((edge) => edge.id === victimId);
    if (!victim) throw new Error(`no edge ${victimId}`);
    const moving = storm.filter((client) => client.edgeId === victimId);
    synced = 0;
    waitingFor = moving.length;
    allSynced = new Promise<void>((resolve) => {
      resolveAll = resolve;
    });
    const killedAt = performance.now();
    await group.kill(victim.index, 'SIGKILL');
    const finished = await Promise.race([allSynced.then(() => true), sleep(60_000).then(() => false)]);
    const times = moving
      .filter((client) => client.syncedAt > killedAt && client.edgeId !== victimId)
      .map((client) => client.syncedAt - killedAt)
      .sort((a, b) => a - b);
    const at = (q: number): number => times[Math.min(times.length - 1, Math.floor(times.length * q))] ?? Number.NaN;
    return {
      clients,
      moved: moving.length,
      allResyncedMs: finished && times.length === moving.length ? (times[times.length - 1] ?? Number.NaN) : Number.NaN,
      p50Ms: at(0.5),
      p99Ms: at(0.99),
      maxMs: times[times.length - 1] ?? Number.NaN,
      failed: moving.length - times.length,
    };
  } finally {
    for (const client of storm) client.close();
    await group.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function runScaleBench(
  options: {
    runs?: number;
    seconds?: number;
    clients?: number;
    stormClients?: number;
    rate?: number;
    progress?: (line: string) => void;
  } = {},
): Promise<ScaleBenchResult> {
  const runs = options.runs ?? 3;
  const seconds = options.seconds ?? 8;
  const clients = options.clients ?? 2000;
  const stormClients = options.stormClients ?? 5000;
  const rate = options.rate ?? 20_000;
  const symbols = defaultEdgeBenchOptions.symbolCount;
  const progress = options.progress ?? (() => {});
  const dataDir = mkdtempSync(join(tmpdir(), 'tickstream-bench-scale-broker-'));
  const broker = await startBrokerProcess(dataDir);
  const samples = new Map<number, Omit<ScaleThroughputRow, 'runs'>[]>();
  const stormRuns: ScaleStormRun[] = [];
  try {
    const producer = await startProducer(broker.bootstrap, { rate, producerWorkers: null, symbolCount: symbols });
    try {
      for (let run = 0; run < runs; run++) {
        for (const edges of [1, 2]) {
          const figures = await measureThroughput(
            edges,
            broker.bootstrap,
            { broker: broker.pid, producer: producer.pid },
            { clients, seconds, symbols },
          );
          samples.set(edges, [...(samples.get(edges) ?? []), figures]);
          progress(
            `scale run ${run + 1}/${runs}, ${edges} edge${edges > 1 ? 's' : ''}: ${Math.round(figures.framesPerSecond).toLocaleString('en-US')} frames/s, ` +
              `edges ${figures.edgeCores.toFixed(2)} cores, haproxy ${figures.balancerCores.toFixed(2)}, load generator ${figures.loadGeneratorCores.toFixed(2)}, ` +
              `broker ${figures.brokerCores.toFixed(2)}, producer ${figures.producerCores.toFixed(2)}`,
          );
        }
      }
      for (let run = 0; run < runs; run++) {
        const storm = await measureStorm(broker.bootstrap, stormClients, symbols);
        stormRuns.push(storm);
        progress(
          `storm run ${run + 1}/${runs}: ${storm.moved} of ${storm.clients} clients moved; all resynced ${storm.allResyncedMs.toFixed(0)} ms after the kill ` +
            `(p50 ${storm.p50Ms.toFixed(0)}, p99 ${storm.p99Ms.toFixed(0)}, max ${storm.maxMs.toFixed(0)} ms; ${storm.failed} not back)`,
        );
      }
    } finally {
      await producer.stop();
    }
  } finally {
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const throughput = [1, 2].map((edges): ScaleThroughputRow => {
    const list = samples.get(edges) ?? [];
    const of = (pick: (row: (typeof list)[number]) => number): number => median(list.map(pick));
    return {
      edges,
      framesPerSecond: of((r) => r.framesPerSecond),
      updatesPerSecond: of((r) => r.updatesPerSecond),
      edgeCores: of((r) => r.edgeCores),
      balancerCores: of((r) => r.balancerCores),
      loadGeneratorCores: of((r) => r.loadGeneratorCores),
      brokerCores: of((r) => r.brokerCores),
      producerCores: of((r) => r.producerCores),
      runs: list.map((r) => r.framesPerSecond),
    };
  });
  return {
    clients,
    rate,
    seconds,
    throughput,
    storm: {
      clients: stormClients,
      runs: stormRuns,
      medianAllResyncedMs: median(stormRuns.map((r) => r.allResyncedMs)),
    },
  };
}

export function formatScaleBench(result: ScaleBenchResult): string {
  const lines = [
    `scale-out: ${result.clients} clients through HAProxy (pages of 50 of 1,000 symbols), producer ${result.rate.toLocaleString('en-US')} ticks/s, ${result.seconds} s per run; medians`,
    'edges  frames/s   updates/s   edges cores  haproxy  load gen  broker  producer',
  ];
  for (const row of result.throughput) {
    lines.push(
      `${String(row.edges).padStart(5)} ${Math.round(row.framesPerSecond).toLocaleString('en-US').padStart(9)} ${Math.round(row.updatesPerSecond).toLocaleString('en-US').padStart(11)} ` +
        `${row.edgeCores.toFixed(2).padStart(12)} ${row.balancerCores.toFixed(2).padStart(8)} ${row.loadGeneratorCores.toFixed(2).padStart(9)} ${row.brokerCores.toFixed(2).padStart(7)} ${row.producerCores.toFixed(2).padStart(9)}`,
    );
  }
  const storm = result.storm;
  lines.push(
    `reconnect storm, ${storm.clients} clients on 2 edges, the fuller one killed: all moved clients resynced in ${storm.medianAllResyncedMs.toFixed(0)} ms (median of ${storm.runs.length}); ` +
      storm.runs
        .map(
          (r) =>
            `${r.moved} moved: p50 ${r.p50Ms.toFixed(0)} / p99 ${r.p99Ms.toFixed(0)} / max ${r.maxMs.toFixed(0)} ms`,
        )
        .join('; '),
  );
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // node bench/dist/scale.js [--runs 3] [--seconds 8] [--clients 2000] [--storm-clients 5000] [--rate 20000]
  const names: Record<string, string> = {
    '--runs': 'runs',
    '--seconds': 'seconds',
    '--clients': 'clients',
    '--storm-clients': 'stormClients',
    '--rate': 'rate',
  };
  const args = process.argv.slice(2);
  const parsed: Record<string, number> = {};
  for (let i = 0; i < args.length; i += 2) {
    const key = names[args[i] ?? ''];
    const value = Number(args[i + 1]);
    if (key === undefined || !Number.isInteger(value) || value < 1) {
      process.stderr.write(
        `bench scale: bad option '${args[i]} ${args[i + 1] ?? ''}' (${Object.keys(names).join(', ')}, each a positive integer)\n`,
      );
      process.exit(2);
    }
    parsed[key] = value;
  }
  const result = await runScaleBench({ ...parsed, progress: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(`${formatScaleBench(result)}\n`);
}
