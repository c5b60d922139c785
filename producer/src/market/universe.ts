import { deriveSeed, Random } from './random.js';

/** The eleven GICS sectors; a symbol's index into this list is its `sectorIndex`. */
export const SECTORS = [
  'Technology',
  'Communication Services',
  'Consumer Discretionary',
  'Consumer Staples',
  'Energy',
  'Financials',
  'Health Care',
  'Industrials',
  'Materials',
  'Real Estate',
  'Utilities',
] as const;

export type Sector = (typeof SECTORS)[number];

export const MAX_SYMBOLS = 10_000;
export const SYMBOL_PATTERN = /^[A-Z][A-Z0-9.]{0,9}$/;

interface KnownSymbol {
  name: string;
  sector: Sector;
  price: number;
  drift: number;
  volatility: number;
  spreadBps: number;
}

/** The seeds' five, first in every generated universe, at realistic levels. */
const SEED_SYMBOLS: readonly KnownSymbol[] = [
  { name: 'AAPL', sector: 'Technology', price: 190, drift: 0.08, volatility: 0.25, spreadBps: 1 },
  { name: 'GOOGL', sector: 'Communication Services', price: 170, drift: 0.08, volatility: 0.28, spreadBps: 1.2 },
  { name: 'AMZN', sector: 'Consumer Discretionary', price: 185, drift: 0.09, volatility: 0.32, spreadBps: 1.2 },
  { name: 'TSLA', sector: 'Consumer Discretionary', price: 250, drift: 0.05, volatility: 0.55, spreadBps: 2 },
  { name: 'MSFT', sector: 'Technology', price: 420, drift: 0.08, volatility: 0.22, spreadBps: 1 },
];

/** Large caps trade far more often than the average generated name. */
const SEED_TICK_WEIGHT = 10;
const SEED_LOT_SIZE = 100;

/**
 * Per-symbol parameters by symbol index, as parallel arrays so the tick loop reads numbers, not
 * objects. Drift and volatility are annualised in trading time (TRADING_SECONDS_PER_YEAR).
 * A symbol's base volume rate is `tickWeight × lotSize`: how often it trades times how much.
 */
export interface Universe {
  readonly size: number;
  readonly names: readonly string[];
  /** Sector name of each symbol. */
  readonly sectors: readonly string[];
  /** Index into `sectorNames` of each symbol. */
  readonly sectorIndex: Uint8Array;
  /** Every sector in index order, including those no symbol is in. */
  readonly sectorNames: readonly string[];
  /** Dollars. */
  readonly initialPrice: Float64Array;
  readonly drift: Float64Array;
  readonly volatility: Float64Array;
  /** Typical bid/ask spread, in basis points of the price. */
  readonly spreadBps: Float64Array;
  /** Relative share of the ticks: a symbol of weight 10 ticks ten times as often as one of 1. */
  readonly tickWeight: Float64Array;
  /** Mean shares per trade at midday. */
  readonly lotSize: Float64Array;
}

export interface UniverseOptions {
  /** Exactly these symbols; when absent or null, the seeds' five followed by generated tickers. */
  symbols?: readonly string[] | null;
  /** Size of a generated universe; ignored when `symbols` is given. */
  symbolCount: number;
  seed: number;
}

/** The same options give the same universe: every worker builds its own copy. */
export function buildUniverse(options: UniverseOptions): Universe {
  const names = options.symbols ? checkedSymbols(options.symbols) : generatedNames(options.symbolCount, options.seed);
  const size = names.length;
  const universe = {
    size,
    names,
    sectors: new Array<string>(size),
    sectorIndex: new Uint8Array(size),
    sectorNames: SECTORS,
    initialPrice: new Float64Array(size),
    drift: new Float64Array(size),
    volatility: new Float64Array(size),
    spreadBps: new Float64Array(size),
    tickWeight: new Float64Array(size),
    lotSize: new Float64Array(size),
  };
  const random = new Random(deriveSeed(options.seed, 1));
  for (let i = 0; i < size; i++) {
    // Every symbol takes the same draws, known or not, so symbol i's parameters do not depend on
    // which symbols come before it.
    const sector = random.int(SECTORS.length);
    const price = logUniform(random.next(), 5, 800);
    const drift = -0.05 + 0.25 * random.next();
    const volatility = 0.15 + 0.65 * random.next();
    const tickWeight = logUniform(random.next(), 0.2, 5);
    const lotSize = 20 + random.int(300);
    const known = SEED_SYMBOLS.find((symbol) => symbol.name === names[i]);
    const sectorIndex = known ? SECTORS.indexOf(known.sector) : sector;
    universe.sectorIndex[i] = sectorIndex;
    universe.sectors[i] = SECTORS[sectorIndex] as Sector;
    universe.initialPrice[i] = known?.price ?? price;
    universe.drift[i] = known?.drift ?? drift;
    universe.volatility[i] = known?.volatility ?? volatility;
    // Cheap, volatile names trade wider: 17 bps for a $5 stock at 80 %, 1.2 bps at $800 and 15 %.
    universe.spreadBps[i] = known?.spreadBps ?? 1 + (20 * volatility) / Math.sqrt(price / 5);
    universe.tickWeight[i] = known ? SEED_TICK_WEIGHT : tickWeight;
    universe.lotSize[i] = known ? SEED_LOT_SIZE : lotSize;
  }
  return universe;
}

function logUniform(u: number, low: number, high: number): number {
  return low * (high / low) ** u;
}

function checkedSymbols(symbols: readonly string[]): string[] {
  if (symbols.length < 1 || symbols.length > MAX_SYMBOLS) {
    throw new RangeError(`symbols must list 1 to ${MAX_SYMBOLS} tickers, got ${symbols.length}`);
  }
  const seen = new Set<string>();
  for (const symbol of symbols) {
    if (!SYMBOL_PATTERN.test(symbol)) {
      throw new RangeError(
        `symbol '${symbol}' is not a ticker: use 1 to 10 characters from A-Z, 0-9 and '.', starting with a letter`,
      );
    }
    if (seen.has(symbol)) throw new RangeError(`symbol '${symbol}' is listed twice`);
    seen.add(symbol);
  }
  return [...symbols];
}

function generatedNames(count: number, seed: number): string[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_SYMBOLS) {
    throw new RangeError(`symbolCount must be an integer from 1 to ${MAX_SYMBOLS}, got ${count}`);
  }
  const names = SEED_SYMBOLS.slice(0, count).map((symbol) => symbol.name);
  // All five are reserved even in a smaller universe, so a name never stands for two stocks.
  const taken = new Set(SEED_SYMBOLS.map((symbol) => symbol.name));
  const random = new Random(deriveSeed(seed, 2));
  while (names.length < count) {
    const length = 3 + random.int(3);
    let name = '';
    for (let i = 0; i < length; i++) name += String.fromCharCode(65 + random.int(26));
    if (!taken.has(name)) {
      taken.add(name);
      names.push(name);
    }
  }
  return names;
}
