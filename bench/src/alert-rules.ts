import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildUniverse, defaultProducerOptions } from '@tickstream/producer';
import { type AlertKindName, type AlertRuleFields, encodeAlertRule } from '@tickstream/schemas';
import kafkajs from 'kafkajs';
import { metricSum, scrape, startJob, ticksRead, topicsFor } from './analytics.js';
import { cpuSeconds, spawnCli, startBrokerProcess, stopChild } from './processes.js';
import { median } from './stats.js';

const { Kafka, logLevel } = kafkajs;

/**
 * What alert rules cost the Flink job (issue 20: "10,000 active rules cost ≤ 10 % more job CPU
 * than none", and rules evaluated per second per core). One producer writes 20,000 ticks/s over
 * 1,000 symbols into the embedded broker; jobs follow it one after another, alternately with an
 * empty `alerts` topic and with one holding 10,000 rules (10 per symbol). Per symbol, one
 * `price-above 0` rule fires at once (its 1,000 triggers prove every symbol's rules are loaded
 * before measuring); the other nine are price, change, volume and relative-volume rules the
 * market never reaches, so what is measured is evaluating rules on every tick, not writing
 * triggers. Compared: the job's CPU per tick read (from /proc, between two reads of its
 * source's counter), since the rate a loaded machine reaches differs between runs. Fixed costs
 * (checkpoints, timers) make CPU per tick fall a little as the rate rises, so the runs alternate
 * (none, rules, rules, none) and each run's rate is printed beside it.
 */
export interface AlertRulesBenchResult {
  ticksPerSecond: number;
  ruleCount: number;
  symbols: number;
  /** Job CPU-µs per tick read: median over the runs without rules, and with them. */
  cpuUsPerTickNone: number;
  cpuUsPerTickRules: number;
  /** cpuUsPerTickRules / cpuUsPerTickNone − 1: the floor is ≤ 0.10. */
  extraCpuShare: number;
  /** Rule evaluations (ticks × rules of the tick's symbol) per job CPU-second, in the runs with rules. */
  evaluationsPerCoreSecond: number;
  runs: { rules: number; ticks: number; cpuSeconds: number; cpuUsPerTick: number }[];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const SYMBOLS = 1000;
const RULES_PER_SYMBOL = 10;
const RATE = 20_000;
const TRIGGERS_METRIC = 'flink_taskmanager_job_task_operator_alert_triggers';

/** The nine rules of a symbol the generated market never meets, after the one that fires at once. */
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

function rulesFor(symbols: readonly string[], now: number): AlertRuleFields[] {
  const rules: AlertRuleFields[] = [];
  symbols.forEach((symbol, s) => {
    const kinds = [{ kind: 'price-above' as AlertKindName, value: 0, windowMs: 0 }, ...QUIET_RULES];
    kinds.forEach(({ kind, value, windowMs }, k) => {
      const n = s * RULES_PER_SYMBOL + k;
      rules.push({
        id: `r${n.toString(16).padStart(15, '0')}`,
        user: `user${n % 100}`,
        symbol,
        kind,
        value,
        windowMs,
        repeat: false,
        cooldownMs: 0,
        expiresAtMs: 0,
        createdAtMs: now,
        armedAtMs: now,
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
  // JIT warm-up, then the measured stretch; quick (CI's smoke run) only proves it works.
  const warmMs = quick ? 6_000 : 45_000;
  const measureMs = quick ? 4_000 : 20_000;
  const order = quick ? [0, 1] : [0, 1, 1, 0];
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
  try {
    const rules = rulesFor(symbols, Date.now());
    const writer = kafka.producer();
    await writer.connect();
    for (let start = 0; start < rules.length; start += 1000)
      await writer.send({
        topic: `${name}-rules`,
        messages: rules.slice(start, start + 1000).map((rule) => ({
          key: `${rule.user}/${rule.id}`,
          value: Buffer.from(encodeAlertRule(rule)),
        })),
      });
    await writer.disconnect();
    progress(`${rules.length} rules written over ${SYMBOLS} symbols; ${RATE} ticks/s`);

    const runs: AlertRulesBenchResult['runs'] = [];
    for (const [i, withRules] of order.entries()) {
      const run = `${name}-run${i}`;
      const topics = { ...topicsFor(run), ticks: name, alerts: withRules ? `${name}-rules` : `${run}-no-rules` };
      const job = await startJob(broker.bootstrap, topics, join(scratch, run), run, { backfillMs: 0 });
      try {
        await sleep(warmMs);
        if (withRules) {
          // Every symbol's firing rule has fired: all 10,000 rules are in the job's state.
          const deadline = Date.now() + 60_000;
          while (metricSum(await scrape(job.metricsPort), TRIGGERS_METRIC) < SYMBOLS) {
            if (Date.now() > deadline) throw new Error(`fewer than ${SYMBOLS} triggers a minute after warm-up`);
            await sleep(500);
          }
        }
        const cpu0 = cpuSeconds(job.job.pid);
        const read0 = await ticksRead(job.metricsPort);
        await sleep(measureMs);
        const cpu = cpuSeconds(job.job.pid) - cpu0;
        const ticks = (await ticksRead(job.metricsPort)) - read0;
        const rulesLoaded = withRules ? rules.length : 0;
        runs.push({ rules: rulesLoaded, ticks, cpuSeconds: cpu, cpuUsPerTick: (cpu / ticks) * 1e6 });
        progress(
          `${rulesLoaded} rules: ${Math.round(ticks / (measureMs / 1000))} ticks/s, ${((cpu / ticks) * 1e6).toFixed(2)} job CPU-µs per tick`,
        );
      } finally {
        await job.job.kill();
      }
    }
    const none = runs.filter((run) => run.rules === 0);
    const withRules = runs.filter((run) => run.rules > 0);
    const cpuUsPerTickNone = median(none.map((run) => run.cpuUsPerTick));
    const cpuUsPerTickRules = median(withRules.map((run) => run.cpuUsPerTick));
    const evaluations = withRules.reduce((sum, run) => sum + run.ticks * RULES_PER_SYMBOL, 0);
    const cpu = withRules.reduce((sum, run) => sum + run.cpuSeconds, 0);
    return {
      ticksPerSecond: RATE,
      ruleCount: rules.length,
      symbols: SYMBOLS,
      cpuUsPerTickNone,
      cpuUsPerTickRules,
      extraCpuShare: cpuUsPerTickRules / cpuUsPerTickNone - 1,
      evaluationsPerCoreSecond: evaluations / cpu,
      runs,
    };
  } finally {
    await stopChild(producer);
    await broker.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

export function formatAlertRulesBench(result: AlertRulesBenchResult): string {
  return [
    `alert rules in the Flink job, ${result.ticksPerSecond.toLocaleString('en-US')} ticks/s over ${result.symbols.toLocaleString('en-US')} symbols:`,
    `  no rules: ${result.cpuUsPerTickNone.toFixed(2)} job CPU-µs per tick`,
    `  ${result.ruleCount.toLocaleString('en-US')} rules: ${result.cpuUsPerTickRules.toFixed(2)} job CPU-µs per tick (${(result.extraCpuShare * 100).toFixed(1)} % more; floor ≤ 10 %)`,
    `  ${Math.round(result.evaluationsPerCoreSecond).toLocaleString('en-US')} rule evaluations per job CPU-second`,
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
