import { createTickOut, MarketModel, type ModelOptions, type TickOut } from './model.js';
import { deriveSeed, Random } from './random.js';
import {
  type EpisodeKind,
  type MarketEventOut,
  type ScenarioKind,
  ScenarioPlayer,
  type ScenarioTiming,
} from './scenarios.js';
import { intradayVolumeFactor } from './session.js';
import type { Universe } from './universe.js';

export interface TickGeneratorOptions {
  universe: Universe;
  /** Indices of the symbols this generator ticks (its shard); the whole universe when absent. */
  symbols?: ArrayLike<number>;
  /** The same in every shard, so all shards play the same scenario. */
  seed: number;
  /** This shard's number: its model and its choice of symbols draw from streams of their own. */
  shard?: number;
  scenario?: ScenarioKind;
  timing?: ScenarioTiming;
  model?: Partial<ModelOptions>;
}

/** Receives every tick in the same reused TickOut: read or copy it before returning. */
export type TickSink = (tick: TickOut) => void;

/**
 * One shard of the market: its symbols' model, the scenario that every shard plays in step, and
 * the choice of which symbol ticks next, drawn at random in proportion to each symbol's tick
 * weight (so each symbol's ticks arrive as a Poisson process, and large caps tick most).
 */
export class TickGenerator {
  readonly model: MarketModel;
  readonly scenario: ScenarioPlayer;
  private readonly out: TickOut = createTickOut();
  private readonly random: Random;
  /** Walker's alias table over the shard's symbols: one uniform draw picks a symbol by weight. */
  private readonly symbols: Int32Array;
  private readonly aliasSymbols: Int32Array;
  private readonly keepProbability: Float64Array;
  private lastFillMs = Number.NaN;

  constructor(options: TickGeneratorOptions) {
    const { universe, seed } = options;
    const shard = options.shard ?? 0;
    this.symbols = options.symbols ? Int32Array.from(options.symbols) : Int32Array.from(universe.names.keys());
    for (const symbol of this.symbols) {
      if (symbol < 0 || symbol >= universe.size) {
        throw new RangeError(`symbol index ${symbol} is outside the universe of ${universe.size} symbols`);
      }
    }
    this.scenario = new ScenarioPlayer(options.scenario ?? 'normal', universe, seed, options.timing);
    this.model = new MarketModel(universe, deriveSeed(deriveSeed(seed, 4), shard), options.model, this.scenario);
    this.random = new Random(deriveSeed(deriveSeed(seed, 5), shard));
    const { keep, alias } = aliasTable(Float64Array.from(this.symbols, (symbol) => universe.tickWeight[symbol] ?? 0));
    this.keepProbability = keep;
    this.aliasSymbols = alias.map((k) => this.symbols[k] as number);
  }

  /** The scenario's multiplier of the tick rate now (×100 in a burst); the caller applies it. */
  get rateMultiplier(): number {
    return this.scenario.rateMultiplier;
  }

  /** Plays one episode of `kind` from the next `fill` (ScenarioPlayer.playNow). */
  playScenario(kind: EpisodeKind, activeMs: number): void {
    this.scenario.playNow(kind, activeMs);
  }

  /** Whether symbol `i` is halted now; `fill` skips it. */
  isHalted(i: number): boolean {
    return this.scenario.isHalted(i);
  }

  /**
   * Generates up to `budget` ticks up to market time `nowMs`, hands each to `sink` in the same
   * reused TickOut, and returns how many it made. The market time since the previous call is
   * split evenly between the ticks, so each tick has a time of its own and each symbol moves by
   * the time since its own previous tick; the first call has no time to split, so it prints
   * opening prices. The scenario, the sector factors and the volume factor of the session move to
   * `nowMs` once per call. Halted symbols are skipped, and are drawn again: fewer than `budget`
   * ticks come back only when most of the shard's tick weight is halted.
   */
  fill(nowMs: number, budget: number, sink: TickSink): number {
    if (this.symbols.length === 0 || !(budget >= 1)) return 0;
    if (Number.isNaN(this.lastFillMs)) this.lastFillMs = nowMs;
    const startMs = this.lastFillMs;
    // A wall clock stepped back counts as no time passing.
    const elapsedMs = Math.max(0, nowMs - startMs);
    this.lastFillMs = startMs + elapsedMs;
    this.scenario.update(nowMs);
    this.model.advanceSectors(elapsedMs / 1000);
    this.model.volumeFactor = intradayVolumeFactor(nowMs);

    const model = this.model;
    const halted = this.scenario.halted;
    const out = this.out;
    const spacingMs = elapsedMs / budget;
    let made = 0;
    for (let attempts = 0; made < budget && attempts < 2 * budget; attempts++) {
      const symbol = this.pick();
      if (halted[symbol] === 1) continue;
      model.timeMs = startMs + spacingMs * (made + 1);
      model.stepAt(symbol, out);
      sink(out);
      made++;
    }
    return made;
  }

  /** Scenario events since the last call; allocates only when there are some. */
  drainEvents(): readonly MarketEventOut[] {
    return this.scenario.drainEvents();
  }

  private pick(): number {
    const scaled = this.random.next() * this.symbols.length;
    const column = Math.floor(scaled);
    return scaled - column < (this.keepProbability[column] as number)
      ? (this.symbols[column] as number)
      : (this.aliasSymbols[column] as number);
  }
}

/**
 * Vose's alias method: column k keeps its own symbol with probability keep[k] and gives way to
 * alias[k] otherwise, so a uniform column and one comparison sample the weights exactly.
 */
function aliasTable(weights: Float64Array): { keep: Float64Array; alias: Int32Array } {
  const n = weights.length;
  let total = 0;
  for (const weight of weights) {
    if (!(weight >= 0 && Number.isFinite(weight))) throw new RangeError(`tick weights must be ≥ 0, got ${weight}`);
    total += weight;
  }
  const keep = new Float64Array(n).fill(1);
  const alias = Int32Array.from(keep.keys());
  if (n === 0) return { keep, alias };
  if (!(total > 0)) throw new RangeError('tick weights must not all be 0');
  const scaled = weights.map((weight) => (weight * n) / total);
  const small: number[] = [];
  const large: number[] = [];
  for (let k = 0; k < n; k++) ((scaled[k] as number) < 1 ? small : large).push(k);
  while (small.length > 0 && large.length > 0) {
    const l = small.pop() as number;
    const g = large.pop() as number;
    keep[l] = scaled[l] as number;
    alias[l] = g;
    const rest = (scaled[g] as number) + (scaled[l] as number) - 1;
    scaled[g] = rest;
    (rest < 1 ? small : large).push(g);
  }
  // Columns left over are 1 up to rounding, and keep themselves.
  return { keep, alias };
}
