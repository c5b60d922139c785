import { PRICE_SCALE } from '@tickstream/schemas';
import { Random } from './random.js';
import type { Universe } from './universe.js';

/**
 * Drift and volatility are annual in trading time, 252 days of 6.5 hours: a step of `dtSeconds`
 * covers Δ = dtSeconds / TRADING_SECONDS_PER_YEAR years. Every second of market time counts as
 * trading time, whatever the session, so prices keep their volatility at night too.
 */
export const TRADING_SECONDS_PER_YEAR = 252 * 6.5 * 3600;
const YEARS_PER_SECOND = 1 / TRADING_SECONDS_PER_YEAR;
const TRADING_DAYS_PER_YEAR = 252;

/** Prices are integers × PRICE_SCALE, so 1 is the smallest increment; the bid stays at 1 or more. */
const MIN_PRICE = 2;
/** Far above any share price, and still an exact integer at PRICE_SCALE. */
const MAX_PRICE = 1e15;
/**
 * Trade sizes come from a table of 4,096 quantiles of their distribution, indexed by the top 12
 * bits of one draw: a lookup instead of a power function on every tick (Math.pow measured 70 ns).
 * The table reaches the 1 − 1/8,192 quantile, about 400 times the minimum at α = 1.5.
 */
const SIZE_QUANTILE_BITS = 12;

/**
 * One tick, written in place by `MarketModel.step` into an object the caller owns and reuses, so
 * the tick loop allocates nothing. Prices are integers × PRICE_SCALE.
 */
export interface TickOut {
  symbolIndex: number;
  price: number;
  bid: number;
  ask: number;
  /** Shares, an integer ≥ 1. */
  size: number;
  /** Per symbol, from 1. */
  sequence: number;
  /** Market time of the tick in epoch ms (set by `stepAt`; `step` leaves it as it was). */
  timeMs: number;
}

export function createTickOut(): TickOut {
  return { symbolIndex: 0, price: 0, bid: 0, ask: 0, size: 0, sequence: 0, timeMs: 0 };
}

export interface ModelOptions {
  /** ρ, each symbol's loading on its sector factor: two symbols of one sector correlate ρ². */
  sectorCorrelation: number;
  /** λ, jumps per symbol per trading year (0 turns jumps off). */
  jumpsPerYear: number;
  /** Standard deviation of a jump's log size, in daily standard deviations (σ/√252) of the symbol. */
  jumpSizeDailySigmas: number;
  /** Replaces every symbol's own annualised volatility when set (`--volatility`). */
  volatility: number | null;
  /** Time constant of the spread's pull back to its typical width. */
  spreadReversionSeconds: number;
  /** Standard deviation of log(spread / typical spread) in the long run. */
  spreadVariability: number;
  /** α of the trade sizes' tail, P(size > x) ∝ x^−α; measured trade sizes show about 1.5. */
  sizeTailExponent: number;
}

export const defaultModelOptions: ModelOptions = {
  sectorCorrelation: 0.5,
  jumpsPerYear: 4,
  jumpSizeDailySigmas: 3,
  volatility: null,
  spreadReversionSeconds: 60,
  spreadVariability: 0.25,
  sizeTailExponent: 1.5,
};

/**
 * What a scenario changes, read by the model on every step. ScenarioPlayer owns and writes these
 * arrays and the model only reads them, so a scenario takes effect with no call per symbol.
 */
export interface MarketControls {
  /** Per sector: multiplies volatility, and the spread with it. */
  readonly volatilityMultiplier: Float64Array;
  /** Per sector: annualised drift added to every symbol's own (a crash is a large negative one). */
  readonly extraDrift: Float64Array;
  /** Per symbol: 1 while halted. */
  readonly halted: Uint8Array;
}

