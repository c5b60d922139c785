import type { TickFields } from '@tickstream/schemas';
import { defaultModelOptions, emptyTick, MarketModel } from './model.js';
import { Random } from './random.js';
import { type MarketEventOut, type ScenarioKind, ScenarioPlayer, type ScenarioTiming } from './scenarios.js';
import { type Clock, intradayActivity } from './session.js';
import type { Universe } from './universe.js';

export interface ShardOptions {
  universe: Universe;
  /** This shard owns the symbols i with i % shardCount === shard. */
  shard: number;
  shardCount: number;
  seed: number;
  volatility: number | null;
  scenario: ScenarioKind;
  clock: Clock;
  timing?: ScenarioTiming;
}

/**
 * One shard of the market: its symbols' model, the scenario every shard plays in step, and the
 * choice of which symbol ticks next (uniformly at random, so arrivals per symbol are Poisson).
 */
export class ShardGenerator {
  /** Reused for every tick: read it inside the `emit` callback. */
  readonly tick: TickFields = emptyTick();
  readonly symbolNames: string[];
  private readonly owned: Int32Array;
  private readonly model: MarketModel;
  private readonly scenario: ScenarioPlayer;
  private readonly random: Random;

  constructor(private readonly options: ShardOptions) {
    const { universe, shard, shardCount, seed } = options;
    this.symbolNames = [...universe.names];
    const owned: number[] = [];
    for (let i = shard; i < universe.size; i += shardCount) owned.push(i);
    this.owned = Int32Array.from(owned);
    // Shards share the scenario's seed (they must agree) but not the model's.
    this.scenario = new ScenarioPlayer(options.scenario, universe, seed, options.timing);
    this.random = new Random(seed * 31 + shard + 1);
    this.model = new MarketModel(
      universe,
      this.random,
      { ...defaultModelOptions, volatility: options.volatility },
      this.scenario,
    );
  }

  /** The scenario's rate multiplier right now (a burst is ×100). */
  get rateMultiplier(): number {
    return this.scenario.rateMultiplier;
  }

  /** Generates up to `budget` ticks at the clock's market time; `emit` sees each in `this.tick`. */
  fill(budget: number, emit: (symbolIndex: number) => void): number {
    if (this.owned.length === 0) return 0;
    const now = this.options.clock.nowMs();
    this.scenario.update(now);
    this.model.advanceSectors(now);
    const activity = intradayActivity(now);
    let made = 0;
    for (let attempts = 0; made < budget && attempts < budget * 2; attempts++) {
      const symbol = this.owned[this.random.int(this.owned.length)] as number;
      if (this.scenario.isHalted(symbol)) continue;
      this.model.step(symbol, now, activity, this.tick);
      emit(symbol);
      made++;
    }
    return made;
  }

  /** Market events since the last call; only shard 0 reports them, for everyone. */
  drainEvents(): MarketEventOut[] {
    const events = this.scenario.drainEvents();
    return this.options.shard === 0 ? events : [];
  }
}
