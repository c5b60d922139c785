import type { PortfolioFields } from './trading-codec.js';

/** One position marked to a price. Money and prices × 10,000 (PRICE_SCALE), integers. */
export interface PositionValuation {
  symbol: string;
  quantity: number;
  cost: number;
  realizedPnl: number;
  /** The price it is marked at: the last trade price, or the average cost when none is known. */
  mark: number;
  /** False when no price was known and the position is marked at its average cost. */
  priced: boolean;
  /** quantity × mark. */
  marketValue: number;
  /** marketValue − cost. */
  unrealizedPnl: number;
}

/** A portfolio marked to market. Money × 10,000, integers. */
export interface PortfolioValuation {
  cash: number;
  reservedCash: number;
  startingCash: number;
  realizedPnl: number;
  /** Σ positions' marketValue. */
  marketValue: number;
  /** Σ positions' unrealizedPnl. */
  unrealizedPnl: number;
  /** cash + marketValue. */
  equity: number;
  positions: PositionValuation[];
}

/**
 * Marks a Portfolio record to market: each position at `markOf(symbol)` (a last trade price ×
 * 10,000; undefined or ≤ 0 when unknown, then at its average cost, so it adds no unrealized P&L).
 * Everything is integer arithmetic in units of 1/10,000, exact while every amount stays below
 * 2^53 units (9 × 10^11 currency units), which the limits of docs/trading.md keep it under. The
 * edge values GET /api/portfolio with it and the dashboard its live Portfolio tab, so both agree.
 */
export function valuePortfolio(
  portfolio: PortfolioFields,
  markOf: (symbol: string) => number | undefined,
): PortfolioValuation {
  let marketValue = 0;
  let unrealizedPnl = 0;
  const positions = portfolio.positions.map((position): PositionValuation => {
    const last = markOf(position.symbol);
    const priced = last !== undefined && last > 0;
    // Without a price the position is worth what it cost: exactly, not cost / quantity × quantity.
    const value = priced ? position.quantity * last : position.cost;
    const unrealized = value - position.cost;
    marketValue += value;
    unrealizedPnl += unrealized;
    return {
      symbol: position.symbol,
      quantity: position.quantity,
      cost: position.cost,
      realizedPnl: position.realizedPnl,
      mark: priced ? last : position.quantity === 0 ? 0 : position.cost / position.quantity,
      priced,
      marketValue: value,
      unrealizedPnl: unrealized,
    };
  });
  return {
    cash: portfolio.cash,
    reservedCash: portfolio.reservedCash,
    startingCash: portfolio.startingCash,
    realizedPnl: portfolio.realizedPnl,
    marketValue,
    unrealizedPnl,
    equity: portfolio.cash + marketValue,
    positions,
  };
}