function checkOptions(o: ModelOptions): void {
  const rules: [boolean, string][] = [
    [o.sectorCorrelation >= 0 && o.sectorCorrelation <= 1, `sectorCorrelation must be from 0 to 1`],
    [o.jumpsPerYear >= 0 && Number.isFinite(o.jumpsPerYear), `jumpsPerYear must be a number ≥ 0`],
    [o.jumpSizeDailySigmas >= 0, `jumpSizeDailySigmas must be ≥ 0`],
    [o.volatility === null || (o.volatility > 0 && Number.isFinite(o.volatility)), `volatility must be above 0`],
    [o.spreadReversionSeconds > 0, `spreadReversionSeconds must be above 0`],
    [o.spreadVariability >= 0, `spreadVariability must be ≥ 0`],
    [o.sizeTailExponent > 1, `sizeTailExponent must be above 1, or sizes have no mean`],
  ];
  for (const [ok, rule] of rules) if (!ok) throw new RangeError(`market model: ${rule}`);
}

/**
 * The prices of a universe, one symbol step at a time.
 *
 * - Log price: geometric Brownian motion, `(μ − σ²/2)·Δ + σ·(ρ·ΔW_sector + √(1−ρ²)·√Δ·Z)`.
 *   W_sector is one Brownian motion per sector, which the caller moves on once per round with
 *   `advanceSectors`; ΔW_sector is its move since this symbol last stepped. So a sector's symbols
 *   share its moves however often each of them ticks, and a tick's variance is σ²Δ on average.
 * - Jumps: compound Poisson, λ a year, each N(−s²/2, s²) in log price with
 *   s = jumpSizeDailySigmas·σ/√252 (the −s²/2 leaves the expected price unchanged). Each symbol
 *   keeps the trading time left to its next jump, drawn exponential: a tick without a jump costs
 *   no draw, and any Δ is exact.
 * - Spread: log(spread / typical) is an Ornstein–Uhlenbeck process around 0, stepped exactly for
 *   any Δ, so the spread is always positive; the sector's volatility multiplier widens it. Bid and
 *   ask are half a spread either side of the price, at least one increment each.
 * - Size: Pareto with tail exponent α (heavy-tailed, as trade sizes are), mean lotSize × volumeFactor.
 *
 * State is in typed arrays by symbol; `step` and `stepAt` write a caller-owned TickOut and
 * allocate nothing. Time comes in as each step's `dtSeconds`, or as `timeMs` for `stepAt`.
 */
export class MarketModel {
  /** Scales trade sizes (the intraday U shape); the caller sets it once per round. */
  volumeFactor = 1;
  /** Market time in epoch ms for `stepAt`; the caller sets it before each call. */
  timeMs = 0;
  readonly controls: MarketControls;

  private readonly random: Random;
  private readonly sectorIndex: Uint8Array;
  private readonly drift: Float64Array;
  private readonly sigma: Float64Array;
  private readonly typicalSpreadBps: Float64Array;
  private readonly lotSize: Float64Array;
  private readonly jumpSize: Float64Array;
  private readonly logPrice: Float64Array;
  private readonly logSpread: Float64Array;
  private readonly untilJumpSeconds: Float64Array;
  /** Market time of each symbol's previous `stepAt`; NaN before its first. */
  private readonly lastStepMs: Float64Array;
  /** The time the step under way covers: a field, so that `advance` takes no double argument. */
  private stepSeconds = 0;
  /** Float64, not Int32: a symbol at 1,000 ticks/s would pass 2^31 within a month. */
  private readonly sequence: Float64Array;
  /** Each sector's Brownian motion in √years, and its value when each symbol last stepped. */
  private readonly sectorLevel: Float64Array;
  private readonly sectorSeen: Float64Array;
  private readonly rho: number;
  private readonly idiosyncratic: number;
  private readonly meanJumpGapSeconds: number;
  private readonly spreadRate: number;
  private readonly spreadVariability: number;
  /** Quantiles of the trade size relative to the lot size, with mean 1. */
  private readonly sizeQuantiles: Float64Array;

