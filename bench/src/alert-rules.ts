import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type JobTimes, watchJobTimes } from '@tickstream/analytics';
import { createToken } from '@tickstream/edge';
import { buildUniverse, defaultProducerOptions } from '@tickstream/producer';
import {
  type AlertKindName,
  type AlertRuleFields,
  decodeServerFrame,
  encodeAlertRule,
  encodeClientFrame,
} from '@tickstream/schemas';
import { kafkaLz4Codec, nodeLz4 } from '@tickstream/schemas/lz4-node';
import kafkajs from 'kafkajs';
import WebSocket from 'ws';
import { metricSum, scrape, startJob, ticksRead, topicsFor } from './analytics.js';
import { cpuSeconds, spawnCli, startBrokerProcess, startEdgeProcess, stopChild } from './processes.js';
import { median, percentile } from './stats.js';

const { CompressionCodecs, CompressionTypes, Kafka, logLevel } = kafkajs;
// The job writes `alert_events` lz4-compressed; the stage watcher below reads them.
CompressionCodecs[CompressionTypes.LZ4] = kafkaLz4Codec;

/**
 * What alert rules cost the Flink job, and how fast a trigger reaches its user (issue 20: "10,000
 * active rules cost ≤ 10 % more job CPU than none", rules evaluated per second per core, trigger
 * latency p50 and p99). One producer writes 20,000 ticks/s over 1,000 symbols into the embedded
 * broker; one job follows it, and an edge serves the rules' watcher over its WebSocket.
 *
 * CPU: after a warm-up, measured windows alternate between 10,000 rules (10 per symbol) and none,
 * in pairs ordered rules-none, none-rules, … (so a steady drift cancels), switching by writing the
 * rules or their tombstones to `alerts` and waiting for the job's `alert_rules` gauge. The same
 * JVM, warm, on the same ticks: load on the shared machine hits both halves of a pair alike. Each
 * window's figure is the job JVM's CPU time (/proc) per 1,000 ticks its source read; the cost of
 * the rules is the median over the pairs of rules ÷ none − 1.
 *
 * The rules of a symbol: one `price-above 0` that holds on every tick (one-shot: it fires once,
 * then every tick finds it fired; for 50 symbols it repeats every second for the watcher, and
 * those triggers are the latency samples: tick exchange time → the AlertTriggered frame at the
 * watcher's WebSocket), and nine price, change, volume and relative-volume rules the market never
 * reaches. What is measured is evaluating rules on every tick, not writing triggers.
 */
export interface AlertRulesBenchResult {
  ticksPerSecond: number;
  ruleCount: number;
  symbols: number;
  /** Job CPU-ms per 1,000 ticks read: medians over the windows without rules, and with them. */
  cpuMsPer1000TicksNone: number;
  cpuMsPer1000TicksRules: number;
  /** Median over the pairs of (rules ÷ none) − 1: the floor is ≤ 0.10. */
  extraCpuShare: number;
  /** Rule evaluations (ticks × the 10 rules of the tick's symbol) per job CPU-second, in the windows with rules. */
  evaluationsPerCoreSecond: number;
  /** Crossing tick's exchange time → the trigger at the watcher's WebSocket client, in the windows with rules. */
  latencyMs: { p50: number; p99: number; count: number };
  /**
   * The same triggers stage by stage (p50/p99, ms), from the job's headers on `alert_events`
   * (docs/alerts.md, Records): tick exchange time → the job read it → the rule fired → the sink
   * handed it to its producer → the watcher's client got it (producer, broker, edge, WebSocket).
   */
  stagesMs: { name: string; p50: number; p99: number; count: number }[];
  pairs: { none: MeasuredWindow; rules: MeasuredWindow; ratio: number }[];
}

