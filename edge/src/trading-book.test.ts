import type { EquityCurveFields, OrderFields, OrderUpdateFields, PortfolioFields } from '@tickstream/schemas';
import { describe, expect, it } from 'vitest';
import { CLOSED_ORDERS_KEPT_PER_USER, TradingBook } from './trading-book.js';

const order = (id: string, extra: Partial<OrderFields> = {}): OrderFields => ({
  id,
  clientOrderId: '',
  user: 'alice',
  symbol: 'AAPL',
  side: 'buy',
  type: 'market',
  quantity: 100,
  price: 0,
  tif: 'day',
  createdAtMs: 1000,
  referencePrice: 1_900_000,
  ...extra,
});
const update = (id: string, step: number, fields: Partial<OrderUpdateFields> = {}): OrderUpdateFields => ({
  id: `${id}-${step}`,
  orderId: id,
  user: 'alice',
  symbol: 'AAPL',
  side: 'buy',
  status: 'new',
  fillQuantity: 0,
  fillPrice: 0,
  filledQuantity: 0,
  averageFillPrice: 0,
  quantity: 100,
  reason: '',
  timeMs: 2000 + step,
  tickSequence: 0,
  ...fields,
});
const fill = (id: string, step: number, quantity: number, filled: number) =>
  update(id, step, {
    status: filled === 100 ? 'filled' : 'partially_filled',
    fillQuantity: quantity,
    fillPrice: 1_900_000,
    filledQuantity: filled,
    averageFillPrice: 1_900_000,
  });

