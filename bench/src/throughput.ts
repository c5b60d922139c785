import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildUniverse } from '@tickstream/producer';
import { TickEncoder } from '@tickstream/schemas';
import { type DeltaByteReport, measureDeltaBytes } from './delta-bytes.js';
import { runE2eBench } from './e2e.js';
import {
  type AlongsideConfiguration,
  type EdgeRunFigures,
  runEdgeBench,
  startKafka,
  startLoadGenerator,
} from './edge.js';
import { fillTopic, loadOnce, runEdgeFollowBench } from './edge-ingest.js';
import { atLeast, atMost, type Floor, formatFloor } from './floors.js';
import { type FollowLagRun, followLagOnce } from './follow-lag.js';
import { runConsumerPerformance, runProducerPerformance } from './kafka-perf-tools.js';
import { type BrokerProcess, cli, cpuTimes, startBrokerProcess, stopChild } from './processes.js';
import { measureProducerRun } from './producer.js';
import { median } from './stats.js';
import { formatValue } from './svg-chart.js';

/**
 * `tickstream bench --only throughput` (issue 24's "Measure" section): each throughput figure of
 * the pipeline beside its reference, measured in the same run, with the issue's floor printed
 * beside it. Seven parts, each reusing the bench that measures it alone:
 *
 * 1. ingest — an edge loading a pre-filled topic (edge-ingest.ts), beside Apache Kafka's Java
 *    ConsumerPerformance reading the same topic;
 * 2. fan-out — the edge bench (edge.ts) in pages of 50, beside a bare uWebSockets.js publisher
 *    (bare-uws-publisher.ts) sending as many frames of the same size to the same clients;
 * 3. bytes — wire bytes per update, every symbol and a page of 50 (delta-bytes.ts);
 * 4. producer — `--rate max`, 2 workers (producer.ts), beside Java ProducerPerformance writing
 *    records of a tick's size, into the embedded broker and into Apache Kafka;
 * 5. e2e — latency at 250 k ticks/s offered (e2e.ts), with the load average;
 * 6. idle — an edge following 5,000 ticks/s with no client (edge-ingest.ts --follow);
 * 7. follow — an edge following 250,000 ticks/s live, its lag sampled every second (follow-lag.ts).
 *
 * Full: medians of `runs` (5). Quick (CI): one short run of each, 1k clients only, producer into
 * the embedded broker only (Apache Kafka's start alone would take a minute of CI).
 */
export interface ThroughputFigure {
  label: string;
  value: number;
  unit: string;
  floor?: Floor;
}

export interface ThroughputSection {
  title: string;
  /** What the figures are measured beside, and how. */
  reference: string;
  figures: ThroughputFigure[];
  notes: string[];
}

export interface ThroughputResult {
  quick: boolean;
  runs: number;
  sections: ThroughputSection[];
  /** Every part's raw measurements. */
  detail: Record<string, unknown>;
}

interface Context {
  quick: boolean;
  runs: number;
  progress: (line: string) => void;
}

const SYMBOLS = 1000;
const WINDOW_MS = 25;
const thousands = (value: number): string => Math.round(value).toLocaleString('en-US');

