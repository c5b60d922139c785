import {
  ORDER_SIDES,
  ORDER_TYPES,
  type OrderSideName,
  type OrderTypeName,
  PRICE_SCALE,
  TIMES_IN_FORCE,
  type TimeInForceName,
} from '@tickstream/schemas';

/**
 * What a person sends to POST /api/orders (docs/api.md), checked field by field before anything
 * reaches Kafka. Every refusal names the field and what it accepts. Buying power and positions
 * are the fill engine's to check (docs/trading.md): the edge's copy of a portfolio may be a
 * moment old, the engine's is the one that counts.
 */
export interface OrderDraft {
  symbol: string;
  side: OrderSideName;
  type: OrderTypeName;
  quantity: number;
  /** × 10,000; 0 for a market order. */
  price: number;
  tif: TimeInForceName;
  /** '' when none was given. */
  clientOrderId: string;
  /** The last trade price × 10,000 the order was checked against (0: none known, market orders only). */
  referencePrice: number;
}

/** What the edge knows of the market: which symbols trade, and each one's last trade price. */
export interface OrderMarket {
  hasSymbol(name: string): boolean;
  /** × 10,000; undefined before the edge has seen a trade of it. */
  lastPrice(name: string): number | undefined;
}

export interface OrderLimits {
  /** Most shares in one order (--max-order-quantity). */
  maxQuantity: number;
  /** A limit or stop price must be within this many percent of the last price (--order-price-band). */
  priceBandPct: number;
}

export type OrderCheck = { ok: true; draft: OrderDraft } | { ok: false; reason: string };

const FIELDS = ['symbol', 'side', 'type', 'quantity', 'price', 'tif', 'clientOrderId'];
const CLIENT_ORDER_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** Units × 10,000 as currency, in the shortest exact form: 1513840 → "151.384". */
export function currency(units: number): string {
  return String(units / PRICE_SCALE);
}

/** A price in currency units as an exact integer × 10,000, or null when it has more than 4 decimals. */
export function priceUnits(price: number): number | null {
  const units = Math.round(price * PRICE_SCALE);
  // 4 decimals means price × 10,000 is an integer up to the double's own rounding (~1e-16 relative).
  return Math.abs(units - price * PRICE_SCALE) <= Math.max(1e-9, Math.abs(units) * 1e-12) ? units : null;
}

function oneOf<T extends string>(names: readonly T[]): string {
  return names.length === 2 ? `${names[0]} or ${names[1]}` : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}

/** Checks one order as sent to POST /api/orders against the market this edge sees. */
export function checkOrderDraft(body: unknown, market: OrderMarket, limits: OrderLimits): OrderCheck {
  const refuse = (reason: string): OrderCheck => ({ ok: false, reason });
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return refuse('an order is a JSON object: {"symbol","side","type","quantity","price?","tif?","clientOrderId?"}');
  const fields = body as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((name) => !FIELDS.includes(name));
  if (unknown.length > 0)
    return refuse(`unknown field ${JSON.stringify(unknown[0])}; an order has ${FIELDS.join(', ')}`);

  const symbol = fields.symbol;
  if (typeof symbol !== 'string' || symbol === '') return refuse('symbol is required, e.g. "AAPL"');
  if (!market.hasSymbol(symbol)) return refuse(`unknown symbol ${JSON.stringify(symbol)}`);

  const side = fields.side;
  if (typeof side !== 'string' || !(ORDER_SIDES as readonly string[]).includes(side))
    return refuse(`side must be ${oneOf(ORDER_SIDES)}; got ${JSON.stringify(side ?? null)}`);
  const type = fields.type;
  if (typeof type !== 'string' || !(ORDER_TYPES as readonly string[]).includes(type))
    return refuse(`type must be ${oneOf(ORDER_TYPES)}; got ${JSON.stringify(type ?? null)}`);
  const orderSide = side as OrderSideName;
  const orderType = type as OrderTypeName;

  const quantity = fields.quantity;
  if (typeof quantity !== 'number' || !Number.isInteger(quantity) || quantity < 1 || quantity > limits.maxQuantity)
    return refuse(
      `quantity must be a whole number of shares from 1 to ${limits.maxQuantity}; got ${JSON.stringify(quantity ?? null)}`,
    );

  const tif = fields.tif ?? 'day';
  if (typeof tif !== 'string' || !(TIMES_IN_FORCE as readonly string[]).includes(tif))
    return refuse(`tif must be ${oneOf(TIMES_IN_FORCE)}; got ${JSON.stringify(tif)}`);

  const clientOrderId = fields.clientOrderId ?? '';
  if (clientOrderId !== '' && (typeof clientOrderId !== 'string' || !CLIENT_ORDER_ID.test(clientOrderId)))
    return refuse(`clientOrderId must be 1 to 64 letters, digits or . _ : -; got ${JSON.stringify(clientOrderId)}`);

  const last = market.lastPrice(symbol);
  const draft = {
    symbol,
    side: orderSide,
    type: orderType,
    quantity,
    tif: tif as TimeInForceName,
    clientOrderId: clientOrderId as string,
  };
  if (orderType === 'market') {
    if (fields.price !== undefined && fields.price !== null)
      return refuse(
        `a market order takes no price (it fills at the next tick's ${orderSide === 'buy' ? 'ask' : 'bid'}); send a limit order to name one`,
      );
    return { ok: true, draft: { ...draft, price: 0, referencePrice: last ?? 0 } };
  }

  const price = fields.price;
  if (price === undefined || price === null) return refuse(`a ${orderType} order needs a price, e.g. "price": 189.5`);
  if (typeof price !== 'number' || !Number.isFinite(price) || price <= 0)
    return refuse(`price must be a number above 0 (currency units); got ${JSON.stringify(price)}`);
  const units = priceUnits(price);
  if (units === null) return refuse(`price must be a multiple of 0.0001 (prices have 4 decimals); got ${price}`);
  if (last === undefined)
    return refuse(
      `no trade of ${symbol} seen yet: a ${orderType} price is checked against the last price; retry in a moment`,
    );
  // Integer bounds: within the band means low ≤ price ≤ high, both rounded inwards.
  const band = limits.priceBandPct;
  const low = Math.ceil((last * (100 - band)) / 100);
  const high = Math.floor((last * (100 + band)) / 100);
  if (units < low || units > high)
    return refuse(
      `price ${price} is more than ${band}% from ${symbol}'s last price ${currency(last)} (allowed ${currency(low)} to ${currency(high)}; --order-price-band ${band})`,
    );
  if (orderType === 'stop') {
    // A stop on the wrong side of the market would trigger on the next tick: almost always a mistake.
    if (orderSide === 'buy' && units <= last)
      return refuse(
        `a buy stop must be above the last price ${currency(last)}: at ${price} it would trigger at once; send a market order, or a limit order to buy at up to a price`,
      );
    if (orderSide === 'sell' && units >= last)
      return refuse(
        `a sell stop must be below the last price ${currency(last)}: at ${price} it would trigger at once; send a market order, or a limit order to sell at a price or better`,
      );
  }
  return { ok: true, draft: { ...draft, price: units, referencePrice: last } };
}
