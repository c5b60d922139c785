import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Delivery, type RunningAnalytics, startAnalytics } from '@tickstream/analytics';
import { TickstreamClient } from '@tickstream/client';
import { createToken, defaultTradingTopics } from '@tickstream/edge';
import { decodeOrderUpdate, decodeTick } from '@tickstream/schemas';
import { kafkaLz4Codec } from '@tickstream/schemas/lz4-node';
import kafkajs, { type Consumer, type ConsumerConfig, type EachMessagePayload } from 'kafkajs';
import WebSocket from 'ws';
import { jvmPauseLogOptions } from './checkpoint-tail.js';
import { kafkaTraceJvmOptions } from './kafka-request-times.js';
import {
  type BrokerProcess,
  recentOutput,
  spawnProducer,
  startBrokerProcess,
  startEdgeProcess,
  stopChild,
} from './processes.js';

const { CompressionCodecs, CompressionTypes, Kafka, logLevel } = kafkajs;
// The job's sinks and the producer write lz4 batches; kafkajs ships without lz4.
CompressionCodecs[CompressionTypes.LZ4] = kafkaLz4Codec;

/**
 * What the order → fill benchmarks share (fill-latency.ts, orders.ts --fills): the whole fill
 * path, every part real and in its own process (a broker, the producer, the analytics job with
 * the Flink fill engine, an edge), readers that time each fill along the way, and a probe trader
 * that places market orders one at a time and waits for each fill on its WebSocket.
 */

export const FILL_BENCH_SECRET = 'fill-path-bench-secret';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface FillStackOptions {
  /** The fill engine job's --trading-checkpoint-interval; unset: the job's default. */
  checkpointIntervalMs?: number;
  /** --trading-concurrent-checkpoints; unset: the job's default. */
  concurrentCheckpoints?: number;
  /** --trading-unaligned-checkpoints; unset: the job's default. */
  unalignedCheckpoints?: boolean;
  /** --paced-checkpoints (both jobs' checkpoints from one pacer); unset: the job's default. */
  pacedCheckpoints?: boolean;
  delivery?: Delivery;
  /** An existing cluster (e.g. `tickstream kafka`); unset: an embedded broker of its own. */
  brokers?: string;
  /** More flags for the edge (e.g. --max-open-orders-per-user). */
  edgeArgs?: readonly string[];
  /** Node's own flags for the edge (e.g. --cpu-prof). */
  edgeNodeArgs?: string[];
  /** More flags for the analytics JVM, after the launcher's own on its command line (so `-Xmx…` here wins). */
  jvmOptions?: readonly string[];
  /** The fill engine's JVM writes its pauses here (checkpoint-tail.ts); with ownJvm the other's go to `<file>.analytics`. */
  pauseLog?: string;
  /** The fill engine in a JVM of its own (`--jobs trading`), the analytics job in another (`--jobs analytics`). */
  ownJvm?: boolean;
  progress?: (line: string) => void;
}

export interface FillStack {
  bootstrap: string;
  /** `http://127.0.0.1:<edge port>` */
  base: string;
  port: number;
  /** The JVM of the fill engine (and of the analytics job, unless ownJvm). */
  job: RunningAnalytics;
  /** With ownJvm, the analytics job's JVM. */
  analyticsJvm: RunningAnalytics | undefined;
  /** The fill engine's Flink job id (from the launcher's `trading job …` line). */
  tradingJobId: string;
  /** The analytics job's (`running: job …`), which shares the JVM. */
  analyticsJobId: string;
  edge: ChildProcess;
  broker: BrokerProcess | undefined;
  /** Symbols with a last trade price at the edge. */
  symbols: string[];
  close(): Promise<void>;
}

