import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Delivery, type RunningAnalytics, startAnalytics } from '@tickstream/analytics';
import { createToken, defaultTradingTopics } from '@tickstream/edge';
import { decodeOrderUpdate, decodeServerFrame, encodeClientFrame } from '@tickstream/schemas';
import { kafkaLz4Codec, nodeLz4 } from '@tickstream/schemas/lz4-node';
import kafkajs from 'kafkajs';
import WebSocket from 'ws';
import { recentOutput, spawnProducer, startBrokerProcess, startEdgeProcess, stopChild } from './processes.js';

const { CompressionCodecs, CompressionTypes, Kafka, logLevel } = kafkajs;
// The job's sinks write lz4 batches; kafkajs ships without lz4.
CompressionCodecs[CompressionTypes.LZ4] = kafkaLz4Codec;

/**
 * Order → fill latency (issue 21's floor: a market order fills ≤ 100 ms after the next tick),
 * measured with every part real and in its own process: a broker, the producer, the analytics
 * job (the Flink fill engine) and an edge. One trader posts market orders one after another
 * over HTTP and listens on the WebSocket for the pushes of its orders. Per order:
 *   accepted → fill at the client: the POST's 201 to the OrderUpdated push with the fill;
 *   tick → fill at the client: the filling tick's own time to that push (what the floor bounds);
 *   accepted → fill written / committed on `fills`: to the record reaching a read_uncommitted and
 *   a read_committed reader (the difference is the wait for the sink's transaction to commit).
 */
export interface FillLatencyResult {
  orders: number;
  filled: number;
  delivery: Delivery;
  /** The fill engine job's checkpoint interval. */
  checkpointIntervalMs: number;
  acceptedToClientMs: Percentiles;
  tickToClientMs: Percentiles;
  acceptedToWrittenMs: Percentiles;
  acceptedToCommittedMs: Percentiles;
  /** The fill engine job's checkpoints, from Flink's log: each commits the fills before it. */
  checkpointMs: Percentiles;
}

export interface Percentiles {
  p50: number;
  p99: number;
  max: number;
}

export interface FillLatencyOptions {
  orders?: number;
  /** Between one order's fill (or timeout) and the next order. */
  gapMs?: number;
  /** The fill engine job's (--trading-checkpoint-interval); default the job's (100 ms). */
  checkpointIntervalMs?: number;
  delivery?: Delivery;
  /** An existing cluster (e.g. `tickstream kafka`); unset: an embedded broker of its own. */
  brokers?: string;
  progress?: (line: string) => void;
}

const SECRET = 'fill-latency-bench-secret';
const FILL_TIMEOUT_MS = 30_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The value below which `p` % of `values` lie (nearest rank). */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

function percentiles(values: readonly number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? Number.NaN };
}

/** Durations of one job's completed checkpoints in Flink's log ("… for job ID (… checkpointDuration=123 ms …"). */
function checkpointDurations(logFile: string, jobId: string): number[] {
  const log = readFileSync(logFile, 'utf8');
  return [...log.matchAll(/Completed checkpoint \d+ for job (\w+) .*?checkpointDuration=(\d+) ms/g)]
    .filter((match) => match[1] === jobId)
    .map((match) => Number(match[2]));
}

