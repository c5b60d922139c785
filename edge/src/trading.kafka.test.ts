import { RequestRefused } from '@tickstream/client';
import {
  decodeOrderCommand,
  ErrorCode,
  type OrderCommandFields,
  type OrderFields,
  type OrderUpdateFields,
} from '@tickstream/schemas';
import { kafkaSecurityFromEnv } from '@tickstream/schemas/kafka-security';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectedBackend, startTestKafka, type TestKafka, uniqueName } from '../../broker/src/testing/kafka-backend.js';
import { until } from '../../broker/src/testing/until.js';
import type { RunningProducer } from '../../producer/dist/index.js';
import { createToken } from './auth-token.js';
import type { RunningEdge } from './edge.js';
import type { EdgeOptions } from './options.js';
import { apiCall } from './testing/api-call.js';
import { FillEngineStandIn, portfolioOf, type StandInOrder, updateOf } from './testing/fill-engine-stand-in.js';
import { type ApiSymbol, startTestEdge, startTestProducer } from './testing/system.js';
import { TestClient } from './testing/test-client.js';
import type { OrderJson, PortfolioJson } from './trading-json.js';
import type { TradingTopicNames } from './trading-state.js';
import { type KeyedRecord, UserStateReader, type UserTopicNames, userStateKafka } from './user-state-kafka.js';

const SECRET = 'test-secret-of-the-trading-edge';
const STARTING_CASH = 100_000 * 10_000;
/** A WebSocket answer may wait on a machine shared with other builds: generous, a hang still fails. */
const WS_WAIT_MS = 30_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The edge's refusal of an SDK request: its code and sentence (the request fails if it was answered). */
async function refusal(request: Promise<unknown>): Promise<{ code: ErrorCode; message: string }> {
  const error = await request.then(
    (answer) => new Error(`expected a refusal, got ${JSON.stringify(answer)}`),
    (refused: unknown) => refused,
  );
  expect(error).toBeInstanceOf(RequestRefused);
  const { code, message } = error as RequestRefused;
  return { code, message };
}

