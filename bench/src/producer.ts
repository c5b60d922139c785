import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { WRITERS, type WriterKind } from '@tickstream/producer';
import { cli, cpuSeconds, endOffsetTotal, rssMb, startBrokerProcess } from './processes.js';
import { median } from './stats.js';

/**
 * Producer benchmark: `tickstream producer --rate max` into the embedded broker, each in its own
 * process as users run them, for 1, 2 and 4 workers and every writer: the workers' own record
 * batches (`workers`), kafkajs in the workers (`kafkajs-workers`, the writer it replaced) and
 * kafkajs on the main thread (`main`). Ticks are counted from the topic's end offsets, not from
 * the producer's own counter.
 */
export interface ProducerBenchRow {
  workers: number;
  writer: WriterKind;
  ticksPerSecond: number;
  runs: number[];
  /** CPU seconds per wall second of the producer and of the broker (2.0 = both cores). */
  producerCores: number;
  brokerCores: number;
  producerMaxRssMb: number;
}

export interface ProducerBenchResult {
  machine: { cpus: number; model: string; memoryGb: number; node: string };
  secondsPerRun: number;
  symbolCount: number;
  rows: ProducerBenchRow[];
}

export interface ProducerRunFigures {
  ticksPerSecond: number;
  producerCores: number;
  brokerCores: number;
  maxRssMb: number;
}

/**
 * One `tickstream producer` run into `topic` on `bootstrap`: ticks/s stored over a `seconds` window in
 * the middle of the run (end offsets), its CPU and the broker's (`brokerPid`).
 */
