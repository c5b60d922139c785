import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { buildUniverse, RealClock, ShardGenerator } from '@tickstream/producer';
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

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = runMarketBench(Number(process.argv[2] ?? 5));
  process.stdout.write(
    `market model: ${(result.modelTicksPerSecond / 1e6).toFixed(2)} M ticks/s; ` +
      `with the flatbuffers library's encoding: ${(result.encodedTicksPerSecond / 1e6).toFixed(2)} M ticks/s; ` +
      `with TickWriter's: ${(result.writtenTicksPerSecond / 1e6).toFixed(2)} M ticks/s (one thread, medians)\n`,
  );
}
