import { execFileSync, spawn } from 'node:child_process';
import { closeSync, fdatasyncSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { startApacheKafka } from '@tickstream/broker';
import { TickEncoder } from '@tickstream/schemas';
import { kafkaLz4Codec } from '@tickstream/schemas/lz4-node';
import kafkajs from 'kafkajs';
import { endOffsetTotal, startBrokerProcess } from './processes.js';
import { blastProduce, lz4RecordBatch, produceRequest } from './raw-produce.js';
import { median } from './stats.js';

const { CompressionCodecs, CompressionTypes, Kafka, logLevel } = kafkajs;
CompressionCodecs[CompressionTypes.LZ4] = kafkaLz4Codec;

/**
 * Broker benchmark: produce and fetch throughput with kafkajs and kcat, 100 B and 1 KB records
 * in lz4 batches of 64 KB, against the embedded broker (a process of its own) and, with
 * `--backend both`, Apache Kafka in the same run; next to the raw rate of the same disk.
 */
type Backend = 'embedded' | 'apache';

interface Measurement {
  backend: Backend;
  client: 'kafkajs' | 'kcat' | 'raw' | 'disk';
  /** Bytes the broker stores per record (lz4 batches), where known: what disk rates compare to. */
  storedBytesPerRecord?: number;
  storedMegabytesPerSecond?: number;
  direction: 'produce' | 'fetch' | 'write' | 'read';
  recordBytes: number;
  megabytesPerSecond: number;
  recordsPerSecond: number;
  runs: number[];
}

export interface BrokerBenchResult {
  machine: { cpus: number; model: string; memoryGb: number; node: string };
  runs: number;
  seconds: number;
  measurements: Measurement[];
}

const BATCH_BYTES = 64 * 1024;
const CONCURRENT_SENDS = 4;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Values that compress like real ticks: FlatBuffers ticks of a random walk, printable for kcat. */
function recordValues(recordBytes: number, count: number): Buffer[] {
  const encoder = new TickEncoder();
  let price = 1_900_000;
  const values: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const parts: string[] = [];
    let length = 0;
    while (length < recordBytes) {
      price += Math.round((Math.random() - 0.5) * 200);
      const tick = encoder.encode({
        symbol: `S${i % 500}`,
        sector: 'Technology',
        price,
        bid: price - 100,
        ask: price + 100,
        size: 1 + Math.floor(Math.random() * 500),
        exchangeTimeUs: Date.now() * 1000 + i,
        sequence: i,
      });
      const text = Buffer.from(tick).toString('base64');
      parts.push(text);
      length += text.length;
    }
    values.push(Buffer.from(parts.join('').slice(0, recordBytes)));
  }
  return values;
}

interface RunningKafka {
  bootstrap: string;
  close(): Promise<void>;
}

async function startBackend(backend: Backend, dataDir: string): Promise<RunningKafka> {
  if (backend === 'embedded') return startBrokerProcess(dataDir);
  const kafka = await startApacheKafka({ nodes: 1, port: 0, dataDir, log: () => {} });
  return { bootstrap: kafka.bootstrap, close: () => kafka.close() };
}

/** kafkajs: 4 concurrent senders of 64 KB lz4 batches for `seconds`; records counted from end offsets. */
async function kafkajsProduce(bootstrap: string, topic: string, values: Buffer[], seconds: number): Promise<number> {
  const kafka = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: CONCURRENT_SENDS }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const perBatch = Math.max(1, Math.floor(BATCH_BYTES / (values[0]?.length ?? 1)));
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENT_SENDS }, async (_, sender) => {
      for (let batch = 0; performance.now() < deadline; batch++) {
        const messages = Array.from({ length: perBatch }, (_, i) => ({
          value: values[(batch * perBatch + i) % values.length] as Buffer,
          partition: sender,
        }));
        await producer.send({ topic, acks: 1, compression: CompressionTypes.LZ4, messages });
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  await producer.disconnect();
  return (await endOffsetTotal(bootstrap, topic)) / elapsed;
}

/** kafkajs: one consumer reads the whole topic back; records per second. */
async function kafkajsFetch(bootstrap: string, topic: string): Promise<number> {
  const total = await endOffsetTotal(bootstrap, topic);
  const consumer = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING }).consumer({
    groupId: `bench-${topic}`,
    maxBytes: 64 << 20,
    maxBytesPerPartition: 16 << 20,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  // Timed from the moment the group hands out the partitions: joining is not fetching.
  let started = 0;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    started = performance.now();
  });
  const elapsed = await new Promise<number>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        seen += batch.messages.length;
        if (seen >= total) resolve((performance.now() - started) / 1000);
      },
    });
  });
  await consumer.disconnect();
  return total / elapsed;
}

