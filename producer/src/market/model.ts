import { PRICE_SCALE, type TickFields } from '@tickstream/schemas';
import type { Random } from './random.js';
import type { Universe } from './universe.js';

/**
 * Volatility is quoted per year of trading time: 252 days of 6.5 hours. A tick `dt` seconds
 * after the previous one moves by σ·√(dt / TRADING_SECONDS_PER_YEAR).
 */
export const TRADING_SECONDS_PER_YEAR = 252 * 6.5 * 3600;

export interface ModelOptions {
  /** Share of each move that is common to the symbol's sector (correlation ρ). */
  sectorCorrelation: number;
  /** Jumps per symbol per trading year, and their size (standard deviation of the log jump). */
  jumpsPerYear: number;
  jumpSize: number;
  /** Overrides every symbol's own annualised volatility when set. */
  volatility: number | null;
}

export const defaultModelOptions: ModelOptions = {
  sectorCorrelation: 0.5,
  jumpsPerYear: 6,
  jumpSize: 0.03,
  volatility: null,
};

/** The spread reverts to its typical width with a time constant of about a minute. */
const SPREAD_REVERSION_PER_SECOND = 1 / 60;
const SPREAD_NOISE = 0.15;

/**
 * Prices of a universe as geometric Brownian motion with a one-factor sector model, rare jumps,
 * a mean-reverting bid/ask spread and lognormal trade sizes. All state is in typed arrays
 * indexed by symbol; `step` writes into a caller-owned TickFields, so a tick allocates nothing.
 */
export class MarketModel {
  private readonly logPrice: Float64Array;
  private readonly spreadBps: Float64Array;
  private readonly sequence: Float64Array;
  private readonly lastTimeMs: Float64Array;
  /** Each sector's Brownian motion (in √years) and where each symbol last read it. */
  private readonly sectorLevel: Float64Array;
  private readonly sectorSeen: Float64Array;
  private sectorTimeMs = Number.NaN;
  /** Scenario controls, per sector: volatility multiplier and extra annualised drift. */
  readonly volatilityMultiplier: Float64Array;
  readonly extraDrift: Float64Array;
  private readonly idiosyncratic: number;

  constructor(
    readonly universe: Universe,
    private readonly random: Random,
    private readonly options: ModelOptions = defaultModelOptions,
    controls?: { volatilityMultiplier: Float64Array; extraDrift: Float64Array },
  ) {
    const n = universe.size;
    this.logPrice = Float64Array.from(universe.initialPrice, Math.log);
    this.spreadBps = Float64Array.from(universe.spreadBps);
    this.sequence = new Float64Array(n);
    this.lastTimeMs = new Float64Array(n).fill(Number.NaN);
    this.sectorLevel = new Float64Array(universe.sectorNames.length);
    this.sectorSeen = new Float64Array(n);
    this.volatilityMultiplier = controls?.volatilityMultiplier ?? new Float64Array(universe.sectorNames.length).fill(1);
    this.extraDrift = controls?.extraDrift ?? new Float64Array(universe.sectorNames.length);
    this.idiosyncratic = Math.sqrt(1 - options.sectorCorrelation ** 2);
  }

  /** Moves every sector factor to `nowMs`; call once before the steps of that instant. */
  advanceSectors(nowMs: number): void {
    if (!Number.isNaN(this.sectorTimeMs) && nowMs > this.sectorTimeMs) {
      const rootDt = Math.sqrt((nowMs - this.sectorTimeMs) / 1000 / TRADING_SECONDS_PER_YEAR);
      for (let s = 0; s < this.sectorLevel.length; s++) {
        this.sectorLevel[s] = (this.sectorLevel[s] as number) + rootDt * this.random.gaussian();
      }
    }
    this.sectorTimeMs = nowMs;
  }

  /**
   * The next tick of symbol `i` at market time `nowMs`, written into `out`. Its move covers the
   * time since the symbol's previous tick; the first tick of a symbol prints its start price.
   */
  step(i: number, nowMs: number, activity: number, out: TickFields): void {
    const u = this.universe;
    const sector = u.sectorOf[i] as number;
    const previous = this.lastTimeMs[i] as number;
    const dtSeconds = Number.isNaN(previous) ? 0 : Math.max(0, (nowMs - previous) / 1000);
    this.lastTimeMs[i] = nowMs;

    const sectorMove = (this.sectorLevel[sector] as number) - (this.sectorSeen[i] as number);
    this.sectorSeen[i] = this.sectorLevel[sector] as number;
    if (dtSeconds > 0) {
      const dt = dtSeconds / TRADING_SECONDS_PER_YEAR;
      const sigma =
        (this.options.volatility ?? (u.volatility[i] as number)) * (this.volatilityMultiplier[sector] as number);
      const mu = (u.drift[i] as number) + (this.extraDrift[sector] as number);
      let move =
        (mu - (sigma * sigma) / 2) * dt +
        sigma *
          (this.options.sectorCorrelation * sectorMove + this.idiosyncratic * Math.sqrt(dt) * this.random.gaussian());
      // A compound Poisson jump: λ·dt is tiny per tick, so one Bernoulli draw is exact enough.
      if (this.random.next() < this.options.jumpsPerYear * dt) move += this.options.jumpSize * this.random.gaussian();
      this.logPrice[i] = (this.logPrice[i] as number) + move;

      const typical = (u.spreadBps[i] as number) * (this.volatilityMultiplier[sector] as number);
      const spread = this.spreadBps[i] as number;
      const reverted = spread + (typical - spread) * Math.min(1, SPREAD_REVERSION_PER_SECOND * dtSeconds);
      this.spreadBps[i] = Math.max(
        typical * 0.2,
        reverted + SPREAD_NOISE * typical * Math.sqrt(Math.min(1, dtSeconds)) * this.random.gaussian(),
      );
    }

    const mid = Math.exp(this.logPrice[i] as number);
    const price = Math.max(2, Math.round(mid * PRICE_SCALE));
    // At least one increment on each side, so bid < price < ask always holds.
    const half = Math.max(1, Math.round((mid * (this.spreadBps[i] as number) * PRICE_SCALE) / 20_000));
    const sequence = (this.sequence[i] as number) + 1;
    this.sequence[i] = sequence;

    out.symbol = u.names[i] as string;
    out.sector = u.sectorNames[sector] as string;
    out.price = price;
    out.bid = price - half;
    out.ask = price + half;
    out.size = Math.max(1, Math.round((u.lotSize[i] as number) * activity * Math.exp(0.9 * this.random.gaussian())));
    out.exchangeTimeUs = Math.round(nowMs * 1000);
    out.sequence = sequence;
  }

  /** The latest mid price of symbol `i`, in dollars. */
  priceOf(i: number): number {
    return Math.exp(this.logPrice[i] as number);
  }
}

/** A TickFields to reuse for every tick. */
export function emptyTick(): TickFields {
  return { symbol: '', sector: '', price: 0, size: 0, bid: 0, ask: 0, exchangeTimeUs: 0, sequence: 0 };
}
