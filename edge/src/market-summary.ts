import type { QuoteFields } from '@tickstream/schemas';

/** What the market summaries read of the edge's state, by symbol id. */
export interface SummarySource {
  names: readonly string[];
  sectors: readonly string[];
  /** The published quote (what clients were last sent). */
  quote: (id: number) => QuoteFields;
  /** Traded value today (Σ price × size, prices × 10,000), from the same ticks as the quote's volume. */
  turnover: (id: number) => number;
  /** The analytics job's relative volume of the symbol's newest finished bar; NaN without one. */
  relativeVolume: (id: number) => number;
}

export interface Mover {
  symbol: string;
  sector: string;
  last: number;
  changePct: number;
  volume: number;
  /** The job's, NaN (null in JSON) where it has none. */
  relativeVolume: number;
}

export interface Movers {
  gainers: Mover[];
  losers: Mover[];
  /** Most active by the job's relative volume: empty while the job has written no bar. */
  active: Mover[];
}

export interface HeatmapTile {
  symbol: string;
  /** Traded value today in currency units (turnover ÷ 10,000). */
  value: number;
  changePct: number;
}

export interface HeatmapSector {
  sector: string;
  value: number;
  /** The sector's change: its symbols' changes weighted by traded value. */
  changePct: number;
  symbols: HeatmapTile[];
}

const PRICE_SCALE = 10_000;

/** (last − open) / open in %, 0 before a symbol's first tick. */
export function changePercent(quote: QuoteFields): number {
  return quote.open === 0 ? 0 : (100 * (quote.last - quote.open)) / quote.open;
}

/**
 * Top movers: the `limit` biggest gainers and losers by change since the day's open, and the
 * most active by the analytics job's relative volume. One pass over the symbols and three
 * bounded insertions: no sort of the whole market.
 */
export function topMovers(source: SummarySource, limit: number): Movers {
  const gainers: Mover[] = [];
  const losers: Mover[] = [];
  const active: Mover[] = [];
  for (let id = 0; id < source.names.length; id++) {
    const quote = source.quote(id);
    if (quote.ticks === 0 && quote.last === 0) continue;
    const mover: Mover = {
      symbol: source.names[id] as string,
      sector: source.sectors[id] ?? '',
      last: quote.last,
      changePct: changePercent(quote),
      volume: quote.volume,
      relativeVolume: source.relativeVolume(id),
    };
    if (mover.changePct > 0) insertBounded(gainers, mover, limit, (a, b) => b.changePct - a.changePct);
    if (mover.changePct < 0) insertBounded(losers, mover, limit, (a, b) => a.changePct - b.changePct);
    if (Number.isFinite(mover.relativeVolume))
      insertBounded(active, mover, limit, (a, b) => b.relativeVolume - a.relativeVolume);
  }
  return { gainers, losers, active };
}

/** Keeps `list` sorted by `order` and at most `limit` long; ties keep the earlier (lower id). */
function insertBounded<T>(list: T[], item: T, limit: number, order: (a: T, b: T) => number): void {
  if (list.length === limit && order(item, list[limit - 1] as T) >= 0) return;
  let at = list.length;
  while (at > 0 && order(item, list[at - 1] as T) < 0) at--;
  list.splice(at, 0, item);
  if (list.length > limit) list.pop();
}

/**
 * The market by sector for a treemap: each sector's traded value today and its value-weighted
 * change, and each symbol's, biggest first. Symbols that have not traded today are left out
 * (a tile of size 0 is not drawn).
 */
export function sectorHeatmap(source: SummarySource): HeatmapSector[] {
  const bySector = new Map<string, HeatmapSector>();
  const weighted = new Map<string, number>();
  for (let id = 0; id < source.names.length; id++) {
    const value = source.turnover(id) / PRICE_SCALE;
    if (!(value > 0)) continue;
    const sectorName = source.sectors[id] || 'Other';
    let sector = bySector.get(sectorName);
    if (sector === undefined) {
      sector = { sector: sectorName, value: 0, changePct: 0, symbols: [] };
      bySector.set(sectorName, sector);
    }
    const changePct = changePercent(source.quote(id));
    sector.value += value;
    sector.symbols.push({ symbol: source.names[id] as string, value, changePct });
    weighted.set(sectorName, (weighted.get(sectorName) ?? 0) + value * changePct);
  }
  const sectors = [...bySector.values()];
  for (const sector of sectors) {
    sector.changePct = (weighted.get(sector.sector) ?? 0) / sector.value;
    sector.symbols.sort((a, b) => b.value - a.value || a.symbol.localeCompare(b.symbol));
  }
  return sectors.sort((a, b) => b.value - a.value || a.sector.localeCompare(b.sector));
}

/**
 * A value computed at most once per `maxAgeMs`, however many clients ask: the summaries walk
 * every symbol, and a dashboard polls them each second.
 */
export class Recent<T> {
  private value: T | undefined;
  private atMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly compute: () => T,
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(): T {
    const now = this.now();
    if (this.value === undefined || now - this.atMs >= this.maxAgeMs) {
      this.value = this.compute();
      this.atMs = now;
    }
    return this.value;
  }
}
