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
    // Every shard plays the scenario; only shard 0 reports it, and the session (closed at 03:00 ET) first.
    expect(events[0]?.map((e) => e.kind).slice(0, 5)).toEqual([
      'session-change',
      'scenario-start',
      'halt',
      'resume',
      'scenario-end',
    ]);
    expect(events[0]?.[0]).toMatchObject({ name: 'closed', symbol: '', timeMs: T0 + 1000 });
    expect(events[1]).toEqual([]);
    expect(events[2]).toEqual([]);
    expect(shards[1]?.symbolNames).toEqual(universe.names);
  });

  it('announces the session as its clock crosses the open, from shard 0 only', () => {
    const universe = buildUniverse({ symbolCount: 6, seed: 2 });
    // 09:29 exchange time on a Monday (14:29 UTC); the sim clock runs 60× wall time.
    const start = Date.UTC(2026, 10, 23, 14, 29);
    let wall = 0;
    const clock = new SimClock(60, start, () => wall, 0);
    const shards = [0, 1].map(
      (shard) =>
        new ShardGenerator({ universe, shard, shardCount: 2, seed: 2, volatility: null, scenario: 'normal', clock }),
    );
    const events: MarketEventOut[][] = [[], []];
    for (let k = 0; k <= 4; k++) {
      wall = k * 500; // 30 s of market time a call
      for (const [shard, generator] of shards.entries()) {
        generator.fill(10, () => {});
        events[shard]?.push(...generator.drainEvents());
      }
    }
    expect(events[0]).toEqual([
      {
        kind: 'session-change',
        symbol: '',
        sector: '',
        name: 'pre-market',
        detail: 'pre-market since Mon 04:00 ET, until Mon 09:30 ET',
        timeMs: start,
      },
      {
        kind: 'session-change',
        symbol: '',
        sector: '',
        name: 'regular',
        detail: 'regular since Mon 09:30 ET, until Mon 16:00 ET',
        timeMs: start + 60_000,
      },
    ]);
    expect(events[1]).toEqual([]);
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
