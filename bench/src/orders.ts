import { type ChildProcess, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createToken, defaultTradingTopics } from '@tickstream/edge';
import autocannon from 'autocannon';
import { fillBreakdown, type Percentiles } from './fill-latency.js';
import { FillProbe, type FillStack, FillTimeline, type ProbeFill, startFillStack, traderToken } from './fill-path.js';
import {
  cpuSeconds,
  endOffsetTotal,
  spawnProducer,
  startBrokerProcess,
  startEdgeProcess,
  stopChild,
} from './processes.js';
import { median } from './stats.js';

/**
 * The order path of issue 21 as far as part A builds it: N simulated traders (each its own
 * token and keep-alive connection) post orders to one edge, which checks each and writes it to
 * `orders` (acks=all, idempotent) before answering 201. Measured: orders accepted per second at
 * the edge, orders stored per second in Kafka (the topic's end offsets: every 201 must be there),
 * POST latency, and the edge's CPU per order. The fill engine (part B) adds order → fill latency.
 * ORDERS_BENCH_PROFILE=DIR runs the edge under --cpu-prof into DIR (read it with
 * `node bench/dist/cpu-profile.js DIR/*.cpuprofile`); with --fills, ORDERS_BENCH_JFR=DIR records
 * the analytics JVM with Java Flight Recorder during each run into DIR/run-N.jfr (`jfr print`).
 */
export interface OrdersRun {
  accepted: number;
  refused: number;
  errors: number;
  acceptedPerSecond: number;
  storedPerSecond: number;
  /** Records on `orders` minus 201 answers: 0 when every accepted order is stored, and nothing else. */
  storedMinusAccepted: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  edgeCpuMicrosPerOrder: number;
  /** Cores busy during the run: the edge, the broker, and this load generator (autocannon). */
  edgeCores: number;
  brokerCores: number;
  loadGeneratorCores: number;
  /** With the fill engine (`fills`): what reached a read_committed reader of `fills`. */
  fills?: OrdersFills;
}

/**
 * The orders end to end (`--fills`): every order a market buy of 1 share (so each fills on its
 * symbol's next tick and no trader runs out of cash), the analytics job running, and one more
 * trader (the probe, fill-path.ts) placing an order at a time among them and timing its fill.
 */
export interface OrdersFills {
  /** Fills committed on `fills` during the run, per second. */
  filledPerSecond: number;
  /** Fills committed by the end of the run plus the drain, of the orders stored. */
  filledTotal: number;
  /** After the run, until every stored order was filled (or 60 s). */
  drainSeconds: number;
  /** The probe's orders among the load: accepted → fill at its client, and filling tick → client. */
  probeFills: number;
  acceptedToClientMs: Percentiles;
  tickToClientMs: Percentiles;
  tickToCommittedMs: Percentiles;
  analyticsCores: number;
}

export interface OrdersBenchResult {
  traders: number;
  seconds: number;
  symbols: number;
  runs: OrdersRun[];
  /** Medians over the runs. */
  median: OrdersRun;
  withFills: boolean;
}

const SECRET = 'orders-bench-secret';

/** Starts a flight recording of the JVM `pid` (jcmd, from the JDK); returns how to stop and write it. */
function startFlightRecording(pid: number, file: string): () => void {
  const name = `orders-bench-${pid}`;
  execFileSync('jcmd', [String(pid), 'JFR.start', `name=${name}`, 'settings=profile'], { stdio: 'ignore' });
  return () => execFileSync('jcmd', [String(pid), 'JFR.stop', `name=${name}`, `filename=${file}`], { stdio: 'ignore' });
}
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Small deterministic PRNG (mulberry32): the same mix of orders on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Orders as people send them: 60 % market, 30 % limit (within 5 % of the last price, on the
 * waiting side), 10 % stop (5-8 % away), buys and sells alike, 1-500 shares. Prices come from
 * the last prices at the start; a 10 s run moves none of them out of the edge's 20 % band.
 */
function orderMaker(lastPrices: Map<string, number>, seed: number): () => string {
  const next = random(seed);
  const symbols = [...lastPrices.keys()];
  const price = (last: number, factor: number): number => Math.round((last / 10_000) * factor * 100) / 100;
  return () => {
    const symbol = symbols[Math.floor(next() * symbols.length)] as string;
    const last = lastPrices.get(symbol) as number;
    const side = next() < 0.5 ? 'buy' : 'sell';
    const quantity = 1 + Math.floor(next() * 500);
    const kind = next();
    if (kind < 0.6) return JSON.stringify({ symbol, side, type: 'market', quantity });
    // A buy limit waits below the market, a buy stop above it; sells mirror them.
    const away = kind < 0.9 ? 0.95 + next() * 0.04 : 1.05 + next() * 0.03;
    const factor = side === 'buy' ? away : 2 - away;
    return JSON.stringify({
      symbol,
      side,
      type: kind < 0.9 ? 'limit' : 'stop',
      quantity,
      price: price(last, factor),
      tif: 'gtc',
    });
  };
}