/** Pre-built 64 KB lz4 batches, pipelined on 4 connections: the broker's own produce rate. */
async function rawProduce(
  bootstrap: string,
  topic: string,
  values: Buffer[],
  seconds: number,
): Promise<{ recordsPerSecond: number; storedBytesPerRecord: number }> {
  const admin = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: CONCURRENT_SENDS }], waitForLeaders: true });
  await admin.disconnect();
  const perBatch = Math.max(1, Math.floor(BATCH_BYTES / (values[0]?.length ?? 1)));
  const batch = await lz4RecordBatch(values.slice(0, perBatch));
  const requests = Array.from({ length: CONCURRENT_SENDS }, (_, p) => produceRequest(topic, p, batch, p + 1));
  const [host, port] = [
    bootstrap.slice(0, bootstrap.lastIndexOf(':')),
    Number(bootstrap.slice(bootstrap.lastIndexOf(':') + 1)),
  ];
  const requestsPerSecond = await blastProduce(host, port, requests, {
    seconds,
    connections: CONCURRENT_SENDS,
    pipeline: 8,
  });
  return { recordsPerSecond: requestsPerSecond * perBatch, storedBytesPerRecord: batch.length / perBatch };
}

function runKcat(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`kcat ${args[0]} exited ${code}: ${stderr}`)),
    );
  });
}

