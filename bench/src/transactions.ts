import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { startApacheKafka } from '@tickstream/broker';
import { kafkaLz4Codec } from '@tickstream/schemas/lz4-node';
import kafkajs, { type Producer } from 'kafkajs';
import { readTopicRepeatedly } from './fetch-reader.js';
import { cpuSeconds, startBrokerProcess } from './processes.js';
import { median } from './stats.js';

const { CompressionCodecs, CompressionTypes, Kafka, logLevel } = kafkajs;
CompressionCodecs[CompressionTypes.LZ4] = kafkaLz4Codec;

/**
 * Transactions benchmark: what a transaction costs a producer, and what read_committed costs a
 * reader, on the embedded broker (a process of its own) and, with `--backend both`, Apache Kafka.
 *
 * - produce: kafkajs, acks=-1 and one request in flight (what a transactional producer must
 *   use), each send 64 KB lz4 batches of 100 B records to each of 4 partitions: idempotent
 *   without a transaction, then in transactions of 10 sends and of 1 send; and one-record
 *   transactions back to back, whose rate is the cost of a commit.
 * - fetch: Fetch v4 straight from the socket (the edge's reader) through a topic of
 *   transactions with one in ten aborted, read_uncommitted against read_committed, runs
 *   interleaved; and the same through a topic without transactions. Besides MB/s, the broker's
 *   own CPU per MB served, which a machine shared with other work disturbs less.
 */
type Backend = 'embedded' | 'apache';

export interface TransactionsMeasurement {
  backend: Backend;
  what: string;
  unit: 'records/s' | 'transactions/s' | 'MB/s' | 'broker CPU ms/MB';
  value: number;
  runs: number[];
}

export interface TransactionsBenchResult {
  runs: number;
  seconds: number;
  measurements: TransactionsMeasurement[];
}

const PARTITIONS = 4;
const RECORD_BYTES = 100;
const RECORDS_PER_BATCH = 640; // 64 KB of values per partition per send

function values(count: number): Buffer[] {
  // Printable, varied enough that lz4 keeps a realistic share (ticks compress 3-6×).
  return Array.from({ length: count }, (_, i) =>
    Buffer.from(
      `${i.toString(36)}:${Math.random().toString(36).repeat(8)}`.padEnd(RECORD_BYTES, '.').slice(0, RECORD_BYTES),
    ),
  );
}

const messagesOf = (pool: Buffer[], send: number) =>
  Array.from({ length: PARTITIONS * RECORDS_PER_BATCH }, (_, i) => ({
    value: pool[(send * PARTITIONS * RECORDS_PER_BATCH + i) % pool.length] as Buffer,
    partition: i % PARTITIONS,
  }));

async function createTopic(bootstrap: string, topic: string): Promise<void> {
  const admin = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
  await admin.disconnect();
}

/**
 * Records per second for `seconds` of sends; `sendsPerTransaction` 0 sends without transactions.
 * With `abortEvery`, every that-many-th transaction is aborted (to fill a topic for the fetch test).
 */
async function produce(
  bootstrap: string,
  topic: string,
  pool: Buffer[],
  options: { seconds: number; sendsPerTransaction: number; abortEvery?: number },
): Promise<number> {
  const kafka = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const transactional = options.sendsPerTransaction > 0;
  const producer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    ...(transactional ? { transactionalId: `bench-${topic}` } : {}),
  });
  await producer.connect();
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  let records = 0;
  let send = 0;
  for (let transaction = 1; performance.now() < deadline; transaction++) {
    const sender = transactional ? await producer.transaction() : producer;
    for (let i = 0; i < Math.max(1, options.sendsPerTransaction); i++, send++) {
      const messages = messagesOf(pool, send);
      await sender.send({ topic, acks: -1, compression: CompressionTypes.LZ4, messages });
      records += messages.length;
    }
    if (transactional && 'commit' in sender) {
      if (options.abortEvery !== undefined && transaction % options.abortEvery === 0) {
        await sender.abort();
        records -= options.sendsPerTransaction * PARTITIONS * RECORDS_PER_BATCH;
      } else await sender.commit();
    }
  }
  const elapsed = (performance.now() - started) / 1000;
  await producer.disconnect();
  return records / elapsed;
}