export interface MeasuredWindow {
  ticks: number;
  cpuSeconds: number;
  cpuMsPer1000Ticks: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const SYMBOLS = 1000;
const RULES_PER_SYMBOL = 10;
const RATE = 20_000;
/** Symbols whose always-true rule repeats for the watcher: its triggers are the latency samples. */
const WATCHED_SYMBOLS = 50;
const WATCHER = 'watcher';
const WATCH_COOLDOWN_MS = 1_000;
const SECRET = 'alert-rules-bench-secret';
const RULES_GAUGE = 'flink_taskmanager_job_task_operator_alert_rules';
const BY_SYMBOL = 'operator_name="alerts_by_symbol"';
const PENDING = 'flink_taskmanager_job_task_operator_pendingRecords';
const TICKS_SOURCE = 'operator_name="Source:_ticks"';
/** Ticks the job may be behind when a window starts: a tenth of a second. */
const CAUGHT_UP_TICKS = RATE / 10;
const frameOptions = { lz4: nodeLz4 };

/** The nine rules of a symbol the generated market never meets, after the one that always holds. */
const QUIET_RULES: readonly { kind: AlertKindName; value: number; windowMs: number }[] = [
  { kind: 'price-above', value: 1e9, windowMs: 0 },
  { kind: 'price-above', value: 2e9, windowMs: 0 },
  { kind: 'price-below', value: 0.0001, windowMs: 0 },
  { kind: 'price-below', value: 0.0002, windowMs: 0 },
  { kind: 'change-pct', value: 900, windowMs: 60_000 },
  { kind: 'change-pct', value: -99, windowMs: 60_000 },
  { kind: 'volume-above', value: 1e15, windowMs: 0 },
  { kind: 'volume-above', value: 1e15, windowMs: 30_000 },
  { kind: 'relative-volume', value: 1e6, windowMs: 60_000 },
];

function rulesFor(symbols: readonly string[], armedAtMs: number): AlertRuleFields[] {
  const rules: AlertRuleFields[] = [];
  symbols.forEach((symbol, s) => {
    const kinds = [{ kind: 'price-above' as AlertKindName, value: 0, windowMs: 0 }, ...QUIET_RULES];
    kinds.forEach(({ kind, value, windowMs }, k) => {
      const n = s * RULES_PER_SYMBOL + k;
      const watched = k === 0 && s < WATCHED_SYMBOLS;
      rules.push({
        id: `r${n.toString(16).padStart(15, '0')}`,
        user: watched ? WATCHER : `user${n % 100}`,
        symbol,
        kind,
        value,
        windowMs,
        repeat: watched,
        cooldownMs: watched ? WATCH_COOLDOWN_MS : 0,
        expiresAtMs: 0,
        createdAtMs: armedAtMs,
        armedAtMs,
      });
    });
  });
  return rules;
}

export async function runAlertRulesBench(
  options: { quick?: boolean; progress?: (line: string) => void } = {},
): Promise<AlertRulesBenchResult> {
  const quick = options.quick ?? false;
  const progress = options.progress ?? (() => {});
  // JIT warm-up (with the rules in), then the measured pairs; quick (CI's smoke run) proves it works.
  const warmMs = quick ? 8_000 : 45_000;
  const windowMs = quick ? 4_000 : 15_000;
  const pairCount = quick ? 2 : 5;
  // After a switch: the one-shot rules' burst of triggers, and the deletions' firing memory.
  const settleMs = 1_000;
  const scratch = mkdtempSync(join(tmpdir(), 'tickstream-bench-alert-rules-'));
  const broker = await startBrokerProcess(join(scratch, 'broker'));
  const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const name = `bench-alert-rules-${Date.now()}`;
  const symbols = buildUniverse({ symbols: null, symbolCount: SYMBOLS, seed: defaultProducerOptions.seed }).names;
  const producer = spawnCli([
    'producer',
    ...['--brokers', broker.bootstrap, '--topic', name, '--events-topic', `${name}-events`],
    ...['--rate', String(RATE), '--symbol-count', String(SYMBOLS)],
  ]);
  const writer = kafka.producer();
  const stops: (() => Promise<void>)[] = [];
  try {
    await writer.connect();
    // The edge reads the default user topics: this broker is the bench's own.
    const topics = { ...topicsFor(name), ticks: name, alerts: 'alerts', alertEvents: 'alert_events' };
    const job = await startJob(broker.bootstrap, topics, join(scratch, 'job'), name, { backfillMs: 0 });
    stops.push(() => job.job.kill());
    const edge = await startEdgeProcess(broker.bootstrap, {
      history: '0',
      args: ['--topic', name, '--auth-secret', SECRET],
    });
    stops.push(() => stopChild(edge.child));
    const latencies: number[] = [];
    /** The sampled triggers: tick time and arrival at the client, by trigger id. */
    const sampled = new Map<string, { timeMs: number; arrivedMs: number }>();
    let sampling = false;
    let arrived = 0;
    const socket = await watch(edge.port, (id, timeMs) => {
      arrived++;
      if (!sampling) return;
      const now = Date.now();
      latencies.push(now - timeMs);
      sampled.set(id, { timeMs, arrivedMs: now });
    });
    stops.push(async () => socket.close());
    const jobTimes = await watchJobTimes(kafka, topics.alertEvents, `${name}-stages`);
    stops.push(jobTimes.stop);

    const rulesIn = async (): Promise<number> => metricSum(await scrape(job.metricsPort), RULES_GAUGE, BY_SYMBOL);
    let ruleCount = 0;
    /** Writes every rule (armed now) or every tombstone, then waits until the job holds exactly that. */
    const switchRules = async (on: boolean): Promise<void> => {
      // Armed an hour ago: a tick older than its rule's arming (beyond a 5 s grace) never fires it,
      // and a job that lags on a loaded machine reads ticks that old. Every tick read from now on
      // comes after the rule in processing order, which is what "after the rule exists" means.
      const rules = rulesFor(symbols, Date.now() - 3_600_000);
      ruleCount = rules.length;
      for (let start = 0; start < rules.length; start += 1000)
        await writer.send({
          topic: topics.alerts,
          messages: rules.slice(start, start + 1000).map((rule) => ({
            key: `${rule.user}/${rule.id}`,
            value: on ? Buffer.from(encodeAlertRule(rule)) : null,
          })),
        });
      const want = on ? rules.length : 0;
      const deadline = Date.now() + 60_000;
      while ((await rulesIn()) !== want) {
        if (Date.now() > deadline)
          throw new Error(`the job holds ${await rulesIn()} rules a minute after writing ${want}`);
        await sleep(200);
      }
      // A switch costs the job CPU (10,000 deletions each clear firing memory over every key) and
      // leaves it behind; a window that starts while it catches up reads bigger batches, cheaper
      // per tick. So wait until it is nearly caught up (at most 20 s), then a little more.
      for (const until = Date.now() + 20_000; Date.now() < until; await sleep(250)) {
        const pending = metricSum(await scrape(job.metricsPort), PENDING, TICKS_SOURCE);
        if (!(pending > CAUGHT_UP_TICKS)) break;
      }
      await sleep(settleMs);
    };
    const measure = async (withRules: boolean): Promise<MeasuredWindow> => {
      const cpu0 = cpuSeconds(job.job.pid);
      const read0 = await ticksRead(job.metricsPort);
      sampling = withRules;
      await sleep(windowMs);
      sampling = false;
      const cpu = cpuSeconds(job.job.pid) - cpu0;
      const ticks = (await ticksRead(job.metricsPort)) - read0;
      const window = { ticks, cpuSeconds: cpu, cpuMsPer1000Ticks: (cpu / ticks) * 1e6 };
      progress(
        `${withRules ? ruleCount : 0} rules: ${Math.round(ticks / (windowMs / 1000))} ticks/s, ${window.cpuMsPer1000Ticks.toFixed(1)} job CPU-ms per 1,000 ticks; ${arrived} triggers at the watcher so far`,
      );
      return window;
    };

    await switchRules(true);
    progress(`${ruleCount} rules over ${SYMBOLS} symbols in the job; ${RATE} ticks/s; warming up ${warmMs / 1000} s`);
    await sleep(warmMs);
    let on = true;
    const pairs: AlertRulesBenchResult['pairs'] = [];
    for (let pair = 0; pair < pairCount; pair++) {
      const measured: Partial<Record<'none' | 'rules', MeasuredWindow>> = {};
      for (const withRules of pair % 2 === 0 ? [true, false] : [false, true]) {
        if (on !== withRules) await switchRules(withRules);
        on = withRules;
        measured[withRules ? 'rules' : 'none'] = await measure(withRules);
      }
      const { none, rules } = measured as Record<'none' | 'rules', MeasuredWindow>;
      pairs.push({ none, rules, ratio: rules.cpuMsPer1000Ticks / none.cpuMsPer1000Ticks });
    }
    // The stage watcher may trail the client by a Fetch or two.
    const seen = () => [...sampled.keys()].every((id) => jobTimes.times.has(id));
    for (const until = Date.now() + 5_000; Date.now() < until && !seen(); ) await sleep(100);
    const withRules = pairs.map((pair) => pair.rules);
    const evaluations = withRules.reduce((sum, window) => sum + window.ticks * RULES_PER_SYMBOL, 0);
    const cpu = withRules.reduce((sum, window) => sum + window.cpuSeconds, 0);
    return {
      ticksPerSecond: RATE,
      ruleCount,
      symbols: SYMBOLS,
      cpuMsPer1000TicksNone: median(pairs.map((pair) => pair.none.cpuMsPer1000Ticks)),
      cpuMsPer1000TicksRules: median(withRules.map((window) => window.cpuMsPer1000Ticks)),
      extraCpuShare: median(pairs.map((pair) => pair.ratio)) - 1,
      evaluationsPerCoreSecond: evaluations / cpu,
      latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), count: latencies.length },
      stagesMs: stages(sampled, jobTimes.times),
      pairs,
    };
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    await writer.disconnect().catch(() => {});
    await stopChild(producer);
    await broker.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** p50/p99 of each stage over the sampled triggers whose job times were seen. */
function stages(
  sampled: Map<string, { timeMs: number; arrivedMs: number }>,
  jobTimes: Map<string, JobTimes>,
): AlertRulesBenchResult['stagesMs'] {
  const spans: Record<string, number[]> = {
    'tick → job read': [],
    'read → fired': [],
    'fired → sink': [],
    'sink → client': [],
  };
  for (const [id, { timeMs, arrivedMs }] of sampled) {
    const job = jobTimes.get(id);
    if (job === undefined || Number.isNaN(job.jobRead)) continue;
    spans['tick → job read']?.push(job.jobRead - timeMs);
    spans['read → fired']?.push(job.fired - job.jobRead);
    spans['fired → sink']?.push(job.sinkSent - job.fired);
    spans['sink → client']?.push(arrivedMs - job.sinkSent);
  }
  return Object.entries(spans).map(([name, values]) => ({
    name,
    p50: percentile(values, 50),
    p99: percentile(values, 99),
    count: values.length,
  }));
}

/** The watcher's WebSocket: calls `onTrigger` with each AlertTriggered's id and tick time, once its alert list arrived. */
async function watch(port: number, onTrigger: (id: string, timeMs: number) => void): Promise<WebSocket> {
  const token = await createToken({ secret: SECRET, user: WATCHER, role: 'trader', ttlSeconds: 3600 });
  const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers: { Authorization: `Bearer ${token}` } });
  let listed = false;
  socket.on('message', (data: Buffer) => {
    const message = decodeServerFrame(new Uint8Array(data), frameOptions);
    if (message.type === 'alerts') listed = true;
    if (message.type === 'alert-triggered') onTrigger(message.id, message.timeMs);
  });
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  socket.send(encodeClientFrame({ type: 'alert-list', requestId: 1 }, frameOptions));
  for (const started = Date.now(); !listed; await sleep(10))
    if (Date.now() - started > 30_000) throw new Error('the edge never answered the watcher’s alert list');
  return socket;
}

