import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEFAULT_BARS_KEPT } from '@tickstream/edge';
import { AnalyticsEncoder, BAR_TIMEFRAME_US, type BarTimeframe } from '@tickstream/schemas';
import kafkajs from 'kafkajs';
import { cpuSeconds, freePort, recentOutput, rssMb, spawnCli, startBrokerProcess, stopChild } from './processes.js';

const { Kafka, logLevel } = kafkajs;

/**
 * How fast an edge loads its history from the analytics job's `candles` topic: `days` of bars
 * of `symbols` symbols in every timeframe (as deep as the edge keeps each: 15 min of 1s, a day of
 * 1m, …), written into a fresh embedded broker the way the job writes them (CandleBar, partition
 * = timeframe, timestamp = bar start), then a `tickstream edge --history 0` spawned and timed to
 * "loaded N bars from 'candles' in X s". No ticks: the figure is the candles load alone.
 */
export interface CandleLoadResult {
  days: number;
  symbols: number;
  /** Bars written; `bars` of them were within what the edge keeps when it started, and loaded. */
  written: number;
  bars: number;
  loadSeconds: number;
  barsPerSecond: number;
  /** Spawned → serving clients (Kafka planning included). */
  readySeconds: number;
  /** The edge's CPU time by then (start-up included): on a busy machine wall time says little. */
  cpuSeconds: number;
  rssMb: number;
}

/** The bars of one timeframe the edge will load: `days` of them, at most as many as it keeps. */
function barsPerSymbol(timeframe: number, days: number): number {
  const perDay = 86_400_000_000 / BAR_TIMEFRAME_US[timeframe as BarTimeframe];
  return Math.min(Math.ceil(perDay * days), DEFAULT_BARS_KEPT[timeframe] as number);
}

async function fill(bootstrap: string, topic: string, days: number, symbols: number): Promise<number> {
  const kafka = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 7 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const encoder = new AnalyticsEncoder();
  const nowUs = Date.now() * 1000;
  let written = 0;
  for (let timeframe = 0; timeframe < 7; timeframe++) {
    const length = BAR_TIMEFRAME_US[timeframe as BarTimeframe];
    const count = barsPerSymbol(timeframe, days);
    const lastStart = Math.floor(nowUs / length) * length - length;
    let messages: kafkajs.Message[] = [];
    // Oldest first, all symbols of a bar time together, as the job's windows close.
    for (let i = count - 1; i >= 0; i--) {
      const startTimeUs = lastStart - i * length;
      for (let s = 0; s < symbols; s++) {
        const close = 100_0000 + s * 100 + (i % 50);
        const symbol = `S${s}`;
        messages.push({
          key: symbol,
          partition: timeframe,
          timestamp: String(Math.floor(startTimeUs / 1000)),
          value: Buffer.from(
            encoder.encodeCandleBar({
              symbol,
              sector: `Sector${s % 11}`,
              timeframe: timeframe as BarTimeframe,
              startTimeUs,
              open: close - 10,
              high: close + 20,
              low: close - 20,
              close,
              volume: 1000 + i,
              vwap: close,
              trades: 50,
              sma20: close,
              sma50: close,
              ema20: close,
              ema50: close,
              volatility20: 0.001,
              relativeVolume: 1,
              priceVolumeCorrelation: 0.1,
            }),
          ),
        });
        // ~250 B each: 2,000 stay under the broker's 1 MB batch limit.
        if (messages.length === 2000) {
          await producer.send({ topic, acks: 1, messages });
          written += messages.length;
          messages = [];
        }
      }
    }
    if (messages.length > 0) await producer.send({ topic, acks: 1, messages });
    written += messages.length;
  }
  await producer.disconnect();
  return written;
}

export async function runCandleLoadBench(options: { days: number; symbols: number }): Promise<CandleLoadResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tickstream-candle-load-'));
  const broker = await startBrokerProcess(dataDir);
  try {
    const topic = 'candles';
    const written = await fill(broker.bootstrap, topic, options.days, options.symbols);
    const port = await freePort();
    const started = performance.now();
    const edge = spawnCli(['edge', '--brokers', broker.bootstrap, '--port', String(port), '--history', '0']);
    try {
      const loaded = await new Promise<{ bars: number; seconds: number }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no load in 300 s: ${recentOutput(edge)}`)), 300_000);
        const read = (): void => {
          const match = /loaded ([\d,]+) bars from 'candles' in ([\d.]+) s/.exec(recentOutput(edge));
          if (match === null) return;
          clearTimeout(timer);
          resolve({ bars: Number((match[1] as string).replaceAll(',', '')), seconds: Number(match[2]) });
        };
        edge.stderr?.on('data', read);
        edge.once('exit', (code) => reject(new Error(`the edge exited with ${code}: ${recentOutput(edge)}`)));
      });
      const readySeconds = (performance.now() - started) / 1000;
      const cpu = cpuSeconds(edge.pid ?? 0);
      // Fewer than written when filling took a while: the oldest 1s bars are then older than the
      // 15 minutes the edge reaches back from its own start.
      if (loaded.bars > written || loaded.bars < written * 0.5)
        throw new Error(`the edge loaded ${loaded.bars} bars; ${written} were written`);
      return {
        days: options.days,
        symbols: options.symbols,
        written,
        bars: loaded.bars,
        loadSeconds: loaded.seconds,
        barsPerSecond: loaded.bars / loaded.seconds,
        readySeconds,
        cpuSeconds: cpu,
        rssMb: rssMb(edge.pid ?? 0),
      };
    } finally {
      await stopChild(edge, 'SIGINT');
    }
  } finally {
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export function formatCandleLoadBench(result: CandleLoadResult): string {
  return (
    `candles history: ${result.days} days of ${result.symbols} symbols = ${result.bars.toLocaleString('en-US')} bars ` +
    `loaded in ${result.loadSeconds.toFixed(1)} s (${Math.round(result.barsPerSecond).toLocaleString('en-US')} bars/s), ` +
    `edge ready ${result.readySeconds.toFixed(1)} s after spawn having used ${result.cpuSeconds.toFixed(1)} s of CPU ` +
    `(${Math.round(result.bars / result.cpuSeconds).toLocaleString('en-US')} bars per CPU-second), ${Math.round(result.rssMb)} MB RSS`
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // node bench/dist/candle-load.js [--days N] [--symbols N]
  const args = process.argv.slice(2);
  const value = (flag: string, fallback: number): number => {
    const at = args.indexOf(flag);
    return at < 0 ? fallback : Number(args[at + 1]);
  };
  const result = await runCandleLoadBench({ days: value('--days', 3), symbols: value('--symbols', 500) });
  process.stdout.write(`${formatCandleLoadBench(result)}\n`);
}
