import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeOrderUpdate,
  decodePortfolio,
  EQUITY_CURVE_KEY_SUFFIX,
  encodeOrderCommand,
  type OrderUpdateFields,
  type PortfolioFields,
} from '@tickstream/schemas';
import { kafkaLz4Codec } from '@tickstream/schemas/lz4-node';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectedBackend, startTestKafka, type TestKafka, uniqueName } from '../../broker/src/testing/kafka-backend.js';
import { until } from '../../broker/src/testing/until.js';
import { createToken } from '../../edge/src/auth-token.js';
import type { RunningEdge } from '../../edge/src/edge.js';
import { startTestEdge } from '../../edge/src/testing/system.js';
import type { TradingTopicNames } from '../../edge/src/trading-state.js';
import { type RunningAnalytics, startAnalytics } from './analytics.js';
import { createTopicSettled, jobLog, type TickLoop, tickAapl, topicsAfter } from './testing/end-to-end.js';

const { CompressionCodecs, CompressionTypes, Kafka, logLevel } = kafkajs;
CompressionCodecs[CompressionTypes.LZ4] = kafkaLz4Codec;

const SECRET = 'trading-end-to-end-secret';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Order {
  id: string;
  status: string;
  filledQuantity: number;
  averageFillPrice?: number;
  reason?: string;
  acknowledged: boolean;
}

