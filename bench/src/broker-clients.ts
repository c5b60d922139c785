import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  closeSync,
  type Dirent,
  fdatasyncSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_KAFKA_VERSION, resolveKafkaJars, startApacheKafka } from '@tickstream/broker';
import { TickEncoder } from '@tickstream/schemas';
import { kafkaLz4Codec } from '@tickstream/schemas/lz4-node';
import kafkajs from 'kafkajs';
import { compressFrameSync } from 'lz4-napi';
import { endOffsetTotal } from './processes.js';
import { blastProduce, lz4RecordBatch, produceRequest } from './raw-produce.js';
import { median } from './stats.js';

/**
 * The timed steps of the broker benchmark, one function per client: each moves records through
 * a running broker and says how many records and bytes it moved in how long. Records are counted
 * from the topic's end offsets and bytes from the broker's segment files, never from what a
 * client believes it sent.
 */

const { CompressionCodecs, CompressionTypes, Kafka, logLevel } = kafkajs;
CompressionCodecs[CompressionTypes.LZ4] = kafkaLz4Codec;

export type Backend = 'embedded' | 'apache';

/** One timed run of one step. */
export interface StepFigure {
  records: number;
  /** Uncompressed record values moved. */
  valueBytes: number;
  /** Record batches as the broker stored them (lz4); for the raw disk, the bytes written or read. */
  wireBytes: number;
  seconds: number;
}

export interface RunningBackend {
  backend: Backend;
  bootstrap: string;
  /** The broker's process, to read its CPU time. */
  pid: number | undefined;
  close(): Promise<void>;
}

/** Every topic lives on this many partitions, so concurrent sends spread like the producer's. */
export const PARTITIONS = 3;
/** Uncompressed bytes per kafkajs send and per raw batch: lz4 makes 16–25 KB of it. */
export const BATCH_BYTES = 64 * 1024;
export const CONCURRENT_SENDS = 6;

export const perBatch = (recordBytes: number): number => Math.max(1, Math.floor(BATCH_BYTES / recordBytes));

const kafkaOf = (bootstrap: string): kafkajs.Kafka =>
  new Kafka({ brokers: bootstrap.split(','), clientId: 'bench-broker', logLevel: logLevel.NOTHING });

// The embedded broker in a process of its own, so that its CPU is its own. Started through the
// library rather than `tickstream broker` for two settings the command does not expose: the
// group join delay is 0 as in the Apache Kafka config (else every fetch step waits 3 s to join),
// and Node flags such as --cpu-prof. It stops when the bench closes its stdin or dies.
const EMBEDDED_BROKER = `
const { startBroker } = await import(process.argv[1]);
const broker = await startBroker({
  port: 0,
  dataDir: process.argv[2],
  groupInitialRebalanceDelayMs: 0,
  log: (line) => process.stderr.write(line + '\\n'),
});
process.stdout.write('listening ' + broker.bootstrap + '\\n');
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await broker.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop).resume();
`;

async function stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

async function startEmbedded(dataDir: string, nodeArgs: readonly string[]): Promise<RunningBackend> {
  const child = spawn(
    process.execPath,
    [...nodeArgs, '--input-type=module', '-e', EMBEDDED_BROKER, import.meta.resolve('@tickstream/broker'), dataDir],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  let stdout = '';
  const bootstrap = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const listening = /listening (\S+)\n/.exec(stdout);
      if (listening?.[1]) resolve(listening[1]);
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      reject(new Error(`the embedded broker exited (${code}) before listening: ${stderr.trim().split('\n').at(-1)}`)),
    );
  });
  return { backend: 'embedded', bootstrap, pid: child.pid, close: () => stopChild(child) };
}

/** Starts one broker of `backend` on a free port with its data in `dataDir`. */
export async function startBackend(
  backend: Backend,
  dataDir: string,
  options: { nodeArgs?: readonly string[]; log?: (line: string) => void } = {},
): Promise<RunningBackend> {
  if (backend === 'embedded') return startEmbedded(dataDir, options.nodeArgs ?? []);
  const kafka = await startApacheKafka({
    nodes: 1,
    port: 0,
    dataDir,
    log: options.log ?? (() => {}),
    // Deleted topics' files go after 1 s instead of 60: a run's data is gone before the next one.
    properties: { 'log.segment.delete.delay.ms': 1000 },
  });
  return { backend, bootstrap: kafka.bootstrap, pid: kafka.pid(1), close: () => kafka.close() };
}

