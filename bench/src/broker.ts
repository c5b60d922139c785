import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem, type } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  BATCH_BYTES,
  type Backend,
  CONCURRENT_SENDS,
  cpuSeconds,
  createTopics,
  deleteTopics,
  type KafkaPerfFigure,
  kafkajsFetch,
  kafkajsLatency,
  kafkajsProduce,
  kafkaProducerPerformance,
  kcatFetch,
  kcatProduce,
  type LatencyFigure,
  lz4Ratio,
  PARTITIONS,
  printableValues,
  type RunningBackend,
  rawDisk,
  rawProtocolProduce,
  type StepFigure,
  startBackend,
  tickValues,
  writeKcatInput,
} from './broker-clients.js';
import { median } from './stats.js';

/**
 * Broker benchmark: produce and fetch rates of kafkajs and kcat (librdkafka), 100 B and 1 KB
 * tick-like records in lz4 batches of 64 KB, against the embedded broker and/or Apache Kafka in
 * the same run, next to the broker fed pre-built batches (`raw`) and the same disk without a
 * broker (`disk`). Every figure is a median of `runs`; every run is kept in the result.
 */

export type { Backend } from './broker-clients.js';
export type Client = 'kafkajs' | 'kcat' | 'raw' | 'disk';
/** `write` has one fdatasync at the end, `write-sync-1MB` one per MB (a group commit per batch of requests). */
export type Step = 'produce' | 'fetch' | 'write' | 'write-sync-1MB' | 'read';

export interface RunFigure extends StepFigure {
  valuesMegabytesPerSecond: number;
  wireMegabytesPerSecond: number;
  recordsPerSecond: number;
  /** Broker process CPU over the step, in cores (1 = one core busy all the time). */
  brokerCores: number | undefined;
  /** This process's CPU over the step (kafkajs with its lz4 threads, or the raw load generator). */
  clientCores: number | undefined;
}

export interface BrokerMeasurement {
  backend: Backend;
  client: Client;
  step: Step;
  /** Record value size; 0 for the raw disk. */
  recordBytes: number;
  /** Medians over the runs, each taken on its own. */
  valuesMegabytesPerSecond: number;
  wireMegabytesPerSecond: number;
  recordsPerSecond: number;
  /** Uncompressed values ÷ stored batch bytes (lz4 plus record and batch framing). */
  compressionRatio: number;
  brokerCores: number | undefined;
  clientCores: number | undefined;
  /** Slowest and fastest run, values MB/s. */
  spread: [number, number];
  runs: RunFigure[];
}

export interface LatencyMeasurement extends LatencyFigure {
  backend: Backend;
  runs: LatencyFigure[];
}

export interface KafkaPerfMeasurement extends KafkaPerfFigure {
  backend: Backend;
  runs: KafkaPerfFigure[];
}

export interface BrokerBenchOptions {
  /** Default 5, or 3 with `quick`. */
  runs?: number;
  backends?: Backend[];
  /** Smaller volumes: about a third of the time per run. */
  quick?: boolean;
  /** Seconds of each kafkajs produce step; default 2.5 (1.2 quick). */
  seconds?: number;
  /** Also run Apache Kafka's ProducerPerformance (Java client) against each backend, once per run. */
  kafkaPerf?: boolean;
  /** Node flags for the embedded broker's process, e.g. ['--cpu-prof', '--cpu-prof-dir=prof']. */
  brokerNodeArgs?: string[];
  progress?: (line: string) => void;
}

export interface BrokerBenchResult {
  startedAt: string;
  finishedAt: string;
  machine: {
    os: string;
    cpus: number;
    model: string;
    memoryGb: number;
    node: string;
    /** 1-minute load average at the start and at the end: on shared cores, how quiet the machine was. */
    loadAverage: [number, number];
  };
  parameters: {
    runs: number;
    backends: Backend[];
    quick: boolean;
    produceSeconds: number;
    rawSeconds: number;
    batchBytes: number;
    concurrentSends: number;
    partitions: number;
    kcatRecords: Record<string, number>;
    latency: { acks: -1; recordBytes: number; messagesPerSend: number; sendsPerSecond: number; seconds: number };
    kafkaPerfRecords: number | null;
  };
  /** How well lz4 compresses the record values themselves, in 64 KB batches. */
  values: { client: 'kafkajs' | 'kcat'; kind: string; recordBytes: number; lz4Ratio: number }[];
  measurements: BrokerMeasurement[];
  latency: LatencyMeasurement[];
  kafkaPerf: KafkaPerfMeasurement[];
}

