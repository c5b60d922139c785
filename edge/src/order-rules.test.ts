import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeOrderCommand, encodeOrderCommand, type OrderFields } from '@tickstream/schemas';
import { describe, expect, it } from 'vitest';
import { checkOrderDraft, type OrderCheck, priceUnits } from './order-rules.js';

// The edge's checks of an order at their boundaries (docs/trading.md, "What the edge checks").
const LAST = 1_892_347; // AAPL at 189.2347
const market = {
  hasSymbol: (name: string) => name === 'AAPL' || name === 'NEW',
  lastPrice: (name: string) => (name === 'AAPL' ? LAST : undefined),
};
const limits = { maxQuantity: 1000, priceBandPct: 20 };
const check = (body: Record<string, unknown>): OrderCheck =>
  checkOrderDraft({ symbol: 'AAPL', side: 'buy', type: 'limit', quantity: 10, ...body }, market, limits);
const reason = (body: Record<string, unknown>): string => {
  const result = check(body);
  return result.ok ? 'accepted' : result.reason;
};

describe('order checks at the edge', () => {
  it('takes whole quantities from 1 to --max-order-quantity', () => {
    expect(reason({ type: 'market', quantity: 1 })).toBe('accepted');
    expect(reason({ type: 'market', quantity: 1000 })).toBe('accepted');
    for (const quantity of [0, -1, 1001, 2.5, '10', null, Number.NaN, Number.POSITIVE_INFINITY])
      expect(reason({ type: 'market', quantity })).toMatch(
        /^quantity must be a whole number of shares from 1 to 1000; got /,
      );
  });

  it('takes limit prices within the band of the last price, bounds included, rounded inwards', () => {
    // 20 % around 189.2347 is 151.38776 to 227.08164: inwards to 4 decimals, 151.3878 to 227.0816.
    expect(reason({ price: 151.3878 })).toBe('accepted');
    expect(reason({ price: 227.0816 })).toBe('accepted');
    expect(reason({ price: 151.3877 })).toBe(
      "price 151.3877 is more than 20% from AAPL's last price 189.2347 (allowed 151.3878 to 227.0816; --order-price-band 20)",
    );
    expect(reason({ price: 227.0817 })).toMatch(/^price 227.0817 is more than 20%/);
    const draft = check({ price: 189.2347, side: 'sell', tif: 'gtc' });
    expect(draft).toEqual({
      ok: true,
      draft: {
        symbol: 'AAPL',
        side: 'sell',
        type: 'limit',
        quantity: 10,
        price: LAST,
        tif: 'gtc',
        clientOrderId: '',
        referencePrice: LAST,
      },
    });
  });

  it('takes prices of at most 4 decimals, exactly, whatever their binary rounding', () => {
    expect(priceUnits(189.2345)).toBe(1_892_345);
    expect(priceUnits(0.1 + 0.2)).toBe(3000); // 0.30000000000000004
    expect(priceUnits(180.0001)).toBe(1_800_001);
    expect(priceUnits(180.00001)).toBeNull();
    expect(priceUnits(99_999.9999)).toBe(999_999_999);
    expect(reason({ price: 180.00005 })).toBe(
      'price must be a multiple of 0.0001 (prices have 4 decimals); got 180.00005',
    );
    for (const price of [0, -5, Number.NaN, '180', true])
      expect(reason({ price })).toMatch(/^price must be a number above 0 \(currency units\); got /);
    expect(reason({ price: undefined })).toBe('a limit order needs a price, e.g. "price": 189.5');
    expect(reason({ price: null, type: 'stop' })).toBe('a stop order needs a price, e.g. "price": 189.5');
  });

  it('takes a stop only on the side of the market where it waits: a buy above, a sell below the last price', () => {
    expect(reason({ type: 'stop', price: 189.2348 })).toBe('accepted');
    expect(reason({ type: 'stop', price: 189.2347 })).toBe(
      'a buy stop must be above the last price 189.2347: at 189.2347 it would trigger at once; send a market order, or a limit order to buy at up to a price',
    );
    expect(reason({ type: 'stop', side: 'sell', price: 189.2346 })).toBe('accepted');
    expect(reason({ type: 'stop', side: 'sell', price: 189.2347 })).toMatch(
      /^a sell stop must be below the last price 189.2347/,
    );
    // The band applies to stops too.
    expect(reason({ type: 'stop', price: 227.0817 })).toMatch(/more than 20%/);
  });

  it('takes a market order without a price, and refuses one with a price', () => {
    expect(check({ type: 'market', price: null })).toMatchObject({
      ok: true,
      draft: { price: 0, referencePrice: LAST },
    });
    expect(reason({ type: 'market', price: 190 })).toBe(
      "a market order takes no price (it fills at the next tick's ask); send a limit order to name one",
    );
    expect(reason({ type: 'market', side: 'sell', price: 190 })).toMatch(/fills at the next tick's bid/);
  });

  it('refuses a limit price on a symbol without a trade yet, and takes a market order on it', () => {
    expect(reason({ symbol: 'NEW', price: 10 })).toBe(
      'no trade of NEW seen yet: a limit price is checked against the last price; retry in a moment',
    );
    expect(check({ symbol: 'NEW', type: 'market' })).toMatchObject({ ok: true, draft: { referencePrice: 0 } });
  });

  it('names the field and what it takes for every other mistake', () => {
    expect(reason({ symbol: 'NOPE' })).toBe('unknown symbol "NOPE"');
    expect(reason({ symbol: '' })).toBe('symbol is required, e.g. "AAPL"');
    expect(reason({ side: 'BUY' })).toBe('side must be buy or sell; got "BUY"');
    expect(reason({ type: 'stop-limit' })).toBe('type must be market, limit or stop; got "stop-limit"');
    expect(reason({ price: 189, tif: 'GTC' })).toBe('tif must be day or gtc; got "GTC"');
    expect(reason({ price: 189, limit: 1 })).toBe(
      'unknown field "limit"; an order has symbol, side, type, quantity, price, tif, clientOrderId',
    );
    expect(reason({ price: 189, clientOrderId: 'x'.repeat(64) })).toBe('accepted');
    expect(reason({ price: 189, clientOrderId: 'x'.repeat(65) })).toMatch(/^clientOrderId must be 1 to 64 letters/);
    expect(reason({ price: 189, clientOrderId: 42 })).toMatch(/^clientOrderId must be 1 to 64 letters/);
    expect(checkOrderDraft(null, market, limits)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^an order is a JSON object/),
    });
    expect(checkOrderDraft([], market, limits)).toMatchObject({ ok: false });
  });
});