/** 1. An edge's bulk history load, beside ConsumerPerformance reading the same topic in the same run. */
async function measureIngest({ quick, runs, progress }: Context): Promise<[ThroughputSection, unknown]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tickstream-throughput-ingest-'));
  const broker = await startBrokerProcess(dataDir);
  try {
    const ticks = await fillTopic(broker.bootstrap, quick ? 2 : 10, SYMBOLS);
    progress(`ingest: topic filled with ${thousands(ticks)} ticks`);
    const perRun: { edge: Awaited<ReturnType<typeof loadOnce>>; javaFetch: number; javaOverall: number }[] = [];
    for (let run = 0; run < runs; run++) {
      const edge = await loadOnce(cli, broker.bootstrap);
      if (edge.ticks !== ticks) throw new Error(`the edge loaded ${edge.ticks} ticks of ${ticks}`);
      if (!Number.isFinite(edge.startupCpu)) throw new Error('the edge said "history loaded" before "listening on"');
      const java = await runConsumerPerformance({ bootstrap: broker.bootstrap, topic: 'ticks', records: ticks });
      if (java.records < ticks) throw new Error(`ConsumerPerformance read ${java.records} records of ${ticks}`);
      perRun.push({ edge, javaFetch: java.fetchRecordsPerSecond, javaOverall: java.recordsPerSecond });
      progress(
        `ingest run ${run + 1}/${runs}: edge ${(((edge.cpu - edge.startupCpu) / ticks) * 1e6).toFixed(2)} µs CPU per tick after start-up; ` +
          `ConsumerPerformance fetched ${thousands(java.fetchRecordsPerSecond)} records/s`,
      );
    }
    const loadCpu = (r: (typeof perRun)[number]): number => r.edge.cpu - r.edge.startupCpu;
    const perCore = median(perRun.map((r) => ticks / loadCpu(r)));
    const javaFetch = median(perRun.map((r) => r.javaFetch));
    const section: ThroughputSection = {
      title: `1. Edge ingest: ${thousands(ticks)} ticks of ${SYMBOLS} symbols loaded as history`,
      reference:
        "Apache Kafka's Java ConsumerPerformance (kafka-tools 4.4.0) reading the same topic from the same broker, after each edge load",
      figures: [
        {
          label: 'ingest: edge CPU per tick',
          value: median(perRun.map((r) => (loadCpu(r) / ticks) * 1e6)),
          unit: 'µs',
        },
        { label: 'ingest: edge ticks per CPU-second', value: perCore, unit: 'ticks/s', floor: atLeast(2_200_000) },
        {
          label: 'ingest: edge ticks/s while loading',
          value: median(perRun.map((r) => ticks / (r.edge.seconds - r.edge.startupSeconds))),
          unit: 'ticks/s',
        },
        {
          label: 'ingest: edge CPU per tick, start-up included',
          value: median(perRun.map((r) => (r.edge.cpu / ticks) * 1e6)),
          unit: 'µs',
        },
        { label: 'ingest: Java ConsumerPerformance fetch rate', value: javaFetch, unit: 'records/s' },
        {
          label: 'ingest: Java ConsumerPerformance, group join included',
          value: median(perRun.map((r) => r.javaOverall)),
          unit: 'records/s',
        },
        { label: 'ingest: edge per CPU-second ÷ Java fetch rate', value: perCore / javaFetch, unit: '×' },
      ],
      notes: [
        'edge CPU: /proc utime+stime from its "listening on" line (its consumer starting) to "history loaded" (state and 7 candle timeframes built);',
        "Java: fetch.nMsg.sec, the tool's records over its fetch time (the JVM's start and the group join left out); it keeps nothing.",
      ],
    };
    return [section, { ticks, perRun }];
  } finally {
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The bare uWS publisher's process, once it listens. */
async function startBarePublisher(
  framesPerSecond: number,
  frameBytes: number,
): Promise<{ child: ChildProcess; url: string }> {
  const script = fileURLToPath(new URL('./bare-uws-publisher.js', import.meta.url));
  const args = [script, '--frames-per-second', String(framesPerSecond), '--frame-bytes', String(frameBytes)];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  for (const started = Date.now(); ; await new Promise((resolve) => setTimeout(resolve, 20))) {
    const port = /listening on (\d+)/.exec(output)?.[1];
    if (port !== undefined) return { child, url: `ws://127.0.0.1:${port}/ws` };
    if (child.exitCode !== null || Date.now() - started > 10_000) {
      await stopChild(child, 'SIGKILL');
      throw new Error(`the bare uWS publisher did not start: ${output.trim() || `exit ${child.exitCode}`}`);
    }
  }
}

/** One fan-out run's figures, the edge's or the bare publisher's: CPU split per frame and per update. */
interface FanOutSide {
  framesPerSecond: number;
  updatesPerSecond: number;
  userMicrosPerFrame: number;
  kernelMicrosPerFrame: number;
  userMicrosPerUpdate: number;
  kernelMicrosPerUpdate: number;
  updatesPerCpuSecond: number;
}

function fanOutSide(frames: number, updates: number, user: number, kernel: number, wall: number): FanOutSide {
  return {
    framesPerSecond: frames / wall,
    updatesPerSecond: updates / wall,
    userMicrosPerFrame: (user / frames) * 1e6,
    kernelMicrosPerFrame: (kernel / frames) * 1e6,
    userMicrosPerUpdate: (user / updates) * 1e6,
    kernelMicrosPerUpdate: (kernel / updates) * 1e6,
    updatesPerCpuSecond: updates / (user + kernel),
  };
}

/** The edge's side of one run: its CPU over the frames its clients received and the updates it sent. */
function edgeSide(f: EdgeRunFigures): FanOutSide {
  const cpu = f.edgeCores; // CPU-seconds per second of the window
  return fanOutSide(f.framesPerSecond, f.updatesPerSecond, cpu * (1 - f.edgeSystemShare), cpu * f.edgeSystemShare, 1);
}

/**
 * The bare publisher on the same clients, right after the edge's configuration: as many frames
 * per client per second as the edge's clients received, of their mean size, for as long.
 */
async function measureBarePublisher(
  configuration: AlongsideConfiguration,
  seconds: number,
  warmupSeconds: number,
  progress: (line: string) => void,
): Promise<FanOutSide & { frameBytes: number; framesPerClientPerSecond: number; connected: number }> {
  const edge = configuration.figures;
  const framesPerClientPerSecond = edge.framesPerSecond / edge.connected;
  const wireBytesPerFrame = edge.wireBytesPerSecond / edge.framesPerSecond;
  // Payload + the server frame's header (2 bytes up to 125, 4 up to 64 KiB): the same wire bytes.
  const frameBytes = Math.max(1, Math.round(wireBytesPerFrame - (wireBytesPerFrame - 2 <= 125 ? 2 : 4)));
  const updatesPerFrame = edge.updatesPerSecond / edge.framesPerSecond;
  const publisher = await startBarePublisher(framesPerClientPerSecond, frameBytes);
  try {
    const pid = publisher.child.pid ?? 0;
    const load = await startLoadGenerator(publisher.url, configuration.subscriptions, 1, 20, 2, false);
    try {
      if (load.failed > 0)
        throw new Error(`${load.failed} clients could not subscribe to the bare publisher: ${load.firstFailure}`);
      await new Promise((resolve) => setTimeout(resolve, warmupSeconds * 1000));
      load.reset();
      const before = cpuTimes(pid);
      const started = performance.now();
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      const after = cpuTimes(pid);
      const wall = (performance.now() - started) / 1000;
      const { counts } = await load.report();
      const side = fanOutSide(
        counts.frames,
        counts.frames * updatesPerFrame,
        after.user - before.user,
        after.system - before.system,
        wall,
      );
      progress(
        `  bare uWS: ${thousands(side.framesPerSecond)} frames/s of ${frameBytes} B, ${side.userMicrosPerFrame.toFixed(2)} µs user + ${side.kernelMicrosPerFrame.toFixed(2)} µs kernel per frame`,
      );
      return { ...side, frameBytes, framesPerClientPerSecond, connected: load.connected };
    } finally {
      await load.close();
    }
  } finally {
    await stopChild(publisher.child, 'SIGKILL');
  }
}

/** 2. Fan-out in pages of 50 at each client count, the bare publisher run after each edge run. */
async function measureFanOut({ quick, runs, progress }: Context): Promise<[ThroughputSection, unknown]> {
  const seconds = quick ? 2 : 5;
  const warmupSeconds = quick ? 1 : 2;
  const bare = new Map<number, Awaited<ReturnType<typeof measureBarePublisher>>[]>();
  const result = await runEdgeBench({
    runs,
    clients: quick ? [1000] : [1000, 5000, 10_000],
    modes: ['pages'],
    seconds,
    warmupSeconds,
    idleSeconds: 1,
    windowMs: WINDOW_MS,
    progress,
    alongside: async (configuration) => {
      const side = await measureBarePublisher(configuration, seconds, warmupSeconds, progress);
      bare.set(configuration.clients, [...(bare.get(configuration.clients) ?? []), side]);
    },
  });
  const figures: ThroughputFigure[] = [];
  const of = (sides: FanOutSide[], pick: (side: FanOutSide) => number): number => median(sides.map(pick));
  for (const row of result.rows) {
    const edge = row.runs.map(edgeSide);
    const reference = bare.get(row.clients) ?? [];
    const at = `fan-out ${row.clients / 1000}k`;
    for (const [name, sides] of [
      ['edge', edge],
      ['bare uWS', reference],
    ] as const) {
      const isEdge = name === 'edge';
      figures.push(
        { label: `${at}: ${name} frames delivered`, value: of(sides, (s) => s.framesPerSecond), unit: 'frames/s' },
        {
          label: `${at}: ${name} user CPU per frame`,
          value: of(sides, (s) => s.userMicrosPerFrame),
          unit: 'µs',
          ...(isEdge ? { floor: atMost(0.5) } : {}),
        },
        { label: `${at}: ${name} kernel CPU per frame`, value: of(sides, (s) => s.kernelMicrosPerFrame), unit: 'µs' },
        { label: `${at}: ${name} user CPU per update`, value: of(sides, (s) => s.userMicrosPerUpdate), unit: 'µs' },
        { label: `${at}: ${name} kernel CPU per update`, value: of(sides, (s) => s.kernelMicrosPerUpdate), unit: 'µs' },
        {
          label: `${at}: ${name} updates per CPU-second`,
          value: of(sides, (s) => s.updatesPerCpuSecond),
          unit: 'updates',
          ...(isEdge && row.clients === 5000 ? { floor: atLeast(5_000_000) } : {}),
        },
      );
    }
  }
  const notes = [
    `${SYMBOLS} symbols at ${thousands(result.settings.rate)} ticks/s, window ${WINDOW_MS} ms, ${result.settings.pages} shared pages of ${result.settings.symbolsPerClient}; ${seconds} s windows after ${warmupSeconds} s warm-up.`,
    'edge CPU: the whole edge process (/proc utime = user, stime = kernel), Kafka ingest included, over frames its clients received and updates it sent;',
    "bare uWS: its process's CPU the same way, its updates = its frames × the edge's updates per frame.",
    'on loopback the receiver’s TCP work is charged to the sending call: the kernel share is mostly the machine’s, not the server’s.',
  ];
  if (quick)
    notes.push('--quick: 1k clients only; the ≥ 5 M updates per edge CPU-s floor is for 5k clients (full run).');
  for (const line of result.skipped) notes.push(`skipped ${line}`);
  const section: ThroughputSection = {
    title: `2. Fan-out in pages of ${result.settings.symbolsPerClient}`,
    reference:
      'a bare uWebSockets.js server (bench/src/bare-uws-publisher.ts) publishing as many frames of the same size per client to the same clients, right after each edge run',
    figures,
    notes,
  };
  return [section, { edge: result, bare: Object.fromEntries(bare) }];
}

/** 3. Wire bytes per update, every symbol and a page of 50. */
async function measureBytes({ quick, runs, progress }: Context): Promise<[ThroughputSection, unknown]> {
  const reports: DeltaByteReport[][] = [];
  for (let run = 0; run < runs; run++) {
    const pair = await measureDeltaBytes({
      symbols: SYMBOLS,
      rate: 20_000,
      seconds: quick ? 1 : 5,
      windowMs: WINDOW_MS,
    });
    reports.push(pair);
    progress(
      `bytes run ${run + 1}/${runs}: ${pair.map((r) => `${r.subscription} ${r.wireBytesPerUpdate.toFixed(2)} B`).join(', ')}`,
    );
  }
  const of = (index: number): number => median(reports.map((pair) => pair[index]?.wireBytesPerUpdate ?? Number.NaN));
  const section: ThroughputSection = {
    title: '3. Bytes per update on the wire, WebSocket headers included',
    reference: 'the ceilings of issue 24 (the Socket.IO + JSON reference is `tickstream bench --only baseline`)',
    figures: [
      { label: 'bytes: every symbol', value: of(0), unit: 'B/update', floor: atMost(6) },
      { label: 'bytes: a page of 50', value: of(1), unit: 'B/update', floor: atMost(8) },
    ],
    notes: [
      `${SYMBOLS} symbols at 20,000 ticks/s, window ${WINDOW_MS} ms; every Delta frame a client received after its Snapshot, header + payload over the updates it carried.`,
    ],
  };
  return [section, reports];
}

/** Mean bytes of a tick record's value (the producer's FlatBuffers Tick) over its 1,000-symbol universe. */
function meanTickRecordBytes(): number {
  const universe = buildUniverse({ symbolCount: SYMBOLS, seed: 1 });
  const encoder = new TickEncoder();
  let bytes = 0;
  for (let i = 0; i < universe.size; i++) {
    const price = 1_234_567;
    bytes += encoder.encode({
      symbol: universe.names[i] as string,
      sector: universe.sectors[i] as string,
      price,
      size: 100,
      bid: price - 100,
      ask: price + 100,
      exchangeTimeUs: Date.now() * 1000,
      sequence: 1_000_000,
    }).length;
  }
  return Math.round(bytes / universe.size);
}

/** 4. `tickstream producer --rate max` with 2 workers, then ProducerPerformance, into each broker. */
async function measureProducer({ quick, runs, progress }: Context): Promise<[ThroughputSection, unknown]> {
  const recordBytes = meanTickRecordBytes();
  const seconds = quick ? 2 : 5;
  const javaRecords = quick ? 500_000 : 3_000_000;
  const backends = quick ? (['embedded'] as const) : (['embedded', 'apache'] as const);
  const figures: ThroughputFigure[] = [];
  const detail: Record<string, unknown> = { recordBytes };
  for (const backend of backends) {
    const dataDir = mkdtempSync(join(tmpdir(), `tickstream-throughput-producer-${backend}-`));
    progress(`producer: starting the ${backend === 'apache' ? 'Apache Kafka node' : 'embedded broker'}`);
    const broker: BrokerProcess = await startKafka(backend, dataDir);
    try {
      const ours: number[] = [];
      const java: number[] = [];
      // The producer and the broker share the cores: what each spends per tick, from /proc.
      const perProducerCpu: number[] = [];
      const perBrokerCpu: number[] = [];
      for (let run = 0; run < runs; run++) {
        const topic = `throughput-${run}-${Date.now()}`;
        const measured = await measureProducerRun(broker.bootstrap, broker.pid, topic, 2, 'workers', seconds, SYMBOLS);
        ours.push(measured.ticksPerSecond);
        perProducerCpu.push(measured.ticksPerSecond / measured.producerCores);
        perBrokerCpu.push(measured.ticksPerSecond / measured.brokerCores);
        // The topic the producer made: the same partitions for the Java tool.
        const reference = await runProducerPerformance({
          bootstrap: broker.bootstrap,
          topic,
          records: javaRecords,
          recordBytes,
        });
        java.push(reference.recordsPerSecond);
        progress(
          `producer run ${run + 1}/${runs} (${backend}): tickstream ${thousands(measured.ticksPerSecond)} ticks/s (producer ${measured.producerCores.toFixed(2)} cores, broker ${measured.brokerCores.toFixed(2)}), ProducerPerformance ${thousands(reference.recordsPerSecond)} records/s`,
        );
      }
      const name = backend === 'apache' ? 'Apache Kafka' : 'embedded broker';
      figures.push(
        {
          label: `producer → ${name}: tickstream, 2 workers`,
          value: median(ours),
          unit: 'ticks/s',
          ...(backend === 'embedded' ? { floor: atLeast(1_500_000) } : {}),
        },
        { label: `producer → ${name}: Java ProducerPerformance`, value: median(java), unit: 'records/s' },
        { label: `producer → ${name}: ticks per producer CPU-second`, value: median(perProducerCpu), unit: 'ticks' },
        { label: `producer → ${name}: ticks per broker CPU-second`, value: median(perBrokerCpu), unit: 'ticks' },
      );
      detail[backend] = { tickstream: ours, java, perProducerCpu, perBrokerCpu };
    } finally {
      await broker.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  const notes = [
    `tickstream: \`producer --rate max --workers 2\`, ${SYMBOLS} symbols, counted from the topic's end offsets over ${seconds} s; ` +
      `Java: ${thousands(javaRecords)} records of ${recordBytes} B (a tick's mean FlatBuffers size; no key), lz4, linger 5 ms, 64 KB batches, acks=1, its own summary line.`,
  ];
  if (quick)
    notes.push(
      '--quick: into the embedded broker only (starting Apache Kafka would cost more than the whole quick run).',
    );
  const section: ThroughputSection = {
    title: '4. Producer at --rate max',
    reference: "Apache Kafka's Java ProducerPerformance (kafka-tools 4.4.0) into the same broker, after each run",
    figures,
    notes,
  };
  return [section, detail];
}

/** 5. End to end at 250 k ticks/s offered. */
async function measureEndToEnd({ quick, runs, progress }: Context): Promise<[ThroughputSection, unknown]> {
  const rate = 250_000;
  const result = await runE2eBench({ runs, seconds: quick ? 2 : 10, rates: [rate], windowMs: WINDOW_MS, progress });
  const load = loadavg()[0] ?? Number.NaN;
  const row = result.rows[0];
  if (row === undefined) throw new Error('e2e returned no row');
  const section: ThroughputSection = {
    title: `5. End to end at ${thousands(rate)} ticks/s offered, window ${WINDOW_MS} ms`,
    reference: `the issue's targets: p50 ≤ window + 5 ms, p99 ≤ window + 10 ms; the machine's load beside them`,
    figures: [
      { label: 'e2e 250k: p50', value: row.corrected.p50, unit: 'ms', floor: atMost(result.windowMs + 5) },
      { label: 'e2e 250k: p99', value: row.corrected.p99, unit: 'ms', floor: atMost(result.windowMs + 10) },
      { label: 'e2e 250k: consumed by the edge', value: row.consumedTicksPerSecond, unit: 'ticks/s' },
      { label: 'e2e 250k: load average (1 min) after', value: load, unit: 'load' },
    ],
    notes: [
      `${result.clients} clients on every symbol, ${result.seconds} s per run; tick exchange time (producer's clock) → update applied in a client, corrected for coordinated omission.`,
    ],
  };
  return [section, { ...result, loadAverage: loadavg() }];
}

/** 6. An edge following 5,000 ticks/s with no client. */
async function measureIdle({ quick, runs, progress }: Context): Promise<[ThroughputSection, unknown]> {
  const result = await runEdgeFollowBench({
    runs,
    // The cost of following for as long as the edge runs: measured after its start-up work, which
    // ends with V8's memory-reducer collections ~30 s in (quick runs keep a short warm-up).
    seconds: quick ? 3 : 20,
    warmupSeconds: quick ? 3 : 30,
    rate: 5000,
    symbols: SYMBOLS,
    edges: [cli],
    log: progress,
  });
  const variant = result.variants[0];
  if (variant === undefined) throw new Error('follow returned no variant');
  const section: ThroughputSection = {
    title: '6. Idle cost: an edge following 5,000 ticks/s, no client',
    reference: "the issue's floor",
    figures: [
      { label: 'idle: edge following 5,000 ticks/s', value: variant.cores, unit: 'cores', floor: atMost(0.02) },
      { label: 'idle: edge CPU per tick', value: variant.cpuMicrosPerTick, unit: 'µs' },
    ],
    notes: [
      `${result.seconds} s per run after ${result.warmupSeconds} s of following (start-up done); /proc utime+stime over wall time.`,
    ],
  };
  return [section, result];
}

/** 7. An edge following 250,000 ticks/s live: is its lag flat? */
async function measureFollow({ quick, runs, progress }: Context): Promise<[ThroughputSection, unknown]> {
  const rate = 250_000;
  const seconds = quick ? 10 : 60;
  const perRun: FollowLagRun[] = [];
  for (let run = 0; run < runs; run++) {
    const measured = await followLagOnce({ rate, symbols: SYMBOLS, seconds, warmupSeconds: 3, progress });
    perRun.push(measured);
    const { trend } = measured;
    progress(
      `follow run ${run + 1}/${runs}: lag ${thousands(trend.start)} → ${thousands(trend.end)} ticks (max ${thousands(trend.max)}), ` +
        `slope ${thousands(trend.slope)} ticks/s; ${thousands(measured.producedPerSecond)} ticks/s produced; ` +
        `edge ${measured.cores.edge.toFixed(2)} cores, producer ${measured.cores.producer.toFixed(2)}, broker ${measured.cores.broker.toFixed(2)}; ` +
        `load ${measured.loadAverage.map((l) => l.toFixed(2)).join(', ')}`,
    );
  }
  const of = (pick: (r: FollowLagRun) => number): number => median(perRun.map(pick));
  // Flat: the lag grows (or shrinks) by less than 1 % of the rate each second.
  const flat = rate * 0.01;
  const section: ThroughputSection = {
    title: `7. Following ${thousands(rate)} ticks/s live for ${seconds} s: the edge's lag`,
    reference: "the issue's floor: flat lag (least-squares growth under 1 % of the rate)",
    figures: [
      {
        label: 'follow: ticks/s produced',
        value: of((r) => r.producedPerSecond),
        unit: 'ticks/s',
        floor: atLeast(rate * 0.99),
      },
      { label: 'follow: ticks/s the edge applied', value: of((r) => r.appliedPerSecond), unit: 'ticks/s' },
      { label: 'follow: lag at the start', value: of((r) => r.trend.start), unit: 'ticks' },
      { label: 'follow: lag at the end', value: of((r) => r.trend.end), unit: 'ticks' },
      { label: 'follow: lag, max', value: of((r) => r.trend.max), unit: 'ticks' },
      {
        label: 'follow: lag, max, in time (÷ ticks/s produced)',
        value: of((r) => (r.trend.max / r.producedPerSecond) * 1000),
        unit: 'ms',
      },
      {
        label: 'follow: |lag slope| (least squares)',
        value: of((r) => Math.abs(r.trend.slope)),
        unit: 'ticks/s',
        floor: atMost(flat),
      },
      { label: 'follow: edge CPU', value: of((r) => r.cores.edge), unit: 'cores' },
      { label: 'follow: producer CPU', value: of((r) => r.cores.producer), unit: 'cores' },
      { label: 'follow: broker CPU', value: of((r) => r.cores.broker), unit: 'cores' },
      {
        label: 'follow: load average (1 min) at the end',
        value: of((r) => r.loadAverage[0] ?? Number.NaN),
        unit: 'load',
      },
    ],
    notes: [
      `${SYMBOLS} symbols, \`producer --rate ${rate} --workers 2\`; the edge started with --history 0 on the empty topic, so its lag is the topic's end offsets (ListOffsets) − its ticks applied (/metrics), read once a second for ${seconds} s after 3 s of warm-up;`,
      `signed slopes per run: ${perRun.map((r) => thousands(r.trend.slope)).join(', ')} ticks/s (negative: catching up).`,
      'broker, producer and edge share the machine’s cores: the load average says how much else ran.',
    ],
  };
  return [section, perRun];
}

const PARTS = {
  ingest: measureIngest,
  'fan-out': measureFanOut,
  bytes: measureBytes,
  producer: measureProducer,
  e2e: measureEndToEnd,
  idle: measureIdle,
  follow: measureFollow,
} as const;
export type ThroughputPart = keyof typeof PARTS;
export const THROUGHPUT_PARTS = Object.keys(PARTS) as ThroughputPart[];

export async function runThroughputBench(options: {
  quick: boolean;
  runs?: number;
  /** Some of the parts, in their order (default: all). */
  parts?: readonly ThroughputPart[];
  progress?: (line: string) => void;
}): Promise<ThroughputResult> {
  const context: Context = {
    quick: options.quick,
    runs: options.quick ? 1 : (options.runs ?? 5),
    progress: options.progress ?? (() => {}),
  };
  const sections: ThroughputSection[] = [];
  const detail: Record<string, unknown> = {};
  for (const name of THROUGHPUT_PARTS.filter((part) => options.parts?.includes(part) ?? true)) {
    const began = performance.now();
    context.progress(`${name}: starting`);
    const [section, raw] = await PARTS[name](context);
    sections.push(section);
    detail[name] = { seconds: (performance.now() - began) / 1000, measured: raw };
    context.progress(`${name}: done in ${((performance.now() - began) / 1000).toFixed(0)} s`);
  }
  return { quick: options.quick, runs: context.runs, sections, detail };
}

export function throughputFigures(result: ThroughputResult): ThroughputFigure[] {
  return result.sections.flatMap((section) => section.figures);
}

export function formatThroughputBench(result: ThroughputResult): string {
  const figures = throughputFigures(result);
  const width = Math.max(...figures.map((f) => f.label.length));
  const lines = [
    `throughput (issue 24): ${result.quick ? 'one short run of each part (--quick)' : `medians of ${result.runs}`}; ✔/✘ against the issue's floors — provisional on a shared machine (load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(', ')} at the end)`,
  ];
  for (const section of result.sections) {
    lines.push('', section.title, `  beside: ${section.reference}`);
    for (const f of section.figures) {
      const floor = f.floor === undefined ? '' : `  ${formatFloor(f.value, f.floor)}`;
      lines.push(`  ${f.label.padEnd(width)} ${formatValue(f.value).padStart(12)} ${f.unit.padEnd(9)}${floor}`);
    }
    for (const note of section.notes) lines.push(`  ${note}`);
  }
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // node bench/dist/throughput.js [--quick] [--runs 5] [--parts ingest,fan-out,bytes,producer,e2e,idle,follow]
  const args = process.argv.slice(2);
  const value = (flag: string): string | undefined =>
    args.includes(flag) ? (args[args.indexOf(flag) + 1] ?? '') : undefined;
  const usage = (why: string): never => {
    process.stderr.write(
      `bench throughput: ${why}\nusage: node bench/dist/throughput.js [--quick] [--runs N] [--parts ${THROUGHPUT_PARTS.join(',')}]\n`,
    );
    process.exit(2);
  };
  const runs = Number(value('--runs') ?? 5);
  if (!Number.isInteger(runs) || runs < 1) usage(`--runs must be a whole number ≥ 1, got '${value('--runs')}'`);
  const parts = value('--parts')?.split(',');
  const unknown = parts?.filter((part) => !(THROUGHPUT_PARTS as string[]).includes(part)) ?? [];
  if (unknown.length > 0) usage(`unknown part ${unknown.join(', ')}`);
  const started = performance.now();
  const result = await runThroughputBench({
    quick: args.includes('--quick'),
    runs,
    parts: parts as ThroughputPart[] | undefined,
    progress: (line) =>
      process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`),
  });
  process.stdout.write(`${formatThroughputBench(result)}\n`);
}
