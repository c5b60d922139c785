import { MARKET_SCENARIOS, type MarketScenario } from '@tickstream/schemas';
import { type MarketControls, TRADING_SECONDS_PER_YEAR } from './model.js';
import { deriveSeed } from './random.js';
import type { Universe } from './universe.js';

export const SCENARIO_KINDS = MARKET_SCENARIOS;
export type ScenarioKind = MarketScenario;
/** A scenario with an episode to play: every one but the plain model. */
export type EpisodeKind = Exclude<ScenarioKind, 'normal'>;

/** Episodes played on demand are numbered from here, apart from the loop's. */
const ON_DEMAND_EPISODES = 1_000_000;

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
  /** An episode asked for by playNow, started at the next update. */
  private requested: { kind: EpisodeKind; activeMs: number } | null = null;
  private demand: { kind: EpisodeKind; activeMs: number; startMs: number; episode: number; lastMs: number } | null =
    null;
  private demandsPlayed = 0;

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
   * Plays one episode of `kind` for `activeMs` of market time from the next `update` (tickstream
   * chaos scenario): an episode of the loop under way ends first, and the loop waits meanwhile.
   */
  playNow(kind: EpisodeKind, activeMs: number): void {
    if (!(activeMs > 0 && Number.isFinite(activeMs)))
      throw new RangeError(`an episode needs activeMs > 0, got ${activeMs}`);
    this.requested = { kind, activeMs };
  }

  /** The episode asked for by playNow, while it plays. */
  get onDemand(): EpisodeKind | null {
    return this.demand?.kind ?? null;
  }

  /**
   * Brings the controls to market time `nowMs`, queueing an event at each start and end. The loop
   * starts at the first call; time that runs backwards (a wall clock stepped back) stands still.
   */
  update(nowMs: number): void {
    if (this.requested !== null) this.startDemand(nowMs, this.requested);
    if (this.demand !== null && this.playDemand(nowMs)) return;
    if (this.kind === 'normal') return;
    if (Number.isNaN(this.originMs)) this.originMs = nowMs;
    const offset = Math.max(nowMs - this.originMs, this.lastOffsetMs);
    this.lastOffsetMs = offset;
    const episode = Math.floor(offset / this.cycleMs);
    const intoCycle = offset - episode * this.cycleMs;
    const activeNow = intoCycle >= this.timing.calmMs;
    if (this.activeEpisode >= 0 && (!activeNow || episode !== this.activeEpisode))
      this.end(this.kind, this.originMs + (this.activeEpisode + 1) * this.cycleMs);
    if (activeNow && this.activeEpisode !== episode) {
      this.activeEpisode = episode;
      const timeMs = this.originMs + episode * this.cycleMs + this.timing.calmMs;
      this.begin(this.kind, episode, timeMs, this.timing.activeMs);
    }
    this.shape(episode, intoCycle);
  }

  private startDemand(nowMs: number, requested: { kind: EpisodeKind; activeMs: number }): void {
    this.requested = null;
    if (this.demand !== null) this.end(this.demand.kind, nowMs);
    else if (this.activeEpisode >= 0) this.end(this.kind as EpisodeKind, nowMs);
    // Episode numbers of their own: what a played episode draws (the halted symbol, the sector
    // with news) is still the same in every shard, and differs from the loop's episodes.
    const episode = ON_DEMAND_EPISODES + this.demandsPlayed++;
    this.demand = { ...requested, startMs: nowMs, episode, lastMs: nowMs };
    this.begin(requested.kind, episode, nowMs, requested.activeMs);
  }

  /** Shapes the controls for the episode asked for; false once it is over (the loop resumes). */
  private playDemand(nowMs: number): boolean {
    const demand = this.demand as NonNullable<typeof this.demand>;
    demand.lastMs = Math.max(demand.lastMs, nowMs);
    const into = demand.lastMs - demand.startMs;
    this.calm();
    if (into < demand.activeMs) {
      this.shapeEpisode(demand.kind, demand.episode, into / demand.activeMs, demand.activeMs);
      return true;
    }
    this.end(demand.kind, demand.startMs + demand.activeMs);
    this.demand = null;
    return false;
  }

  /** Events since the last call; allocates only when there are some. */
  drainEvents(): readonly MarketEventOut[] {
    return this.events.length === 0 ? NO_EVENTS : this.events.splice(0);
  }

  private begin(kind: EpisodeKind, episode: number, timeMs: number, activeMs: number): void {
    const lasting = `for ${activeMs / 1000} s`;
    const u = this.universe;
    let sector = '';
    let detail: string;
    switch (kind) {
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
    this.events.push({ kind: 'scenario-start', symbol: '', sector, name: kind, detail, timeMs });
    if (this.haltedSymbol >= 0) this.events.push(this.haltEvent('halt', timeMs));
  }

  private end(kind: EpisodeKind, timeMs: number): void {
    if (this.haltedSymbol >= 0) {
      this.events.push(this.haltEvent('resume', timeMs));
      this.halted[this.haltedSymbol] = 0;
      this.haltedSymbol = -1;
    }
    this.activeEpisode = -1;
    this.events.push({ kind: 'scenario-end', symbol: '', sector: '', name: kind, detail: '', timeMs });
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
    this.calm();
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
    const progress = (intoCycleMs - this.timing.calmMs) / this.timing.activeMs;
    this.shapeEpisode(this.kind as EpisodeKind, episode, progress, this.timing.activeMs);
  }

  /** The plain model's controls. */
  private calm(): void {
    this.rateMultiplier = 1;
    this.volatilityMultiplier.fill(1);
    this.extraDrift.fill(0);
  }

  /** The controls `progress` (0 to 1) into episode `episode` of `kind`, lasting `activeMs`. */
  private shapeEpisode(kind: EpisodeKind, episode: number, progress: number, activeMs: number): void {
    const activeYears = yearsOf(activeMs);
    switch (kind) {
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
