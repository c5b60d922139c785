import type { TickFields } from '@tickstream/schemas';
import { TickGenerator } from './generator.js';
import type { TickOut } from './model.js';
import type { EpisodeKind, MarketEventOut, ScenarioKind, ScenarioTiming } from './scenarios.js';
import { type Clock, SessionAnnouncer } from './session.js';
import type { Universe } from './universe.js';

export interface ShardOptions {
  universe: Universe;
  /** This shard owns the symbols i with i % shardCount === shard. */
  shard: number;
  shardCount: number;
  seed: number;
  /** Replaces every symbol's volatility when set (`--volatility`). */
  volatility: number | null;
  scenario: ScenarioKind;
  clock: Clock;
  timing?: ScenarioTiming;
}

const NO_EVENTS: readonly MarketEventOut[] = Object.freeze([]);
const ignore = (): void => {};

/**
 * What a producer worker runs: the TickGenerator of its shard, driven by a clock, with ticks in
 * the shape of the Kafka record (`TickFields`: names rather than indices, time in µs).
 */
export class ShardGenerator {
  /** Reused for every tick: read it inside the `emit` callback. */
  readonly tick: TickFields = {
    symbol: '',
    sector: '',
    price: 0,
    size: 0,
    bid: 0,
    ask: 0,
    exchangeTimeUs: 0,
    sequence: 0,
  };
  readonly symbolNames: string[];
  /** Each symbol index's sector name, as its ticks carry it. */
  readonly sectors: readonly string[];
  private readonly generator: TickGenerator;
  /** Shard 0 announces the session; the others would only repeat it. */
  private readonly session: SessionAnnouncer | null;
  private emit: (symbolIndex: number) => void = ignore;
  /** One sink for the generator's lifetime: the tick loop calls it and allocates nothing. */
  private readonly sink = (out: TickOut): void => {
    const tick = this.tick;
    tick.symbol = this.symbolNames[out.symbolIndex] as string;
    tick.sector = this.sectors[out.symbolIndex] as string;
    tick.price = out.price;
    tick.bid = out.bid;
    tick.ask = out.ask;
    tick.size = out.size;
    tick.sequence = out.sequence;
    tick.exchangeTimeUs = Math.round(out.timeMs * 1000);
    this.emit(out.symbolIndex);
  };

  constructor(private readonly options: ShardOptions) {
    const { universe, shard, shardCount } = options;
    if (
      !(Number.isInteger(shardCount) && shardCount >= 1 && Number.isInteger(shard) && shard >= 0 && shard < shardCount)
    ) {
      throw new RangeError(`shard must be an integer from 0 to shardCount − 1, got shard ${shard} of ${shardCount}`);
    }
    this.symbolNames = [...universe.names];
    this.session = shard === 0 ? new SessionAnnouncer() : null;
    this.sectors = universe.sectors;
    const owned: number[] = [];
    for (let i = shard; i < universe.size; i += shardCount) owned.push(i);
    this.generator = new TickGenerator({
      universe,
      symbols: owned,
      seed: options.seed,
      shard,
      scenario: options.scenario,
      timing: options.timing,
      model: { volatility: options.volatility },
    });
  }

  /** The scenario's rate multiplier now (×100 in a burst). */
  get rateMultiplier(): number {
    return this.generator.rateMultiplier;
  }

  /** Plays one episode of `kind` for `activeMs` of market time, starting at the next `fill` (tickstream chaos scenario). */
  playScenario(kind: EpisodeKind, activeMs: number): void {
    this.generator.playScenario(kind, activeMs);
  }

  /** Generates up to `budget` ticks up to the clock's market time; `emit` sees each in `this.tick`. */
  fill(budget: number, emit: (symbolIndex: number) => void): number {
    this.emit = emit;
    const nowMs = this.options.clock.nowMs();
    this.session?.update(nowMs);
    try {
      return this.generator.fill(nowMs, budget, this.sink);
    } finally {
      this.emit = ignore;
    }
  }

  /**
   * Market events since the last call: the session's changes, then the scenario's. Every shard
   * plays the scenario; only shard 0 reports it, and the session.
   */
  drainEvents(): readonly MarketEventOut[] {
    const events = this.generator.drainEvents();
    if (this.session === null) return NO_EVENTS;
    const changes = this.session.drain();
    if (changes.length === 0) return events;
    return [
      ...changes.map(
        (change): MarketEventOut => ({
          kind: 'session-change',
          symbol: '',
          sector: '',
          name: change.phase,
          detail: change.detail,
          timeMs: change.timeMs,
        }),
      ),
      ...events,
    ];
  }
}
