import type {
  OrderSideName,
  OrderStateFields,
  OrdersFields,
  OrderTypeName,
  PortfolioStateFields,
  TimeInForceName,
} from '@tickstream/schemas';
import type { PendingRequests } from './requests.js';

/** A new order as a client states it (docs/trading.md); the edge sets its id, user, time and reference price. */
export interface OrderDraft {
  symbol: string;
  side: OrderSideName;
  type: OrderTypeName;
  /** Whole shares, 1 to the edge's maximum. */
  quantity: number;
  /** Limit price (limit) or stop price (stop) × 10,000, as quotes are; none for a market order. */
  price?: number;
  /** 'day' (the default) or 'gtc'. */
  tif?: TimeInForceName;
  /** The client's own id (1-64 of letters, digits, . _ : -): a retry with the same id is placed once. */
  clientOrderId?: string;
}

/** What a limit, stop or market order may add to its symbol, side, quantity (and price). */
export type OrderOptions = Pick<OrderDraft, 'tif' | 'clientOrderId'>;

/** The edge's answer to a place or a cancel: the user's orders and recent fills, and the order it was about. */
export interface OrderAnswer extends OrdersFields {
  /** The order placed (status 'new') or asked to cancel (`cancelRequested`), as the edge holds it now. */
  order: OrderStateFields;
}

/**
 * The trading operations over the WebSocket (protocol 3, docs/protocol.md "Trading"): the same
 * checks and sentences as /api/orders. Each request carries an id; the edge's Orders or
 * PortfolioState frame with that id settles its promise, and a refusal (a viewer, a bad
 * quantity, a price out of the band, an order not open…) rejects it with a RequestRefused
 * carrying the edge's code and reason. Whether an order then fills, is cancelled or expires is
 * the fill engine's word: the client's 'order', 'fill' and 'portfolio' events.
 */
export class OrderRequests {
  private followed = false;

  constructor(private readonly requests: PendingRequests) {}

  /** list() was asked: the edge pushes the user's order changes, and the client asks again on each Hello. */
  get following(): boolean {
    return this.followed;
  }

  /** The user's open orders, the last final ones and the recent fills; from then on the client gets 'order', 'fill' and 'portfolio' events. */
  list(): Promise<OrdersFields> {
    this.followed = true;
    return this.requests.request('orders', (requestId) => ({ type: 'order-list', requestId }));
  }

  /** Places an order; resolves once the edge has checked it and written it to Kafka (status 'new'). */
  async place(draft: OrderDraft): Promise<OrderAnswer> {
    const price = draft.price ?? 0;
    // The wire carries whole numbers (long): anything else could not even be sent.
    if (!Number.isSafeInteger(draft.quantity))
      throw new RangeError(`quantity must be a whole number of shares; got ${draft.quantity}`);
    if (!Number.isSafeInteger(price))
      throw new RangeError(`price must be a whole number of 1/10,000s (prices are × 10,000); got ${price}`);
    const answer = await this.requests.request('orders', (requestId) => ({
      type: 'order-place',
      requestId,
      order: {
        id: '',
        clientOrderId: draft.clientOrderId ?? '',
        user: '',
        symbol: draft.symbol,
        side: draft.side,
        type: draft.type,
        quantity: draft.quantity,
        price,
        tif: draft.tif ?? 'day',
        createdAtMs: 0,
        referencePrice: 0,
      },
    }));
    return aboutOrder(answer);
  }

  /** A market order: fills at the next tick's ask (buy) or bid (sell). */
  market(symbol: string, side: OrderSideName, quantity: number, options: OrderOptions = {}): Promise<OrderAnswer> {
    return this.place({ ...options, symbol, side, type: 'market', quantity });
  }

  /** A limit order at `price` × 10,000: fills once the price crosses it. */
  limit(
    symbol: string,
    side: OrderSideName,
    quantity: number,
    price: number,
    options: OrderOptions = {},
  ): Promise<OrderAnswer> {
    return this.place({ ...options, symbol, side, type: 'limit', quantity, price });
  }

  /** A stop order at `price` × 10,000: becomes a market order once the price reaches it. */
  stop(
    symbol: string,
    side: OrderSideName,
    quantity: number,
    price: number,
    options: OrderOptions = {},
  ): Promise<OrderAnswer> {
    return this.place({ ...options, symbol, side, type: 'stop', quantity, price });
  }

  /**
   * Asks the fill engine to cancel an open order; resolves with the order `cancelRequested`.
   * Whether it came in time is the engine's word: an 'order' event with status 'cancelled', or a fill.
   */
  async cancel(id: string): Promise<OrderAnswer> {
    return aboutOrder(await this.requests.request('orders', (requestId) => ({ type: 'order-cancel', requestId, id })));
  }

  /** The user's portfolio as the fill engine last wrote it (null before it opened one) and the edge's marks. */
  portfolio(): Promise<PortfolioStateFields> {
    return this.requests.request('portfolio', (requestId) => ({ type: 'portfolio-get', requestId }));
  }
}

function aboutOrder(answer: OrdersFields): OrderAnswer {
  const order = answer.orders.find((state) => state.order.id === answer.orderId);
  if (order === undefined)
    throw new Error(`the edge answered about order "${answer.orderId}" but did not list it: ask list() for the orders`);
  return { ...answer, order };
}
