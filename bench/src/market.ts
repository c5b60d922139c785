import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import {
  buildUniverse,
  encodeRecordKey,
  partitionForKey,
  RealClock,
  RecordBatchBuilder,
  ShardGenerator,
} from '@tickstream/producer';
import { TickEncoder, TickWriter } from '@tickstream/schemas';
import { median } from './stats.js';

/**
 * What one producer thread can generate before Kafka: the market model alone, the model with
 * each tick encoded by the flatbuffers library (TickEncoder), and with each tick written by the
 * producer's fixed-layout TickWriter into one buffer (1,000 symbols, one shard, medians of `runs`,
 * the three interleaved within each run).
 */
export function runMarketBench(
  runs = 5,
  ticks = 1_000_000,
): { modelTicksPerSecond: number; encodedTicksPerSecond: number; writtenTicksPerSecond: number } {
  const universe = buildUniverse({ symbols: null, symbolCount: 1000, seed: 1 });
  const generator = new ShardGenerator({
    universe,
    shard: 0,
    shardCount: 1,
    seed: 1,
    volatility: null,
    scenario: 'normal',
    clock: new RealClock(),
  });
  const encoder = new TickEncoder();
  const writer = new TickWriter(generator.symbolNames, generator.sectors);
  const out = new Uint8Array(1 << 20);
  let at = 0;
  let bytes = 0;
  const rate = (emit: (symbolIndex: number) => void): number => {
    const started = performance.now();
    for (let made = 0; made < ticks; ) made += generator.fill(2000, emit);
    return ticks / ((performance.now() - started) / 1000);
  };
  const model: number[] = [];
  const encoded: number[] = [];
  const written: number[] = [];
  for (let run = 0; run < runs; run++) {
    model.push(rate(() => {}));
    encoded.push(
      rate(() => {
        bytes += encoder.encodeView(generator.tick).length;
      }),
    );
    written.push(
      rate((index) => {
        if (at + writer.maxBytes(index) > out.length) at = 0;
        at = writer.write(index, generator.tick, out, at);
      }),
    );
  }
  if (bytes === 0 || at === 0) throw new Error('nothing was encoded');
  return {
    modelTicksPerSecond: median(model),
    encodedTicksPerSecond: median(encoded),
    writtenTicksPerSecond: median(written),
  };
}

/**
 * A `--writer workers` worker's own CPU per tick without Kafka: one shard of two over 1,000
 * symbols, each tick appended to its partition's record batch (6 partitions, TickWriter), a
 * partition's batch sealed (lz4 frame, CRC-32C) every 350 of its ticks, about
 * what one Produce round trip collects at --rate max. Thread CPU time (process.cpuUsage), so a
 * loaded machine stretches the wall time but hardly the figure; also the bytes per tick before and
 * after lz4.
 */
export function runRecordBatchBench(ticks = 1_000_000): {
  cpuMicrosPerTick: number;
  rawBytes: number;
  wireBytes: number;
} {
  const universe = buildUniverse({ symbols: null, symbolCount: 1000, seed: 1 });
  const generator = new ShardGenerator({
    universe,
    shard: 0,
    shardCount: 2,
    seed: 1,
    volatility: null,
    scenario: 'normal',
    clock: new RealClock(),
  });
  const writer = new TickWriter(generator.symbolNames, generator.sectors);
  const keys = generator.symbolNames.map((name) => encodeRecordKey(Buffer.from(name)));
  const partitions = Int32Array.from(generator.symbolNames, (name) => partitionForKey(Buffer.from(name), 6));
  const builders = Array.from({ length: 6 }, () => new RecordBatchBuilder());
  let raw = 0;
  let wire = 0;
  const emit = (index: number): void => {
    (builders[partitions[index] as number] as RecordBatchBuilder).appendTick(
      keys[index] as Uint8Array,
      writer,
      index,
      generator.tick,
      1_795_000_000_000,
    );
  };
  const run = (count: number): void => {
    for (let made = 0; made < count; ) {
      made += generator.fill(2000, emit);
      for (const builder of builders) {
        if (builder.recordCount < 350) continue;
        raw += builder.recordBytes;
        wire += builder.seal().bytes.length;
      }
    }
  };
  run(200_000); // warm-up
  raw = 0;
  wire = 0;
  const before = process.cpuUsage();
  run(ticks);
  const used = process.cpuUsage(before);
  return { cpuMicrosPerTick: (used.user + used.system) / ticks, rawBytes: raw / ticks, wireBytes: wire / ticks };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = runMarketBench(Number(process.argv[2] ?? 5));
  const batches = runRecordBatchBench();
  process.stdout.write(
    `into record batches (a --writer workers worker without Kafka): ${batches.cpuMicrosPerTick.toFixed(2)} µs of CPU per tick; ` +
      `${batches.rawBytes.toFixed(1)} B per tick in records, ${batches.wireBytes.toFixed(1)} B in lz4 batches\n`,
  );
  process.stdout.write(
    `market model: ${(result.modelTicksPerSecond / 1e6).toFixed(2)} M ticks/s; ` +
      `with the flatbuffers library's encoding: ${(result.encodedTicksPerSecond / 1e6).toFixed(2)} M ticks/s; ` +
      `with TickWriter's: ${(result.writtenTicksPerSecond / 1e6).toFixed(2)} M ticks/s (one thread, medians)\n`,
  );
}
