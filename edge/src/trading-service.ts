import { randomFillSync } from 'node:crypto';
import { isOpenStatus, type OrderFields, type OrderUpdateFields, type PortfolioFields } from '@tickstream/schemas';
import type { Logger } from '@tickstream/schemas/logger';
import { checkOrderDraft, type OrderDraft, type OrderLimits, type OrderMarket } from './order-rules.js';
import type { OrderEntry } from './trading-book.js';
import { type PortfolioJson, portfolioJson } from './trading-json.js';
import type { TradingState } from './trading-state.js';

/** The market as the trading operations see it: symbols, last prices and sectors. */
export interface TradingMarket extends OrderMarket {
  sectorOf(name: string): string | undefined;
}

export interface TradingLimits extends OrderLimits {
  /** Open orders one user may have (--max-open-orders-per-user). */
  maxOpenOrdersPerUser: number;
}

export type OrderOutcome =
  | { ok: true; entry: OrderEntry; status: 200 | 201 | 202 }
  | { ok: false; status: 400 | 404 | 409 | 503; message: string };

/**
 * One line per order placement, on the logger of the connection (`conn`) or /api request (`req`)
 * it came through: the order id when it was taken (at debug: a line per order is a synchronous
 * stdout write on the order path, thousands a second under load; the order itself is on
 * `orders`), the reason when it was not (info; /api answers of 5xx are logged at error as well).
 */
export function logOrderPlacement(logger: Logger, outcome: OrderOutcome): void {
  if (outcome.ok) {
    if (!logger.isLevelEnabled('debug')) return;
    const { id, user, symbol, side, type, quantity } = outcome.entry.order;
    logger.debug({ orderId: id, user, symbol, side, type, quantity, status: outcome.status }, `order ${id} placed`);
  } else logger.info({ status: outcome.status }, `order refused: ${outcome.message}`);
}

/**
 * The trading operations of one edge, the same for HTTP (/api/orders, /api/portfolio,
 * /api/fills) and the WebSocket (OrderList, OrderPlace, OrderCancelRequest, PortfolioGet): each
 * acts only on the caller's own orders. An order is in Kafka before it is acknowledged; filling
 * it is the fill engine's (docs/trading.md).
 */
export class TradingService {
  private readonly ids = new RandomIds();

  constructor(
    private readonly state: TradingState,
    private readonly market: TradingMarket,
    private readonly limits: TradingLimits,
    private readonly now: () => number = Date.now,
  ) {}

  private unavailable(): OrderOutcome | null {
    return this.state.ready
      ? null
      : { ok: false, status: 503, message: 'edge is loading orders from Kafka; retry shortly' };
  }

  /** Checks an order and writes it to `orders`: 201, or 200 for a retry of a known clientOrderId. */
  async place(user: string, body: unknown): Promise<OrderOutcome> {
    const waiting = this.unavailable();
    if (waiting) return waiting;
    const check = checkOrderDraft(body, this.market, this.limits);
    if (!check.ok) return { ok: false, status: 400, message: check.reason };
    const { draft } = check;
    const book = this.state.book;
    if (draft.clientOrderId !== '') {
      const known = book.orderByClientId(user, draft.clientOrderId);
      if (known !== undefined) {
        if (sameOrder(known.order, draft)) return { ok: true, entry: known, status: 200 };
        return {
          ok: false,
          status: 409,
          message: `clientOrderId ${JSON.stringify(draft.clientOrderId)} is order ${known.order.id} already, with other terms: use a new clientOrderId`,
        };
      }
    }
    const open = book.openOrderCount(user);
    if (open >= this.limits.maxOpenOrdersPerUser)
      return {
        ok: false,
        status: 400,
        message: `user ${user} has ${open} open orders, the most this edge allows (--max-open-orders-per-user ${this.limits.maxOpenOrdersPerUser}): cancel one first`,
      };
    const order: OrderFields = { id: `o${this.ids.next()}`, user, ...draft, createdAtMs: this.now() };
    try {
      await this.state.write(user, { kind: 'order', order });
    } catch (error) {
      return kafkaFailed(error);
    }
    const entry = book.order(user, order.id);
    if (entry === undefined) throw new Error(`order ${order.id} was written but is not in the book`);
    return { ok: true, entry, status: 201 };
  }

  /** Writes a cancel request to `orders`; the fill engine decides whether it came in time. */
  async cancel(user: string, id: string): Promise<OrderOutcome> {
    const waiting = this.unavailable();
    if (waiting) return waiting;
    const entry = this.state.book.order(user, id);
    if (entry === undefined)
      return { ok: false, status: 404, message: `no order ${JSON.stringify(id)} of user ${user}` };
    if (!isOpenStatus(entry.status))
      return { ok: false, status: 409, message: `order ${id} is ${entry.status}: nothing to cancel` };
    if (!entry.cancelRequested) {
      try {
        await this.state.write(user, { kind: 'cancel', cancel: { orderId: id, user, requestedAtMs: this.now() } });
      } catch (error) {
        return kafkaFailed(error);
      }
    }
    return { ok: true, entry, status: 202 };
  }

  orders(user: string): OrderEntry[] {
    return this.state.book.ordersOf(user);
  }

  fills(user: string): OrderUpdateFields[] {
    return this.state.book.fillsOf(user);
  }

  portfolio(user: string): PortfolioFields | null {
    return this.state.book.portfolioOf(user);
  }

  /** The portfolio marked to this edge's live last prices, as GET /api/portfolio answers. */
  portfolioJson(user: string): PortfolioJson {
    return portfolioJson(
      this.portfolio(user),
      (symbol) => this.market.lastPrice(symbol),
      (symbol) => this.market.sectorOf(symbol),
    );
  }

  /** The edge's last trade price × 10,000 of each position (0: none), for PortfolioState.marks. */
  marks(portfolio: PortfolioFields | null): number[] {
    return (portfolio?.positions ?? []).map((position) => this.market.lastPrice(position.symbol) ?? 0);
  }

  get ready(): boolean {
    return this.state.ready;
  }
}

/**
 * 64-bit random ids as 16 hex digits, drawn from a pool filled 512 at a time: one getrandom call
 * per order cost 4 % of the edge's CPU at 3,000 orders/s.
 */
class RandomIds {
  private readonly pool = Buffer.alloc(8 * 512);
  private at = this.pool.length;

  next(): string {
    if (this.at === this.pool.length) {
      randomFillSync(this.pool);
      this.at = 0;
    }
    const id = this.pool.toString('hex', this.at, this.at + 8);
    this.at += 8;
    return id;
  }
}

/** The same terms: a retry of the same order, not a second one under the same client id. */
function sameOrder(order: OrderFields, draft: OrderDraft): boolean {
  return (
    order.symbol === draft.symbol &&
    order.side === draft.side &&
    order.type === draft.type &&
    order.quantity === draft.quantity &&
    order.price === draft.price &&
    order.tif === draft.tif
  );
}

function kafkaFailed(error: unknown): OrderOutcome {
  return {
    ok: false,
    status: 503,
    message: `Kafka did not acknowledge the write (${(error as Error).message}); retry (an order with a clientOrderId is placed once however often it is retried)`,
  };
}