const RECORD_SIZES = [100, 1000] as const;
const MB = 1e6;

/** What a signal must undo while a run is under way: brokers to stop, folders to remove. */
const pendingCleanups = new Set<() => Promise<void>>();

/** Flushes dirty pages so that a step does not pay for the previous one's writeback. */
function settleDisk(): void {
  execFileSync('sync');
}

async function measure(
  running: RunningBackend,
  step: () => Promise<StepFigure>,
  clientInProcess: boolean,
): Promise<RunFigure> {
  const brokerBefore = cpuSeconds(running.pid);
  const clientBefore = process.cpuUsage();
  const started = performance.now();
  const figure = await step();
  const wall = (performance.now() - started) / 1000;
  const brokerAfter = cpuSeconds(running.pid);
  const client = process.cpuUsage(clientBefore);
  return withRates(figure, {
    brokerCores:
      brokerBefore === undefined || brokerAfter === undefined ? undefined : (brokerAfter - brokerBefore) / wall,
    clientCores: clientInProcess ? (client.user + client.system) / 1e6 / wall : undefined,
  });
}

function withRates(
  figure: StepFigure,
  cores: { brokerCores: number | undefined; clientCores: number | undefined },
): RunFigure {
  return {
    ...figure,
    valuesMegabytesPerSecond: figure.valueBytes / MB / figure.seconds,
    wireMegabytesPerSecond: figure.wireBytes / MB / figure.seconds,
    recordsPerSecond: figure.records / figure.seconds,
    ...cores,
  };
}

function medianOrUndefined(values: (number | undefined)[]): number | undefined {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length === 0 ? undefined : median(known);
}

/** The fields `summarise` computes from the runs. */
type RateKey =
  | 'valuesMegabytesPerSecond'
  | 'wireMegabytesPerSecond'
  | 'recordsPerSecond'
  | 'compressionRatio'
  | 'brokerCores'
  | 'clientCores';

