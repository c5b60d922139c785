import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type RunningAnalytics, startAnalytics } from '../../analytics/src/analytics.js';
import {
  createTopicSettled,
  jobLog,
  type TickLoop,
  tickAapl,
  topicsAfter,
} from '../../analytics/src/testing/end-to-end.js';
import { selectedBackend, startTestKafka, type TestKafka, uniqueName } from '../../broker/src/testing/kafka-backend.js';
import { until } from '../../broker/src/testing/until.js';
import { createToken } from '../../edge/src/auth-token.js';
import type { RunningEdge } from '../../edge/src/edge.js';
import { startTestEdge } from '../../edge/src/testing/system.js';
import type { TradingTopicNames } from '../../edge/src/trading-state.js';
import {
  ErrorCode,
  type OrderStateFields,
  type OrderUpdateFields,
  type PortfolioStateFields,
  RequestRefused,
  TickstreamClient,
} from './index.js';

const SECRET = 'sdk-orders-test-secret';
/** AAPL trades at 190.0000 with the ask at 190.0100 all along (× 10,000, as the wire has it). */
const LAST = 1_900_000;
const ASK = 1_900_100;
const STARTING_CASH = 100_000 * 10_000;

/** What a promise was rejected with (a test fails if it resolved). */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    (answer) => {
      throw new Error(`expected a refusal, got ${JSON.stringify(answer)}`);
    },
    (error: Error) => error,
  );
}