  constructor(universe: Universe, seed: number, options: Partial<ModelOptions> = {}, controls?: MarketControls) {
    const o = { ...defaultModelOptions, ...options };
    checkOptions(o);
    const n = universe.size;
    this.random = new Random(seed);
    this.controls = controls ?? {
      volatilityMultiplier: new Float64Array(universe.sectorNames.length).fill(1),
      extraDrift: new Float64Array(universe.sectorNames.length),
      halted: new Uint8Array(n),
    };
    this.sectorIndex = universe.sectorIndex;
    this.drift = universe.drift;
    this.sigma = Float64Array.from(universe.volatility, (own) => o.volatility ?? own);
    this.typicalSpreadBps = universe.spreadBps;
    this.lotSize = universe.lotSize;
    this.jumpSize = this.sigma.map((sigma) => (o.jumpSizeDailySigmas * sigma) / Math.sqrt(TRADING_DAYS_PER_YEAR));
    this.logPrice = Float64Array.from(universe.initialPrice, Math.log);
    this.logSpread = new Float64Array(n);
    this.meanJumpGapSeconds = o.jumpsPerYear > 0 ? TRADING_SECONDS_PER_YEAR / o.jumpsPerYear : Infinity;
    this.untilJumpSeconds = new Float64Array(n);
    for (let i = 0; i < n; i++) this.untilJumpSeconds[i] = this.meanJumpGapSeconds * this.random.exponential();
    this.lastStepMs = new Float64Array(n).fill(Number.NaN);
    this.sequence = new Float64Array(n);
    this.sectorLevel = new Float64Array(universe.sectorNames.length);
    this.sectorSeen = new Float64Array(n);
    this.rho = o.sectorCorrelation;
    this.idiosyncratic = Math.sqrt(1 - o.sectorCorrelation ** 2);
    this.spreadRate = 1 / o.spreadReversionSeconds;
    this.spreadVariability = o.spreadVariability;
    this.sizeQuantiles = paretoQuantiles(o.sizeTailExponent, 1 << SIZE_QUANTILE_BITS);
  }

  /** Moves every sector factor on by `dtSeconds` of market time; call once per round of steps. */
  advanceSectors(dtSeconds: number): void {
    if (!(dtSeconds > 0)) return;
    const root = Math.sqrt(dtSeconds * YEARS_PER_SECOND);
    for (let s = 0; s < this.sectorLevel.length; s++) {
      this.sectorLevel[s] = (this.sectorLevel[s] as number) + root * this.random.gaussian();
    }
  }

  /** Whether symbol `i` is halted: its `step` must not be called then (TickGenerator checks). */
  isHalted(i: number): boolean {
    return this.controls.halted[i] === 1;
  }

  /**
   * Moves symbol `i` on by `dtSeconds` of market time and writes its next tick into `out` (not
   * `out.timeMs`). With `dtSeconds` 0 only the sector's move since the symbol's previous step
   * applies (none before its first step, which prints the initial price).
   */
  step(i: number, dtSeconds: number, out: TickOut): void {
    if (!(dtSeconds >= 0)) throw new RangeError(`market model: dtSeconds must be ≥ 0, got ${dtSeconds}`);
    this.stepSeconds = dtSeconds;
    this.advance(i, out);
  }

  /**
   * Like `step`, at market time `this.timeMs`: the step covers the time since symbol `i`'s previous
   * `stepAt` (none on its first), and `out.timeMs` is set. This is the tick loop's entry point:
   * it takes no double argument, which V8 would box, allocating on every call it does not inline.
   */
  stepAt(i: number, out: TickOut): void {
    const now = this.timeMs;
    const last = this.lastStepMs[i] as number;
    // NaN (never stepped) compares false: a first step covers no time. So does time running back.
    this.stepSeconds = now > last ? (now - last) / 1000 : 0;
    if (!(now <= last)) this.lastStepMs[i] = now;
    out.timeMs = now;
    this.advance(i, out);
  }