/** Market buys of 1 share, round the symbols: each fills on its symbol's next tick. */
function marketBuyMaker(lastPrices: Map<string, number>): () => string {
  const symbols = [...lastPrices.keys()];
  let next = 0;
  return () => JSON.stringify({ symbol: symbols[next++ % symbols.length], side: 'buy', type: 'market', quantity: 1 });
}

/** The processes of a run: without fills a broker, the producer and an edge; with fills the analytics job too (fill-path.ts). */
interface OrdersStack {
  bootstrap: string;
  base: string;
  edge: ChildProcess;
  brokerPid: number;
  fillStack: FillStack | null;
  tokenFor(trader: number): Promise<string>;
  close(): Promise<void>;
}

// Without the fill engine nothing closes an order (and with it, fills wait for ticks): let each trader keep all of theirs open.
const EDGE_ORDER_LIMITS = ['--max-open-orders-per-user', '100000'];

/** ORDERS_BENCH_PROFILE=DIR: the edge runs under --cpu-prof, its profile written into DIR when it stops. */
function edgeProfilerArgs(): string[] {
  const dir = process.env.ORDERS_BENCH_PROFILE;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}

async function startOrdersStack(withFills: boolean, progress: (line: string) => void): Promise<OrdersStack> {
  if (withFills) {
    const fillStack = await startFillStack({ edgeArgs: EDGE_ORDER_LIMITS, edgeNodeArgs: edgeProfilerArgs(), progress });
    return {
      bootstrap: fillStack.bootstrap,
      base: fillStack.base,
      edge: fillStack.edge,
      brokerPid: fillStack.broker?.pid ?? 0,
      fillStack,
      tokenFor: (trader) => traderToken(`trader-${trader}`),
      close: () => fillStack.close(),
    };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'tickstream-bench-orders-'));
  const broker = await startBrokerProcess(dataDir);
  const children: ChildProcess[] = [];
  const close = async (): Promise<void> => {
    for (const child of children.reverse()) await stopChild(child);
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    children.push(spawnProducer(broker.bootstrap, { symbols: 100, rate: 2000, workers: 1 }));
    await sleep(1500);
    const { child: edge, base } = await startEdgeProcess(broker.bootstrap, {
      history: '1m',
      minSymbols: 100,
      args: ['--auth-secret', SECRET, ...EDGE_ORDER_LIMITS],
      nodeArgs: edgeProfilerArgs(),
    });
    children.push(edge);
    return {
      bootstrap: broker.bootstrap,
      base,
      edge,
      brokerPid: broker.pid,
      fillStack: null,
      tokenFor: (trader) => createToken({ secret: SECRET, user: `trader-${trader}`, role: 'trader', ttlSeconds: 3600 }),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

export async function runOrdersBench(
  options: {
    traders?: number;
    seconds?: number;
    runs?: number;
    /** With the analytics job: orders filled end to end (OrdersFills). */
    fills?: boolean;
    progress?: (line: string) => void;
  } = {},
): Promise<OrdersBenchResult> {
  const traders = options.traders ?? 1000;
  const seconds = options.seconds ?? 10;
  const runCount = options.runs ?? 3;
  const withFills = options.fills ?? false;
  const progress = options.progress ?? (() => {});
  const stack = await startOrdersStack(withFills, progress);
  const { base, edge } = stack;
  const broker = { bootstrap: stack.bootstrap, pid: stack.brokerPid };
  let timeline: FillTimeline | undefined;
  let probe: FillProbe | undefined;
  try {
    const tokens = await Promise.all(Array.from({ length: traders }, (_, i) => stack.tokenFor(i)));
    for (;;) {
      const health = (await (await fetch(`${base}/health`)).json()) as { trading?: { loaded: boolean } };
      if (health.trading?.loaded) break;
      await sleep(100);
    }
    const symbols = (await (
      await fetch(`${base}/api/symbols`, { headers: { Authorization: `Bearer ${tokens[0]}` } })
    ).json()) as { symbols: { name: string; last: number }[] };
    const lastPrices = new Map(symbols.symbols.filter((s) => s.last > 0).map((s) => [s.name, s.last]));
    if (stack.fillStack !== null) {
      timeline = await FillTimeline.start(stack.bootstrap, { written: false });
      probe = await FillProbe.open(stack.fillStack, timeline, 'probe-trader');
    }

    const runs: OrdersRun[] = [];
    for (let run = 0; run < runCount; run++) {
      const nextOrder = withFills ? marketBuyMaker(lastPrices) : orderMaker(lastPrices, 20261207 + run);
      let nextTrader = 0;
      const jfrDir = process.env.ORDERS_BENCH_JFR;
      const stopRecording =
        jfrDir && stack.fillStack !== null
          ? startFlightRecording(stack.fillStack.job.pid, join(jfrDir, `run-${run + 1}.jfr`))
          : null;
      const storedBefore = await endOffsetTotal(broker.bootstrap, defaultTradingTopics.orders).catch(() => 0);
      const cpuBefore = cpuSeconds(edge.pid ?? 0);
      const brokerBefore = cpuSeconds(broker.pid);
      const analyticsBefore = stack.fillStack ? cpuSeconds(stack.fillStack.job.pid) : 0;
      const fillsBefore = timeline?.committedFills.length ?? 0;
      const ownBefore = process.cpuUsage();
      const startedAt = Date.now();
      // The probe places one order at a time among the load, until the load ends.
      let loadOver = false;
      const probeFills: ProbeFill[] = [];
      const probing = (async () => {
        for (let i = 0; probe !== undefined && !loadOver; i++) {
          const fill = await probe.buy(
            lastPrices.size > 0 ? ([...lastPrices.keys()][i % lastPrices.size] as string) : '',
          );
          // An order placed under load counts even when its fill comes after the load ended.
          if (fill !== null) probeFills.push(fill);
          await sleep(100);
        }
      })();
      const result = await autocannon({
        url: base,
        connections: traders,
        duration: seconds,
        // One trader per connection: its own token on every request it sends.
        initialContext: {},
        requests: [
          {
            method: 'POST',
            path: '/api/orders',
            setupRequest: (request, context: { trader?: number }) => {
              context.trader ??= nextTrader++ % traders;
              return {
                ...request,
                headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[context.trader]}` },
                body: nextOrder(),
              };
            },
          },
        ],
      });
      const endedAt = Date.now();
      loadOver = true;
      const cpu = cpuSeconds(edge.pid ?? 0) - cpuBefore;
      const brokerCpu = cpuSeconds(broker.pid) - brokerBefore;
      const analyticsCpu = stack.fillStack ? cpuSeconds(stack.fillStack.job.pid) - analyticsBefore : 0;
      const own = process.cpuUsage(ownBefore);
      stopRecording?.();
      await probing;
      const stored = (await endOffsetTotal(broker.bootstrap, defaultTradingTopics.orders)) - storedBefore;
      const accepted = result['2xx'];
      let fills: OrdersFills | undefined;
      const committed = timeline;
      if (committed !== undefined) {
        // Every stored order (the probe's too) is a market buy that fills: wait for the engine to catch up.
        const filledBy = (): number => committed.committedFills.length - fillsBefore;
        while (filledBy() < stored && Date.now() - endedAt < 60_000) await sleep(100);
        const drainSeconds = (Date.now() - endedAt) / 1000;
        const duringRun = committed.committedFills.slice(fillsBefore).filter((at) => at <= endedAt).length;
        const breakdown = fillBreakdown(probeFills);
        fills = {
          filledPerSecond: duringRun / ((endedAt - startedAt) / 1000),
          filledTotal: filledBy(),
          drainSeconds,
          probeFills: probeFills.length,
          acceptedToClientMs: breakdown.acceptedToClientMs,
          tickToClientMs: breakdown.tickToClientMs,
          tickToCommittedMs: breakdown.tickToCommittedMs,
          analyticsCores: analyticsCpu / seconds,
        };
      }
      const row: OrdersRun = {
        accepted,
        refused: result['4xx'],
        errors: result.errors + result.timeouts + result['5xx'],
        acceptedPerSecond: accepted / seconds,
        storedPerSecond: stored / seconds,
        storedMinusAccepted: stored - accepted,
        latencyP50Ms: result.latency.p50,
        latencyP99Ms: result.latency.p99,
        edgeCpuMicrosPerOrder: accepted > 0 ? (cpu * 1e6) / accepted : Number.NaN,
        edgeCores: cpu / seconds,
        brokerCores: brokerCpu / seconds,
        loadGeneratorCores: (own.user + own.system) / 1e6 / seconds,
        ...(fills === undefined ? {} : { fills }),
      };
      runs.push(row);
      progress(
        `orders run ${run + 1}/${runCount}: ${Math.round(row.acceptedPerSecond).toLocaleString('en-US')} accepted/s, ` +
          `${Math.round(row.storedPerSecond).toLocaleString('en-US')} stored/s, p50 ${row.latencyP50Ms} ms, ` +
          `p99 ${row.latencyP99Ms} ms, ${row.refused} refused, ${row.errors} errors` +
          (fills === undefined ? '' : `; ${formatFills(fills)}`),
      );
    }
    const of = (pick: (run: OrdersRun) => number): number => median(runs.map(pick));
    return {
      traders,
      seconds,
      symbols: lastPrices.size,
      runs,
      median: {
        accepted: of((r) => r.accepted),
        refused: of((r) => r.refused),
        errors: of((r) => r.errors),
        acceptedPerSecond: of((r) => r.acceptedPerSecond),
        storedPerSecond: of((r) => r.storedPerSecond),
        storedMinusAccepted: of((r) => r.storedMinusAccepted),
        latencyP50Ms: of((r) => r.latencyP50Ms),
        latencyP99Ms: of((r) => r.latencyP99Ms),
        edgeCpuMicrosPerOrder: of((r) => r.edgeCpuMicrosPerOrder),
        edgeCores: of((r) => r.edgeCores),
        brokerCores: of((r) => r.brokerCores),
        loadGeneratorCores: of((r) => r.loadGeneratorCores),
        // The fills of the median run by fills per second (a median of each figure would mix runs).
        ...(withFills ? { fills: medianRunFills(runs) } : {}),
      },
      withFills,
    };
  } finally {
    probe?.close();
    await timeline?.stop();
    await stack.close();
  }
}

function medianRunFills(runs: readonly OrdersRun[]): OrdersFills {
  const sorted = runs
    .flatMap((run) => (run.fills === undefined ? [] : [run.fills]))
    .sort((a, b) => a.filledPerSecond - b.filledPerSecond);
  return sorted[Math.floor((sorted.length - 1) / 2)] as OrdersFills;
}

/** The floor of issue 21: 5,000 orders/s filled end to end. */
export const ORDERS_FILLED_FLOOR_PER_SECOND = 5000;

function formatFills(fills: OrdersFills): string {
  const p = (x: Percentiles): string => `p50 ${x.p50.toFixed(0)} ms, p99 ${x.p99.toFixed(0)} ms`;
  return (
    `${Math.round(fills.filledPerSecond).toLocaleString('en-US')} filled/s during the run ` +
    `(${fills.filledPerSecond >= ORDERS_FILLED_FLOOR_PER_SECOND ? 'reaches' : 'below'} the floor of 5,000), ` +
    `${fills.filledTotal} filled after ${fills.drainSeconds.toFixed(1)} s of drain; probe (${fills.probeFills} orders among the load): ` +
    `accepted → client ${p(fills.acceptedToClientMs)}, filling tick → client ${p(fills.tickToClientMs)}, ` +
    `tick → committed ${p(fills.tickToCommittedMs)}; analytics JVM ${fills.analyticsCores.toFixed(2)} cores`
  );
}

export function formatOrdersBench(result: OrdersBenchResult): string {
  const m = result.median;
  return [
    `${result.traders} traders (one token and connection each), ${result.seconds} s per run, ${result.runs.length} runs; medians`,
    `accepted at the edge (201):   ${Math.round(m.acceptedPerSecond).toLocaleString('en-US')} orders/s`,
    `stored on orders (acks=all):  ${Math.round(m.storedPerSecond).toLocaleString('en-US')} orders/s (stored − accepted: ${m.storedMinusAccepted}: orders in flight when a run ends are stored, their answers not counted; at most ${result.traders})`,
    `POST /api/orders latency:     p50 ${m.latencyP50Ms} ms, p99 ${m.latencyP99Ms} ms`,
    `edge CPU per accepted order:  ${m.edgeCpuMicrosPerOrder.toFixed(1)} µs`,
    `cores busy: edge ${m.edgeCores.toFixed(2)}, broker ${m.brokerCores.toFixed(2)}, load generator ${m.loadGeneratorCores.toFixed(2)}`,
    `refused (4xx) ${m.refused}, errors ${m.errors}`,
    m.fills === undefined
      ? 'without the fill engine (--fills: with it, orders filled end to end)'
      : `with the fill engine (median run): ${formatFills(m.fills)}`,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // node bench/dist/orders.js [traders] [seconds] [runs] [--fills]
  const args = process.argv.slice(2).filter((arg) => arg !== '--fills');
  const [traders = '1000', seconds = '10', runs = '3'] = args;
  if (![traders, seconds, runs].every((value) => /^\d+$/.test(value))) {
    process.stderr.write('usage: node bench/dist/orders.js [traders] [seconds] [runs] [--fills]\n');
    process.exit(2);
  }
  const result = await runOrdersBench({
    traders: Number(traders),
    seconds: Number(seconds),
    runs: Number(runs),
    fills: process.argv.includes('--fills'),
    progress: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${formatOrdersBench(result)}\n`);
}