/** User plus system CPU seconds of a process and all its threads so far; undefined off Linux. */
export function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may itself hold spaces: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

export async function createTopics(bootstrap: string, topics: readonly string[]): Promise<void> {
  const admin = kafkaOf(bootstrap).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: topics.map((topic) => ({ topic, numPartitions: PARTITIONS })),
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

/** Deletes a run's topics so that the disk holds one run's data at a time. */
export async function deleteTopics(bootstrap: string, topics: readonly string[]): Promise<void> {
  const admin = kafkaOf(bootstrap).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const doomed = topics.filter((topic) => existing.has(topic));
    if (doomed.length > 0) await admin.deleteTopics({ topics: doomed });
  } finally {
    await admin.disconnect();
  }
}

/**
 * Bytes of `topic`'s segment files under `dataDir`: the record batches as the broker wrote them.
 * The embedded broker keeps `topics/<topic>/<partition>/*.log`, Apache Kafka `<topic>-<partition>/*.log`.
 */
export function storedBytes(dataDir: string, topic: string): number {
  const partitionDir = new RegExp(`^${topic.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-\\d+$`);
  let total = 0;
  const walk = (dir: string, inTopic: boolean): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // Apache Kafka renames and removes deleted partitions' folders while we walk.
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path, inTopic || entry.name === topic || partitionDir.test(entry.name));
      else if (inTopic && entry.name.endsWith('.log')) total += statSync(path, { throwIfNoEntry: false })?.size ?? 0;
    }
  };
  walk(dataDir, false);
  return total;
}

/** A seeded random walk of ticks, FlatBuffers-encoded back to back: bytes that compress like the producer's. */
function tickStream(bytes: number, seed: number): Buffer {
  const encoder = new TickEncoder();
  let random = seed;
  const next = (): number => {
    random = (random * 16807) % 2147483647;
    return random / 2147483647;
  };
  const sectors = ['Technology', 'Energy', 'Health Care', 'Financials', 'Utilities'];
  const baseTimeUs = 1_795_000_000_000_000;
  let price = 1_900_000;
  const ticks: Uint8Array[] = [];
  let length = 0;
  for (let sequence = 1; length < bytes; sequence++) {
    price += Math.round((next() - 0.5) * 400);
    const spread = 50 + Math.floor(next() * 4) * 50;
    const symbol = Math.floor(next() * 500);
    const tick = encoder.encode({
      symbol: `S${symbol}`,
      sector: sectors[symbol % sectors.length] as string,
      price,
      bid: price - spread,
      ask: price + spread,
      size: 100 * (1 + Math.floor(next() * 50)),
      exchangeTimeUs: baseTimeUs + sequence * 40 + Math.floor(next() * 1000),
      sequence,
    });
    ticks.push(tick);
    length += tick.length;
  }
  return Buffer.concat(ticks);
}

/** `count` binary record values of `recordBytes`, each a run of ticks cut to size. */
export function tickValues(recordBytes: number, count: number, seed = 1): Buffer[] {
  const stream = tickStream(recordBytes * count, seed);
  return Array.from({ length: count }, (_, i) => stream.subarray(i * recordBytes, (i + 1) * recordBytes));
}

/** The same kind of ticks as printable text (base64), for kcat's newline-delimited input. */
export function printableValues(recordBytes: number, count: number, seed = 1): Buffer[] {
  const text = Buffer.from(tickStream(Math.ceil((recordBytes * count * 3) / 4) + 3, seed).toString('base64'));
  return Array.from({ length: count }, (_, i) => text.subarray(i * recordBytes, (i + 1) * recordBytes));
}

/** How much lz4 shrinks these values in batches of 64 KB: the values alone, without record framing. */
export function lz4Ratio(values: readonly Buffer[], recordBytes: number): number {
  let raw = 0;
  let compressed = 0;
  for (let i = 0; i < values.length; i += perBatch(recordBytes)) {
    const batch = Buffer.concat(values.slice(i, i + perBatch(recordBytes)));
    raw += batch.length;
    compressed += compressFrameSync(batch).length;
  }
  return raw / compressed;
}

/** Writes `values` newline-delimited, `count` lines, for `kcat -P -l`. */
export function writeKcatInput(path: string, values: readonly Buffer[], count: number): void {
  const lines: Buffer[] = [];
  const newline = Buffer.from('\n');
  for (let i = 0; i < count; i++) lines.push(values[i % values.length] as Buffer, newline);
  writeFileSync(path, Buffer.concat(lines));
}