export async function runFillLatencyBench(options: FillLatencyOptions = {}): Promise<FillLatencyResult> {
  const orderCount = options.orders ?? 100;
  const gapMs = options.gapMs ?? 100;
  const progress = options.progress ?? (() => {});
  const scratch = mkdtempSync(join(tmpdir(), 'tickstream-bench-fills-'));
  const children: ChildProcess[] = [];
  let job: RunningAnalytics | undefined;
  let socket: WebSocket | undefined;
  const broker = options.brokers === undefined ? await startBrokerProcess(join(scratch, 'broker')) : undefined;
  const bootstrap = options.brokers ?? (broker?.bootstrap as string);
  const kafka = new Kafka({
    brokers: bootstrap.split(','),
    clientId: 'bench-fill-latency',
    logLevel: logLevel.NOTHING,
  });
  // Two readers of `fills` beside the edge: one sees a fill once written, the other once committed.
  const readers = {
    written: kafka.consumer({
      groupId: `bench-fills-written-${process.pid}`,
      maxWaitTimeInMs: 20,
      readUncommitted: true,
    }),
    committed: kafka.consumer({ groupId: `bench-fills-committed-${process.pid}`, maxWaitTimeInMs: 20 }),
  };
  try {
    // 100 symbols at 2,000 ticks/s: each symbol ticks every 50 ms on average.
    children.push(spawnProducer(bootstrap, { symbols: 100, rate: 2000, workers: 1 }));
    let tradingJobId = '';
    job = await startAnalytics({
      brokers: bootstrap,
      checkpointDir: join(scratch, 'analytics', 'checkpoints'),
      instance: `bench-fill-latency-${Date.now()}`,
      backfillMs: 0,
      ...(options.delivery === undefined ? {} : { delivery: options.delivery }),
      ...(options.checkpointIntervalMs === undefined
        ? {}
        : { tradingCheckpointIntervalMs: options.checkpointIntervalMs }),
      log: (line) => {
        tradingJobId = /trading job (\w+)/.exec(line)?.[1] ?? tradingJobId;
        progress(`analytics: ${line}`);
      },
    });
    await job.ready;
    const {
      child: edge,
      port,
      base,
    } = await startEdgeProcess(bootstrap, {
      history: '0',
      minSymbols: 100,
      args: ['--auth-secret', SECRET],
    });
    children.push(edge);
    const token = await createToken({ secret: SECRET, user: 'latency-trader', role: 'trader', ttlSeconds: 3600 });
    for (const started = Date.now(); ; await sleep(100)) {
      const health = (await (await fetch(`${base}/health`)).json()) as { trading?: { loaded: boolean } };
      if (health.trading?.loaded) break;
      if (Date.now() - started > 60_000) throw new Error(`the edge did not load trading: ${recentOutput(edge)}`);
    }
    const symbols = (
      (await (await fetch(`${base}/api/symbols`, { headers: { Authorization: `Bearer ${token}` } })).json()) as {
        symbols: { name: string; last: number }[];
      }
    ).symbols
      .filter((s) => s.last > 0)
      .map((s) => s.name);

    // When each fill reaches a reader of `fills`: written (read_uncommitted) and committed.
    const seen = { written: new Map<string, number>(), committed: new Map<string, number>() };
    for (const which of ['written', 'committed'] as const) {
      const reader = readers[which];
      let joined = false;
      reader.on(reader.events.GROUP_JOIN, () => {
        joined = true;
      });
      await reader.connect();
      await reader.subscribe({ topic: defaultTradingTopics.fills, fromBeginning: false });
      await reader.run({
        eachMessage: async ({ message }) => {
          if (message.value === null) return;
          const update = decodeOrderUpdate(new Uint8Array(message.value));
          if (update.fillQuantity > 0 && !seen[which].has(update.orderId))
            seen[which].set(update.orderId, performance.now());
        },
      });
      while (!joined) await sleep(50);
    }

    const frames = { lz4: nodeLz4 };
    socket = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers: { Authorization: `Bearer ${token}` } });
    const filledAt = new Map<string, { at: number; tickMs: number }>();
    let listed = false;
    socket.on('message', (data: Buffer) => {
      const message = decodeServerFrame(new Uint8Array(data), frames);
      if (message.type === 'orders') listed = true;
      if (message.type === 'order-updated' && message.update !== null && message.update.fillQuantity > 0) {
        if (!filledAt.has(message.update.orderId))
          filledAt.set(message.update.orderId, { at: performance.now(), tickMs: message.update.timeMs });
      }
    });
    await new Promise((resolve, reject) => socket?.once('open', resolve).once('error', reject));
    socket.send(encodeClientFrame({ type: 'order-list', requestId: 1 }, frames));
    while (!listed) await sleep(10);
    progress(`job, edge and client ready; placing ${orderCount} market orders`);

    const acceptedToClient: number[] = [];
    const tickToClient: number[] = [];
    const acceptedToWritten: number[] = [];
    const acceptedToCommitted: number[] = [];
    for (let i = 0; i < orderCount; i++) {
      const symbol = symbols[i % symbols.length] as string;
      const response = await fetch(`${base}/api/orders`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ symbol, side: 'buy', type: 'market', quantity: 1 }),
      });
      const acceptedAt = performance.now();
      const acceptedWallMs = Date.now();
      const body = (await response.json()) as { id?: string; error?: string };
      if (response.status !== 201 || body.id === undefined)
        throw new Error(`order refused (${response.status}): ${JSON.stringify(body)}`);
      const id = body.id;
      while (!filledAt.has(id) && performance.now() - acceptedAt < FILL_TIMEOUT_MS) await sleep(1);
      const fill = filledAt.get(id);
      if (fill !== undefined) {
        acceptedToClient.push(fill.at - acceptedAt);
        // The filling tick's exchange time is the producer's clock, the same machine's.
        tickToClient.push(acceptedWallMs + (fill.at - acceptedAt) - fill.tickMs);
        const write = seen.written.get(id);
        if (write !== undefined) acceptedToWritten.push(write - acceptedAt);
        const commit = seen.committed.get(id);
        if (commit !== undefined) acceptedToCommitted.push(commit - acceptedAt);
      }
      if ((i + 1) % 25 === 0) progress(`${i + 1}/${orderCount} orders, ${acceptedToClient.length} fills seen`);
      await sleep(gapMs);
    }
    return {
      orders: orderCount,
      filled: acceptedToClient.length,
      delivery: job.delivery,
      checkpointIntervalMs: options.checkpointIntervalMs ?? 100,
      acceptedToClientMs: percentiles(acceptedToClient),
      tickToClientMs: percentiles(tickToClient),
      acceptedToWrittenMs: percentiles(acceptedToWritten),
      acceptedToCommittedMs: percentiles(acceptedToCommitted),
      checkpointMs: percentiles(checkpointDurations(job.logFile, tradingJobId)),
    };
  } finally {
    socket?.close();
    await Promise.allSettled([readers.written.disconnect(), readers.committed.disconnect()]);
    for (const child of children.reverse()) await stopChild(child);
    await job?.stop();
    await broker?.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

export function formatFillLatency(result: FillLatencyResult): string {
  const line = (label: string, p: Percentiles): string =>
    `${label} p50 ${p.p50.toFixed(0)} ms, p99 ${p.p99.toFixed(0)} ms, max ${p.max.toFixed(0)} ms`;
  return [
    `${result.filled}/${result.orders} market orders filled; delivery ${result.delivery}, the fill engine's checkpoints every ${result.checkpointIntervalMs} ms`,
    line('accepted (201) → fill at the client: ', result.acceptedToClientMs),
    line('filling tick → fill at the client:   ', result.tickToClientMs),
    line('accepted → fill written on fills:     ', result.acceptedToWrittenMs),
    line('accepted → fill committed on fills:   ', result.acceptedToCommittedMs),
    line("fill engine's checkpoints:            ", result.checkpointMs),
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // node bench/dist/fill-latency.js [orders] [trading-checkpoint-interval-ms]; KAFKA_BROKERS=… uses that cluster
  const [orders = '100', interval] = process.argv.slice(2);
  if (![orders, interval ?? '1'].every((value) => /^\d+$/.test(value))) {
    process.stderr.write('usage: node bench/dist/fill-latency.js [orders] [trading-checkpoint-interval-ms]\n');
    process.exit(2);
  }
  const result = await runFillLatencyBench({
    orders: Number(orders),
    ...(interval === undefined ? {} : { checkpointIntervalMs: Number(interval) }),
    ...(process.env.KAFKA_BROKERS ? { brokers: process.env.KAFKA_BROKERS } : {}),
    progress: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${formatFillLatency(result)}\n`);
}
