import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { startBrokerProcess } from './processes.js';
import { blastProduce, lz4RecordBatch, produceRequest } from './raw-produce.js';
import { interleavedRuns, median } from './stats.js';

const { Kafka, logLevel } = kafkajs;

/*
 * The embedded broker's log compaction (docs/broker.md, "Compaction"): how fast its cleaner
 * thread cleans (MB/s of segments read), and what it costs produce latency while it works.
 *
 * Each run starts a broker process, fills a compacted topic with keyed lz4 batches (20,000 keys,
 * so most records are stale; 100 MB stored, 20 with --quick), then times paced Produce requests (acks=1, 16 KB lz4 batches, one
 * at a time every 5 ms, to another topic) for a few seconds. With the cleaner on (backoff 200 ms)
 * it cleans the compacted topic meanwhile; with it off (backoff 1 h) it never starts. Runs of
 * the two alternate. The issue's floor: produce p99 at most 10 % worse with the cleaner running.
 */

export interface CompactionRun {
  cleaner: 'on' | 'off';
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Share of the latency window during which a cleaning was in flight. */
  cleanerBusyShare: number;
  /** Bytes of segments the cleaner read, how long its cleanings took and how much of that it computed (0 with the cleaner off). */
  cleanedBytes: number;
  cleaningMs: number;
  computingMs: number;
}

export interface CompactionBenchResult {
  runs: CompactionRun[];
  p99OffMs: number;
  p99OnMs: number;
  p50OffMs: number;
  p50OnMs: number;
  /** Median p99 with the cleaner / without it. */
  p99Ratio: number;
  /** Median over runs of cleaned bytes per cleaning second (wall time, duty-cycle pauses included). */
  cleanedMegabytesPerSecond: number;
  /** The same per second the cleaner thread computed: what it would do with a core to itself. */
  cleanedMegabytesPerComputeSecond: number;
  cleanerBusyShare: number;
}

const KEYS = 20_000;
const RECORDS_PER_BATCH = 500;
const LATENCY_INTERVAL_MS = 5;

interface Cleaning {
  endedAt: number;
  tookMs: number;
  pausedMs: number;
  bytesRead: number;
}

/** "t-0: cleaned 1 segment group(s), 123 → 45 bytes, … in 67 ms (30 ms paused)" */
function parseCleaning(line: string, at: number): Cleaning | null {
  const match = /cleaned \d+ segment group\(s\), (\d+) → \d+ bytes.* in (\d+) ms \((\d+) ms paused\)/.exec(line);
  return match
    ? { endedAt: at, bytesRead: Number(match[1]), tookMs: Number(match[2]), pausedMs: Number(match[3]) }
    : null;
}

async function createTopics(bootstrap: string): Promise<void> {
  const admin = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [
        {
          topic: 'compacted',
          numPartitions: 1,
          configEntries: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'segment.bytes', value: String(1024 * 1024) },
          ],
        },
        { topic: 'latency', numPartitions: 1 },
      ],
    });
  } finally {
    await admin.disconnect();
  }
}

/** Keyed lz4 batches of hex values (which compress about 2:1), keys drawn from KEYS. */
async function keyedBatches(count: number, valueBytes: number): Promise<Buffer[]> {
  return Promise.all(
    Array.from({ length: count }, () => {
      const keys = Array.from({ length: RECORDS_PER_BATCH }, () =>
        Buffer.from(`user-${Math.floor(Math.random() * KEYS)}`),
      );
      const values = keys.map(() => Buffer.from(randomBytes(valueBytes / 2).toString('hex')));
      return lz4RecordBatch(values, keys);
    }),
  );
}

/** Sends `request` one at a time every `intervalMs` for `seconds`; returns each round trip in ms. */
async function pacedLatencies(host: string, port: number, request: Buffer, seconds: number): Promise<number[]> {
  const socket = new Socket();
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.connect(port, host, resolve);
  });
  const latencies: number[] = [];
  let pending: Buffer = Buffer.alloc(0);
  let answered: (() => void) | null = null;
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    if (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
      pending = pending.subarray(4 + pending.readInt32BE(0));
      answered?.();
    }
  });
  const deadline = performance.now() + seconds * 1000;
  for (let next = performance.now(); next < deadline; next += LATENCY_INTERVAL_MS) {
    const wait = next - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const sent = performance.now();
    await new Promise<void>((resolve) => {
      answered = resolve;
      socket.write(request);
    });
    latencies.push(performance.now() - sent);
  }
  socket.destroy();
  return latencies;
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

