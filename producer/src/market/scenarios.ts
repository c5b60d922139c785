import { type MarketControls, TRADING_SECONDS_PER_YEAR } from './model.js';
import { deriveSeed } from './random.js';
import type { Universe } from './universe.js';

export const SCENARIO_KINDS = ['normal', 'burst', 'flash-crash', 'halt', 'news-spike', 'selloff'] as const;
export type ScenarioKind = (typeof SCENARIO_KINDS)[number];

/** A market event (a scenario's, or the session's), as the producer writes it to the `market_events` topic. */
export interface MarketEventOut {
  kind: 'scenario-start' | 'scenario-end' | 'halt' | 'resume' | 'session-change';
  symbol: string;
  sector: string;
  name: string;
  detail: string;
  timeMs: number;
}

/** The loop, in market time: `calmMs` of the plain model, then `activeMs` of the episode, again. */
export interface ScenarioTiming {
  calmMs: number;
  activeMs: number;
}

export const defaultScenarioTiming: ScenarioTiming = { calmMs: 60_000, activeMs: 20_000 };

const BURST_RATE = 100;
/** A flash crash falls this far in the first quarter of its episode and climbs back in the rest. */
const CRASH_DEPTH = 0.09;
const CRASH_FALL_SHARE = 0.25;
const CRASH_VOLATILITY = 3;
const NEWS_VOLATILITY = 5;
/** In a selloff each sector declines by its own 3–7 % (drawn per episode): together, not alike. */
const SELLOFF_MIN_DECLINE = 0.03;
const SELLOFF_MAX_DECLINE = 0.07;
const SELLOFF_VOLATILITY = 1.5;

const NO_EVENTS: readonly MarketEventOut[] = Object.freeze([]);

const yearsOf = (ms: number): number => ms / 1000 / TRADING_SECONDS_PER_YEAR;
/** Uniform in [0, 1), a pure function of its arguments. */
const draw = (seed: number, episode: number, what: number): number =>
  deriveSeed(deriveSeed(seed, episode), what) / 4294967296;

/**
 * Plays one scenario on a loop in market time, so a demo left running keeps showing it. It writes
 * the model's controls (per-sector volatility multipliers and extra drift, per-symbol halt flags)
 * and the tick-rate multiplier; call `update` with the market time once per round.
 *
 * What an episode does (which symbol halts, which sector has news, how deep a selloff goes) is a
 * pure function of the seed and the episode's number, not of earlier draws, so every shard's
 * player agrees, even one that slept through an episode.
 *
 * A selloff's decline is climbed back during the calm that follows it (when there is a calm), so
 * hours of episodes do not grind every price towards zero.
 */
export class ScenarioPlayer implements MarketControls {
  /** Multiplies the tick rate (×100 in a burst); whoever sets the rate applies it. */
  rateMultiplier = 1;
  readonly volatilityMultiplier: Float64Array;
  readonly extraDrift: Float64Array;
  readonly halted: Uint8Array;

  private readonly events: MarketEventOut[] = [];
  private readonly seed: number;
  private readonly cycleMs: number;
  private originMs = Number.NaN;
  private lastOffsetMs = 0;
  /** The episode under way, or −1 in the calm. */
  private activeEpisode = -1;
  private haltedSymbol = -1;

  constructor(
    readonly kind: ScenarioKind,
    private readonly universe: Universe,
    seed: number,
    private readonly timing: ScenarioTiming = defaultScenarioTiming,
  ) {
    if (!(timing.calmMs >= 0 && timing.activeMs > 0 && Number.isFinite(timing.calmMs + timing.activeMs))) {
      throw new RangeError(
        `scenario timing needs calmMs ≥ 0 and activeMs > 0, got calmMs ${timing.calmMs} and activeMs ${timing.activeMs}`,
      );
    }
    this.seed = deriveSeed(seed, 3);
    this.cycleMs = timing.calmMs + timing.activeMs;
    this.volatilityMultiplier = new Float64Array(universe.sectorNames.length).fill(1);
    this.extraDrift = new Float64Array(universe.sectorNames.length);
    this.halted = new Uint8Array(universe.size);
  }

  /** Whether an episode is under way. */
  get active(): boolean {
    return this.activeEpisode >= 0;
  }

  isHalted(symbol: number): boolean {
    return this.halted[symbol] === 1;
  }

  /**
   * Brings the controls to market time `nowMs`, queueing an event at each start and end. The loop
   * starts at the first call; time that runs backwards (a wall clock stepped back) stands still.
   */
  update(nowMs: number): void {
    if (this.kind === 'normal') return;
    if (Number.isNaN(this.originMs)) this.originMs = nowMs;
    const offset = Math.max(nowMs - this.originMs, this.lastOffsetMs);
    this.lastOffsetMs = offset;
    const episode = Math.floor(offset / this.cycleMs);
    const intoCycle = offset - episode * this.cycleMs;
    const activeNow = intoCycle >= this.timing.calmMs;
    if (this.activeEpisode >= 0 && (!activeNow || episode !== this.activeEpisode)) this.end();
    if (activeNow && this.activeEpisode !== episode) this.begin(episode);
    this.shape(episode, intoCycle);
  }

