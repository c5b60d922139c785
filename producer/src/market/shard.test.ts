import { describe, expect, it } from 'vitest';
import type { MarketEventOut } from './scenarios.js';
import { SimClock } from './session.js';
import { ShardGenerator } from './shard.js';
import { buildUniverse } from './universe.js';

const T0 = 1_800_000_000_000;

describe('ShardGenerator', () => {
  it('splits the universe between shards and writes ticks in the Kafka record’s shape', () => {
    const universe = buildUniverse({ symbolCount: 30, seed: 4 });
    let wall = 0;
    const clock = new SimClock(10, T0, () => wall, 0);
    const shards = [0, 1, 2].map(
      (shard) =>
        new ShardGenerator({ universe, shard, shardCount: 3, seed: 4, volatility: null, scenario: 'halt', clock }),
    );
    const owners = new Map<string, number>();
    const events: MarketEventOut[][] = [[], [], []];
    for (let k = 1; k <= 300; k++) {
      wall = k * 100; // 1 s of market time a call
      for (const [shard, generator] of shards.entries()) {
        generator.fill(200, (symbolIndex) => {
          const { tick } = generator;
          const valid =
            tick.symbol === universe.names[symbolIndex] &&
            tick.sector === universe.sectors[symbolIndex] &&
            tick.exchangeTimeUs > (T0 + (k - 1) * 1000) * 1000 &&
            tick.exchangeTimeUs <= (T0 + k * 1000) * 1000 &&
            tick.bid < tick.price &&
            tick.price < tick.ask &&
            (owners.get(tick.symbol) ?? shard) === shard;
          if (!valid) throw new Error(`shard ${shard}, call ${k}: ${JSON.stringify(tick)} for symbol ${symbolIndex}`);
          owners.set(tick.symbol, shard);
        });
        events[shard]?.push(...generator.drainEvents());
      }
    }
    expect(owners.size).toBe(30);
    for (const [name, shard] of owners) expect(universe.names.indexOf(name) % 3).toBe(shard);
    // Every shard plays the scenario; only shard 0 reports it.
    expect(events[0]?.map((e) => e.kind).slice(0, 4)).toEqual(['scenario-start', 'halt', 'resume', 'scenario-end']);
    expect(events[1]).toEqual([]);
    expect(events[2]).toEqual([]);
    expect(shards[1]?.symbolNames).toEqual(universe.names);
  });

  it('refuses a shard outside its count', () => {
    const universe = buildUniverse({ symbolCount: 3, seed: 1 });
    const clock = { nowMs: () => T0 };
    expect(
      () =>
        new ShardGenerator({ universe, shard: 2, shardCount: 2, seed: 1, volatility: null, scenario: 'normal', clock }),
    ).toThrow(new RangeError('shard must be an integer from 0 to shardCount − 1, got shard 2 of 2'));
  });
});