export async function measureProducerRun(
  bootstrap: string,
  brokerPid: number,
  topic: string,
  workers: number,
  writer: WriterKind,
  seconds: number,
  symbolCount: number,
  rate: number | 'max' = 'max',
): Promise<ProducerRunFigures> {
  const args = [cli, 'producer', '--brokers', bootstrap, '--topic', topic, '--events-topic', `${topic}-events`];
  args.push('--rate', String(rate), '--workers', String(workers), '--writer', writer);
  args.push('--symbol-count', String(symbolCount), '--duration', `${seconds + 2}s`);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  // Its log is on stdout (JSON lines), a usage error on stderr.
  let output = '';
  const keep = (chunk: Buffer): void => {
    output += chunk.toString();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const pid = child.pid ?? 0;
  // Measure a window in the middle: after start-up, before the final flush.
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  while (!output.includes('producing')) {
    if (child.exitCode !== null) throw new Error(`producer exited early: ${output}`);
    await sleep(50);
  }
  await sleep(1000);
  const startOffsets = await endOffsetTotal(bootstrap, topic);
  const startWall = Date.now();
  const startCpu = cpuSeconds(pid);
  const startBrokerCpu = cpuSeconds(brokerPid);
  let maxRssMb = 0;
  while (Date.now() - startWall < seconds * 1000) {
    maxRssMb = Math.max(maxRssMb, rssMb(pid));
    await sleep(250);
  }
  const endOffsets = await endOffsetTotal(bootstrap, topic);
  const wall = (Date.now() - startWall) / 1000;
  const figures = {
    ticksPerSecond: (endOffsets - startOffsets) / wall,
    producerCores: (cpuSeconds(pid) - startCpu) / wall,
    brokerCores: (cpuSeconds(brokerPid) - startBrokerCpu) / wall,
    maxRssMb,
  };
  await new Promise((resolve) => child.once('exit', resolve));
  if (child.exitCode !== 0) throw new Error(`producer failed: ${output.slice(-500)}`);
  return figures;
}

export async function runProducerBench(
  options: {
    runs?: number;
    seconds?: number;
    workers?: number[];
    writers?: readonly WriterKind[];
    symbolCount?: number;
    progress?: (line: string) => void;
  } = {},
): Promise<ProducerBenchResult> {
  const runs = options.runs ?? 5;
  const seconds = options.seconds ?? 6;
  const symbolCount = options.symbolCount ?? 1000;
  const progress = options.progress ?? (() => {});
  const dataDir = mkdtempSync(join(tmpdir(), 'tickstream-bench-producer-'));
  const broker = await startBrokerProcess(dataDir);
  const bootstrap = broker.bootstrap;
  const rows: ProducerBenchRow[] = [];
  try {
    for (const writer of options.writers ?? WRITERS) {
      for (const workers of options.workers ?? [1, 2, 4]) {
        const results: ProducerRunFigures[] = [];
        for (let run = 0; run < runs; run++) {
          progress(`producer: writer=${writer} workers=${workers} run ${run + 1}/${runs}`);
          const topic = `bench-${writer}-${workers}-${run}-${Date.now()}`;
          results.push(await measureProducerRun(bootstrap, broker.pid, topic, workers, writer, seconds, symbolCount));
        }
        rows.push({
          workers,
          writer,
          ticksPerSecond: median(results.map((r) => r.ticksPerSecond)),
          runs: results.map((r) => Math.round(r.ticksPerSecond)),
          producerCores: median(results.map((r) => r.producerCores)),
          brokerCores: median(results.map((r) => r.brokerCores)),
          producerMaxRssMb: median(results.map((r) => r.maxRssMb)),
        });
      }
    }
  } finally {
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return {
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model ?? '?',
      memoryGb: Math.round(totalmem() / 1e9),
      node: process.version,
    },
    secondsPerRun: seconds,
    symbolCount,
    rows,
  };
}

export function formatProducerBench(result: ProducerBenchResult): string {
  const lines = [
    `producer → embedded broker, --rate max, ${result.symbolCount} symbols, ${result.secondsPerRun} s windows, medians (counted from end offsets)`,
    'writer           workers   ticks/s    runs                                   producer cores  broker cores  producer RSS',
  ];
  for (const row of result.rows) {
    lines.push(
      `${row.writer.padEnd(16)} ${String(row.workers).padStart(7)}   ${Math.round(row.ticksPerSecond).toLocaleString('en-US').padStart(8)}   ${row.runs.join(', ').padEnd(38)} ${row.producerCores.toFixed(2).padStart(14)}  ${row.brokerCores.toFixed(2).padStart(12)}  ${row.producerMaxRssMb.toFixed(0).padStart(8)} MB`,
    );
  }
  return lines.join('\n');
}

/**
 * How closely a set `--rate` is held: ticks stored per second over a 10 s window (end offsets),
 * against the target, medians of `runs`.
 */
export async function runRateAccuracy(
  runs = 3,
  target = 20_000,
): Promise<{ target: number; ticksPerSecond: number; errorPercent: number; runs: number[] }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tickstream-bench-rate-'));
  const broker = await startBrokerProcess(dataDir);
  const rates: number[] = [];
  try {
    for (let run = 0; run < runs; run++) {
      const topic = `bench-rate-${run}-${Date.now()}`;
      rates.push(
        (await measureProducerRun(broker.bootstrap, broker.pid, topic, 2, 'workers', 10, 500, target)).ticksPerSecond,
      );
    }
  } finally {
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const ticksPerSecond = median(rates);
  return {
    target,
    ticksPerSecond,
    errorPercent: ((ticksPerSecond - target) / target) * 100,
    runs: rates.map(Math.round),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv[2] === 'rate') {
    const result = await runRateAccuracy(Number(process.argv[3] ?? 3));
    process.stdout.write(
      `--rate ${result.target}: ${Math.round(result.ticksPerSecond)} ticks/s stored over 10 s ` +
        `(${result.errorPercent.toFixed(2)} %), runs ${result.runs.join(', ')}\n`,
    );
  } else {
    // node bench/dist/producer.js [runs] [writer,writer…] [workers,workers…]
    const runs = Number(process.argv[2] ?? 5);
    const writers = process.argv[3]?.split(',').filter((w): w is WriterKind => WRITERS.some((known) => known === w));
    const workers = process.argv[4]?.split(',').map(Number);
    const result = await runProducerBench({
      runs,
      ...(writers?.length ? { writers } : {}),
      ...(workers?.length ? { workers } : {}),
      progress: (line) => process.stderr.write(`${line}\n`),
    });
    process.stdout.write(`${formatProducerBench(result)}\n`);
  }
}