  private advance(i: number, out: TickOut): void {
    const dtSeconds = this.stepSeconds;
    const random = this.random;
    const sector = this.sectorIndex[i] as number;
    const multiplier = this.controls.volatilityMultiplier[sector] as number;
    const sigma = (this.sigma[i] as number) * multiplier;
    const dt = dtSeconds * YEARS_PER_SECOND;

    const level = this.sectorLevel[sector] as number;
    const sectorMove = level - (this.sectorSeen[i] as number);
    this.sectorSeen[i] = level;
    const mu = (this.drift[i] as number) + (this.controls.extraDrift[sector] as number);
    const move =
      (mu - 0.5 * sigma * sigma) * dt +
      sigma * (this.rho * sectorMove + this.idiosyncratic * Math.sqrt(dt) * random.gaussian());

    const untilJump = (this.untilJumpSeconds[i] as number) - dtSeconds;
    // Out of line: jumps are rare, and the tick's own code must stay small enough to inline its draws.
    this.untilJumpSeconds[i] = untilJump > 0 ? untilJump : this.jump(i, untilJump);
    const logPrice = (this.logPrice[i] as number) + move;
    this.logPrice[i] = logPrice;

    const decay = Math.exp(-dtSeconds * this.spreadRate);
    const logSpread =
      (this.logSpread[i] as number) * decay + this.spreadVariability * Math.sqrt(1 - decay * decay) * random.gaussian();
    this.logSpread[i] = logSpread;

    const mid = Math.exp(logPrice);
    const price = Math.min(MAX_PRICE, Math.max(MIN_PRICE, Math.round(mid * PRICE_SCALE)));
    const spreadBps = (this.typicalSpreadBps[i] as number) * multiplier * Math.exp(logSpread);
    // Half the spread in increments: at least one, and never so wide that the bid reaches 0.
    const half = Math.min(price - 1, Math.max(1, Math.round((mid * spreadBps * PRICE_SCALE) / 20_000)));
    const size =
      (this.lotSize[i] as number) *
      this.volumeFactor *
      (this.sizeQuantiles[random.nextUint32() >>> (32 - SIZE_QUANTILE_BITS)] as number);
    const sequence = (this.sequence[i] as number) + 1;
    this.sequence[i] = sequence;

    out.symbolIndex = i;
    out.price = price;
    out.bid = price - half;
    out.ask = price + half;
    out.size = Math.max(1, Math.round(size));
    out.sequence = sequence;
  }

  /** Applies the jumps due to symbol `i` and returns the time to its next one (`untilJump` ≤ 0 is overdue). */
  private jump(i: number, untilJump: number): number {
    let left = untilJump;
    let move = 0;
    while (left <= 0) {
      const size = this.jumpSize[i] as number;
      move += size * (this.random.gaussian() - 0.5 * size);
      left += this.meanJumpGapSeconds * this.random.exponential();
    }
    this.logPrice[i] = (this.logPrice[i] as number) + move;
    return left;
  }

  /** Symbol `i`'s current price in dollars, before rounding to the increment. */
  priceOf(i: number): number {
    return Math.exp(this.logPrice[i] as number);
  }

  /** Symbol `i`'s current spread, in basis points. */
  spreadBpsOf(i: number): number {
    const multiplier = this.controls.volatilityMultiplier[this.sectorIndex[i] as number] as number;
    return (this.typicalSpreadBps[i] as number) * multiplier * Math.exp(this.logSpread[i] as number);
  }
}

/** `count` evenly spaced quantiles of a Pareto distribution with tail exponent `alpha`, scaled to mean 1. */
function paretoQuantiles(alpha: number, count: number): Float64Array {
  const quantiles = new Float64Array(count);
  let sum = 0;
  for (let k = 0; k < count; k++) {
    const survival = 1 - (k + 0.5) / count;
    quantiles[k] = survival ** (-1 / alpha);
    sum += quantiles[k] as number;
  }
  const mean = sum / count;
  for (let k = 0; k < count; k++) quantiles[k] = (quantiles[k] as number) / mean;
  return quantiles;
}