export function formatAlertRulesBench(result: AlertRulesBenchResult): string {
  const pairs = result.pairs
    .map((pair) => `${pair.rules.cpuMsPer1000Ticks.toFixed(1)}/${pair.none.cpuMsPer1000Ticks.toFixed(1)}`)
    .join(', ');
  return [
    `alert rules in the Flink job, ${result.ticksPerSecond.toLocaleString('en-US')} ticks/s over ${result.symbols.toLocaleString('en-US')} symbols, ${result.pairs.length} interleaved pairs (rules/none CPU-ms per 1,000 ticks: ${pairs}):`,
    `  no rules: ${result.cpuMsPer1000TicksNone.toFixed(1)} job CPU-ms per 1,000 ticks (median)`,
    `  ${result.ruleCount.toLocaleString('en-US')} rules: ${result.cpuMsPer1000TicksRules.toFixed(1)} job CPU-ms per 1,000 ticks (median); ${(result.extraCpuShare * 100).toFixed(1)} % more (median of the pairs; floor ≤ 10 %)`,
    `  ${Math.round(result.evaluationsPerCoreSecond).toLocaleString('en-US')} rule evaluations per job CPU-second`,
    `  tick → trigger at the user's WebSocket: p50 ${result.latencyMs.p50.toFixed(0)} ms, p99 ${result.latencyMs.p99.toFixed(0)} ms (${result.latencyMs.count} triggers; target p99 ≤ 250 ms)`,
    `  by stage (p50/p99 ms): ${result.stagesMs.map((stage) => `${stage.name} ${stage.p50.toFixed(0)}/${stage.p99.toFixed(0)}`).join(', ')} (${result.stagesMs[0]?.count ?? 0} triggers with the job's times)`,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // node bench/dist/alert-rules.js [--quick]
  const result = await runAlertRulesBench({
    quick: process.argv.includes('--quick'),
    progress: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${formatAlertRulesBench(result)}\n`);
}
