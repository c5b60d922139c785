import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { buildUniverse, RealClock, ShardGenerator } from '@tickstream/producer';
import { TickEncoder } from '@tickstream/schemas';
import { median } from './stats.js';

/**
 * What one producer thread can generate before Kafka: the market model alone, and the model
 * with FlatBuffers encoding of every tick (1,000 symbols, one shard, medians of `runs`).
 */
export function runMarketBench(
  runs = 5,
  ticks = 1_000_000,
): { modelTicksPerSecond: number; encodedTicksPerSecond: number } {
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
  let bytes = 0;
  const rate = (emit: () => void): number => {
    const started = performance.now();
    for (let made = 0; made < ticks; ) made += generator.fill(2000, emit);
    return ticks / ((performance.now() - started) / 1000);
  };
  const model: number[] = [];
  const encoded: number[] = [];
  for (let run = 0; run < runs; run++) {
    model.push(rate(() => {}));
    encoded.push(
      rate(() => {
        bytes += encoder.encodeView(generator.tick).length;
      }),
    );
  }
  if (bytes === 0) throw new Error('nothing was encoded');
  return { modelTicksPerSecond: median(model), encodedTicksPerSecond: median(encoded) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = runMarketBench(Number(process.argv[2] ?? 5));
  process.stdout.write(
    `market model: ${(result.modelTicksPerSecond / 1e6).toFixed(2)} M ticks/s; ` +
      `with FlatBuffers encoding: ${(result.encodedTicksPerSecond / 1e6).toFixed(2)} M ticks/s (one thread, medians)\n`,
  );
}