interface FixtureEvent {
  type: string;
  order?: OrderFields;
  startingCash?: number;
}
interface FixturePortfolio {
  after: number;
  cash: number;
  reservedCash: number;
  realizedPnl: number;
  positions: { cost: number; realizedPnl: number }[];
}
const fixture = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../schemas/fixtures/trading-fills.json', import.meta.url)), 'utf8'),
) as {
  matching: { name: string; events: FixtureEvent[]; expect: { event: number }[] }[];
  accounts: {
    name: string;
    startingCash: number;
    events: FixtureEvent[];
    expect: { event: number }[];
    portfolios: FixturePortfolio[];
  }[];
};

// The fill engine's boundary cases (part B's JUnit tests load the same file) must stay cases
// the edge can produce: every order in them passes the edge's checks and encodes as an Order.
describe('schemas/fixtures/trading-fills.json', () => {
  const cases = [...fixture.matching, ...fixture.accounts];

  it('holds only orders the edge accepts, written exactly as the fixture has them', () => {
    let orders = 0;
    for (const { name, events } of cases)
      for (const event of events) {
        if (event.type !== 'order') continue;
        const order = event.order as OrderFields;
        const body = {
          symbol: order.symbol,
          side: order.side,
          type: order.type,
          quantity: order.quantity,
          ...(order.type !== 'market' ? { price: order.price / 10_000 } : {}),
          tif: order.tif,
        };
        const checked = checkOrderDraft(
          body,
          { hasSymbol: () => true, lastPrice: () => order.referencePrice },
          { maxQuantity: 1_000_000, priceBandPct: 20 },
        );
        expect(checked, `${name}: ${order.id}`).toEqual({
          ok: true,
          draft: {
            symbol: order.symbol,
            side: order.side,
            type: order.type,
            quantity: order.quantity,
            price: order.price,
            tif: order.tif,
            clientOrderId: '',
            referencePrice: order.referencePrice,
          },
        });
        expect(decodeOrderCommand(encodeOrderCommand({ kind: 'order', order }))).toEqual({ kind: 'order', order });
        orders++;
      }
    expect(orders).toBeGreaterThan(30);
  });

  it('points every expectation at an event of its case', () => {
    for (const { name, events, expect: expected } of cases)
      for (const { event } of expected) expect(event, name).toBeLessThan(events.length);
  });

  it('keeps cash + cost of the positions − realized P&L at the starting cash in every account snapshot', () => {
    // Buys move value from cash into cost, sells move it back with the difference realized:
    // the sum never changes between resets (docs/trading.md, "Accounts").
    for (const { name, startingCash, events, portfolios } of fixture.accounts)
      for (const snapshot of portfolios) {
        const reset = events.slice(0, snapshot.after + 1).findLast((event) => event.type === 'reset');
        const start = reset === undefined || reset.startingCash === 0 ? startingCash : (reset.startingCash as number);
        const cost = snapshot.positions.reduce((sum, position) => sum + position.cost, 0);
        expect(snapshot.cash + cost - snapshot.realizedPnl, `${name}, after event ${snapshot.after}`).toBe(start);
        expect(snapshot.realizedPnl).toBe(snapshot.positions.reduce((sum, position) => sum + position.realizedPnl, 0));
      }
  });
});
