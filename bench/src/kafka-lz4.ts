import { pathToFileURL } from 'node:url';
import { TickEncoder } from '@tickstream/schemas';
import { decompressKafkaLz4 } from '@tickstream/schemas/kafka-fetch';
import { compressFrameSync, decompressFrameSync } from 'lz4-napi';
import { median } from './stats.js';

/**
 * Kafka lz4 record batches decoded by lz4-napi's decompressFrameSync and by the edge's own
 * TypeScript decoder (schemas/src/kafka-lz4-frame.ts), in CPU µs per batch, interleaved in one run:
 *   node bench/dist/kafka-lz4.js [runs]
 * A batch here is N encoded ticks back to back (what a record batch's records hold, less the
 * record headers), lz4-framed as the producer frames them: 10 ticks is a live topic's typical
 * batch at a few thousand ticks/s, 1,000 a bulk history load's.
 */
function batchOf(ticks: number): Buffer {
  const encoder = new TickEncoder();
  const parts: Uint8Array[] = [];
  for (let i = 0; i < ticks; i++) {
    const price = 1_500_000 + ((i * 7919) % 20_000);
    parts.push(
      encoder.encode({
        symbol: `SYM${i % 500}`,
        sector: 'Technology',
        price,
        size: 100 * (1 + (i % 5)),
        bid: price - 100,
        ask: price + 100,
        exchangeTimeUs: 1_765_000_000_000_000 + i * 200,
        sequence: i,
      }),
    );
  }
  return compressFrameSync(Buffer.concat(parts));
}

/** CPU µs of this process per call (not wall time: the machine may be shared, the CPU is still ours). */
function microsPerCall(decode: (frame: Buffer) => unknown, frame: Buffer): number {
  const calls = Math.max(500, Math.round(20_000_000 / frame.length));
  for (let i = 0; i < 200; i++) decode(frame); // warm
  const before = process.cpuUsage();
  for (let i = 0; i < calls; i++) decode(frame);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / calls;
}

export function runKafkaLz4Bench(
  runs: number,
): { ticks: number; frameBytes: number; napiUs: number; typescriptUs: number }[] {
  return [10, 100, 1000].map((ticks) => {
    const frame = batchOf(ticks);
    const napi: number[] = [];
    const typescript: number[] = [];
    for (let run = 0; run < runs; run++) {
      napi.push(microsPerCall(decompressFrameSync, frame));
      typescript.push(microsPerCall(decompressKafkaLz4, frame));
    }
    return { ticks, frameBytes: frame.length, napiUs: median(napi), typescriptUs: median(typescript) };
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const runs = Number(process.argv[2] ?? '5');
  process.stdout.write(`Kafka lz4 batch decode, CPU µs per batch, medians of ${runs} interleaved runs:\n`);
  for (const row of runKafkaLz4Bench(runs))
    process.stdout.write(
      `  ${String(row.ticks).padStart(5)} ticks (${row.frameBytes} B framed): lz4-napi ${row.napiUs.toFixed(2)} µs, TypeScript ${row.typescriptUs.toFixed(2)} µs (${(row.napiUs / row.typescriptUs).toFixed(1)}×)\n`,
    );
}