/** Starts the broker (unless `brokers`), the producer (100 symbols, 2,000 ticks/s), the analytics job and an edge. */
export async function startFillStack(options: FillStackOptions = {}): Promise<FillStack> {
  const progress = options.progress ?? (() => {});
  const scratch = mkdtempSync(join(tmpdir(), 'tickstream-bench-fills-'));
  const children: ChildProcess[] = [];
  let job: RunningAnalytics | undefined;
  let analyticsJvm: RunningAnalytics | undefined;
  const broker = options.brokers === undefined ? await startBrokerProcess(join(scratch, 'broker')) : undefined;
  const close = async (): Promise<void> => {
    for (const child of children.reverse()) await stopChild(child);
    await Promise.all([job?.stop(), analyticsJvm?.stop()]);
    await broker?.close();
    rmSync(scratch, { recursive: true, force: true });
  };
  try {
    const bootstrap = options.brokers ?? (broker?.bootstrap as string);
    // 100 symbols at 2,000 ticks/s: each symbol ticks every 50 ms on average.
    children.push(spawnProducer(bootstrap, { symbols: 100, rate: 2000, workers: 1 }));
    let tradingJobId = '';
    let analyticsJobId = '';
    // FILL_BENCH_KAFKA_TRACE=FILE: the JVM's producer requests and checkpoint steps to FILE (kafka-request-times.ts).
    const trace = process.env.FILL_BENCH_KAFKA_TRACE;
    const jvmOptions = (pauseLog: string | undefined): NodeJS.ProcessEnv => {
      const all = [
        ...(trace ? [kafkaTraceJvmOptions(trace)] : []),
        ...(pauseLog ? [jvmPauseLogOptions(pauseLog)] : []),
      ];
      return all.length > 0 ? { ...process.env, JAVA_TOOL_OPTIONS: all.join(' ') } : process.env;
    };
    const instance = `bench-fills-${Date.now()}`;
    const common = {
      brokers: bootstrap,
      instance,
      backfillMs: 0,
      ...(options.jvmOptions === undefined ? {} : { jvmOptions: options.jvmOptions }),
      ...(options.delivery === undefined ? {} : { delivery: options.delivery }),
    };
    job = await startAnalytics({
      ...common,
      env: jvmOptions(options.pauseLog),
      checkpointDir: join(scratch, options.ownJvm ? 'trading' : 'analytics', 'checkpoints'),
      ...(options.ownJvm ? { jobs: 'trading' as const } : {}),
      ...(options.checkpointIntervalMs === undefined
        ? {}
        : { tradingCheckpointIntervalMs: options.checkpointIntervalMs }),
      ...(options.concurrentCheckpoints === undefined
        ? {}
        : { tradingConcurrentCheckpoints: options.concurrentCheckpoints }),
      ...(options.unalignedCheckpoints === undefined
        ? {}
        : { tradingUnalignedCheckpoints: options.unalignedCheckpoints }),
      ...(options.pacedCheckpoints === undefined ? {} : { pacedCheckpoints: options.pacedCheckpoints }),
      log: (line) => {
        tradingJobId = /trading job (\w+)/.exec(line)?.[1] ?? tradingJobId;
        analyticsJobId = /^running: job (\w+)/.exec(line)?.[1] ?? analyticsJobId;
        progress(`analytics: ${line}`);
      },
    });
    if (options.ownJvm)
      analyticsJvm = await startAnalytics({
        ...common,
        env: jvmOptions(options.pauseLog === undefined ? undefined : `${options.pauseLog}.analytics`),
        checkpointDir: join(scratch, 'analytics', 'checkpoints'),
        jobs: 'analytics',
        log: (line) => {
          analyticsJobId = /^running: job (\w+)/.exec(line)?.[1] ?? analyticsJobId;
          progress(`analytics (own JVM): ${line}`);
        },
      });
    await Promise.all([job.ready, analyticsJvm?.ready]);
    const {
      child: edge,
      port,
      base,
    } = await startEdgeProcess(bootstrap, {
      history: '0',
      minSymbols: 100,
      args: ['--auth-secret', FILL_BENCH_SECRET, ...(options.edgeArgs ?? [])],
      ...(options.edgeNodeArgs === undefined ? {} : { nodeArgs: options.edgeNodeArgs }),
    });
    children.push(edge);
    const token = await traderToken('fill-stack-reader');
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
    return { bootstrap, base, port, job, analyticsJvm, tradingJobId, analyticsJobId, edge, broker, symbols, close };
  } catch (error) {
    await close();
    throw error;
  }
}