// Orders, cancels, fills and portfolios through a real broker, real edges and real WebSockets.
// Fills and portfolios come from the stand-in of the Flink fill engine (part B of issue 21),
// written in Kafka transactions as the job will write them.
describe(`trading (${selectedBackend()} backend)`, () => {
  let kafka: TestKafka;
  let producer: RunningProducer;
  let topic: string;
  let userTopics: UserTopicNames;
  let tradingTopics: TradingTopicNames;
  let engine: FillEngineStandIn;
  let edge: RunningEdge;
  let base: string;
  const edges: RunningEdge[] = [];
  const clients: TestClient[] = [];
  let alice: string;
  let bob: string;
  let vic: string;

  const token = (user: string, role: 'viewer' | 'trader' | 'admin') =>
    createToken({ secret: SECRET, user, role, ttlSeconds: 600 });
  const call = (method: string, path: string, auth: string, body?: unknown, at = base) =>
    apiCall(at, method, path, { token: auth, ...(body === undefined ? {} : { body }) });

  const startEdge = async (overrides: Partial<EdgeOptions> = {}): Promise<RunningEdge> => {
    const started = await startTestEdge(kafka.brokers, topic, {
      authSecret: SECRET,
      userTopics,
      tradingTopics,
      maxOpenOrdersPerUser: 6,
      orderPriceBandPct: 20,
      ...overrides,
    });
    edges.push(started);
    await until(
      async () => {
        const health = (await (await fetch(`http://127.0.0.1:${started.port}/health`)).json()) as {
          trading: { loaded: boolean };
        };
        return health.trading.loaded;
      },
      30_000,
      'the edge to load orders, fills and portfolios',
    );
    return started;
  };

  const connect = async (auth: string, port = edge.port): Promise<TestClient> => {
    const client = await TestClient.connect(`ws://127.0.0.1:${port}/ws`, { Authorization: `Bearer ${auth}` });
    clients.push(client);
    await client.next('hello');
    return client;
  };

  /** Every record on a topic now, read from its beginning. */
  const readTopic = async (name: string): Promise<KeyedRecord[]> => {
    const records: KeyedRecord[] = [];
    const client = userStateKafka(kafka.brokers, 'test-read-topic');
    const reader = new UserStateReader(
      client,
      { brokers: kafka.brokers, clientId: 'test-read-topic', security: kafkaSecurityFromEnv() },
      [name],
      (record) => records.push(record),
      () => {},
    );
    await reader.start();
    await reader.loaded;
    await reader.stop();
    return records;
  };
  const commandsOnOrders = async (): Promise<{ key: string; command: OrderCommandFields }[]> =>
    (await readTopic(tradingTopics.orders)).map((record) => ({
      key: record.key,
      command: decodeOrderCommand(record.value as Buffer),
    }));

  /** The edge's last price, bid and ask of a symbol × 10,000. */
  const quote = async (symbol: string): Promise<ApiSymbol> => {
    const { body } = await call('GET', '/api/symbols', alice);
    return (body.symbols as ApiSymbol[]).find((s) => s.name === symbol) as ApiSymbol;
  };

  /** An order the edge answered, as the fill engine stand-in needs it. */
  const standIn = (order: OrderJson, user: string): StandInOrder => ({
    id: order.id,
    user,
    symbol: order.symbol,
    side: order.side,
    quantity: order.quantity,
  });

  beforeAll(async () => {
    kafka = await startTestKafka();
    topic = uniqueName('trading-ticks');
    userTopics = { users: uniqueName('users'), alerts: uniqueName('alerts'), alertEvents: uniqueName('alert-events') };
    tradingTopics = { orders: uniqueName('orders'), fills: uniqueName('fills'), portfolios: uniqueName('portfolios') };
    producer = await startTestProducer(kafka.brokers, topic, 600, 20);
    await sleep(1000);
    edge = await startEdge();
    base = `http://127.0.0.1:${edge.port}`;
    engine = new FillEngineStandIn(kafka.brokers, tradingTopics);
    [alice, bob, vic] = await Promise.all([token('alice', 'trader'), token('bob', 'trader'), token('vic', 'viewer')]);
  }, 240_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await engine?.stop();
    for (const started of edges) await started.stop();
    await producer?.stop();
    await kafka?.close();
  }, 60_000);

  it('refuses bad orders with a precise 400, a viewer with a 403, and sends nothing to Kafka', async () => {
    const aapl = await quote('AAPL');
    const last = aapl.last / 10_000;
    const cases: [unknown, string | RegExp][] = [
      [{ symbol: 'NOPE', side: 'buy', type: 'market', quantity: 1 }, 'unknown symbol "NOPE"'],
      [{ symbol: 'AAPL', side: 'long', type: 'market', quantity: 1 }, 'side must be buy or sell; got "long"'],
      [{ symbol: 'AAPL', side: 'buy', quantity: 1 }, 'type must be market, limit or stop; got null'],
      [
        { symbol: 'AAPL', side: 'buy', type: 'market', quantity: 0 },
        'quantity must be a whole number of shares from 1 to 1000000; got 0',
      ],
      [
        { symbol: 'AAPL', side: 'buy', type: 'market', quantity: 1.5 },
        'quantity must be a whole number of shares from 1 to 1000000; got 1.5',
      ],
      [
        { symbol: 'AAPL', side: 'buy', type: 'market', quantity: 1, price: 10 },
        "a market order takes no price (it fills at the next tick's ask); send a limit order to name one",
      ],
      [{ symbol: 'AAPL', side: 'buy', type: 'limit', quantity: 1 }, 'a limit order needs a price, e.g. "price": 189.5'],
      [
        { symbol: 'AAPL', side: 'buy', type: 'limit', quantity: 1, price: 10.00001 },
        'price must be a multiple of 0.0001 (prices have 4 decimals); got 10.00001',
      ],
      [
        { symbol: 'AAPL', side: 'buy', type: 'limit', quantity: 1, price: Math.round(last * 2) },
        /^price \d+ is more than 20% from AAPL's last price [\d.]+ \(allowed [\d.]+ to [\d.]+; --order-price-band 20\)$/,
      ],
      [
        { symbol: 'AAPL', side: 'buy', type: 'stop', quantity: 1, price: Math.floor(last * 0.9) },
        /^a buy stop must be above the last price [\d.]+: at \d+ it would trigger at once/,
      ],
      [{ symbol: 'AAPL', side: 'buy', type: 'market', quantity: 1, tif: 'ioc' }, 'tif must be day or gtc; got "ioc"'],
      [
        { symbol: 'AAPL', side: 'buy', type: 'market', quantity: 1, colour: 'red' },
        'unknown field "colour"; an order has symbol, side, type, quantity, price, tif, clientOrderId',
      ],
      [
        { symbol: 'AAPL', side: 'buy', type: 'market', quantity: 1, clientOrderId: 'a b' },
        'clientOrderId must be 1 to 64 letters, digits or . _ : -; got "a b"',
      ],
      ['[1]', 'an order is a JSON object: {"symbol","side","type","quantity","price?","tif?","clientOrderId?"}'],
    ];
    for (const [body, error] of cases) {
      const answer = await call('POST', '/api/orders', alice, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error, JSON.stringify(body)).toMatch(error);
    }
    expect((await call('POST', '/api/orders', alice, '{"symbol":')).status).toBe(400);
    const viewer = await call('POST', '/api/orders', vic, { symbol: 'AAPL', side: 'buy', type: 'market', quantity: 1 });
    expect(viewer).toMatchObject({
      status: 403,
      body: { error: 'user vic has role viewer; this needs trader or admin' },
    });
    expect((await call('DELETE', '/api/orders/o1', vic)).status).toBe(403);
    // A viewer reads (its own, empty) state.
    expect((await call('GET', '/api/orders', vic)).body).toEqual({ orders: [] });
    expect((await call('POST', '/api/orders', '', {})).status).toBe(401);
    expect(await commandsOnOrders()).toEqual([]);
  });

  it('writes accepted orders to `orders` keyed by the user, exactly as sent; a retried clientOrderId is placed once', async () => {
    const msft = await quote('MSFT');
    const limitPrice = Math.round((msft.last / 10_000) * 1.05 * 100) / 100;
    const stopPrice = Math.round((msft.last / 10_000) * 1.1 * 100) / 100;
    const sent = [
      { symbol: 'AAPL', side: 'buy', type: 'market', quantity: 100 },
      { symbol: 'MSFT', side: 'sell', type: 'limit', quantity: 7, price: limitPrice, tif: 'gtc' },
      { symbol: 'MSFT', side: 'buy', type: 'stop', quantity: 3, price: stopPrice, clientOrderId: 'alice-stop-1' },
    ];
    const answers: OrderJson[] = [];
    for (const body of sent) {
      const answer = await call('POST', '/api/orders', alice, body);
      expect(answer.status, JSON.stringify(answer.body)).toBe(201);
      answers.push(answer.body as OrderJson);
    }
    expect(answers[0]).toMatchObject({
      symbol: 'AAPL',
      side: 'buy',
      type: 'market',
      quantity: 100,
      tif: 'day',
      status: 'new',
      filledQuantity: 0,
      acknowledged: false,
    });
    expect(answers[0]?.id).toMatch(/^o[0-9a-f]{16}$/);
    expect(answers[1]).toMatchObject({ price: limitPrice, tif: 'gtc', status: 'new' });
    expect(answers[2]).toMatchObject({ price: stopPrice, clientOrderId: 'alice-stop-1' });

    const retry = await call('POST', '/api/orders', alice, sent[2]);
    expect(retry.status).toBe(200);
    expect(retry.body.id).toBe(answers[2]?.id);
    const conflicting = await call('POST', '/api/orders', alice, { ...sent[2], quantity: 4 });
    expect(conflicting.status).toBe(409);
    expect(conflicting.body.error).toBe(
      `clientOrderId "alice-stop-1" is order ${answers[2]?.id} already, with other terms: use a new clientOrderId`,
    );

    const onTopic = await commandsOnOrders();
    expect(onTopic).toHaveLength(3);
    for (const [i, { key, command }] of onTopic.entries()) {
      expect(key).toBe('alice');
      expect(command.kind).toBe('order');
      const order = (command as { order: OrderFields }).order;
      const body = sent[i] as Record<string, unknown>;
      expect(order).toMatchObject({
        id: answers[i]?.id,
        user: 'alice',
        symbol: body.symbol,
        side: body.side,
        type: body.type,
        quantity: body.quantity,
        price: body.price === undefined ? 0 : Math.round((body.price as number) * 10_000),
        tif: body.tif ?? 'day',
        clientOrderId: body.clientOrderId ?? '',
        createdAtMs: answers[i]?.createdAt,
      });
      expect(order.referencePrice).toBeGreaterThan(0);
    }
    const listed = (await call('GET', '/api/orders', alice)).body.orders as OrderJson[];
    expect(listed.map((order) => order.id)).toEqual(answers.map((order) => order.id));
  });

  it('writes a cancel request to `orders`; the fill engine’s answer decides, and only the owner may ask', async () => {
    const placed = (await call('GET', '/api/orders', alice)).body.orders as OrderJson[];
    const limit = placed.find((order) => order.type === 'limit') as OrderJson;
    expect((await call('DELETE', `/api/orders/${limit.id}`, bob)).body).toEqual({
      error: `no order "${limit.id}" of user bob`,
    });
    const cancel = await call('DELETE', `/api/orders/${limit.id}`, alice);
    expect(cancel).toMatchObject({ status: 202, body: { id: limit.id, status: 'new', cancelRequested: true } });
    const commands = await commandsOnOrders();
    expect(commands.at(-1)).toMatchObject({
      key: 'alice',
      command: { kind: 'cancel', cancel: { orderId: limit.id, user: 'alice' } },
    });
    expect(commands.filter(({ command }) => command.kind === 'cancel')).toHaveLength(1);

    // The engine: in time, so cancelled.
    await engine.write({
      updates: [
        updateOf(standIn(limit, 'alice'), 1, 'new'),
        updateOf(standIn(limit, 'alice'), 2, 'cancelled', { reason: 'cancelled by the user' }),
      ],
    });
    await until(
      async () =>
        ((await call('GET', '/api/orders', alice)).body.orders as OrderJson[]).find((o) => o.id === limit.id)
          ?.status === 'cancelled',
      15_000,
      'the cancel to show',
    );
    const after = ((await call('GET', '/api/orders', alice)).body.orders as OrderJson[]).find((o) => o.id === limit.id);
    expect(after).toMatchObject({ status: 'cancelled', reason: 'cancelled by the user', acknowledged: true });
    expect(after?.cancelRequested).toBeUndefined();
    expect(await call('DELETE', `/api/orders/${limit.id}`, alice)).toMatchObject({
      status: 409,
      body: { error: `order ${limit.id} is cancelled: nothing to cancel` },
    });
  });

  it('shows the fill engine’s fills in GET /api/orders and /api/fills (JSON and CSV), and its rejections with the reason', async () => {
    const placed = (await call('GET', '/api/orders', alice)).body.orders as OrderJson[];
    const market = placed.find((order) => order.type === 'market') as OrderJson;
    const stop = placed.find((order) => order.type === 'stop') as OrderJson;
    const price = (await quote('AAPL')).ask;
    const time = Date.now();
    await engine.write({
      updates: [
        updateOf(standIn(market, 'alice'), 1, 'new'),
        updateOf(standIn(market, 'alice'), 2, 'partially_filled', {
          fillQuantity: 40,
          fillPrice: price,
          filledQuantity: 40,
          averageFillPrice: price,
          timeMs: time,
          tickSequence: 900,
        }),
        updateOf(standIn(market, 'alice'), 3, 'filled', {
          fillQuantity: 60,
          fillPrice: price + 100,
          filledQuantity: 100,
          averageFillPrice: price + 60,
          timeMs: time + 5,
          tickSequence: 901,
        }),
        updateOf(standIn(stop, 'alice'), 1, 'rejected', {
          reason: 'buying power: 3 MSFT at up to 460.0000 needs 1380.00; available 0.00',
        }),
      ],
    });
    await until(
      async () => ((await call('GET', '/api/fills', alice)).body.fills as unknown[]).length === 2,
      15_000,
      'two fills',
    );
    const orders = (await call('GET', '/api/orders', alice)).body.orders as OrderJson[];
    expect(orders.find((o) => o.id === market.id)).toMatchObject({
      status: 'filled',
      filledQuantity: 100,
      averageFillPrice: (price + 60) / 10_000,
      acknowledged: true,
    });
    expect(orders.find((o) => o.id === stop.id)).toMatchObject({
      status: 'rejected',
      reason: 'buying power: 3 MSFT at up to 460.0000 needs 1380.00; available 0.00',
    });
    const fills = (await call('GET', '/api/fills', alice)).body.fills;
    expect(fills).toEqual([
      {
        id: `${market.id}-2`,
        orderId: market.id,
        symbol: 'AAPL',
        side: 'buy',
        quantity: 40,
        price: price / 10_000,
        time,
        status: 'partially_filled',
        filledQuantity: 40,
        orderQuantity: 100,
      },
      expect.objectContaining({ id: `${market.id}-3`, quantity: 60, price: (price + 100) / 10_000 }),
    ]);
    const csv = await call('GET', '/api/fills?format=csv', alice);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename="fills-alice.csv"');
    const lines = csv.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'time,fill_id,order_id,symbol,side,quantity,price,value,order_status,filled_quantity,order_quantity',
    );
    expect(lines[1]).toBe(
      `${new Date(time).toISOString()},${market.id}-2,${market.id},AAPL,buy,40,${price / 10_000},${(40 * price) / 10_000},partially_filled,40,100`,
    );
    expect(lines).toHaveLength(3);
    expect((await call('GET', '/api/fills?format=xml', alice)).body.error).toBe(
      'format must be json or csv; got "xml"',
    );
    // The same update written again (an at-least-once writer) counts once.
    await engine.write({
      updates: [updateOf(standIn(market, 'alice'), 2, 'partially_filled', { fillQuantity: 40, fillPrice: price })],
    });
    await sleep(1000);
    expect(((await call('GET', '/api/fills', alice)).body.fills as unknown[]).length).toBe(2);
    expect(
      ((await call('GET', '/api/orders', alice)).body.orders as OrderJson[]).find((o) => o.id === market.id),
    ).toMatchObject({
      status: 'filled',
      filledQuantity: 100,
    });
  });

  it('values the portfolio at the edge’s live last price: unrealized P&L moves with the ticks', async () => {
    const fills = (await call('GET', '/api/fills', alice)).body.fills as { price: number; quantity: number }[];
    const cost = fills.reduce((sum, fill) => sum + Math.round(fill.price * 10_000) * fill.quantity, 0);
    const cash = STARTING_CASH - cost;
    await engine.write({
      portfolios: [
        portfolioOf(
          'alice',
          {
            cash,
            startingCash: STARTING_CASH,
            reservedCash: 0,
            positions: [
              { symbol: 'AAPL', quantity: 100, cost, realizedPnl: 0 },
              { symbol: 'MSFT', quantity: 0, cost: 0, realizedPnl: -1_234_500 },
            ],
          },
          [
            { timeMs: Date.now() - 60_000, equity: STARTING_CASH },
            { timeMs: Date.now(), equity: STARTING_CASH - 1_234_500 },
          ],
        ),
      ],
    });
    await until(async () => (await call('GET', '/api/portfolio', alice)).body.opened === true, 15_000, 'the portfolio');
    const seen = new Set<number>();
    const deadline = Date.now() + 15_000;
    while (seen.size < 3 && Date.now() < deadline) {
      const portfolio = (await call('GET', '/api/portfolio', alice)).body as PortfolioJson;
      const [aapl, msft] = portfolio.positions;
      expect(portfolio).toMatchObject({
        opened: true,
        cash: cash / 10_000,
        startingCash: 100_000,
        buyingPower: cash / 10_000,
        realizedPnl: -123.45,
      });
      expect(aapl).toMatchObject({ symbol: 'AAPL', quantity: 100, avgCost: cost / 100 / 10_000, realizedPnl: 0 });
      expect(aapl?.sector).toBeTruthy();
      const last = aapl?.lastPrice as number;
      // Marked to the edge's live last price, in exact units.
      expect(aapl?.unrealizedPnl).toBe((Math.round(last * 10_000) * 100 - cost) / 10_000);
      expect(aapl?.marketValue).toBe((Math.round(last * 10_000) * 100) / 10_000);
      expect(msft).toMatchObject({ symbol: 'MSFT', quantity: 0, unrealizedPnl: 0, realizedPnl: -123.45 });
      expect(portfolio.equity).toBe((cash + Math.round(last * 10_000) * 100) / 10_000);
      expect(portfolio.equityCurve).toHaveLength(2);
      seen.add(aapl?.unrealizedPnl as number);
      await sleep(300);
    }
    // The price moved while we watched: three different valuations.
    expect(seen.size).toBe(3);
  });

  it('shows the equity curve of the EquityCurve record followed by the portfolio’s own point', async () => {
    const before = (await call('GET', '/api/portfolio', alice)).body as PortfolioJson;
    const minute = 60_000;
    const now = Date.now();
    const cash = Math.round(before.cash * 10_000);
    const portfolio = portfolioOf('alice', { cash, startingCash: STARTING_CASH }, [{ timeMs: now, equity: cash }]);
    await engine.write({
      portfolios: [portfolio],
      curves: [
        {
          user: 'alice',
          resetAtMs: portfolio.resetAtMs,
          points: [
            { timeMs: now - 3 * minute, equity: STARTING_CASH },
            { timeMs: now - 2 * minute, equity: STARTING_CASH - 10_000 },
          ],
        },
      ],
    });
    await until(
      async () => ((await call('GET', '/api/portfolio', alice)).body as typeof before).equityCurve.length === 3,
      15_000,
      'the merged curve',
    );
    const shown = (await call('GET', '/api/portfolio', alice)).body as typeof before;
    expect(shown.equityCurve).toEqual([
      { time: now - 3 * minute, equity: STARTING_CASH / 10_000 },
      { time: now - 2 * minute, equity: (STARTING_CASH - 10_000) / 10_000 },
      { time: now, equity: cash / 10_000 },
    ]);
    // A curve of another reset than the portfolio's is left out: the portfolio's point alone.
    await engine.write({ curves: [{ user: 'alice', resetAtMs: now, points: [{ timeMs: now, equity: 1 }] }] });
    await until(
      async () => ((await call('GET', '/api/portfolio', alice)).body as typeof before).equityCurve.length === 1,
      15_000,
      'the curve of another reset left out',
    );
  });

  it('shows bob none of alice’s state, over HTTP and the WebSocket, and pushes to alice’s connections only', async () => {
    expect((await call('GET', '/api/orders', bob)).body).toEqual({ orders: [] });
    expect((await call('GET', '/api/fills', bob)).body).toEqual({ fills: [] });
    expect((await call('GET', '/api/portfolio', bob)).body).toMatchObject({ opened: false, positions: [], cash: 0 });
    const aliceWs = await connect(alice);
    const bobWs = await connect(bob);
    expect((await aliceWs.client.orders.list()).orders.length).toBeGreaterThan(0);
    expect(await bobWs.client.orders.list()).toMatchObject({ orders: [], fills: [] });

    const placed = await call('POST', '/api/orders', alice, {
      symbol: 'GOOGL',
      side: 'buy',
      type: 'market',
      quantity: 5,
    });
    const pushedNew = await aliceWs.next('order-updated', WS_WAIT_MS);
    expect(pushedNew).toMatchObject({
      order: { order: { id: placed.body.id, user: 'alice' }, status: 'new' },
      update: null,
    });
    await engine.write({
      updates: [
        updateOf(standIn(placed.body, 'alice'), 1, 'filled', {
          fillQuantity: 5,
          fillPrice: 600_000,
          filledQuantity: 5,
          averageFillPrice: 600_000,
        }),
      ],
      portfolios: [portfolioOf('alice', { cash: 5, startingCash: STARTING_CASH })],
    });
    const pushedFill = await aliceWs.next('order-updated', WS_WAIT_MS);
    expect(pushedFill).toMatchObject({
      order: { status: 'filled', filledQuantity: 5 },
      update: { id: `${placed.body.id}-1`, fillQuantity: 5, fillPrice: 600_000 },
    });
    expect(await aliceWs.next('portfolio-state', WS_WAIT_MS)).toMatchObject({ requestId: 0, portfolio: { cash: 5 } });
    await sleep(1000);
    expect(bobWs.frames.filter((f) => f.type === 'order-updated' || f.type === 'portfolio-state')).toEqual([]);
    expect((await call('GET', '/api/portfolio', bob)).body.opened).toBe(false);
  });

  it('does the same over the WebSocket (protocol 3): the SDK’s order requests, each answered by its id', async () => {
    const client = await connect(bob);
    expect((client.frames[0] as { protocolVersion: number }).protocolVersion).toBeGreaterThanOrEqual(3);
    const orders = client.client.orders;
    const placed = await orders.market('AMZN', 'buy', 10);
    expect(placed.order).toMatchObject({
      status: 'new',
      order: { user: 'bob', symbol: 'AMZN', quantity: 10, price: 0 },
    });

    expect(await refusal(orders.market('NOPE', 'buy', 10))).toEqual({
      code: ErrorCode.InvalidOrder,
      message: 'unknown symbol "NOPE"',
    });
    const amzn = await quote('AMZN');
    const limit = await orders.limit('AMZN', 'buy', 10, Math.round(amzn.last * 0.9), {
      tif: 'gtc',
      clientOrderId: 'b-1',
    });
    expect(limit.order.order).toMatchObject({
      type: 'limit',
      price: Math.round(amzn.last * 0.9),
      tif: 'gtc',
      clientOrderId: 'b-1',
    });

    const viewer = await connect(vic);
    expect((await refusal(viewer.client.orders.market('AMZN', 'buy', 10))).code).toBe(ErrorCode.Forbidden);

    const aliceOrders = (await call('GET', '/api/orders', alice)).body.orders as OrderJson[];
    expect((await refusal(orders.cancel(aliceOrders[0]?.id as string))).code).toBe(ErrorCode.NotFound);

    const cancelled = await orders.cancel(limit.orderId);
    expect(cancelled.order).toMatchObject({ cancelRequested: true, order: { id: limit.orderId } });

    await engine.write({
      updates: [
        updateOf({ id: placed.orderId, user: 'bob', symbol: 'AMZN', side: 'buy', quantity: 10 }, 1, 'expired', {
          reason: 'day order: the exchange day ended',
        }),
      ],
    });
    await until(
      async () =>
        ((await call('GET', '/api/orders', bob)).body.orders as OrderJson[]).find((o) => o.id === placed.orderId)
          ?.status === 'expired',
      15_000,
      'the expiry',
    );
    expect(await refusal(orders.cancel(placed.orderId))).toEqual({
      code: ErrorCode.OrderNotOpen,
      message: `order ${placed.orderId} is expired: nothing to cancel`,
    });

    const portfolio = await orders.portfolio();
    expect(portfolio.requestId).toBeGreaterThan(0);
    expect(portfolio).toMatchObject({ portfolio: null, marks: [] });
  }, 60_000);

  it('stops at the per-user limit of open orders with a message naming it', async () => {
    const carol = await token('carol', 'trader');
    for (let i = 0; i < 6; i++)
      expect(
        (await call('POST', '/api/orders', carol, { symbol: 'AMZN', side: 'buy', type: 'market', quantity: 1 })).status,
      ).toBe(201);
    expect(
      await call('POST', '/api/orders', carol, { symbol: 'AMZN', side: 'buy', type: 'market', quantity: 1 }),
    ).toMatchObject({
      status: 400,
      body: {
        error:
          'user carol has 6 open orders, the most this edge allows (--max-open-orders-per-user 6): cancel one first',
      },
    });
  });

  it('never shows what the fill engine wrote in a transaction it aborted', async () => {
    const placed = (
      await call('POST', '/api/orders', alice, { symbol: 'GOOGL', side: 'buy', type: 'market', quantity: 8 })
    ).body as OrderJson;
    const order = standIn(placed, 'alice');
    const ghost: OrderUpdateFields = updateOf(order, 1, 'filled', {
      fillQuantity: 8,
      fillPrice: 1,
      filledQuantity: 8,
      averageFillPrice: 1,
    });
    // A job that crashed before its checkpoint: its transaction is aborted, then redone after recovery.
    await engine.write({ updates: [ghost], portfolios: [portfolioOf('alice', { cash: 1, startingCash: 1 })] }, 'abort');
    await engine.write({
      updates: [
        updateOf(order, 1, 'filled', {
          fillQuantity: 8,
          fillPrice: 250_000,
          filledQuantity: 8,
          averageFillPrice: 250_000,
        }),
      ],
    });
    await until(
      async () =>
        ((await call('GET', '/api/orders', alice)).body.orders as OrderJson[]).find((o) => o.id === placed.id)
          ?.status === 'filled',
      15_000,
      'the redone fill',
    );
    const fills = ((await call('GET', '/api/fills', alice)).body.fills as { orderId: string; price: number }[]).filter(
      (fill) => fill.orderId === placed.id,
    );
    expect(fills).toEqual([expect.objectContaining({ price: 25 })]);
    expect((await call('GET', '/api/portfolio', alice)).body.cash).not.toBe(1 / 10_000);
  });

  it('keeps orders, fills and the portfolio across an edge restart and on another edge', async () => {
    const before = {
      orders: (await call('GET', '/api/orders', alice)).body,
      fills: (await call('GET', '/api/fills', alice)).body,
      portfolio: (await call('GET', '/api/portfolio', alice)).body as PortfolioJson,
    };
    const steady = (portfolio: PortfolioJson) => ({
      cash: portfolio.cash,
      startingCash: portfolio.startingCash,
      realizedPnl: portfolio.realizedPnl,
      positions: portfolio.positions.map(({ symbol, quantity, avgCost, realizedPnl }) => ({
        symbol,
        quantity,
        avgCost,
        realizedPnl,
      })),
      equityCurve: portfolio.equityCurve,
    });
    const second = await startEdge();
    const at = `http://127.0.0.1:${second.port}`;
    expect((await call('GET', '/api/orders', alice, undefined, at)).body).toEqual(before.orders);
    expect((await call('GET', '/api/fills', alice, undefined, at)).body).toEqual(before.fills);
    expect(steady((await call('GET', '/api/portfolio', alice, undefined, at)).body)).toEqual(steady(before.portfolio));
    // An order placed on the second edge shows on the first.
    const placed = await call(
      'POST',
      '/api/orders',
      alice,
      { symbol: 'TSLA', side: 'buy', type: 'market', quantity: 2 },
      at,
    );
    expect(placed.status).toBe(201);
    await until(
      async () =>
        ((await call('GET', '/api/orders', alice)).body.orders as OrderJson[]).some((o) => o.id === placed.body.id),
      15_000,
      'the first edge to read the order placed on the second',
    );

    await edge.stop();
    edges.splice(edges.indexOf(edge), 1);
    edge = await startEdge();
    base = `http://127.0.0.1:${edge.port}`;
    const orders = (await call('GET', '/api/orders', alice)).body.orders as OrderJson[];
    expect(orders.slice(0, -1)).toEqual(before.orders.orders);
    expect(orders.at(-1)?.id).toBe(placed.body.id);
    expect((await call('GET', '/api/fills', alice)).body).toEqual(before.fills);
    expect(steady((await call('GET', '/api/portfolio', alice)).body)).toEqual(steady(before.portfolio));
    expect((await call('GET', '/api/orders', bob)).body.orders.length).toBeGreaterThan(0);
    expect(((await call('GET', '/api/orders', bob)).body.orders as OrderJson[]).every((o) => o.symbol === 'AMZN')).toBe(
      true,
    );
  });
});