function figure(dataDir: string, topic: string, records: number, recordBytes: number, seconds: number): StepFigure {
  return { records, valueBytes: records * recordBytes, wireBytes: storedBytes(dataDir, topic), seconds };
}

/**
 * kafkajs: `CONCURRENT_SENDS` loops of `producer.send` (64 KB of values each, lz4, acks=1) over
 * the topic's partitions for `seconds`; timed until the last send is answered.
 */
export async function kafkajsProduce(
  backend: RunningBackend,
  dataDir: string,
  topic: string,
  values: readonly Buffer[],
  recordBytes: number,
  seconds: number,
): Promise<StepFigure> {
  const count = perBatch(recordBytes);
  // Two message lists per sender, built up front: the loop measures kafkajs, not this file.
  const lists = Array.from({ length: CONCURRENT_SENDS }, (_, sender) =>
    [0, 1].map((k) =>
      Array.from({ length: count }, (_, i) => ({
        value: values[((sender * 2 + k) * count + i) % values.length] as Buffer,
        partition: sender % PARTITIONS,
      })),
    ),
  );
  const producer = kafkaOf(backend.bootstrap).producer();
  await producer.connect();
  try {
    const started = performance.now();
    const deadline = started + seconds * 1000;
    await Promise.all(
      lists.map(async (messages) => {
        for (let n = 0; performance.now() < deadline; n++) {
          await producer.send({
            topic,
            acks: 1,
            compression: CompressionTypes.LZ4,
            messages: messages[n % 2] as { value: Buffer; partition: number }[],
          });
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    return figure(dataDir, topic, await endOffsetTotal(backend.bootstrap, topic), recordBytes, elapsed);
  } finally {
    await producer.disconnect();
  }
}

/** kafkajs: one consumer (eachBatch, 64 MB per fetch) reads the whole topic from the beginning. */
export async function kafkajsFetch(
  backend: RunningBackend,
  dataDir: string,
  topic: string,
  recordBytes: number,
): Promise<StepFigure> {
  const total = await endOffsetTotal(backend.bootstrap, topic);
  const consumer = kafkaOf(backend.bootstrap).consumer({
    groupId: `bench-${topic}`,
    maxBytes: 64 << 20,
    maxBytesPerPartition: 16 << 20,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let seen = 0;
    // Timed from the moment the group hands out the partitions: joining is not fetching.
    let started = performance.now();
    consumer.on(consumer.events.GROUP_JOIN, () => {
      started = performance.now();
    });
    const elapsed = await new Promise<number>((resolve, reject) => {
      const timeout = setTimeout(
        () => reject(new Error(`kafkajs fetched ${seen} of ${total} records of ${topic} in 120 s`)),
        120_000,
      );
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            seen += batch.messages.length;
            if (seen >= total) {
              clearTimeout(timeout);
              resolve((performance.now() - started) / 1000);
            }
          },
        })
        .catch(reject);
    });
    return figure(dataDir, topic, seen, recordBytes, elapsed);
  } finally {
    await consumer.disconnect();
  }
}

export interface LatencyFigure {
  sends: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/**
 * kafkajs with acks=-1 at a steady, moderate rate: a send of `messagesPerSend` records every
 * 1000/`sendsPerSecond` ms, started on schedule whether or not the previous ones are answered
 * (so a slow answer cannot hide the sends it delayed), each timed from start to answer.
 */
export async function kafkajsLatency(
  backend: RunningBackend,
  topic: string,
  values: readonly Buffer[],
  options: { messagesPerSend: number; sendsPerSecond: number; seconds: number },
): Promise<LatencyFigure> {
  const producer = kafkaOf(backend.bootstrap).producer();
  await producer.connect();
  try {
    const lists = Array.from({ length: 8 }, (_, k) =>
      Array.from({ length: options.messagesPerSend }, (_, i) => ({
        value: values[(k * options.messagesPerSend + i) % values.length] as Buffer,
        partition: k % PARTITIONS,
      })),
    );
    const intervalMs = 1000 / options.sendsPerSecond;
    const sends = Math.round(options.seconds * options.sendsPerSecond);
    const started = performance.now();
    const durations: Promise<number>[] = [];
    for (let i = 0; i < sends; i++) {
      const wait = started + i * intervalMs - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const sent = performance.now();
      durations.push(
        producer
          .send({
            topic,
            acks: -1,
            compression: CompressionTypes.LZ4,
            messages: lists[i % lists.length] as { value: Buffer; partition: number }[],
          })
          .then(() => performance.now() - sent),
      );
    }
    const sorted = (await Promise.all(durations)).sort((a, b) => a - b);
    const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
    return { sends, p50Ms: median(sorted), p99Ms: at(0.99), maxMs: at(1) };
  } finally {
    await producer.disconnect();
  }
}

function runKcat(args: readonly string[], onStdout?: (chunk: Buffer) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['ignore', onStdout ? 'pipe' : 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    if (onStdout) child.stdout?.on('data', onStdout);
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ENOENT' ? new Error('kcat is not installed: apt-get install -y kcat, or skip it') : error),
    );
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`kcat ${args.join(' ')} exited ${code}: ${stderr.trim()}`)),
    );
  });
}

