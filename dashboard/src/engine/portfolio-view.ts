import { type PortfolioFields, type PortfolioValuation, valuePortfolio } from '@tickstream/schemas';
import { ROW } from './feed-protocol.js';
import type { MarketBook } from './market-book.js';

/**
 * The Portfolio tab's numbers, from the portfolio record the fill engine wrote and the prices
 * the page holds: marked to market with valuePortfolio, the same function the edge's
 * GET /api/portfolio uses, at the book's last price (or, for a symbol the page does not follow,
 * the edge's last price sent with the record). Money and prices × 10,000.
 */
export function markPortfolio(
  portfolio: PortfolioFields,
  book: MarketBook,
  marks: readonly number[],
): PortfolioValuation {
  const fallback = new Map(portfolio.positions.map((position, i) => [position.symbol, marks[i] ?? 0]));
  return valuePortfolio(portfolio, (symbol) => {
    const id = book.idOf(symbol);
    const last = id === undefined ? 0 : book.value(id, ROW.last);
    return last > 0 ? last : fallback.get(symbol) || undefined;
  });
}

export interface AllocationSlice {
  /** A sector, or "Cash". */
  name: string;
  /** × 10,000. */
  value: number;
  /** Of the equity, 0 to 1. */
  share: number;
}

/** The equity by sector of the positions held, and cash; largest first. Nothing when equity ≤ 0. */
export function allocationBySector(valuation: PortfolioValuation, book: MarketBook): AllocationSlice[] {
  const bySector = new Map<string, number>();
  for (const position of valuation.positions) {
    if (position.quantity === 0) continue;
    const id = book.idOf(position.symbol);
    const sector = (id === undefined ? '' : book.sectors[id]) || 'Unknown sector';
    bySector.set(sector, (bySector.get(sector) ?? 0) + position.marketValue);
  }
  if (valuation.cash > 0) bySector.set('Cash', valuation.cash);
  const total = [...bySector.values()].reduce((sum, value) => sum + value, 0);
  if (total <= 0) return [];
  return [...bySector.entries()]
    .map(([name, value]) => ({ name, value, share: value / total }))
    .sort((a, b) => b.value - a.value || a.name.localeCompare(b.name));
}

export interface EquityPoint {
  timeMs: number;
  /** × 10,000. */
  equity: number;
}

export interface ChartGeometry {
  /** An SVG path through the points, oldest on the left. */
  path: string;
  min: number;
  max: number;
  fromMs: number;
  toMs: number;
}

/** Scales equity points (sorted by time) into a `width` × `height` box; null for fewer than two. */
export function equityChart(points: readonly EquityPoint[], width: number, height: number): ChartGeometry | null {
  if (points.length < 2) return null;
  const first = points[0] as EquityPoint;
  const last = points.at(-1) as EquityPoint;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const point of points) {
    min = Math.min(min, point.equity);
    max = Math.max(max, point.equity);
  }
  // A flat curve sits in the middle rather than on an edge.
  const span = max - min || Math.max(1, Math.abs(max) * 0.01);
  const low = max === min ? min - span / 2 : min;
  const duration = last.timeMs - first.timeMs || 1;
  const path = points
    .map((point, i) => {
      const x = ((point.timeMs - first.timeMs) / duration) * width;
      const y = height - ((point.equity - low) / span) * height;
      return `${i === 0 ? 'M' : 'L'}${x.toFixed(1)},${y.toFixed(1)}`;
    })
    .join(' ');
  return { path, min, max, fromMs: first.timeMs, toMs: last.timeMs };
}