function summarise(key: Omit<BrokerMeasurement, 'runs' | 'spread' | RateKey>, runs: RunFigure[]): BrokerMeasurement {
  const of = (pick: (run: RunFigure) => number): number => median(runs.map(pick));
  const values = runs.map((run) => run.valuesMegabytesPerSecond);
  return {
    ...key,
    valuesMegabytesPerSecond: of((run) => run.valuesMegabytesPerSecond),
    wireMegabytesPerSecond: of((run) => run.wireMegabytesPerSecond),
    recordsPerSecond: of((run) => run.recordsPerSecond),
    compressionRatio: of((run) => (run.wireBytes > 0 ? run.valueBytes / run.wireBytes : 1)),
    brokerCores: medianOrUndefined(runs.map((run) => run.brokerCores)),
    clientCores: medianOrUndefined(runs.map((run) => run.clientCores)),
    spread: [Math.min(...values), Math.max(...values)],
    runs,
  };
}
export async function runBrokerBench(options: BrokerBenchOptions = {}): Promise<BrokerBenchResult> {
  const startedAt = new Date().toISOString();
  const startLoad = loadavg()[0] ?? 0;
  const quick = options.quick ?? false;
  const runs = options.runs ?? (quick ? 3 : 5);
  const backends = options.backends ?? ['embedded'];
  const produceSeconds = options.seconds ?? (quick ? 1.2 : 2.5);
  const rawSeconds = quick ? 0.8 : 1.5;
  // 100 MB a run: librdkafka now and then assigns a partition before it knows the leader and
  // retries 500 ms later (its offset-query timer, seen with `-d all`, on both backends); at
  // 30 MB that doubled a step, at 100 MB it is a dent in the spread.
  const kcatRecords: Record<number, number> = quick
    ? { 100: 200_000, 1000: 20_000 }
    : { 100: 1_000_000, 1000: 100_000 };
  const latency = { acks: -1 as const, recordBytes: 100, messagesPerSend: 100, sendsPerSecond: 200, seconds: 2 };
  if (quick) latency.seconds = 1;
  const kafkaPerfRecords = options.kafkaPerf ? (quick ? 200_000 : 500_000) : null;
  const progress = options.progress ?? (() => {});

  const scratch = mkdtempSync(join(tmpdir(), 'tickstream-bench-broker-'));
  const removeScratch = async (): Promise<void> => rmSync(scratch, { recursive: true, force: true });
  pendingCleanups.add(removeScratch);
  const samples = new Map<string, { key: Omit<BrokerMeasurement, 'runs' | 'spread' | RateKey>; runs: RunFigure[] }>();
  const record = (backend: Backend, client: Client, step: Step, recordBytes: number, run: RunFigure): void => {
    const id = `${backend}/${client}/${step}/${recordBytes}`;
    const entry = samples.get(id) ?? { key: { backend, client, step, recordBytes }, runs: [] };
    entry.runs.push(run);
    samples.set(id, entry);
    progress(
      `  ${backend} ${client} ${step}${recordBytes ? ` ${recordBytes} B` : ''}: ` +
        `${run.valuesMegabytesPerSecond.toFixed(1)} MB/s of values, ${run.wireMegabytesPerSecond.toFixed(1)} MB/s wire` +
        (run.records ? `, ${Math.round(run.recordsPerSecond).toLocaleString('en-US')} records/s` : ''),
    );
  };
  const latencyRuns = new Map<Backend, LatencyFigure[]>();
  const kafkaPerfRuns = new Map<Backend, KafkaPerfFigure[]>();

  try {
    const binary = new Map(RECORD_SIZES.map((size) => [size, tickValues(size, 4000, size)]));
    const printable = new Map(RECORD_SIZES.map((size) => [size, printableValues(size, 4000, size)]));
    const kcatFiles = new Map(
      RECORD_SIZES.map((size) => {
        const file = join(scratch, `kcat-${size}.txt`);
        writeKcatInput(file, printable.get(size) as Buffer[], kcatRecords[size] as number);
        return [size, file];
      }),
    );

    /** Every step of one run against one broker. */
    const runSteps = async (broker: RunningBackend, dataDir: string, run: number): Promise<void> => {
      const { backend } = broker;
      const tag = `${run}-${Date.now().toString(36)}`;
      const topic = (name: string): string => `bench-${name}-${tag}`;
      const topics = [
        ...RECORD_SIZES.flatMap((size) => [topic(`kafkajs-${size}`), topic(`kcat-${size}`), topic(`raw-${size}`)]),
        topic('latency'),
        ...(kafkaPerfRecords ? [topic('perf')] : []),
      ];
      progress(`broker (${backend}): run ${run}/${runs}`);
      await createTopics(broker.bootstrap, topics);
      settleDisk();

      let kafkajsBytes = 0;
      for (const size of RECORD_SIZES) {
        const values = binary.get(size) as Buffer[];
        const name = topic(`kafkajs-${size}`);
        const produced = await measure(
          broker,
          () => kafkajsProduce(broker, dataDir, name, values, size, produceSeconds),
          true,
        );
        kafkajsBytes = Math.max(kafkajsBytes, produced.valueBytes);
        record(backend, 'kafkajs', 'produce', size, produced);
        record(
          backend,
          'kafkajs',
          'fetch',
          size,
          await measure(broker, () => kafkajsFetch(broker, dataDir, name, size), true),
        );
      }

      for (const size of RECORD_SIZES) {
        const file = kcatFiles.get(size) as string;
        const name = topic(`kcat-${size}`);
        const count = kcatRecords[size] as number;
        record(
          backend,
          'kcat',
          'produce',
          size,
          await measure(broker, () => kcatProduce(broker, dataDir, name, file, count, size), false),
        );
        record(
          backend,
          'kcat',
          'fetch',
          size,
          await measure(broker, () => kcatFetch(broker, dataDir, name, size), false),
        );
      }

      const sends = await kafkajsLatency(broker, topic('latency'), binary.get(100) as Buffer[], latency);
      latencyRuns.set(backend, [...(latencyRuns.get(backend) ?? []), sends]);
      progress(
        `  ${backend} kafkajs acks=-1 latency: p50 ${sends.p50Ms.toFixed(1)} ms, p99 ${sends.p99Ms.toFixed(1)} ms`,
      );

      if (kafkaPerfRecords) {
        const perf = await kafkaProducerPerformance(broker, topic('perf'), kafkaPerfRecords);
        kafkaPerfRuns.set(backend, [...(kafkaPerfRuns.get(backend) ?? []), perf]);
        progress(
          `  ${backend} ProducerPerformance: ${Math.round(perf.recordsPerSecond).toLocaleString('en-US')} records/s, ` +
            `${perf.megabytesPerSecond} MB/s, p99 ${perf.p99Ms} ms`,
        );
      }

      // Last of the broker steps: it writes the most, and its topic goes before the disk settles.
      for (const size of RECORD_SIZES) {
        const name = topic(`raw-${size}`);
        const values = binary.get(size) as Buffer[];
        record(
          backend,
          'raw',
          'produce',
          size,
          await measure(broker, () => rawProtocolProduce(broker, dataDir, name, values, size, rawSeconds), true),
        );
        await deleteTopics(broker.bootstrap, [name]);
        settleDisk();
      }
      await deleteTopics(broker.bootstrap, topics);
      settleDisk();

      // The same number of bytes as the larger kafkajs produce of this run, on the same disk.
      const disk = rawDisk(dataDir, Math.min(1 << 30, Math.max(64 << 20, kafkajsBytes)));
      const noCores = { brokerCores: undefined, clientCores: undefined };
      record(backend, 'disk', 'write', 0, withRates(disk.write, noCores));
      record(backend, 'disk', 'write-sync-1MB', 0, withRates(disk.writeGroupCommit, noCores));
      record(backend, 'disk', 'read', 0, withRates(disk.read, noCores));
    };

    // Every backend runs for the whole bench and the runs alternate between them, each run
    // starting with the other one: on shared cores whose load drifts over minutes, that keeps
    // the ratios fair. An idle single Kafka node costs ~0.05 core meanwhile (measured here).
    const started: { broker: RunningBackend; dataDir: string }[] = [];
    const stopAll = async (): Promise<void> => {
      for (const { broker, dataDir } of started.splice(0).reverse()) {
        progress(`broker (${broker.backend}): stopping`);
        await broker.close().catch((error: Error) => progress(`broker (${broker.backend}): ${error.message}`));
        rmSync(dataDir, { recursive: true, force: true });
      }
    };
    pendingCleanups.add(stopAll);
    try {
      for (const backend of backends) {
        const dataDir = join(scratch, backend);
        mkdirSync(dataDir);
        progress(
          `broker (${backend}): starting${backend === 'apache' ? ' Apache Kafka (the first start resolves jars)' : ''}`,
        );
        const broker = await startBackend(backend, dataDir, { nodeArgs: options.brokerNodeArgs ?? [], log: progress });
        started.push({ broker, dataDir });
      }
      for (let run = 1; run <= runs; run++) {
        const order = run % 2 === 1 ? [...started] : [...started].reverse();
        for (const { broker, dataDir } of order) await runSteps(broker, dataDir, run);
      }
    } finally {
      await stopAll();
      pendingCleanups.delete(stopAll);
    }

    const cpu = cpus();
    return {
      startedAt,
      finishedAt: new Date().toISOString(),
      machine: {
        os: `${type()} ${release()}`,
        cpus: cpu.length,
        model: cpu[0]?.model ?? 'unknown',
        memoryGb: Math.round(totalmem() / 2 ** 30),
        node: process.version,
        loadAverage: [startLoad, loadavg()[0] ?? 0],
      },
      parameters: {
        runs,
        backends,
        quick,
        produceSeconds,
        rawSeconds,
        batchBytes: BATCH_BYTES,
        concurrentSends: CONCURRENT_SENDS,
        partitions: PARTITIONS,
        kcatRecords: Object.fromEntries(RECORD_SIZES.map((size) => [`${size}`, kcatRecords[size] as number])),
        latency,
        kafkaPerfRecords,
      },
      values: RECORD_SIZES.flatMap((size) => [
        {
          client: 'kafkajs' as const,
          kind: 'FlatBuffers ticks (binary)',
          recordBytes: size,
          lz4Ratio: lz4Ratio(binary.get(size) as Buffer[], size),
        },
        {
          client: 'kcat' as const,
          kind: 'FlatBuffers ticks as base64 text',
          recordBytes: size,
          lz4Ratio: lz4Ratio(printable.get(size) as Buffer[], size),
        },
      ]),
      measurements: [...samples.values()].map(({ key, runs }) => summarise(key, runs)),
      latency: [...latencyRuns].map(([backend, figures]) => ({
        backend,
        sends: median(figures.map((f) => f.sends)),
        p50Ms: median(figures.map((f) => f.p50Ms)),
        p99Ms: median(figures.map((f) => f.p99Ms)),
        maxMs: median(figures.map((f) => f.maxMs)),
        runs: figures,
      })),
      kafkaPerf: [...kafkaPerfRuns].map(([backend, figures]) => ({
        backend,
        records: median(figures.map((f) => f.records)),
        recordsPerSecond: median(figures.map((f) => f.recordsPerSecond)),
        megabytesPerSecond: median(figures.map((f) => f.megabytesPerSecond)),
        avgMs: median(figures.map((f) => f.avgMs)),
        p50Ms: median(figures.map((f) => f.p50Ms)),
        p99Ms: median(figures.map((f) => f.p99Ms)),
        maxMs: median(figures.map((f) => f.maxMs)),
        runs: figures,
      })),
    };
  } finally {
    await removeScratch();
    pendingCleanups.delete(removeScratch);
  }
}