async function kcatProduce(bootstrap: string, topic: string, file: string, count: number): Promise<number> {
  const started = performance.now();
  await runKcat([
    '-P',
    '-b',
    bootstrap,
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
  const stored = await endOffsetTotal(bootstrap, topic);
  if (stored < count) throw new Error(`kcat stored ${stored} of ${count} records`);
  return count / elapsed;
}

async function kcatFetch(bootstrap: string, topic: string, count: number): Promise<number> {
  const started = performance.now();
  await runKcat(['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-c', String(count)]);
  return count / ((performance.now() - started) / 1000);
}

/** Every step starts with no dirty pages left by the previous one (writeback throttles writers). */
function settleDisk(): void {
  execFileSync('sync');
}

/** The same bytes straight to and from the same disk: 64 KB writes, one fdatasync, then reads. */
function rawDisk(dir: string, bytes: number): { writeMbps: number; readMbps: number } {
  const path = join(dir, 'raw-disk.bin');
  const chunk = Buffer.alloc(64 * 1024, 7);
  const fd = openSync(path, 'w+');
  let started = performance.now();
  for (let written = 0; written < bytes; written += chunk.length) writeSync(fd, chunk);
  fdatasyncSync(fd);
  const writeSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  for (let read = 0; readSync(fd, chunk, 0, chunk.length, read) > 0; read += chunk.length) {}
  const readSeconds = (performance.now() - started) / 1000;
  closeSync(fd);
  rmSync(path, { force: true });
  return { writeMbps: bytes / 1e6 / writeSeconds, readMbps: bytes / 1e6 / readSeconds };
}

export async function runBrokerBench(
  options: { runs?: number; seconds?: number; backends?: Backend[]; progress?: (line: string) => void } = {},
): Promise<BrokerBenchResult> {
  const runs = options.runs ?? 5;
  const seconds = options.seconds ?? 4;
  const progress = options.progress ?? (() => {});
  const samples = new Map<
    string,
    { m: Omit<Measurement, 'megabytesPerSecond' | 'recordsPerSecond' | 'runs'>; values: number[] }
  >();
  const record = (
    m: Omit<Measurement, 'megabytesPerSecond' | 'recordsPerSecond' | 'runs'>,
    perSecond: number,
    storedBytesPerRecord?: number,
  ): void => {
    const key = `${m.backend}/${m.client}/${m.direction}/${m.recordBytes}`;
    const entry = samples.get(key) ?? { m: { ...m, storedBytesPerRecord }, values: [] };
    entry.values.push(perSecond);
    samples.set(key, entry);
  };
  const kcatRecords = 300_000;
  for (const backend of options.backends ?? ['embedded']) {
    const dataDir = mkdtempSync(join(tmpdir(), `tickstream-bench-broker-${backend}-`));
    const kafka = await startBackend(backend, dataDir);
    try {
      for (const recordBytes of [100, 1000]) {
        const values = recordValues(recordBytes, 2000);
        const file = join(dataDir, `kcat-${recordBytes}.txt`);
        const kcatCount = recordBytes === 100 ? kcatRecords : kcatRecords / 10;
        writeFileSync(
          file,
          `${Array.from({ length: kcatCount }, (_, i) => (values[i % values.length] as Buffer).toString()).join('\n')}\n`,
        );
        for (let run = 0; run < runs; run++) {
          const topic = `bench-${recordBytes}-${run}-${Date.now()}`;
          progress(`broker (${backend}): ${recordBytes} B records, run ${run + 1}/${runs}`);
          settleDisk();
          record(
            { backend, client: 'kafkajs', direction: 'produce', recordBytes },
            await kafkajsProduce(kafka.bootstrap, topic, values, seconds),
          );
          record(
            { backend, client: 'kafkajs', direction: 'fetch', recordBytes },
            await kafkajsFetch(kafka.bootstrap, topic),
          );
          record(
            { backend, client: 'kcat', direction: 'produce', recordBytes },
            await kcatProduce(kafka.bootstrap, `${topic}-kcat`, file, kcatCount),
          );
          record(
            { backend, client: 'kcat', direction: 'fetch', recordBytes },
            await kcatFetch(kafka.bootstrap, `${topic}-kcat`, kcatCount),
          );
          // Last: it writes gigabytes, and the kernel's writeback of them would slow what follows.
          settleDisk();
          record(
            { backend, client: 'raw', direction: 'produce', recordBytes },
            ...(await rawProduce(kafka.bootstrap, `${topic}-raw`, values, seconds).then(
              ({ recordsPerSecond, storedBytesPerRecord }) => [recordsPerSecond, storedBytesPerRecord] as const,
            )),
          );
          settleDisk();
          if (backend === 'embedded') {
            const disk = rawDisk(dataDir, 256 * 1024 * 1024);
            record({ backend, client: 'disk', direction: 'write', recordBytes }, (disk.writeMbps * 1e6) / recordBytes);
            record({ backend, client: 'disk', direction: 'read', recordBytes }, (disk.readMbps * 1e6) / recordBytes);
          }
          await sleep(200);
        }
      }
    } finally {
      await kafka.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  const measurements = [...samples.values()].map(({ m, values }) => {
    const recordsPerSecond = median(values);
    return {
      ...m,
      recordsPerSecond,
      megabytesPerSecond: (recordsPerSecond * m.recordBytes) / 1e6,
      storedMegabytesPerSecond:
        m.storedBytesPerRecord === undefined ? undefined : (recordsPerSecond * m.storedBytesPerRecord) / 1e6,
      runs: values.map((v) => Math.round((v * m.recordBytes) / 1e6)),
    };
  });
  return {
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model ?? '?',
      memoryGb: Math.round(totalmem() / 1e9),
      node: process.version,
    },
    runs,
    seconds,
    measurements,
  };
}

export function formatBrokerBench(result: BrokerBenchResult): string {
  const lines = [
    `broker throughput, medians of ${result.runs} (MB/s of record values; lz4 batches of 64 KB; runs in MB/s)`,
    'backend   client   direction  record   MB/s     records/s     runs',
  ];
  for (const m of result.measurements) {
    lines.push(
      `${m.backend.padEnd(9)} ${m.client.padEnd(8)} ${m.direction.padEnd(10)} ${`${m.recordBytes} B`.padStart(6)} ${m.megabytesPerSecond.toFixed(1).padStart(7)} ${Math.round(m.recordsPerSecond).toLocaleString('en-US').padStart(12)}     ${m.runs.join(', ')}`,
    );
  }
  const find = (backend: string, client: string, direction: string, size: number): Measurement | undefined =>
    result.measurements.find(
      (m) => m.backend === backend && m.client === client && m.direction === direction && m.recordBytes === size,
    );
  for (const size of [100, 1000]) {
    const write = find('embedded', 'disk', 'write', size)?.megabytesPerSecond ?? Number.NaN;
    const read = find('embedded', 'disk', 'read', size)?.megabytesPerSecond ?? Number.NaN;
    for (const client of ['kafkajs', 'kcat', 'raw']) {
      const produced = find('embedded', client, 'produce', size);
      const produce = produced?.megabytesPerSecond ?? Number.NaN;
      // Compare like with like: the bytes the broker writes (lz4 batches) where we know them.
      const stored = produced?.storedMegabytesPerSecond;
      const fetch = find('embedded', client, 'fetch', size)?.megabytesPerSecond;
      lines.push(
        `embedded ${client} ${size} B: produce / raw disk write = ${(produce / write).toFixed(3)}` +
          (stored === undefined
            ? ''
            : ` (stored lz4 bytes ${stored.toFixed(1)} MB/s: ${(stored / write).toFixed(3)})`) +
          (fetch === undefined ? '' : `, fetch / raw disk read = ${(fetch / read).toFixed(3)}`),
      );
      const apacheProduce = find('apache', client, 'produce', size)?.megabytesPerSecond;
      const apacheFetch = find('apache', client, 'fetch', size)?.megabytesPerSecond;
      if (apacheProduce !== undefined) {
        lines.push(
          `embedded / Apache Kafka, ${client} ${size} B: produce ${(produce / apacheProduce).toFixed(2)}×` +
            (fetch !== undefined && apacheFetch !== undefined ? `, fetch ${(fetch / apacheFetch).toFixed(2)}×` : ''),
        );
      }
    }
  }
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const value = (flag: string): string | undefined => {
    const at = args.indexOf(flag);
    return at >= 0 ? args[at + 1] : undefined;
  };
  const backend = value('--backend') ?? 'embedded';
  if (!['embedded', 'apache', 'both'].includes(backend)) {
    process.stderr.write(`bench broker: --backend must be embedded, apache or both, got '${backend}'\n`);
    process.exit(2);
  }
  const runs = Number(value('--runs') ?? 5);
  const result = await runBrokerBench({
    runs,
    backends: backend === 'both' ? ['embedded', 'apache'] : [backend as Backend],
    progress: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${formatBrokerBench(result)}\n`);
}
