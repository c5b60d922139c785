import type { QuoteBook } from '@tickstream/client';
import type { MoversView, MoverView } from './feed-protocol.js';
import type { HeatmapJson } from './treemap.js';

/** Prices in a book are × Hello.price_scale. */
const PRICE_SCALE = 10_000;

/**
 * The Overview's summaries while a replay is shown, computed in the worker from the replay's
 * book (its last, open, volume and sector per symbol) in the shapes the edge's /api/movers and
 * /api/heatmap answer, since those only know the live market. What the book does not hold is
 * not made up: no relative volume (the analytics job's, per bar), so no "most active"; and no
 * traded value, so a heatmap tile is sized by last × volume, not by Σ price × size.
 */
export function replayMovers(book: QuoteBook, limit: number): MoversView {
  const movers: MoverView[] = [];
  const t = book.table;
  for (let id = 0; id < book.size; id++) {
    const last = t.last[id] as number;
    if (last === 0 || !book.names[id]) continue;
    movers.push({
      symbol: book.names[id] as string,
      sector: book.sectors[id] ?? '',
      last,
      changePct: changePercent(last, t.open[id] as number),
      volume: t.volume[id] as number,
      relativeVolume: null,
    });
  }
  // Ties keep the lower id first, as the edge's ranking does (Array.prototype.sort is stable).
  const gainers = movers.filter((m) => m.changePct > 0).sort((a, b) => b.changePct - a.changePct);
  const losers = movers.filter((m) => m.changePct < 0).sort((a, b) => a.changePct - b.changePct);
  return { gainers: gainers.slice(0, limit), losers: losers.slice(0, limit), active: [], analytics: '', replay: true };
}

/** The replayed market by sector, biggest first, as /api/heatmap lays it out (see replayMovers for the tile size). */
export function replayHeatmap(book: QuoteBook): HeatmapJson {
  const bySector = new Map<string, HeatmapJson['sectors'][number] & { weighted: number }>();
  const t = book.table;
  for (let id = 0; id < book.size; id++) {
    const last = t.last[id] as number;
    const value = (last * (t.volume[id] as number)) / PRICE_SCALE;
    if (!(value > 0) || !book.names[id]) continue;
    const name = book.sectors[id] || 'Other';
    let sector = bySector.get(name);
    if (sector === undefined) {
      sector = { sector: name, value: 0, changePct: 0, symbols: [], weighted: 0 };
      bySector.set(name, sector);
    }
    const changePct = changePercent(last, t.open[id] as number);
    sector.value += value;
    sector.weighted += value * changePct;
    sector.symbols.push({ symbol: book.names[id] as string, value, changePct });
  }
  const sectors = [...bySector.values()].map(({ weighted, ...sector }) => ({
    ...sector,
    changePct: weighted / sector.value,
    symbols: sector.symbols.sort((a, b) => b.value - a.value || a.symbol.localeCompare(b.symbol)),
  }));
  return { sectors: sectors.sort((a, b) => b.value - a.value || a.sector.localeCompare(b.sector)) };
}

/** (last − open) / open in %, 0 without an open. */
function changePercent(last: number, open: number): number {
  return open === 0 ? 0 : (100 * (last - open)) / open;
}