  /** Events since the last call; allocates only when there are some. */
  drainEvents(): readonly MarketEventOut[] {
    return this.events.length === 0 ? NO_EVENTS : this.events.splice(0);
  }

  private begin(episode: number): void {
    this.activeEpisode = episode;
    const timeMs = this.originMs + episode * this.cycleMs + this.timing.calmMs;
    const lasting = `for ${this.timing.activeMs / 1000} s`;
    const u = this.universe;
    let sector = '';
    let detail: string;
    switch (this.kind) {
      case 'burst':
        detail = `tick rate ×${BURST_RATE} ${lasting}`;
        break;
      case 'flash-crash':
        detail = `every sector falls ${CRASH_DEPTH * 100} % and recovers, volatility ×${CRASH_VOLATILITY}, ${lasting}`;
        break;
      case 'halt':
        this.haltedSymbol = Math.floor(draw(this.seed, episode, 0) * u.size);
        this.halted[this.haltedSymbol] = 1;
        detail = `${u.names[this.haltedSymbol]} halted ${lasting}`;
        break;
      case 'news-spike':
        sector = u.sectorNames[this.newsSector(episode)] as string;
        detail = `volatility ×${NEWS_VOLATILITY} in ${sector} ${lasting}`;
        break;
      default:
        detail = `every sector declines ${SELLOFF_MIN_DECLINE * 100}–${SELLOFF_MAX_DECLINE * 100} % ${lasting}, then recovers`;
    }
    this.events.push({ kind: 'scenario-start', symbol: '', sector, name: this.kind, detail, timeMs });
    if (this.haltedSymbol >= 0) this.events.push(this.haltEvent('halt', timeMs));
  }

  private end(): void {
    const timeMs = this.originMs + (this.activeEpisode + 1) * this.cycleMs;
    if (this.haltedSymbol >= 0) {
      this.events.push(this.haltEvent('resume', timeMs));
      this.halted[this.haltedSymbol] = 0;
      this.haltedSymbol = -1;
    }
    this.activeEpisode = -1;
    this.events.push({ kind: 'scenario-end', symbol: '', sector: '', name: this.kind, detail: '', timeMs });
  }

  private haltEvent(kind: 'halt' | 'resume', timeMs: number): MarketEventOut {
    const u = this.universe;
    return {
      kind,
      symbol: u.names[this.haltedSymbol] as string,
      sector: u.sectors[this.haltedSymbol] as string,
      name: 'halt',
      detail: kind === 'halt' ? 'trading halted' : 'trading resumed',
      timeMs,
    };
  }

  private newsSector(episode: number): number {
    return Math.floor(draw(this.seed, episode, 1) * this.universe.sectorNames.length);
  }

  /** log(price after / price before) of sector `sector` over episode `episode`'s selloff. */
  private selloffLogChange(episode: number, sector: number): number {
    const share = draw(this.seed, episode, 2 + sector);
    return Math.log(1 - (SELLOFF_MIN_DECLINE + (SELLOFF_MAX_DECLINE - SELLOFF_MIN_DECLINE) * share));
  }

  /** The controls `intoCycleMs` into episode `episode`'s cycle (its calm, then its episode). */
  private shape(episode: number, intoCycleMs: number): void {
    this.rateMultiplier = 1;
    this.volatilityMultiplier.fill(1);
    this.extraDrift.fill(0);
    if (intoCycleMs < this.timing.calmMs) {
      if (this.kind === 'selloff' && episode > 0) {
        // The calm after a selloff climbs back what it took.
        const calmYears = yearsOf(this.timing.calmMs);
        for (let s = 0; s < this.extraDrift.length; s++) {
          this.extraDrift[s] = -this.selloffLogChange(episode - 1, s) / calmYears;
        }
      }
      return;
    }
    const activeYears = yearsOf(this.timing.activeMs);
    const progress = (intoCycleMs - this.timing.calmMs) / this.timing.activeMs;
    switch (this.kind) {
      case 'burst':
        this.rateMultiplier = BURST_RATE;
        break;
      case 'flash-crash': {
        const fall = Math.log(1 - CRASH_DEPTH);
        this.extraDrift.fill(
          progress < CRASH_FALL_SHARE
            ? fall / (CRASH_FALL_SHARE * activeYears)
            : -fall / ((1 - CRASH_FALL_SHARE) * activeYears),
        );
        this.volatilityMultiplier.fill(CRASH_VOLATILITY);
        break;
      }
      case 'news-spike':
        this.volatilityMultiplier[this.newsSector(episode)] = NEWS_VOLATILITY;
        break;
      case 'selloff':
        for (let s = 0; s < this.extraDrift.length; s++) {
          this.extraDrift[s] = this.selloffLogChange(episode, s) / activeYears;
        }
        this.volatilityMultiplier.fill(SELLOFF_VOLATILITY);
        break;
      default:
        break;
    }
  }
}