// Paper trading as users run it: orders over an edge's API, filled by the real Flink job
// (`tickstream analytics`: the fill engine) against ticks written to real Kafka, read back by
// the edge from `fills` and `portfolios` (read_committed).
describe(`paper trading end to end: edge API → Flink fill engine → edge (${selectedBackend()} backend)`, () => {
  let kafka: TestKafka;
  let checkpoints: string;
  let job: RunningAnalytics | undefined;
  let edge: RunningEdge | undefined;
  const killedJobs: RunningAnalytics[] = [];

  beforeAll(async () => {
    kafka = await startTestKafka();
    checkpoints = await mkdtemp(join(tmpdir(), 'tickstream-trading-e2e-'));
  }, 120_000);

  afterAll(async () => {
    await edge?.stop();
    await job?.kill();
    for (const killed of killedJobs) await killed.kill();
    await kafka?.close();
    if (checkpoints) await rm(checkpoints, { recursive: true, force: true });
  }, 60_000);

  it('fills a market buy at the next ask, rejects one beyond buying power, cancels a resting limit', async () => {
    const ticks = uniqueName('trading-e2e-ticks');
    const tradingTopics: TradingTopicNames = {
      orders: uniqueName('orders'),
      fills: uniqueName('fills'),
      portfolios: uniqueName('portfolios'),
    };
    const client = new Kafka({ brokers: kafka.brokers, clientId: 'trading-e2e', logLevel: logLevel.NOTHING });
    const admin = client.admin();
    await admin.connect();
    await createTopicSettled(admin, ticks);
    await admin.disconnect();
    const producer = client.producer();
    await producer.connect();
    const ticker = tickAapl(producer, ticks, () => ({ price: 1_900_000, size: 500, bid: 1_899_900, ask: 1_900_100 }));

    try {
      job = await startAnalytics({
        brokers: kafka.bootstrap,
        checkpointDir: join(checkpoints, 'checkpoints'),
        topics: topicsAfter(ticks, tradingTopics),
        instance: uniqueName('trading-e2e-job'),
        backfillMs: 0,
        log: jobLog(),
      });
      await job.ready;
      edge = await startTestEdge(kafka.brokers, ticks, { authSecret: SECRET, tradingTopics });
      const base = `http://127.0.0.1:${edge.port}`;
      const call = async (user: string, method: string, path: string, body?: unknown) => {
        const response = await fetch(`${base}${path}`, {
          method,
          headers: {
            Authorization: `Bearer ${await createToken({ secret: SECRET, user, role: 'trader', ttlSeconds: 600 })}`,
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        return { status: response.status, body: (await response.json()) as Record<string, unknown> };
      };
      const orderOf = async (user: string, id: string): Promise<Order | undefined> =>
        ((await call(user, 'GET', '/api/orders')).body.orders as Order[]).find((order) => order.id === id);
      await until(
        async () =>
          (await call('alice', 'POST', '/api/orders', { symbol: 'AAPL', side: 'buy', type: 'market', quantity: 0 }))
            .status === 400 && (await call('alice', 'GET', '/api/portfolio')).status === 200,
        30_000,
        'the edge to serve trading',
      );
      await until(
        async () =>
          (
            (await (
              await fetch(`${base}/api/symbols`, {
                headers: {
                  Authorization: `Bearer ${await createToken({ secret: SECRET, user: 'alice', role: 'trader', ttlSeconds: 600 })}`,
                },
              })
            ).json()) as { symbols: { name: string; last: number }[] }
          ).symbols.some((s) => s.name === 'AAPL' && s.last > 0),
        30_000,
        'the edge to see AAPL trade',
      );

      const placedAt = Date.now();
      const buy = await call('alice', 'POST', '/api/orders', {
        symbol: 'AAPL',
        side: 'buy',
        type: 'market',
        quantity: 100,
      });
      expect(buy.status, JSON.stringify(buy.body)).toBe(201);
      const buyId = buy.body.id as string;
      let filledAt = 0;
      await until(
        async () => {
          const order = await orderOf('alice', buyId);
          if (order?.status === 'filled') filledAt = Date.now();
          return order?.status === 'filled';
        },
        60_000,
        'alice’s market buy to fill',
      );
      const filled = await orderOf('alice', buyId);
      expect(filled).toMatchObject({ status: 'filled', filledQuantity: 100, averageFillPrice: 190.01 });
      type PortfolioJson = { cash: number; positions: { symbol: string; quantity: number; avgCost: number }[] };
      // The portfolio leaves in the same transaction as the fill; the edge reads the two topics apart.
      await until(
        async () => ((await call('alice', 'GET', '/api/portfolio')).body as PortfolioJson).positions.length > 0,
        30_000,
        'alice’s portfolio',
      );
      const portfolio = (await call('alice', 'GET', '/api/portfolio')).body as PortfolioJson;
      expect(portfolio.cash).toBeCloseTo(100_000 - 100 * 190.01, 6);
      expect(portfolio.positions).toMatchObject([{ symbol: 'AAPL', quantity: 100, avgCost: 190.01 }]);

      const tooBig = await call('bob', 'POST', '/api/orders', {
        symbol: 'AAPL',
        side: 'buy',
        type: 'market',
        quantity: 1000,
      });
      expect(tooBig.status).toBe(201);
      await until(
        async () => (await orderOf('bob', tooBig.body.id as string))?.status === 'rejected',
        30_000,
        'the rejection',
      );
      expect((await orderOf('bob', tooBig.body.id as string))?.reason).toMatch(
        /^buying power: 1000 AAPL at up to 190 needs 190000/,
      );

      const resting = await call('bob', 'POST', '/api/orders', {
        symbol: 'AAPL',
        side: 'buy',
        type: 'limit',
        quantity: 10,
        price: 160,
      });
      expect(resting.status).toBe(201);
      const restingId = resting.body.id as string;
      await until(
        async () => (await orderOf('bob', restingId))?.acknowledged === true,
        30_000,
        'the limit order accepted',
      );
      expect((await call('bob', 'DELETE', `/api/orders/${restingId}`)).status).toBeLessThan(300);
      await until(async () => (await orderOf('bob', restingId))?.status === 'cancelled', 30_000, 'the cancel');
      expect(await orderOf('bob', restingId)).toMatchObject({
        status: 'cancelled',
        filledQuantity: 0,
        reason: 'cancelled by the user',
      });
      expect(await orderOf('alice', restingId)).toBeUndefined();
      process.stderr.write(
        `trading e2e (${selectedBackend()}): POST → filled seen over the API ${filledAt - placedAt} ms (polled; exactly-once fills wait for the job's checkpoint)\n`,
      );
    } finally {
      await ticker.stop();
      await producer.disconnect();
    }
  }, 300_000);

  // Issue 21's exactly-once: kill -9 of the analytics JVM after the engine has written fills and
  // before their transaction commits, orders placed while it is down, then a restart from the
  // last checkpoint. A read_committed reader of `fills` must see each order filled once (no
  // update twice, no share more, none lost) and `portfolios` must hold the sum of those fills.
  // With the sinks at-least-once the fills written before the kill stay and the replay writes
  // them again: the duplicate check fails (mutation checked).
  it('fills every order exactly once across a kill -9 of the job between order and fill', async () => {
    const ticks = uniqueName('trading-eo-ticks');
    const tradingTopics: TradingTopicNames = {
      orders: uniqueName('eo-orders'),
      fills: uniqueName('eo-fills'),
      portfolios: uniqueName('eo-portfolios'),
    };
    const client = new Kafka({ brokers: kafka.brokers, clientId: 'trading-eo', logLevel: logLevel.NOTHING });
    const admin = client.admin();
    await admin.connect();
    await createTopicSettled(admin, ticks);
    await admin.disconnect();
    const instance = uniqueName('trading-eo-job');
    const startJob = async (): Promise<RunningAnalytics> => {
      const started = await startAnalytics({
        brokers: kafka.bootstrap,
        checkpointDir: join(checkpoints, 'kill-checkpoints'),
        topics: topicsAfter(ticks, tradingTopics),
        instance,
        backfillMs: 0,
        delivery: 'exactly-once',
        // Long, so the kill lands after fills are written and before the checkpoint commits them.
        tradingCheckpointIntervalMs: 2000,
        // Above the engine's, so a pacer triggers both jobs' checkpoints here too, as by default.
        checkpointIntervalMs: 5000,
        log: jobLog(),
      });
      killedJobs.push(started);
      await started.ready;
      return started;
    };

    interface Seen {
      update: OrderUpdateFields;
      at: string;
    }
    const committed: Seen[] = [];
    const written: Seen[] = [];
    const portfolios = new Map<string, PortfolioFields>();
    const committedReader = client.consumer({ groupId: uniqueName('eo-committed'), maxWaitTimeInMs: 100 });
    const writtenReader = client.consumer({
      groupId: uniqueName('eo-written'),
      readUncommitted: true,
      maxWaitTimeInMs: 20,
    });
    const producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
    let ticker: TickLoop | undefined;
    const placed: string[] = [];
    const users = ['ann', 'ben', 'cat', 'dan'];
    const place = async (round: number): Promise<void> => {
      const messages = users.map((user) => {
        const id = `${instance}-${user}-${round}`;
        placed.push(id);
        const order = {
          id,
          clientOrderId: '',
          user,
          symbol: 'AAPL',
          side: 'buy' as const,
          type: 'market' as const,
          quantity: 100,
          price: 0,
          tif: 'gtc' as const,
          createdAtMs: Date.now(),
          referencePrice: 1_900_000,
        };
        return { key: user, value: Buffer.from(encodeOrderCommand({ kind: 'order', order })) };
      });
      await producer.send({ topic: tradingTopics.orders, acks: -1, messages });
    };
    const fillsOf = (seen: Seen[]): Seen[] => seen.filter(({ update }) => update.fillQuantity > 0);
    try {
      await producer.connect();
      let first = await startJob();
      // The job has created the trading topics; read them as every consumer of its output should.
      for (const [reader, into, topics] of [
        [committedReader, committed, [tradingTopics.fills, tradingTopics.portfolios]],
        [writtenReader, written, [tradingTopics.fills]],
      ] as const) {
        await reader.connect();
        await reader.subscribe({ topics: [...topics], fromBeginning: true });
        await reader.run({
          eachMessage: async ({ topic, partition, message }) => {
            if (message.value === null) return;
            const value = new Uint8Array(message.value);
            if (topic === tradingTopics.portfolios) {
              // `<user>/equity-curve` records carry the curve only (docs/protocol.md, Kafka topics).
              if (message.key?.toString().endsWith(EQUITY_CURVE_KEY_SUFFIX)) return;
              const portfolio = decodePortfolio(value);
              portfolios.set(portfolio.user, portfolio);
            } else {
              into.push({ update: decodeOrderUpdate(value), at: `${partition}:${message.offset}` });
            }
          },
        });
      }
      await place(1);
      await place(2);
      // No ticks yet: the orders are accepted (and that checkpointed and committed), none filled.
      await until(
        () => committed.filter(({ update }) => update.status === 'new').length === placed.length,
        60_000,
        () => `${placed.length} committed acceptances (${committed.length} updates so far)`,
      );
      // 40 shares a tick for 800 wanted: the fills take 20 ticks, across the kill.
      ticker = tickAapl(producer, ticks, () => ({ price: 1_900_000, size: 40, bid: 1_899_900, ask: 1_900_100 }));
      await until(() => fillsOf(written).length >= 3, 60_000, 'fills written by the engine');
      await first.kill();
      const committedAtKill = new Set(committed.map(({ at }) => at));
      const writtenAtKill = fillsOf(written).map(({ at }) => at);
      // Placed while the job is down: read from the checkpoint's offsets after the restart.
      await place(3);
      first = await startJob();
      await until(
        () => {
          const filled = new Set(
            committed.filter(({ update }) => update.status === 'filled').map((s) => s.update.orderId),
          );
          return placed.every((id) => filled.has(id));
        },
        120_000,
        () =>
          `every order filled (${committed.filter(({ update }) => update.status === 'filled').length}/${placed.length})`,
      );
      // A fill written twice would have shown by now: a further checkpoint and more.
      await sleep(5000);
      await ticker.stop();

      // One record per offset: a consumer may deliver a record twice (kafkajs reads again from its
      // last committed offset after a rebalance, e.g. a heartbeat missed on a loaded machine), and
      // that is not a second fill; a fill written twice is two records, at two offsets.
      const records = [...new Map(committed.map((seen) => [seen.at, seen])).values()];
      const ids = records.map(({ update }) => update.id);
      const twice = records.filter(({ update }) => ids.indexOf(update.id) !== ids.lastIndexOf(update.id));
      expect(
        ids.length - new Set(ids).size,
        `duplicate updates (id@partition:offset): ${twice.map(({ update, at }) => `${update.id}@${at}`).join(' ')}`,
      ).toBe(0);
      const fills = fillsOf(records);
      for (const id of placed) {
        const of = fills.filter(({ update }) => update.orderId === id).map(({ update }) => update);
        expect(
          of.reduce((sum, update) => sum + update.fillQuantity, 0),
          `shares filled of ${id}`,
        ).toBe(100);
        expect(
          of.filter((update) => update.status === 'filled'),
          `final fills of ${id}`,
        ).toHaveLength(1);
        expect(of.every((update) => update.fillPrice === 1_900_100)).toBe(true);
      }
      for (const user of users) {
        const bought = fills.filter(({ update }) => update.user === user);
        const shares = bought.reduce((sum, { update }) => sum + update.fillQuantity, 0);
        const paid = bought.reduce((sum, { update }) => sum + update.fillQuantity * update.fillPrice, 0);
        expect(shares).toBe(300);
        const portfolio = portfolios.get(user);
        expect(portfolio?.positions, `${user}'s positions`).toEqual([
          { symbol: 'AAPL', quantity: shares, cost: paid, realizedPnl: 0 },
        ]);
        expect(portfolio?.cash, `${user}'s cash`).toBe(100_000 * 10_000 - paid);
        expect(portfolio?.reservedCash).toBe(0);
      }
      // The kill landed between order and fill: fills the engine had written were not committed
      // then, and their records were aborted (the replay wrote new ones at other offsets).
      const committedOffsets = new Set(committed.map(({ at }) => at));
      const aborted = writtenAtKill.filter((at) => !committedAtKill.has(at) && !committedOffsets.has(at));
      expect(aborted.length, 'fill records written before the kill and aborted').toBeGreaterThan(0);

      await first.stop();
    } finally {
      await ticker?.stop();
      await Promise.allSettled([committedReader.disconnect(), writtenReader.disconnect(), producer.disconnect()]);
    }
  }, 300_000);
});
