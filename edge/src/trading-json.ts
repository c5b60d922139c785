import {
  type OrderSideName,
  type OrderStatusName,
  type OrderTypeName,
  type OrderUpdateFields,
  type PortfolioFields,
  PRICE_SCALE,
  type TimeInForceName,
  valuePortfolio,
} from '@tickstream/schemas';
import type { OrderEntry } from './trading-book.js';

// The shapes of /api/orders, /api/fills and /api/portfolio (docs/api.md): prices, cash and P&L
// as plain numbers in currency units, quantities in whole shares, times in ms since the epoch.

/** Units × 10,000 as currency units. */
const money = (units: number): number => units / PRICE_SCALE;

export interface OrderJson {
  id: string;
  clientOrderId?: string;
  symbol: string;
  side: OrderSideName;
  type: OrderTypeName;
  quantity: number;
  /** Limit or stop price; absent for a market order. */
  price?: number;
  tif: TimeInForceName;
  status: OrderStatusName;
  filledQuantity: number;
  averageFillPrice?: number;
  reason?: string;
  /** A cancel is on its way to the fill engine, which has not answered yet. */
  cancelRequested?: true;
  /** The fill engine has seen the order (it wrote an update of it). */
  acknowledged: boolean;
  createdAt: number;
  updatedAt: number;
}

export function orderJson(entry: OrderEntry): OrderJson {
  const { order } = entry;
  return {
    id: order.id,
    ...(order.clientOrderId !== '' ? { clientOrderId: order.clientOrderId } : {}),
    symbol: order.symbol,
    side: order.side,
    type: order.type,
    quantity: order.quantity,
    ...(order.type !== 'market' ? { price: money(order.price) } : {}),
    tif: order.tif,
    status: entry.status,
    filledQuantity: entry.filledQuantity,
    ...(entry.filledQuantity > 0 ? { averageFillPrice: money(entry.averageFillPrice) } : {}),
    ...(entry.reason !== '' ? { reason: entry.reason } : {}),
    ...(entry.cancelRequested ? { cancelRequested: true as const } : {}),
    acknowledged: entry.acknowledged,
    createdAt: order.createdAtMs,
    updatedAt: entry.updatedAtMs,
  };
}

export interface FillJson {
  id: string;
  orderId: string;
  symbol: string;
  side: OrderSideName;
  quantity: number;
  price: number;
  time: number;
  /** The order's status after this fill, and how much of it is filled. */
  status: OrderStatusName;
  filledQuantity: number;
  orderQuantity: number;
}

export function fillJson(fill: OrderUpdateFields): FillJson {
  return {
    id: fill.id,
    orderId: fill.orderId,
    symbol: fill.symbol,
    side: fill.side,
    quantity: fill.fillQuantity,
    price: money(fill.fillPrice),
    time: fill.timeMs,
    status: fill.status,
    filledQuantity: fill.filledQuantity,
    orderQuantity: fill.quantity,
  };
}

const CSV_HEADER = 'time,fill_id,order_id,symbol,side,quantity,price,value,order_status,filled_quantity,order_quantity';

/** Fills as CSV (RFC 4180; ids and symbols never hold a comma or quote, checked anyway). */
export function fillsCsv(fills: readonly OrderUpdateFields[]): string {
  const field = (text: string): string => (/[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);
  const rows = fills.map((fill) =>
    [
      new Date(fill.timeMs).toISOString(),
      field(fill.id),
      field(fill.orderId),
      field(fill.symbol),
      fill.side,
      fill.fillQuantity,
      money(fill.fillPrice),
      money(fill.fillQuantity * fill.fillPrice),
      fill.status,
      fill.filledQuantity,
      fill.quantity,
    ].join(','),
  );
  return `${[CSV_HEADER, ...rows].join('\r\n')}\r\n`;
}

export interface PositionJson {
  symbol: string;
  sector?: string;
  quantity: number;
  avgCost: number;
  /** The edge's last trade price; null when it has none (then marked at the average cost). */
  lastPrice: number | null;
  marketValue: number;
  unrealizedPnl: number;
  realizedPnl: number;
}

export interface PortfolioJson {
  /** False until the fill engine opened a portfolio (at the user's first order or a reset). */
  opened: boolean;
  cash: number;
  /** cash − reservedCash: what new buy orders may spend. */
  buyingPower: number;
  reservedCash: number;
  startingCash: number;
  positions: PositionJson[];
  marketValue: number;
  unrealizedPnl: number;
  realizedPnl: number;
  /** cash + marketValue. */
  equity: number;
  equityCurve: { time: number; equity: number }[];
  updatedAt?: number;
  resetAt?: number;
}

export const UNOPENED_PORTFOLIO: PortfolioJson = {
  opened: false,
  cash: 0,
  buyingPower: 0,
  reservedCash: 0,
  startingCash: 0,
  positions: [],
  marketValue: 0,
  unrealizedPnl: 0,
  realizedPnl: 0,
  equity: 0,
  equityCurve: [],
};

/** The portfolio marked to the edge's live last prices (valuePortfolio, shared with the dashboard). */
export function portfolioJson(
  portfolio: PortfolioFields | null,
  lastPrice: (symbol: string) => number | undefined,
  sectorOf: (symbol: string) => string | undefined,
): PortfolioJson {
  if (portfolio === null) return UNOPENED_PORTFOLIO;
  const valued = valuePortfolio(portfolio, lastPrice);
  return {
    opened: true,
    cash: money(valued.cash),
    buyingPower: money(valued.cash - valued.reservedCash),
    reservedCash: money(valued.reservedCash),
    startingCash: money(valued.startingCash),
    positions: valued.positions.map((position) => {
      const sector = sectorOf(position.symbol);
      return {
        symbol: position.symbol,
        ...(sector !== undefined ? { sector } : {}),
        quantity: position.quantity,
        avgCost: position.quantity === 0 ? 0 : money(position.cost / position.quantity),
        lastPrice: position.priced ? money(position.mark) : null,
        marketValue: money(position.marketValue),
        unrealizedPnl: money(position.unrealizedPnl),
        realizedPnl: money(position.realizedPnl),
      };
    }),
    marketValue: money(valued.marketValue),
    unrealizedPnl: money(valued.unrealizedPnl),
    realizedPnl: money(valued.realizedPnl),
    equity: money(valued.equity),
    equityCurve: portfolio.equityCurve.map((point) => ({ time: point.timeMs, equity: money(point.equity) })),
    updatedAt: portfolio.updatedAtMs,
    resetAt: portfolio.resetAtMs,
  };
}
