import {
  ErrorCode,
  type OrderFields,
  type OrderStateFields,
  PRICE_SCALE,
  type ServerFrameEncoder,
} from '@tickstream/schemas';
import { permit } from './auth.js';
import type { FanOut } from './fan-out.js';
import type { Session } from './session.js';
import type { OrderEntry } from './trading-book.js';
import { logOrderPlacement, type OrderOutcome, type TradingService } from './trading-service.js';

/** The trading messages of protocol 3, as ClientMessages hands them over. */
export type TradingRequest =
  | { type: 'order-list'; requestId: number }
  | { type: 'order-place'; requestId: number; order: OrderFields }
  | { type: 'order-cancel'; requestId: number; id: string }
  | { type: 'portfolio-get'; requestId: number };

/** Fills an Orders frame carries at most (the most recent); GET /api/fills has all the edge keeps. */
const FILLS_PER_FRAME = 200;

export function orderState(entry: OrderEntry): OrderStateFields {
  return {
    order: entry.order,
    status: entry.status,
    filledQuantity: entry.filledQuantity,
    averageFillPrice: entry.averageFillPrice,
    reason: entry.reason,
    updatedAtMs: entry.updatedAtMs,
    cancelRequested: entry.cancelRequested,
    acknowledged: entry.acknowledged,
  };
}

/** An order as sent over the WebSocket, in the shape POST /api/orders checks (price 0 = none). */
function draftOf(order: OrderFields): Record<string, unknown> {
  return {
    symbol: order.symbol,
    side: order.side,
    type: order.type,
    quantity: order.quantity,
    ...(order.price !== 0 ? { price: order.price / PRICE_SCALE } : {}),
    tif: order.tif,
    ...(order.clientOrderId !== '' ? { clientOrderId: order.clientOrderId } : {}),
  };
}

/**
 * Answers OrderList, OrderPlace, OrderCancelRequest and PortfolioGet for the connection's own
 * user: an Orders frame (the user's orders and recent fills) or a PortfolioState, or an Error
 * carrying the request id. A connection that sent OrderList is then sent OrderUpdated and
 * PortfolioState as its user's orders and portfolio change.
 */
export class TradingRequests {
  constructor(
    private readonly trading: TradingService,
    private readonly fanOut: FanOut,
    private readonly encoder: ServerFrameEncoder,
    private readonly epoch: number,
  ) {}

  async handle(session: Session, request: TradingRequest): Promise<void> {
    const { principal } = session;
    if (request.type === 'order-place' || request.type === 'order-cancel') {
      const admission = permit(principal, 'trader');
      if (!admission.ok) {
        this.fanOut.sendError(session, ErrorCode.Forbidden, admission.message, request.requestId);
        return;
      }
    }
    let outcome: OrderOutcome | null = null;
    switch (request.type) {
      case 'portfolio-get': {
        const portfolio = this.trading.portfolio(principal.user);
        const frame = this.encoder.portfolioState(this.epoch, {
          requestId: request.requestId,
          portfolio,
          marks: this.trading.marks(portfolio),
        });
        this.fanOut.send(session, frame, 'portfolio-state');
        return;
      }
      case 'order-list':
        session.followsTrading = true;
        break;
      case 'order-place':
        outcome = await this.trading.place(principal.user, draftOf(request.order));
        logOrderPlacement(session.logger, outcome);
        break;
      case 'order-cancel':
        outcome = await this.trading.cancel(principal.user, request.id);
        break;
    }
    if (outcome !== null && !outcome.ok) {
      const code =
        outcome.status === 503
          ? ErrorCode.KafkaUnavailable
          : outcome.status === 404
            ? ErrorCode.NotFound
            : outcome.status === 409 && request.type === 'order-cancel'
              ? ErrorCode.OrderNotOpen
              : ErrorCode.InvalidOrder;
      this.fanOut.sendError(session, code, outcome.message, request.requestId);
      return;
    }
    this.fanOut.send(session, this.orders(principal.user, request.requestId, outcome?.entry.order.id ?? ''), 'orders');
  }

  /** The Orders frame of a user: every order the edge holds and the most recent fills. */
  orders(user: string, requestId: number, orderId: string): Uint8Array {
    return this.encoder.orders(this.epoch, {
      requestId,
      orderId,
      orders: this.trading.orders(user).map(orderState),
      fills: this.trading.fills(user).slice(-FILLS_PER_FRAME),
    });
  }
}