const fixed = (value: number | undefined, digits = 1): string => (value === undefined ? '—' : value.toFixed(digits));
const count = (value: number): string => Math.round(value).toLocaleString('en-US');

export function formatBrokerBench(result: BrokerBenchResult): string {
  const find = (backend: Backend, client: Client, step: Step, recordBytes: number): BrokerMeasurement | undefined =>
    result.measurements.find(
      (m) => m.backend === backend && m.client === client && m.step === step && m.recordBytes === recordBytes,
    );
  const { parameters: p } = result;
  const lines = [
    `broker throughput, medians of ${p.runs} runs (min–max of the runs beside them); MB/s = 10^6 B/s`,
    `  ${result.machine.cpus} × ${result.machine.model}, load average ${result.machine.loadAverage.map((l) => l.toFixed(1)).join(' → ')} over the bench`,
    `  values = uncompressed record values; wire = lz4 record batches as the broker stored them; lz4× = values ÷ wire`,
    `  ${p.concurrentSends} concurrent 64 KB sends over ${p.partitions} partitions, acks=1; ÷disk = MB/s ÷ the raw disk of the same runs`,
    `  (produce ÷ write with one fdatasync, fetch ÷ read); CPU in cores: broker process, and this process as the client`,
    '',
    'backend   client   step            record  values MB/s   (min–max)      wire MB/s     records/s   lz4×  broker CPU  client CPU  ÷disk values  ÷disk wire',
  ];
  for (const m of result.measurements) {
    const disk = m.client === 'disk' ? undefined : find(m.backend, 'disk', m.step === 'fetch' ? 'read' : 'write', 0);
    lines.push(
      [
        m.backend.padEnd(9),
        m.client.padEnd(8),
        m.step.padEnd(14),
        (m.recordBytes ? `${m.recordBytes} B` : '').padStart(7),
        fixed(m.valuesMegabytesPerSecond).padStart(12),
        `(${fixed(m.spread[0])}–${fixed(m.spread[1])})`.padStart(15),
        fixed(m.wireMegabytesPerSecond).padStart(10),
        (m.recordBytes ? count(m.recordsPerSecond) : '').padStart(13),
        (m.recordBytes ? fixed(m.compressionRatio) : '').padStart(6),
        fixed(m.brokerCores, 2).padStart(11),
        fixed(m.clientCores, 2).padStart(11),
        (disk ? fixed(m.valuesMegabytesPerSecond / disk.valuesMegabytesPerSecond, 3) : '').padStart(13),
        (disk ? fixed(m.wireMegabytesPerSecond / disk.wireMegabytesPerSecond, 3) : '').padStart(11),
      ].join(' '),
    );
  }

  if (p.backends.includes('embedded') && p.backends.includes('apache')) {
    lines.push('', 'embedded ÷ Apache Kafka, values MB/s of the medians:');
    for (const m of result.measurements.filter((m) => m.backend === 'embedded' && m.client !== 'disk')) {
      const apache = find('apache', m.client, m.step, m.recordBytes);
      if (apache) {
        lines.push(
          `  ${m.client} ${m.step} ${m.recordBytes} B: ${(m.valuesMegabytesPerSecond / apache.valuesMegabytesPerSecond).toFixed(2)}×`,
        );
      }
    }
  }

  lines.push('', 'lz4 on the record values alone (64 KB batches):');
  for (const v of result.values) lines.push(`  ${v.client} ${v.recordBytes} B, ${v.kind}: ${v.lz4Ratio.toFixed(2)}×`);

  const l = p.latency;
  lines.push(
    '',
    `kafkajs produce latency, acks=-1, ${l.messagesPerSend} × ${l.recordBytes} B per send, ${l.sendsPerSecond} sends/s for ${l.seconds} s (medians; p99 of each run):`,
  );
  for (const m of result.latency) {
    lines.push(
      `  ${m.backend.padEnd(9)} p50 ${fixed(m.p50Ms)} ms, p99 ${fixed(m.p99Ms)} ms, max ${fixed(m.maxMs)} ms` +
        `   (p99 runs: ${m.runs.map((r) => fixed(r.p99Ms)).join(', ')})`,
    );
  }

  if (result.kafkaPerf.length > 0) {
    lines.push(
      '',
      `Apache Kafka ProducerPerformance (Java client), ${count(p.kafkaPerfRecords ?? 0)} × 100 B, lz4, linger.ms=5, batch.size=65536, acks=1:`,
    );
    for (const m of result.kafkaPerf) {
      lines.push(
        `  ${m.backend.padEnd(9)} ${count(m.recordsPerSecond)} records/s, ${fixed(m.megabytesPerSecond, 2)} MB/s, ` +
          `p50 ${m.p50Ms} ms, p99 ${m.p99Ms} ms   (records/s runs: ${m.runs.map((r) => count(r.recordsPerSecond)).join(', ')})`,
      );
    }
  }
  return lines.join('\n');
}