async function measureRun(
  cleaner: 'on' | 'off',
  options: { prefillMegabytes: number; seconds: number },
): Promise<CompactionRun> {
  const dataDir = await mkdtemp(join(tmpdir(), 'tickstream-bench-compaction-'));
  const cleanings: Cleaning[] = [];
  const broker = await startBrokerProcess(
    dataDir,
    ['--log-cleaner-backoff', cleaner === 'on' ? '200ms' : '1h'],
    (line) => {
      const cleaning = parseCleaning(line, performance.now());
      if (cleaning) cleanings.push(cleaning);
    },
  );
  try {
    await createTopics(broker.bootstrap);
    const [host, port] = [broker.bootstrap.split(':')[0] as string, Number(broker.bootstrap.split(':')[1])];
    const batches = await keyedBatches(8, 100);
    const dirty = batches.map((batch, i) => produceRequest('compacted', 0, batch, i));
    const batchBytes = batches.reduce((sum, batch) => sum + batch.length, 0) / batches.length;
    for (let stored = 0; stored < options.prefillMegabytes * 1e6; ) {
      const perSecond = await blastProduce(host, port, dirty, { seconds: 0.5, connections: 2, pipeline: 4 });
      stored += perSecond * 0.5 * batchBytes;
    }

    const latencyBatch = await lz4RecordBatch(
      Array.from({ length: 160 }, () => Buffer.from(randomBytes(50).toString('hex'))),
    );
    const started = performance.now();
    const latencies = await pacedLatencies(host, port, produceRequest('latency', 0, latencyBatch, 1), options.seconds);
    const ended = performance.now();
    if (cleaner === 'on') {
      // Let the cleaning in flight finish, so its size and time are known.
      for (const deadline = performance.now() + 120_000; cleanings.length === 0 && performance.now() < deadline; ) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      if (cleanings.length === 0) throw new Error('the cleaner never finished a cleaning');
    }
    let busy = 0;
    for (const cleaning of cleanings) {
      const from = Math.max(started, cleaning.endedAt - cleaning.tookMs);
      const to = Math.min(ended, cleaning.endedAt);
      busy += Math.max(0, to - from);
    }
    return {
      cleaner,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      requests: latencies.length,
      cleanerBusyShare: busy / (ended - started),
      cleanedBytes: cleanings.reduce((sum, c) => sum + c.bytesRead, 0),
      cleaningMs: cleanings.reduce((sum, c) => sum + c.tookMs, 0),
      computingMs: cleanings.reduce((sum, c) => sum + c.tookMs - c.pausedMs, 0),
    };
  } finally {
    await broker.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

export async function runCompactionBench(options: {
  runs: number;
  /** Stored bytes of keyed batches (mostly stale) written to the compacted topic before the window. */
  prefillMegabytes: number;
  seconds: number;
  progress?: (line: string) => void;
}): Promise<CompactionBenchResult> {
  const [off, on] = await interleavedRuns(options.runs, ['off', 'on'] as const, async (cleaner, run) => {
    options.progress?.(`compaction: run ${run + 1}/${options.runs}, cleaner ${cleaner}`);
    return measureRun(cleaner, options);
  });
  const offRuns = off ?? [];
  const onRuns = on ?? [];
  const p99OffMs = median(offRuns.map((r) => r.p99Ms));
  const p99OnMs = median(onRuns.map((r) => r.p99Ms));
  return {
    runs: [...offRuns, ...onRuns],
    p99OffMs,
    p99OnMs,
    p50OffMs: median(offRuns.map((r) => r.p50Ms)),
    p50OnMs: median(onRuns.map((r) => r.p50Ms)),
    p99Ratio: p99OnMs / p99OffMs,
    cleanedMegabytesPerSecond: median(onRuns.map((r) => r.cleanedBytes / 1e6 / (r.cleaningMs / 1000))),
    cleanedMegabytesPerComputeSecond: median(onRuns.map((r) => r.cleanedBytes / 1e6 / (r.computingMs / 1000))),
    cleanerBusyShare: median(onRuns.map((r) => r.cleanerBusyShare)),
  };
}

export function formatCompactionBench(result: CompactionBenchResult): string {
  const ms = (value: number): string => value.toFixed(2);
  const lines = [
    `compaction, medians of ${result.runs.length / 2} runs each (produce: 16 KB lz4 batches, acks=1, one every ${LATENCY_INTERVAL_MS} ms)`,
    'cleaner  p50 ms  p99 ms  requests  cleaner busy  cleaned MB  cleaning s',
    ...result.runs.map(
      (run) =>
        `${run.cleaner.padEnd(7)}  ${ms(run.p50Ms).padStart(6)}  ${ms(run.p99Ms).padStart(6)}  ${String(run.requests).padStart(8)}  ` +
        `${`${Math.round(run.cleanerBusyShare * 100)} %`.padStart(12)}  ${(run.cleanedBytes / 1e6).toFixed(1).padStart(10)}  ${(run.cleaningMs / 1000).toFixed(2).padStart(10)}`,
    ),
    `produce p99 ${ms(result.p99OffMs)} ms without the cleaner, ${ms(result.p99OnMs)} ms with it (${result.p99Ratio.toFixed(2)}×; cleaner busy ${Math.round(result.cleanerBusyShare * 100)} % of the window)`,
    `cleaner: ${result.cleanedMegabytesPerSecond.toFixed(1)} MB/s of segments cleaned (${result.cleanedMegabytesPerComputeSecond.toFixed(1)} MB per second of its thread's compute)`,
  ];
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] ?? 3) || 3;
  const result = await runCompactionBench({ runs, prefillMegabytes: 100, seconds: 5, progress: console.error });
  console.log(formatCompactionBench(result));
}