export function traderToken(user: string): Promise<string> {
  return createToken({ secret: FILL_BENCH_SECRET, user, role: 'trader', ttlSeconds: 3600 });
}

/**
 * Readers beside the edge that stamp (wall clock, ms) when each watched fill reaches them: the
 * filling tick on `ticks`, the fill on `fills` read_uncommitted (written by the engine) and
 * read_committed (its transaction committed, what every edge waits for). The committed reader
 * also counts every fill, watched or not, for throughput.
 */
export class FillTimeline {
  /** `${symbol}:${sequence}` → when the tick reached the reader. */
  private readonly ticks = new Map<string, number>();
  private readonly tickOrder: string[] = [];
  readonly written = new Map<string, number>();
  readonly committed = new Map<string, number>();
  /** The job's `sent-ms` of each watched fill: its sink got it from the fill engine (JVM clock, same machine). */
  readonly engineSent = new Map<string, number>();
  /** Every fill update (fill quantity > 0) read committed, with when it arrived. */
  readonly committedFills: number[] = [];
  private readonly watched = new Set<string>();
  private readonly consumers: Consumer[] = [];

  private constructor(
    private readonly kafka: InstanceType<typeof Kafka>,
    private readonly withWritten: boolean,
  ) {}

  /** `written`: also read `fills` read_uncommitted (another reader of every record: leave it out under load). */
  static async start(bootstrap: string, options: { written: boolean }): Promise<FillTimeline> {
    const kafka = new Kafka({
      brokers: bootstrap.split(','),
      clientId: 'bench-fill-timeline',
      logLevel: logLevel.NOTHING,
    });
    const timeline = new FillTimeline(kafka, options.written);
    await timeline.startReaders();
    return timeline;
  }

  /** Stamp this order's fill from now on. */
  watch(orderId: string): void {
    this.watched.add(orderId);
  }

  /** When the tick `symbol` #`sequence` was first readable on `ticks`; undefined if not seen. */
  tickSeenAt(symbol: string, sequence: number): number | undefined {
    return this.ticks.get(`${symbol}:${sequence}`);
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.consumers.map((consumer) => consumer.disconnect()));
  }

  private async startReaders(): Promise<void> {
    const pid = process.pid;
    const stamp =
      (into: Map<string, number>, countAll: boolean) =>
      async ({ message }: EachMessagePayload): Promise<void> => {
        if (message.value === null) return;
        const update = decodeOrderUpdate(new Uint8Array(message.value));
        if (update.fillQuantity <= 0) return;
        const now = Date.now();
        if (countAll) this.committedFills.push(now);
        if (this.watched.has(update.orderId) && !into.has(update.orderId)) {
          into.set(update.orderId, now);
          const sent = Number(message.headers?.['sent-ms']?.toString() ?? Number.NaN);
          if (Number.isFinite(sent) && !this.engineSent.has(update.orderId)) this.engineSent.set(update.orderId, sent);
        }
      };
    const readers: [ConsumerConfig, string, (payload: EachMessagePayload) => Promise<void>][] = [
      [
        { groupId: `bench-ticks-${pid}`, maxWaitTimeInMs: 20 },
        'ticks',
        async ({ message }) => {
          if (message.value === null) return;
          const tick = decodeTick(new Uint8Array(message.value));
          const key = `${tick.symbol}:${tick.sequence}`;
          if (this.ticks.has(key)) return;
          this.ticks.set(key, Date.now());
          this.tickOrder.push(key);
          // A minute of ticks at 2,000/s is plenty to find a filling tick again.
          if (this.tickOrder.length > 200_000)
            for (const old of this.tickOrder.splice(0, 50_000)) this.ticks.delete(old);
        },
      ],
      [
        { groupId: `bench-fills-committed-${pid}`, maxWaitTimeInMs: 20 },
        defaultTradingTopics.fills,
        stamp(this.committed, true),
      ],
    ];
    if (this.withWritten)
      readers.push([
        { groupId: `bench-fills-written-${pid}`, maxWaitTimeInMs: 20, readUncommitted: true },
        defaultTradingTopics.fills,
        stamp(this.written, false),
      ]);
    for (const [config, topic, eachMessage] of readers) {
      const reader = this.kafka.consumer(config);
      this.consumers.push(reader);
      let joined = false;
      reader.on(reader.events.GROUP_JOIN, () => {
        joined = true;
      });
      await reader.connect();
      await reader.subscribe({ topic, fromBeginning: false });
      await reader.run({ eachMessage });
      while (!joined) await sleep(50);
    }
  }
}