/** kcat (librdkafka) produces `count` newline-delimited records from `file`; wall time of the whole command. */
export async function kcatProduce(
  backend: RunningBackend,
  dataDir: string,
  topic: string,
  file: string,
  count: number,
  recordBytes: number,
): Promise<StepFigure> {
  const started = performance.now();
  await runKcat([
    '-P',
    '-b',
    backend.bootstrap,
    '-t',
    topic,
    '-z',
    'lz4',
    '-X',
    'linger.ms=5',
    '-X',
    'batch.size=1000000',
    '-l',
    file,
  ]);
  const elapsed = (performance.now() - started) / 1000;
  const stored = await endOffsetTotal(backend.bootstrap, topic);
  if (stored !== count) throw new Error(`kcat produced ${count} records to ${topic} but the broker holds ${stored}`);
  return figure(dataDir, topic, stored, recordBytes, elapsed);
}

/**
 * kcat reads the topic from the beginning, one value per line, counted here. Two settings keep a
 * fixed half second out of a step of a few hundred ms, on any broker: `-c` ends it at the last
 * record (with `-e` alone, seeing the end takes one more Fetch, held for fetch.wait.max.ms =
 * 500 ms), and fetch.wait.max.ms=10 because librdkafka starts fetching the first partition whose
 * offset it knows, reaches that partition's end, and adds the others only once that Fetch, held
 * for lack of data, returns (seen with `-d fetch,protocol`).
 */
export async function kcatFetch(
  backend: RunningBackend,
  dataDir: string,
  topic: string,
  recordBytes: number,
): Promise<StepFigure> {
  const total = await endOffsetTotal(backend.bootstrap, topic);
  let lines = 0;
  const started = performance.now();
  await runKcat(
    [
      '-C',
      '-b',
      backend.bootstrap,
      '-t',
      topic,
      '-o',
      'beginning',
      '-e',
      '-q',
      '-c',
      String(total),
      '-X',
      'fetch.wait.max.ms=10',
      '-f',
      '%s\\n',
    ],
    (chunk) => {
      for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
    },
  );
  const elapsed = (performance.now() - started) / 1000;
  if (lines !== total) throw new Error(`kcat read ${lines} of the ${total} records of ${topic}`);
  return figure(dataDir, topic, lines, recordBytes, elapsed);
}

/**
 * Pre-built 64 KB lz4 batches in pipelined Produce v7 requests (acks=1) on 4 connections: what
 * the broker itself takes when no client encodes anything (see raw-produce.ts).
 */
export async function rawProtocolProduce(
  backend: RunningBackend,
  dataDir: string,
  topic: string,
  values: readonly Buffer[],
  recordBytes: number,
  seconds: number,
): Promise<StepFigure> {
  const batch = await lz4RecordBatch(values.slice(0, perBatch(recordBytes)));
  const requests = Array.from({ length: PARTITIONS }, (_, p) => produceRequest(topic, p, batch, p + 1));
  const first = backend.bootstrap.split(',')[0] as string;
  const host = first.slice(0, first.lastIndexOf(':'));
  const port = Number(first.slice(first.lastIndexOf(':') + 1));
  const started = performance.now();
  await blastProduce(host, port, requests, { seconds, connections: 4, pipeline: 8 });
  const elapsed = (performance.now() - started) / 1000;
  return figure(dataDir, topic, await endOffsetTotal(backend.bootstrap, topic), recordBytes, elapsed);
}

