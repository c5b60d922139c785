import { Random } from './random.js';

export const SECTORS = [
  'Technology',
  'Communication',
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

export const MAX_SYMBOLS = 10_000;
const SYMBOL_PATTERN = /^[A-Z][A-Z0-9.]{0,9}$/;

interface KnownSymbol {
  name: string;
  sector: (typeof SECTORS)[number];
  price: number;
  drift: number;
  volatility: number;
}

/** The seeds' five, first in every universe, at realistic levels. */
const SEED_SYMBOLS: readonly KnownSymbol[] = [
  { name: 'AAPL', sector: 'Technology', price: 190, drift: 0.08, volatility: 0.25 },
  { name: 'GOOGL', sector: 'Communication', price: 170, drift: 0.08, volatility: 0.28 },
  { name: 'AMZN', sector: 'Consumer Discretionary', price: 185, drift: 0.09, volatility: 0.32 },
  { name: 'TSLA', sector: 'Consumer Discretionary', price: 250, drift: 0.05, volatility: 0.55 },
  { name: 'MSFT', sector: 'Technology', price: 420, drift: 0.08, volatility: 0.24 },
];

/** Per-symbol parameters, by index. Annualised drift and volatility; spread in basis points. */
export interface Universe {
  readonly size: number;
  readonly names: readonly string[];
  readonly sectorNames: readonly string[];
  /** Index into sectorNames, per symbol. */
  readonly sectorOf: Uint8Array;
  readonly initialPrice: Float64Array;
  readonly drift: Float64Array;
  readonly volatility: Float64Array;
  readonly spreadBps: Float64Array;
  /** Mean shares per tick at the calmest time of day. */
  readonly lotSize: Float64Array;
}

export interface UniverseOptions {
  /** Exactly these symbols, or null for the seeds' five followed by generated tickers. */
  symbols: readonly string[] | null;
  symbolCount: number;
  seed: number;
}

/** Builds the same universe for the same options: every worker builds its own copy. */
export function buildUniverse(options: UniverseOptions): Universe {
  const names = options.symbols ? checkSymbols(options.symbols) : generatedNames(options.symbolCount, options.seed);
  const size = names.length;
  const random = new Random(options.seed ^ 0x5eed);
  const universe = {
    size,
    names,
    sectorNames: SECTORS,
    sectorOf: new Uint8Array(size),
    initialPrice: new Float64Array(size),
    drift: new Float64Array(size),
    volatility: new Float64Array(size),
    spreadBps: new Float64Array(size),
    lotSize: new Float64Array(size),
  };
  for (let i = 0; i < size; i++) {
    const known = SEED_SYMBOLS.find((symbol) => symbol.name === names[i]);
    // Log-uniform prices between $5 and $800, as a broad market spreads them.
    const price = known?.price ?? Math.exp(Math.log(5) + random.next() * (Math.log(800) - Math.log(5)));
    universe.sectorOf[i] = known ? SECTORS.indexOf(known.sector) : random.int(SECTORS.length);
    universe.initialPrice[i] = price;
    universe.drift[i] = known?.drift ?? -0.05 + random.next() * 0.25;
    const volatility = known?.volatility ?? 0.15 + random.next() * 0.65;
    universe.volatility[i] = volatility;
    // Cheap, volatile names trade wider.
    universe.spreadBps[i] = known ? 1.5 : 1 + (20 * volatility) / Math.sqrt(price / 5);
    universe.lotSize[i] = known ? 200 : 20 + random.int(300);
  }
  return universe;
}

function checkSymbols(symbols: readonly string[]): string[] {
  if (symbols.length < 1 || symbols.length > MAX_SYMBOLS) {
    throw new RangeError(`a universe needs 1 to ${MAX_SYMBOLS} symbols, got ${symbols.length}`);
  }
  const seen = new Set<string>();
  for (const symbol of symbols) {
    if (!SYMBOL_PATTERN.test(symbol)) throw new RangeError(`'${symbol}' is not a ticker (A-Z, 0-9, '.', up to 10)`);
    if (seen.has(symbol)) throw new RangeError(`'${symbol}' is listed twice`);
    seen.add(symbol);
  }
  return [...symbols];
}

function generatedNames(count: number, seed: number): string[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_SYMBOLS) {
    throw new RangeError(`symbol count must be an integer from 1 to ${MAX_SYMBOLS}, got ${count}`);
  }
  const names = SEED_SYMBOLS.slice(0, count).map((symbol) => symbol.name);
  const taken = new Set(names);
  const random = new Random(seed);
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
