import { TRADING_SECONDS_PER_YEAR } from './model.js';
import { Random } from './random.js';
import type { Universe } from './universe.js';

export type ScenarioKind = 'normal' | 'burst' | 'flash-crash' | 'halt' | 'news-spike' | 'selloff';

export interface MarketEventOut {
  kind: 'scenario-start' | 'scenario-end' | 'halt' | 'resume';
  symbol: string;
  sector: string;
  name: string;
  detail: string;
  timeMs: number;
}

export interface ScenarioTiming {
  /** Calm market time before each episode. */
  calmMs: number;
  /** How long each episode lasts. */
  activeMs: number;
}

export const defaultScenarioTiming: ScenarioTiming = { calmMs: 60_000, activeMs: 20_000 };

const yearsOf = (ms: number): number => ms / 1000 / TRADING_SECONDS_PER_YEAR;

/**
 * Plays a scenario on a loop in market time: calm, then an episode, again and again, so a
 * long-running demo keeps showing it. Every worker runs its own player from the same seed and
 * clock, so all shards agree on what happens when.
 */
export class ScenarioPlayer {
  /** Multiplies the tick rate (a burst is ×100). */
  rateMultiplier = 1;
  /** Per sector, applied by the model. */
  readonly volatilityMultiplier: Float64Array;
  readonly extraDrift: Float64Array;
  /** 1 for a halted symbol: the generator must not step it. */
  readonly halted: Uint8Array;
  private readonly events: MarketEventOut[] = [];
  private readonly random: Random;
  private episode = -1;
  private active = false;
  private haltedSymbol = -1;
  private focusSector = 0;
  private startMs = Number.NaN;

  constructor(
    readonly kind: ScenarioKind,
    private readonly universe: Universe,
    seed: number,
    private readonly timing: ScenarioTiming = defaultScenarioTiming,
  ) {
    this.random = new Random(seed ^ 0x5ce4a);
    this.volatilityMultiplier = new Float64Array(universe.sectorNames.length).fill(1);
    this.extraDrift = new Float64Array(universe.sectorNames.length);
    this.halted = new Uint8Array(universe.size);
  }

  isHalted(symbol: number): boolean {
    return this.halted[symbol] === 1;
  }

  /** Brings the controls to market time `nowMs`, queueing an event at each change. */
  update(nowMs: number): void {
    if (this.kind === 'normal') return;
    if (Number.isNaN(this.startMs)) this.startMs = nowMs;
    const cycle = this.timing.calmMs + this.timing.activeMs;
    const sinceStart = nowMs - this.startMs;
    const episode = Math.floor(sinceStart / cycle);
    const intoCycle = sinceStart - episode * cycle;
    const shouldBeActive = intoCycle >= this.timing.calmMs;
    if (shouldBeActive && (!this.active || episode !== this.episode)) {
      if (this.active) this.end(nowMs);
      this.begin(episode, nowMs);
    } else if (!shouldBeActive && this.active) this.end(nowMs);
    if (this.active) this.shape((intoCycle - this.timing.calmMs) / this.timing.activeMs);
  }

  drainEvents(): MarketEventOut[] {
    return this.events.length === 0 ? NO_EVENTS : this.events.splice(0);
  }

  private begin(episode: number, nowMs: number): void {
    this.episode = episode;
    this.active = true;
    const seconds = Math.round(this.timing.activeMs / 1000);
    let detail = `for ${seconds} s`;
    let sector = '';
    if (this.kind === 'halt') {
      this.haltedSymbol = this.random.int(this.universe.size);
      this.halted[this.haltedSymbol] = 1;
      detail = `${this.universe.names[this.haltedSymbol]} halted ${detail}`;
    } else if (this.kind === 'news-spike') {
      this.focusSector = this.random.int(this.universe.sectorNames.length);
      sector = this.universe.sectorNames[this.focusSector] as string;
      detail = `volatility ×5 in ${sector} ${detail}`;
    } else if (this.kind === 'burst') detail = `tick rate ×100 ${detail}`;
    else if (this.kind === 'flash-crash') detail = `market drops ~10 % and recovers ${detail}`;
    else if (this.kind === 'selloff') detail = `correlated decline of ~5 % ${detail}`;
    this.events.push({ kind: 'scenario-start', symbol: '', sector, name: this.kind, detail, timeMs: nowMs });
    if (this.haltedSymbol >= 0) this.events.push(this.symbolEvent('halt', nowMs));
  }

  private end(nowMs: number): void {
    this.active = false;
    if (this.haltedSymbol >= 0) {
      this.events.push(this.symbolEvent('resume', nowMs));
      this.halted[this.haltedSymbol] = 0;
      this.haltedSymbol = -1;
    }
    this.rateMultiplier = 1;
    this.volatilityMultiplier.fill(1);
    this.extraDrift.fill(0);
    this.events.push({ kind: 'scenario-end', symbol: '', sector: '', name: this.kind, detail: '', timeMs: nowMs });
  }

  private symbolEvent(kind: 'halt' | 'resume', nowMs: number): MarketEventOut {
    const u = this.universe;
    const symbol = this.haltedSymbol;
    return {
      kind,
      symbol: u.names[symbol] as string,
      sector: u.sectorNames[u.sectorOf[symbol] as number] as string,
      name: 'halt',
      detail: kind === 'halt' ? 'trading halted' : 'trading resumed',
      timeMs: nowMs,
    };
  }

  /** The controls at `progress` (0..1) through the episode. */
  private shape(progress: number): void {
    const activeYears = yearsOf(this.timing.activeMs);
    switch (this.kind) {
      case 'burst':
        this.rateMultiplier = 100;
        break;
      case 'flash-crash': {
        // Down 10 % in the first 30 % of the episode, back up over the rest.
        const drop = Math.log(0.9);
        this.extraDrift.fill(progress < 0.3 ? drop / (0.3 * activeYears) : -drop / (0.7 * activeYears));
        this.volatilityMultiplier.fill(3);
        break;
      }
      case 'news-spike':
        this.volatilityMultiplier[this.focusSector] = 5;
        break;
      case 'selloff':
        this.extraDrift.fill(Math.log(0.95) / activeYears);
        this.volatilityMultiplier.fill(1.5);
        break;
      default:
        break;
    }
  }
}

const NO_EVENTS: MarketEventOut[] = [];