/** One-record transactions back to back for `seconds`: commits per second. */
async function commitRate(bootstrap: string, topic: string, seconds: number): Promise<number> {
  const producer = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING }).producer({
    transactionalId: `bench-commits-${topic}`,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  const started = performance.now();
  let commits = 0;
  while (performance.now() - started < seconds * 1000) {
    const transaction = await producer.transaction();
    await transaction.send({ topic, acks: -1, messages: [{ value: 'tick', partition: commits % PARTITIONS }] });
    await transaction.commit();
    commits++;
  }
  const elapsed = (performance.now() - started) / 1000;
  await producer.disconnect();
  return commits / elapsed;
}

async function startBackend(
  backend: Backend,
  dataDir: string,
): Promise<{ bootstrap: string; pid: number; close(): Promise<void> }> {
  if (backend === 'embedded') return startBrokerProcess(dataDir);
  const kafka = await startApacheKafka({ nodes: 1, port: 0, dataDir, log: () => {} });
  return { bootstrap: kafka.bootstrap, pid: kafka.pid(1) ?? 0, close: () => kafka.close() };
}

export async function runTransactionsBench(
  options: { runs?: number; seconds?: number; backends?: Backend[]; progress?: (line: string) => void } = {},
): Promise<TransactionsBenchResult> {
  const runs = options.runs ?? 3;
  const seconds = options.seconds ?? 4;
  const progress = options.progress ?? (() => {});
  const measurements: TransactionsMeasurement[] = [];
  const pool = values(20_000);
  for (const backend of options.backends ?? ['embedded']) {
    const dataDir = mkdtempSync(join(tmpdir(), `tickstream-bench-txn-${backend}-`));
    const kafka = await startBackend(backend, dataDir);
    const samples = new Map<string, { unit: TransactionsMeasurement['unit']; values: number[] }>();
    const record = (what: string, unit: TransactionsMeasurement['unit'], value: number): void => {
      const entry = samples.get(what) ?? { unit, values: [] };
      entry.values.push(value);
      samples.set(what, entry);
    };
    try {
      // Warm up (a JVM's JIT above all) before anything counts.
      const warmup = `bench-txn-warmup-${Date.now()}`;
      await createTopic(kafka.bootstrap, warmup);
      await produce(kafka.bootstrap, warmup, pool, { seconds: 2, sendsPerTransaction: 1 });
      for (let run = 0; run < runs; run++) {
        progress(`transactions (${backend}): produce, run ${run + 1}/${runs}`);
        const stamp = `${run}-${Date.now()}`;
        for (const [what, sendsPerTransaction] of [
          ['produce, no transaction', 0],
          ['produce, 10 sends per transaction', 10],
          ['produce, 1 send per transaction', 1],
        ] as const) {
          const topic = `bench-txn-${sendsPerTransaction}-${stamp}`;
          await createTopic(kafka.bootstrap, topic);
          record(what, 'records/s', await produce(kafka.bootstrap, topic, pool, { seconds, sendsPerTransaction }));
        }
        const commitsTopic = `bench-commits-${stamp}`;
        await createTopic(kafka.bootstrap, commitsTopic);
        record('one-record transactions', 'transactions/s', await commitRate(kafka.bootstrap, commitsTopic, seconds));
      }

      // Topics to read: transactions of 2 sends, one in ten aborted; and the same without transactions.
      progress(`transactions (${backend}): filling topics to fetch`);
      const transactional = `bench-fetch-txn-${Date.now()}`;
      const plain = `bench-fetch-plain-${Date.now()}`;
      await createTopic(kafka.bootstrap, transactional);
      await createTopic(kafka.bootstrap, plain);
      await produce(kafka.bootstrap, transactional, pool, {
        seconds: seconds * 2,
        sendsPerTransaction: 2,
        abortEvery: 10,
      });
      await produce(kafka.bootstrap, plain, pool, { seconds: seconds * 2, sendsPerTransaction: 0 });
      for (let run = 0; run < runs * 2; run++) {
        progress(`transactions (${backend}): fetch, run ${run + 1}/${runs * 2}`);
        for (const [topic, label] of [
          [transactional, 'transactional topic'],
          [plain, 'topic without transactions'],
        ] as const) {
          for (const [isolation, name] of [
            [0, 'read_uncommitted'],
            [1, 'read_committed'],
          ] as const) {
            const cpuBefore = cpuSeconds(kafka.pid);
            const read = await readTopicRepeatedly(kafka.bootstrap, topic, PARTITIONS, isolation, seconds / 2);
            const cpuMs = (cpuSeconds(kafka.pid) - cpuBefore) * 1000;
            record(`fetch ${label}, ${name}`, 'MB/s', read.megabytes / read.seconds);
            record(`fetch ${label}, ${name}, broker CPU`, 'broker CPU ms/MB', cpuMs / read.megabytes);
          }
        }
      }
    } finally {
      await kafka.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
    for (const [what, { unit, values: runValues }] of samples) {
      measurements.push({ backend, what, unit, value: median(runValues), runs: runValues });
    }
  }
  return { runs, seconds, measurements };
}

export function formatTransactionsBench(result: TransactionsBenchResult): string {
  const figure = (value: number): string =>
    value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1);
  const lines = [
    `transactions, medians of ${result.runs} runs (fetch: ${result.runs * 2}, interleaved); kafkajs, acks=-1, one request in flight, 100 B records in 64 KB lz4 batches`,
    `${'backend'.padEnd(9)} ${'measurement'.padEnd(62)} ${'median'.padStart(26)}   runs`,
  ];
  for (const m of result.measurements) {
    lines.push(
      `${m.backend.padEnd(9)} ${m.what.padEnd(62)} ${`${figure(m.value)} ${m.unit}`.padStart(26)}   ${m.runs.map(figure).join(', ')}`,
    );
  }
  for (const backend of ['embedded', 'apache'] as const) {
    const find = (what: string): number => {
      const found = result.measurements.find((m) => m.backend === backend && m.what === what);
      return found?.value ?? Number.NaN;
    };
    const plain = find('produce, no transaction');
    if (Number.isNaN(plain)) continue;
    const ratio = (a: string, b: string): string => (find(a) / find(b)).toFixed(2);
    lines.push(
      `${backend}: transactional / plain produce = ${(find('produce, 10 sends per transaction') / plain).toFixed(2)} (10 sends per transaction), ${(find('produce, 1 send per transaction') / plain).toFixed(2)} (1 send)`,
    );
    for (const label of ['transactional topic', 'topic without transactions']) {
      const committed = `fetch ${label}, read_committed`;
      const uncommitted = `fetch ${label}, read_uncommitted`;
      lines.push(
        `${backend}, ${label}: read_committed / read_uncommitted = ${ratio(committed, uncommitted)} in MB/s, ${ratio(`${committed}, broker CPU`, `${uncommitted}, broker CPU`)} in broker CPU per MB`,
      );
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
    process.stderr.write(`bench transactions: --backend must be embedded, apache or both, got '${backend}'\n`);
    process.exit(2);
  }
  const result = await runTransactionsBench({
    runs: Number(value('--runs') ?? 3),
    seconds: Number(value('--seconds') ?? 4),
    backends: backend === 'both' ? ['embedded', 'apache'] : [backend as Backend],
    progress: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${formatTransactionsBench(result)}\n`);
}
