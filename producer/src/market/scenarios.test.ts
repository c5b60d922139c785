import { describe, expect, it } from 'vitest';
import { createTickOut, MarketModel } from './model.js';
import { type MarketEventOut, ScenarioPlayer } from './scenarios.js';
import { buildUniverse } from './universe.js';

const T0 = 1_800_000_000_000;
const universe = buildUniverse({ symbolCount: 50, seed: 3 });
const timing = { calmMs: 10_000, activeMs: 5_000 };

/** Updates `player` every `stepMs` from T0 to T0 + `untilMs`, calling `each` after every update. */
function play(player: ScenarioPlayer, untilMs: number, stepMs: number, each?: (timeMs: number) => void) {
  const events: MarketEventOut[] = [];
  for (let t = T0; t <= T0 + untilMs; t += stepMs) {
    player.update(t);
    each?.(t);
    events.push(...player.drainEvents());
  }
  return events;
}

describe('ScenarioPlayer', () => {
  it('does nothing in the normal scenario', () => {
    const player = new ScenarioPlayer('normal', universe, 1, timing);
    const events = play(player, 60_000, 250, () => {
      expect(player.rateMultiplier).toBe(1);
      expect(player.volatilityMultiplier.every((m) => m === 1)).toBe(true);
      expect(player.extraDrift.every((d) => d === 0)).toBe(true);
      expect(player.halted.every((h) => h === 0)).toBe(true);
    });
    expect(events).toEqual([]);
  });

  it('plays one episode on demand (tickstream chaos scenario) in a normal market, then is calm again', () => {
    const player = new ScenarioPlayer('normal', universe, 1, timing);
    player.update(T0);
    player.playNow('flash-crash', 2_000);
    const falling: number[] = [];
    const events = play(player, 6_000, 250, (t) => {
      if (t - T0 < 2_000) falling.push(player.extraDrift[0] as number);
      else
        expect(player.extraDrift.every((d) => d === 0) && player.volatilityMultiplier.every((m) => m === 1)).toBe(true);
    });
    expect(events.map((e) => [e.kind, e.name, e.timeMs - T0])).toEqual([
      ['scenario-start', 'flash-crash', 0],
      ['scenario-end', 'flash-crash', 2_000],
    ]);
    expect(events[0]?.detail).toContain('for 2 s');
    // Falls in its first quarter, climbs back after.
    expect(falling[0]).toBeLessThan(0);
    expect(falling.at(-1)).toBeGreaterThan(0);
    expect(player.onDemand).toBeNull();
  });

  it('ends a looping episode under way for one on demand, and halts a symbol in every shard alike', () => {
    const shards = [1, 2].map(() => new ScenarioPlayer('burst', universe, 5, timing));
    const events = shards.map((player) => {
      player.update(T0);
      player.update(T0 + 11_000); // inside the loop's burst episode
      expect(player.rateMultiplier).toBe(100);
      player.playNow('halt', 1_000);
      player.update(T0 + 11_500);
      expect(player.rateMultiplier).toBe(1);
      expect(player.onDemand).toBe('halt');
      return player.drainEvents();
    });
    expect(events[0]?.map((e) => [e.kind, e.name])).toEqual([
      ['scenario-start', 'burst'],
      ['scenario-end', 'burst'],
      ['scenario-start', 'halt'],
      ['halt', 'halt'],
    ]);
    expect(events[1]?.[3]?.symbol).toBe(events[0]?.[3]?.symbol);
    expect(() => shards[0]?.playNow('halt', 0)).toThrow(new RangeError('an episode needs activeMs > 0, got 0'));
  });

  it('halts one symbol per episode on a loop, with start, halt, resume and end events at the episode bounds', () => {
    const player = new ScenarioPlayer('halt', universe, 1, timing);
    const haltedAt = new Map<number, number[]>();
    const events = play(player, 45_000, 250, (t) => {
      haltedAt.set(
        t,
        [...player.halted.keys()].filter((i) => player.isHalted(i)),
      );
    });
    expect(events.map((e) => e.kind)).toEqual(
      Array(3).fill(['scenario-start', 'halt', 'resume', 'scenario-end']).flat(),
    );
    for (let episode = 0; episode < 3; episode++) {
      const [start, halt, resume, end] = events.slice(4 * episode, 4 * episode + 4) as MarketEventOut[];
      const startMs = T0 + 15_000 * episode + 10_000;
      expect(start).toMatchObject({ name: 'halt', timeMs: startMs, detail: `${halt?.symbol} halted for 5 s` });
      expect(halt).toMatchObject({ name: 'halt', timeMs: startMs, detail: 'trading halted' });
      expect(resume).toMatchObject({ symbol: halt?.symbol, sector: halt?.sector, timeMs: startMs + 5_000 });
      expect(end?.timeMs).toBe(startMs + 5_000);
      const index = universe.names.indexOf(halt?.symbol ?? '');
      expect(universe.sectors[index]).toBe(halt?.sector);
      for (const [t, halted] of haltedAt) {
        const active = t >= startMs && t < startMs + 5_000;
        if (active) expect(halted, `at +${t - T0} ms`).toEqual([index]);
      }
    }
    // Nothing is halted in the calm.
    for (const [t, halted] of haltedAt) if ((t - T0) % 15_000 < 10_000) expect(halted).toEqual([]);
  });

  it('agrees across players of one seed, however often each is updated', () => {
    const often = new ScenarioPlayer('halt', universe, 8, timing);
    const rarely = new ScenarioPlayer('halt', universe, 8, timing);
    play(often, 0, 1);
    play(rarely, 0, 1);
    // `rarely` sleeps through the first two episodes, then both are in the third.
    play(often, 42_000, 100);
    rarely.update(T0 + 42_000);
    expect([...rarely.halted]).toEqual([...often.halted]);
    expect(rarely.halted.reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('multiplies the tick rate by 100 during a burst', () => {
    const player = new ScenarioPlayer('burst', universe, 1, timing);
    play(player, 30_000, 500, (t) => {
      expect(player.rateMultiplier).toBe((t - T0) % 15_000 >= 10_000 ? 100 : 1);
    });
  });

  it('multiplies the volatility of one sector by 5 during news, and names it', () => {
    const player = new ScenarioPlayer('news-spike', universe, 1, timing);
    const spiked = new Set<number>();
    const events = play(player, 14_000, 500, (t) => {
      const multipliers = [...player.volatilityMultiplier];
      if (t - T0 < 10_000) expect(multipliers.every((m) => m === 1)).toBe(true);
      else {
        expect(multipliers.filter((m) => m === 5)).toHaveLength(1);
        expect(multipliers.filter((m) => m === 1)).toHaveLength(multipliers.length - 1);
        spiked.add(multipliers.indexOf(5));
      }
    });
    expect(spiked.size).toBe(1);
    const sector = universe.sectorNames[[...spiked][0] as number] as string;
    expect(events[0]).toMatchObject({ kind: 'scenario-start', sector, detail: `volatility ×5 in ${sector} for 5 s` });
  });

  it('refuses a timing without an episode', () => {
    expect(() => new ScenarioPlayer('burst', universe, 1, { calmMs: 1000, activeMs: 0 })).toThrow(
      new RangeError('scenario timing needs calmMs ≥ 0 and activeMs > 0, got calmMs 1000 and activeMs 0'),
    );
  });
});

describe('scenarios in the model', () => {
  /** The mean log price of each sector's symbols, every 100 ms, with the player driving the model. */
  function sectorPaths(kind: 'flash-crash' | 'selloff', untilMs: number): number[][] {
    const market = buildUniverse({ symbolCount: 300, seed: 2 });
    const player = new ScenarioPlayer(kind, market, 2, { calmMs: 1_000, activeMs: 20_000 });
    // A tiny volatility, so the scenario's drift shows plainly.
    const model = new MarketModel(market, 2, { jumpsPerYear: 0, volatility: 0.01 }, player);
    const out = createTickOut();
    const paths: number[][] = market.sectorNames.map(() => []);
    for (let t = T0; t <= T0 + untilMs; t += 100) {
      player.update(t);
      model.advanceSectors(0.1);
      const sums = new Float64Array(paths.length);
      const counts = new Float64Array(paths.length);
      for (let i = 0; i < market.size; i++) {
        model.step(i, t === T0 ? 0 : 0.1, out);
        const sector = market.sectorIndex[i] as number;
        sums[sector] = (sums[sector] as number) + Math.log(model.priceOf(i) / (market.initialPrice[i] as number));
        counts[sector] = (counts[sector] as number) + 1;
      }
      paths.forEach((path, s) => {
        path.push((sums[s] as number) / (counts[s] as number));
      });
    }
    return paths;
  }

  it('crashes every sector by about 9 % within seconds in a flash crash, then brings it back', () => {
    for (const path of sectorPaths('flash-crash', 21_000)) {
      const bottom = Math.exp(Math.min(...path));
      expect(bottom).toBeGreaterThan(0.89);
      expect(bottom).toBeLessThan(0.93);
      // The bottom is reached 5 s into the episode (a quarter of it), 6 s after the start.
      expect(path.indexOf(Math.min(...path))).toBeGreaterThanOrEqual(55);
      expect(path.indexOf(Math.min(...path))).toBeLessThanOrEqual(65);
      expect(Math.abs(Math.exp(path.at(-1) as number) - 1)).toBeLessThan(0.01);
    }
  });

  it('sells off every sector by 3–7 % together, then climbs back in the calm that follows', () => {
    const paths = sectorPaths('selloff', 22_000);
    const declines = paths.map((path) => 1 - Math.exp(path[210] as number)); // end of the episode
    for (const [s, path] of paths.entries()) {
      expect(declines[s]).toBeGreaterThan(0.025);
      expect(declines[s]).toBeLessThan(0.075);
      expect(Math.abs(Math.exp(path.at(-1) as number) - 1)).toBeLessThan(0.01); // after the next calm
    }
    // Correlated, not identical: the sectors fall by different amounts.
    expect(Math.max(...declines) - Math.min(...declines)).toBeGreaterThan(0.01);
  });
});
