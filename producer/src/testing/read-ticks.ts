import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { decodeTick } from '@tickstream/schemas';
import { kafkaLz4Codec } from '@tickstream/schemas/lz4-node';
import { CompressionCodecs, CompressionTypes, Kafka, logLevel } from 'kafkajs';

CompressionCodecs[CompressionTypes.LZ4] = kafkaLz4Codec;

export const cliBin = fileURLToPath(new URL('../../../cli/bin/tickstream.js', import.meta.url));

export interface StoredTick {
  partition: number;
  offset: number;
  symbol: string;
  sector: string;
  sequence: number;
  price: number;
  size: number;
  bid: number;
  ask: number;
}

/**
 * Every tick in `topic`, decoded, read back with kafkajs up to the end offsets of the moment:
 * each offset once (a consumer-group rejoin may deliver a batch again), done when every
 * partition has reached its end.
 */
export async function readAllTicks(brokers: string[], topic: string): Promise<StoredTick[]> {
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const end = new Map(ends.map((p) => [p.partition, Number(p.high)]));
  const next = new Map(ends.map((p) => [p.partition, Number(p.low)]));
  const complete = (): boolean => ends.every((p) => (next.get(p.partition) ?? 0) >= Number(p.high));
  const ticks: StoredTick[] = [];
  if (complete()) return ticks;
  const consumer = kafka.consumer({ groupId: `read-${topic}-${Date.now()}`, maxBytes: 50 << 20 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      const missing = ends.map((p) => `${p.partition}: ${next.get(p.partition)} of ${p.high}`).join(', ');
      reject(new Error(`read ${ticks.length} ticks, partitions not read to their end (${missing})`));
    }, 60_000);
    void consumer.run({
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          const offset = Number(message.offset);
          if (offset < (next.get(batch.partition) ?? 0) || offset >= (end.get(batch.partition) ?? 0)) continue;
          next.set(batch.partition, offset + 1);
          if (message.value === null) continue;
          const tick = decodeTick(message.value);
          ticks.push({
            partition: batch.partition,
            offset,
            symbol: tick.symbol,
            sector: tick.sector,
            sequence: tick.sequence,
            price: tick.price,
            size: tick.size,
            bid: tick.bid,
            ask: tick.ask,
          });
        }
        if (complete()) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return ticks;
}

export interface CliRun {
  code: number | null;
  /** stdout (its JSON log lines) and stderr (a usage error) as they arrived. */
  output: string;
}

/** Runs `tickstream producer …` to the end and returns its exit code and what it printed. */
export function runProducerCli(args: string[], timeoutMs = 90_000): { done: Promise<CliRun>; output: () => string } {
  const child = spawn(process.execPath, [cliBin, 'producer', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const take = (text: string): void => {
    output += text;
  };
  child.stdout.setEncoding('utf8').on('data', take);
  child.stderr.setEncoding('utf8').on('data', take);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<CliRun>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    }),
  );
  return { done, output: () => output };
}

/** The figures of the producer's final summary: the fields of its "producer done" log line. */
export function parseSummary(output: string): { generated: number; acked: number; dropped: number } {
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { msg?: string; generated?: number; acked?: number; dropped?: number };
    if (entry.msg?.startsWith('producer done'))
      return {
        generated: entry.generated ?? Number.NaN,
        acked: entry.acked ?? Number.NaN,
        dropped: entry.dropped ?? Number.NaN,
      };
  }
  return { generated: Number.NaN, acked: Number.NaN, dropped: Number.NaN };
}

/** Checks per symbol: one partition, sequences 1..n in log order, no gap, no repeat. */
export function checkOrderPerSymbol(ticks: StoredTick[]): { symbols: number; problems: string[] } {
  const bySymbol = new Map<string, StoredTick[]>();
  for (const tick of ticks) {
    const list = bySymbol.get(tick.symbol) ?? [];
    list.push(tick);
    bySymbol.set(tick.symbol, list);
  }
  const problems: string[] = [];
  for (const [symbol, list] of bySymbol) {
    const partitions = new Set(list.map((t) => t.partition));
    if (partitions.size !== 1) problems.push(`${symbol} is in partitions ${[...partitions]}`);
    list.sort((a, b) => a.offset - b.offset);
    list.forEach((tick, i) => {
      if (tick.sequence !== i + 1 && problems.length < 10) {
        problems.push(`${symbol} has sequence ${tick.sequence} at position ${i + 1}`);
      }
    });
  }
  return { symbols: bySymbol.size, problems };
}
