import { performance } from 'node:perf_hooks';
import { TickEncoder } from '@tickstream/schemas';
import { buildUniverse, ShardGenerator, RealClock } from './producer/dist/market/index.js';
const universe = buildUniverse({ symbols: null, symbolCount: 1000, seed: 1 });
const gen = new ShardGenerator({ universe, shard: 0, shardCount: 1, seed: 1, volatility: null, scenario: 'normal', clock: new RealClock() });
const enc = new TickEncoder();
let bytes = 0;
for (let round = 0; round < 3; round++) {
  const t = performance.now(); let n = 0;
  while (n < 1_000_000) n += gen.fill(2000, () => { bytes += enc.encodeView(gen.tick).length; });
  const s = (performance.now() - t) / 1000;
  console.log(`model+encode: ${(n / s / 1e6).toFixed(2)} M ticks/s (${(s * 1e6 / n).toFixed(2)} µs/tick)`);
  const t2 = performance.now(); let m = 0;
  while (m < 1_000_000) m += gen.fill(2000, () => {});
  const s2 = (performance.now() - t2) / 1000;
  console.log(`model only: ${(m / s2 / 1e6).toFixed(2)} M ticks/s`);
}