export interface DiskFigure {
  /** 64 KB writes, one fdatasync at the end. */
  write: StepFigure;
  /** 64 KB writes, an fdatasync after every 1 MB: a group commit per batch of requests. */
  writeGroupCommit: StepFigure;
  /** The first file read back in 64 KB reads (from the page cache, as a consumer reads what was just produced). */
  read: StepFigure;
}

/** The same disk without a broker: `bytes` written in 64 KB chunks to a file in `dir`, then read back. */
export function rawDisk(dir: string, bytes: number): DiskFigure {
  const chunk = Buffer.alloc(64 * 1024);
  // Not zeros: some file systems and disks make light work of them.
  for (let i = 0; i < chunk.length; i += 4) chunk.writeUInt32LE((i * 2654435761) >>> 0, i);
  const chunks = Math.ceil(bytes / chunk.length);
  const written = chunks * chunk.length;
  const write = (path: string, syncEvery: number): StepFigure => {
    const fd = openSync(path, 'w');
    const started = performance.now();
    try {
      for (let i = 1; i <= chunks; i++) {
        writeSync(fd, chunk);
        if (i % syncEvery === 0) fdatasyncSync(fd);
      }
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return { records: 0, valueBytes: written, wireBytes: written, seconds: (performance.now() - started) / 1000 };
  };
  const once = join(dir, 'raw-disk-once.bin');
  const grouped = join(dir, 'raw-disk-grouped.bin');
  try {
    const writeOnce = write(once, Number.POSITIVE_INFINITY);
    const writeGroupCommit = write(grouped, 16);
    const fd = openSync(once, 'r');
    const started = performance.now();
    let read = 0;
    try {
      for (let n = readSync(fd, chunk, 0, chunk.length, 0); n > 0; n = readSync(fd, chunk, 0, chunk.length, read)) {
        read += n;
      }
    } finally {
      closeSync(fd);
    }
    const readFigure = { records: 0, valueBytes: read, wireBytes: read, seconds: (performance.now() - started) / 1000 };
    return { write: writeOnce, writeGroupCommit, read: readFigure };
  } finally {
    rmSync(once, { force: true });
    rmSync(grouped, { force: true });
  }
}

export interface KafkaPerfFigure {
  records: number;
  recordsPerSecond: number;
  megabytesPerSecond: number;
  avgMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Parses ProducerPerformance's final summary line. */
export function parseKafkaPerfSummary(output: string): KafkaPerfFigure | undefined {
  const summary =
    /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th/.exec(
      output,
    );
  if (!summary) return undefined;
  const n = (i: number): number => Number(summary[i]);
  return {
    records: n(1),
    recordsPerSecond: n(2),
    megabytesPerSecond: n(3),
    avgMs: n(4),
    maxMs: n(5),
    p50Ms: n(6),
    p99Ms: n(8),
  };
}

/**
 * Apache Kafka's own producer benchmark (the Java client, from the kafka-tools jar that
 * `startApacheKafka` resolves) against `backend`: 100 B records, lz4, linger 5 ms, 64 KB batches, acks=1.
 */
export async function kafkaProducerPerformance(
  backend: RunningBackend,
  topic: string,
  records: number,
): Promise<KafkaPerfFigure> {
  const libs = await resolveKafkaJars({ kafkaVersion: DEFAULT_KAFKA_VERSION });
  const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  const args = [
    '-Xmx512m',
    '-cp',
    join(libs, '*'),
    'org.apache.kafka.tools.ProducerPerformance',
    '--bootstrap-server',
    backend.bootstrap,
    '--topic',
    topic,
    '--num-records',
    String(records),
    '--record-size',
    '100',
    '--throughput',
    '-1',
    '--command-property',
    'compression.type=lz4',
    'linger.ms=5',
    'batch.size=65536',
    'acks=1',
  ];
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(java, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    const keep = (chunk: Buffer): void => {
      text = (text + chunk.toString()).slice(-16_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ENOENT' ? new Error(`${java} not found: install Java 17+ or set JAVA_HOME`) : error),
    );
    child.once('exit', (code) =>
      code === 0 ? resolve(text) : reject(new Error(`ProducerPerformance exited ${code}: ${text.trim().slice(-500)}`)),
    );
  });
  const figure = parseKafkaPerfSummary(output);
  if (!figure) throw new Error(`ProducerPerformance printed no summary line: ${output.trim().slice(-500)}`);
  return figure;
}