// What the edge makes of records that arrive at least once, from several partitions, in any
// interleaving of `orders` and `fills`.
describe('the trading book', () => {
  it('applies updates read before their order once the order arrives, in the job’s order', () => {
    const book = new TradingBook();
    expect(book.applyUpdate(fill('o1', 3, 60, 100))).toBeNull();
    expect(book.applyUpdate(fill('o1', 2, 40, 40))).toBeNull();
    const change = book.applyCommand('alice', { kind: 'order', order: order('o1') });
    expect(change?.entry).toMatchObject({ status: 'filled', filledQuantity: 100, acknowledged: true, step: 3 });
    expect(change?.update?.id).toBe('o1-3');
    expect(book.fillsOf('alice').map((f) => f.id)).toEqual(['o1-3', 'o1-2']);
  });

  it('counts a record read twice once, and never moves an order back to an older step', () => {
    const book = new TradingBook();
    book.applyCommand('alice', { kind: 'order', order: order('o1') });
    expect(book.applyCommand('alice', { kind: 'order', order: order('o1') })).toBeNull();
    expect(book.applyUpdate(fill('o1', 1, 40, 40))).not.toBeNull();
    expect(book.applyUpdate(fill('o1', 2, 60, 100))).not.toBeNull();
    expect(book.applyUpdate(fill('o1', 1, 40, 40))).toBeNull();
    expect(book.order('alice', 'o1')).toMatchObject({ status: 'filled', filledQuantity: 100 });
    expect(book.fillsOf('alice')).toHaveLength(2);
  });

  it('marks a cancel request on an open order only, and clears it when the order ends', () => {
    const book = new TradingBook();
    book.applyCommand('alice', { kind: 'order', order: order('o1') });
    const cancel = { kind: 'cancel', cancel: { orderId: 'o1', user: 'alice', requestedAtMs: 5000 } } as const;
    expect(book.applyCommand('alice', cancel)?.entry).toMatchObject({ cancelRequested: true, updatedAtMs: 5000 });
    expect(book.applyCommand('alice', cancel)).toBeNull();
    book.applyUpdate(update('o1', 1, { status: 'cancelled', reason: 'cancelled by the user' }));
    expect(book.order('alice', 'o1')).toMatchObject({ status: 'cancelled', cancelRequested: false });
    expect(
      book.applyCommand('alice', { kind: 'cancel', cancel: { orderId: 'nope', user: 'alice', requestedAtMs: 1 } }),
    ).toBeNull();
  });

  it('keeps every open order and the last final ones, and forgets a forgotten order’s client id', () => {
    const book = new TradingBook();
    book.applyCommand('alice', { kind: 'order', order: order('open', { createdAtMs: 1, clientOrderId: 'keep' }) });
    for (let i = 0; i < CLOSED_ORDERS_KEPT_PER_USER + 5; i++) {
      book.applyCommand('alice', {
        kind: 'order',
        order: order(`c${i}`, { createdAtMs: 10 + i, clientOrderId: `id${i}` }),
      });
      book.applyUpdate(update(`c${i}`, 1, { status: 'rejected', reason: 'buying power' }));
    }
    const orders = book.ordersOf('alice');
    expect(orders).toHaveLength(CLOSED_ORDERS_KEPT_PER_USER + 1);
    expect(orders[0]?.order.id).toBe('open');
    expect(orders[1]?.order.id).toBe('c5');
    expect(book.openOrderCount('alice')).toBe(1);
    expect(book.orderByClientId('alice', 'id0')).toBeUndefined();
    expect(book.orderByClientId('alice', 'id5')?.order.id).toBe('c5');
    expect(book.orderByClientId('alice', 'keep')?.order.id).toBe('open');
    // Another user's book is untouched.
    expect(book.ordersOf('bob')).toEqual([]);
  });

  it('counts open orders through every way an order opens and ends, as a walk over them would', () => {
    const book = new TradingBook();
    const walked = (): number =>
      book.ordersOf('alice').filter((entry) => ['new', 'partially_filled'].includes(entry.status)).length;
    book.applyCommand('alice', { kind: 'order', order: order('o1') });
    book.applyCommand('alice', { kind: 'order', order: order('o2') });
    expect(book.openOrderCount('alice')).toBe(2);
    book.applyUpdate(fill('o1', 2, 40, 40));
    expect(book.openOrderCount('alice')).toBe(2);
    book.applyUpdate(fill('o1', 3, 60, 100));
    // Read before its order: the order arrives filled.
    book.applyUpdate(fill('o3', 2, 100, 100));
    book.applyCommand('alice', { kind: 'order', order: order('o3') });
    // An update of another id shape (step 0) may move a final order back to open.
    book.applyUpdate({ ...update('o2', 1, { status: 'rejected' }), id: 'x' });
    expect(book.openOrderCount('alice')).toBe(walked());
    expect(book.openOrderCount('alice')).toBe(0);
    book.applyUpdate({ ...update('o2', 1, { status: 'new' }), id: 'y' });
    expect(book.openOrderCount('alice')).toBe(1);
    expect(book.openOrderCount('alice')).toBe(walked());
    expect(book.openOrderCount('bob')).toBe(0);
  });

  it('decodes a portfolio when first asked for, once, with the curve record merged in', () => {
    const book = new TradingBook();
    const minute = 60_000;
    const portfolioAt = (cash: number, at: number): PortfolioFields => ({
      user: 'alice',
      cash,
      reservedCash: 0,
      startingCash: 100,
      realizedPnl: 0,
      positions: [],
      equityCurve: [{ timeMs: at, equity: cash }],
      updatedAtMs: at,
      resetAtMs: 0,
      lastUpdateId: '',
    });
    const decoded: string[] = [];
    const lazy =
      <T>(name: string, value: T) =>
      (): T => {
        decoded.push(name);
        return value;
      };
    expect(book.applyPortfolio('alice', lazy('p1', portfolioAt(100, minute)))).toBe(true);
    expect(book.applyPortfolio('alice', lazy('p2', portfolioAt(90, 2 * minute + 5)))).toBe(true);
    expect(decoded).toEqual([]);
    const curve: EquityCurveFields = {
      user: 'alice',
      resetAtMs: 0,
      points: [
        { timeMs: minute, equity: 100 },
        { timeMs: 2 * minute, equity: 95 },
      ],
    };
    expect(book.applyEquityCurve('alice', lazy('c1', curve))).toBe(true);
    expect(book.portfolioOf('alice')?.cash).toBe(90);
    expect(book.portfolioOf('alice')?.equityCurve).toEqual([
      { timeMs: minute, equity: 100 },
      { timeMs: 2 * minute + 5, equity: 90 },
    ]);
    expect(decoded.sort()).toEqual(['c1', 'p2']);
    expect(book.applyPortfolio('alice', null)).toBe(true);
    expect(book.portfolioOf('alice')).toBeNull();
    expect(book.applyEquityCurve('bob', lazy('c2', { ...curve, user: 'bob' }))).toBe(false);
    expect(book.portfolioOf('bob')).toBeNull();
  });
});