/** Where results go: bench/results, from src/ and dist/ alike. */
export const BROKER_RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

/** Writes `broker-<timestamp>.json` and `broker-latest.json`; returns the dated file's path. */
export function writeBrokerBenchResult(result: BrokerBenchResult, dir = BROKER_RESULTS_DIR): string {
  mkdirSync(dir, { recursive: true });
  // ISO 8601 with the colons made dashes, which some tools and file systems refuse in names.
  const dated = join(dir, `broker-${result.startedAt.replace(/:/g, '-')}.json`);
  const text = `${JSON.stringify(result, null, 2)}\n`;
  writeFileSync(dated, text);
  writeFileSync(join(dir, 'broker-latest.json'), text);
  return dated;
}

const USAGE =
  'usage: node bench/dist/broker.js [--runs N] [--backend embedded|apache|both] [--quick] [--kafka-perf] [--broker-cpu-prof DIR]';

function parseArgs(args: readonly string[]): BrokerBenchOptions {
  const options: BrokerBenchOptions = {};
  for (let i = 0; i < args.length; i++) {
    const flag = args[i] as string;
    const value = (): string => {
      const next = args[++i];
      if (next === undefined || next.startsWith('--')) throw new Error(`${flag} needs a value`);
      return next;
    };
    if (flag === '--runs') {
      const text = value();
      const runs = Number(text);
      if (!Number.isInteger(runs) || runs < 1 || runs > 100) {
        throw new Error(`--runs must be a whole number from 1 to 100, not '${text}'`);
      }
      options.runs = runs;
    } else if (flag === '--backend') {
      const backend = value();
      if (backend === 'both') options.backends = ['embedded', 'apache'];
      else if (backend === 'embedded' || backend === 'apache') options.backends = [backend];
      else throw new Error(`--backend must be embedded, apache or both, not '${backend}'`);
    } else if (flag === '--quick') options.quick = true;
    else if (flag === '--kafka-perf') options.kafkaPerf = true;
    else if (flag === '--broker-cpu-prof') {
      options.brokerNodeArgs = ['--cpu-prof', `--cpu-prof-dir=${resolve(value())}`];
    } else throw new Error(`unknown flag '${flag}'`);
  }
  return options;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  let options: BrokerBenchOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`bench broker: ${(error as Error).message}. ${USAGE}\n`);
    process.exit(2);
  }
  const stop = (signal: NodeJS.Signals): void => {
    process.stderr.write(`bench broker: ${signal}, stopping brokers and removing temporary data\n`);
    // Newest first: a broker stops before the folder that holds its data goes.
    void (async () => {
      for (const cleanup of [...pendingCleanups].reverse()) await cleanup().catch(() => {});
      process.exit(130);
    })();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const started = performance.now();
  try {
    const result = await runBrokerBench({ ...options, progress: (line) => process.stderr.write(`${line}\n`) });
    process.stdout.write(`${formatBrokerBench(result)}\n`);
    const file = writeBrokerBenchResult(result);
    process.stderr.write(
      `bench broker: ${((performance.now() - started) / 1000).toFixed(0)} s; results in ${file} and broker-latest.json\n`,
    );
  } catch (error) {
    process.stderr.write(`bench broker: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