// The SDK's order methods against a real edge on a real broker, with fills from the real fill
// engine (the Flink analytics job) matching the orders against ticks written to Kafka.
describe(`TickstreamClient orders (${selectedBackend()} backend)`, () => {
  let kafka: TestKafka;
  let checkpoints: string;
  let job: RunningAnalytics | undefined;
  let edge: RunningEdge;
  let writer: kafkajs.Producer;
  let ticker: TickLoop;
  const clients: TickstreamClient[] = [];

  /** A client signed in as `user`, its typed trading events recorded. */
  const connect = async (user: string, role: 'viewer' | 'trader') => {
    const token = await createToken({ secret: SECRET, user, role, ttlSeconds: 600 });
    const client = new TickstreamClient({
      url: `ws://127.0.0.1:${edge.port}/ws`,
      createSocket: (url) => new WebSocket(url, { headers: { Authorization: `Bearer ${token}` } }),
      symbols: ['AAPL'],
      pingEveryMs: 0,
    });
    clients.push(client);
    const seen = {
      orders: [] as [OrderStateFields, OrderUpdateFields | null][],
      fills: [] as [OrderUpdateFields, OrderStateFields][],
      portfolios: [] as PortfolioStateFields[],
    };
    client.on('order', (order, update) => seen.orders.push([order, update]));
    client.on('fill', (fill, order) => seen.fills.push([fill, order]));
    client.on('portfolio', (state) => seen.portfolios.push(state));
    client.connect();
    await client.whenLive();
    return { client, seen };
  };

  beforeAll(async () => {
    kafka = await startTestKafka();
    checkpoints = await mkdtemp(join(tmpdir(), 'tickstream-sdk-orders-'));
    const ticks = uniqueName('sdk-orders-ticks');
    const tradingTopics: TradingTopicNames = {
      orders: uniqueName('orders'),
      fills: uniqueName('fills'),
      portfolios: uniqueName('portfolios'),
    };
    const kafkaClient = new kafkajs.Kafka({
      brokers: kafka.brokers,
      clientId: 'sdk-orders',
      logLevel: kafkajs.logLevel.NOTHING,
    });
    const admin = kafkaClient.admin();
    await admin.connect();
    await createTopicSettled(admin, ticks);
    await admin.disconnect();
    writer = kafkaClient.producer();
    await writer.connect();
    ticker = tickAapl(writer, ticks, () => ({ price: LAST, size: 500, bid: LAST - 100, ask: ASK }));
    job = await startAnalytics({
      brokers: kafka.bootstrap,
      checkpointDir: join(checkpoints, 'checkpoints'),
      topics: topicsAfter(ticks, tradingTopics),
      instance: uniqueName('sdk-orders-job'),
      backfillMs: 0,
      log: jobLog(),
    });
    await job.ready;
    edge = await startTestEdge(kafka.brokers, ticks, { authSecret: SECRET, tradingTopics, orderPriceBandPct: 20 });
    await until(
      async () =>
        ((await (await fetch(`http://127.0.0.1:${edge.port}/health`)).json()) as { trading: { loaded: boolean } })
          .trading.loaded,
      30_000,
      'the edge to load orders, fills and portfolios',
    );
  }, 300_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await ticker?.stop();
    await writer?.disconnect();
    await edge?.stop();
    await job?.kill();
    await kafka?.close();
    if (checkpoints) await rm(checkpoints, { recursive: true, force: true });
  }, 60_000);

  it('places market, limit and stop orders and cancels as promises; fills, order changes and the portfolio come as typed events', async () => {
    const { client, seen } = await connect('alice', 'trader');
    expect(await client.orders.list()).toMatchObject({ orderId: '', orders: [], fills: [] });

    const market = await client.orders.market('AAPL', 'buy', 100);
    expect(market.order.order.id).toMatch(/^o[0-9a-f]{16}$/);
    expect(market.orderId).toBe(market.order.order.id);
    expect(market.order).toMatchObject({
      status: 'new',
      filledQuantity: 0,
      order: { user: 'alice', symbol: 'AAPL', side: 'buy', type: 'market', quantity: 100, price: 0, tif: 'day' },
    });
    expect(market.order.order.referencePrice).toBe(LAST);
    // The fill engine fills it at the next tick's ask; the edge pushes it as 'order' and 'fill'.
    await until(() => seen.fills.some(([fill]) => fill.orderId === market.orderId), 60_000, 'the fill');
    const [fill, filled] = seen.fills.find(([f]) => f.orderId === market.orderId) as [
      OrderUpdateFields,
      OrderStateFields,
    ];
    expect(fill).toMatchObject({
      orderId: market.orderId,
      user: 'alice',
      symbol: 'AAPL',
      side: 'buy',
      status: 'filled',
      fillQuantity: 100,
      fillPrice: ASK,
      filledQuantity: 100,
      averageFillPrice: ASK,
      quantity: 100,
    });
    expect(filled).toMatchObject({ status: 'filled', filledQuantity: 100, averageFillPrice: ASK, acknowledged: true });
    expect(seen.orders.some(([order, update]) => update?.id === fill.id && order.status === 'filled')).toBe(true);

    // The portfolio, pushed with the fill and answered to a request, valued at the edge's last price.
    const holdsAapl = (state: PortfolioStateFields) =>
      state.portfolio?.positions.some((p) => p.symbol === 'AAPL' && p.quantity === 100) === true;
    await until(() => seen.portfolios.some(holdsAapl), 30_000, 'the pushed portfolio');
    const portfolio = await client.orders.portfolio();
    expect(portfolio.requestId).toBeGreaterThan(0);
    expect(portfolio.portfolio).toMatchObject({
      user: 'alice',
      cash: STARTING_CASH - 100 * ASK,
      startingCash: STARTING_CASH,
      positions: [{ symbol: 'AAPL', quantity: 100, cost: 100 * ASK }],
    });
    expect(portfolio.marks).toEqual([LAST]);

    const limit = await client.orders.limit('AAPL', 'buy', 10, 1_600_000, { tif: 'gtc', clientOrderId: 'alice-l-1' });
    expect(limit.order).toMatchObject({
      status: 'new',
      order: { type: 'limit', price: 1_600_000, tif: 'gtc', clientOrderId: 'alice-l-1', quantity: 10 },
    });
    // A retry with the same clientOrderId is the same order, placed once.
    const retried = await client.orders.limit('AAPL', 'buy', 10, 1_600_000, { tif: 'gtc', clientOrderId: 'alice-l-1' });
    expect(retried.orderId).toBe(limit.orderId);
    const stop = await client.orders.stop('AAPL', 'buy', 5, 2_000_000);
    expect(stop.order).toMatchObject({ status: 'new', order: { type: 'stop', price: 2_000_000, quantity: 5 } });
    const listed = (await client.orders.list()).orders.map((o) => o.order.id);
    expect(listed.sort()).toEqual([market.orderId, limit.orderId, stop.orderId].sort());

    const cancel = await client.orders.cancel(limit.orderId);
    expect(cancel.order).toMatchObject({ cancelRequested: true, order: { id: limit.orderId } });
    await until(
      () => seen.orders.some(([order]) => order.order.id === limit.orderId && order.status === 'cancelled'),
      30_000,
      'the fill engine to cancel the limit order',
    );
    const [cancelled, update] = seen.orders.find(
      ([order]) => order.order.id === limit.orderId && order.status === 'cancelled',
    ) as [OrderStateFields, OrderUpdateFields | null];
    expect(cancelled.reason).toBe('cancelled by the user');
    expect(update).toMatchObject({ orderId: limit.orderId, status: 'cancelled', fillQuantity: 0 });
    expect(seen.fills.filter(([f]) => f.orderId !== market.orderId)).toEqual([]);
    await client.orders.cancel(stop.orderId);
  }, 120_000);

  it('rejects what the edge refuses with a RequestRefused carrying its code and reason; the connection stays up', async () => {
    const { client } = await connect('bob', 'trader');
    const refused = async (promise: Promise<unknown>, code: ErrorCode, reason: string | RegExp) => {
      const error = await rejection(promise);
      expect(error).toBeInstanceOf(RequestRefused);
      expect((error as RequestRefused).code).toBe(code);
      expect(error.message).toMatch(reason);
    };
    await refused(
      client.orders.market('AAPL', 'buy', 0),
      ErrorCode.InvalidOrder,
      'quantity must be a whole number of shares from 1 to 1000000; got 0',
    );
    await refused(client.orders.market('NOPE', 'buy', 1), ErrorCode.InvalidOrder, 'unknown symbol "NOPE"');
    await refused(
      client.orders.place({ symbol: 'AAPL', side: 'buy', type: 'market', quantity: 1, price: LAST }),
      ErrorCode.InvalidOrder,
      "a market order takes no price (it fills at the next tick's ask); send a limit order to name one",
    );
    await refused(
      client.orders.limit('AAPL', 'buy', 1, LAST * 2),
      ErrorCode.InvalidOrder,
      /^price 380 is more than 20% from AAPL's last price 190 \(allowed [\d.]+ to [\d.]+; --order-price-band 20\)$/,
    );
    await refused(
      client.orders.cancel('o0000000000000000'),
      ErrorCode.NotFound,
      'no order "o0000000000000000" of user bob',
    );
    const market = await client.orders.market('AAPL', 'buy', 1);
    await until(
      async () =>
        (await client.orders.list()).orders.some((o) => o.order.id === market.orderId && o.status === 'filled'),
      60_000,
      'bob’s order to fill',
    );
    await refused(
      client.orders.cancel(market.orderId),
      ErrorCode.OrderNotOpen,
      `order ${market.orderId} is filled: nothing to cancel`,
    );
    // What the wire cannot carry is refused before it is sent, in a sentence.
    const fractional = await rejection(client.orders.market('AAPL', 'buy', 1.5));
    expect(fractional).toBeInstanceOf(RangeError);
    expect(fractional.message).toBe('quantity must be a whole number of shares; got 1.5');
    expect(client.state).toBe('open');

    const { client: viewer } = await connect('vic', 'viewer');
    const forbidden = 'user vic has role viewer; this needs trader or admin';
    await refused(viewer.orders.market('AAPL', 'buy', 1), ErrorCode.Forbidden, forbidden);
    await refused(viewer.orders.cancel(market.orderId), ErrorCode.Forbidden, forbidden);
    // A viewer reads its own (empty) state.
    expect(await viewer.orders.list()).toMatchObject({ orders: [], fills: [] });
    expect(await viewer.orders.portfolio()).toMatchObject({ portfolio: null, marks: [] });

    viewer.close();
    const closed = await rejection(viewer.orders.market('AAPL', 'buy', 1));
    expect(closed.message).toBe('not connected: the request was not sent');
  }, 120_000);
});