/** One probe order's times, all wall clock (ms since the epoch). */
export interface ProbeFill {
  orderId: string;
  acceptedAt: number;
  /** The filling tick's exchange time (the producer's clock, the same machine's). */
  tickAt: number;
  tickOnKafkaAt: number | undefined;
  writtenAt: number | undefined;
  /** The fill's `sent-ms` header: the job's sink got it from the engine (undefined from a job without it). */
  engineSentAt: number | undefined;
  committedAt: number | undefined;
  clientAt: number;
}

/**
 * One trader that places market buys of 1 share one after another over HTTP and waits for each
 * fill pushed on its WebSocket (OrderUpdated): a @tickstream/client following the trader's orders.
 */
export class FillProbe {
  private readonly fills = new Map<string, { at: number; tickMs: number; symbol: string; sequence: number }>();

  private constructor(
    private readonly stack: FillStack,
    private readonly timeline: FillTimeline,
    private readonly token: string,
    private readonly client: TickstreamClient,
  ) {}

  static async open(stack: FillStack, timeline: FillTimeline, user = 'latency-trader'): Promise<FillProbe> {
    const token = await traderToken(user);
    const client = new TickstreamClient({
      url: `ws://127.0.0.1:${stack.port}/ws`,
      createSocket: (url) => new WebSocket(url, { headers: { Authorization: `Bearer ${token}` } }),
      symbols: [],
      reconnect: false,
      pingEveryMs: 0,
    });
    const probe = new FillProbe(stack, timeline, token, client);
    client.on('fill', (fill) => {
      if (!probe.fills.has(fill.orderId))
        probe.fills.set(fill.orderId, {
          at: Date.now(),
          tickMs: fill.timeMs,
          symbol: fill.symbol,
          sequence: fill.tickSequence,
        });
    });
    await new Promise<void>((resolve, reject) => {
      client.on('hello', () => resolve());
      client.on('close', (code, reason) =>
        reject(new Error(`the edge closed the probe's WebSocket (${code}${reason ? `: ${reason}` : ''})`)),
      );
      client.connect();
    });
    // From its answer on, the edge pushes this trader's order changes (and fills) to the probe.
    await client.orders.list();
    return probe;
  }

  /** Places one market buy of 1 share of `symbol`; resolves with its times, or null when no fill came in `timeoutMs`. */
  async buy(symbol: string, timeoutMs = 30_000): Promise<ProbeFill | null> {
    const response = await fetch(`${this.stack.base}/api/orders`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ symbol, side: 'buy', type: 'market', quantity: 1 }),
    });
    const acceptedAt = Date.now();
    const body = (await response.json()) as { id?: string; error?: string };
    if (response.status !== 201 || body.id === undefined)
      throw new Error(`order refused (${response.status}): ${JSON.stringify(body)}`);
    const orderId = body.id;
    this.timeline.watch(orderId);
    while (!this.fills.has(orderId) && Date.now() - acceptedAt < timeoutMs) await sleep(1);
    const fill = this.fills.get(orderId);
    if (fill === undefined) return null;
    // The readers may stamp a moment after the client: give them a little time.
    for (let waited = 0; waited < 2000 && !this.timeline.committed.has(orderId); waited += 10) await sleep(10);
    return {
      orderId,
      acceptedAt,
      tickAt: fill.tickMs,
      tickOnKafkaAt: this.timeline.tickSeenAt(fill.symbol, fill.sequence),
      writtenAt: this.timeline.written.get(orderId),
      engineSentAt: this.timeline.engineSent.get(orderId),
      committedAt: this.timeline.committed.get(orderId),
      clientAt: fill.at,
    };
  }

  close(): void {
    this.client.close();
  }
}
