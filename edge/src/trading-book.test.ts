import type { OrderFields, OrderUpdateFields } from '@tickstream/schemas';
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
});
