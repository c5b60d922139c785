import {
  EQUITY_CURVE_KEY_SUFFIX,
  type EquityCurveFields,
  encodeEquityCurve,
  encodeOrderUpdate,
  encodePortfolio,
  type OrderStatusName,
  type OrderUpdateFields,
  type PortfolioFields,
  type PositionFields,
} from '@tickstream/schemas';
import type { Producer } from 'kafkajs';
import type { TradingTopicNames } from '../trading-state.js';
import { userStateKafka } from '../user-state-kafka.js';

/**
 * THE PRODUCER OF FILLS AND PORTFOLIOS IN TESTS UNTIL PART B OF ISSUE 21 LANDS. Matching orders
 * against ticks belongs to the Flink analytics job (docs/trading.md); until it exists, tests
 * write what it will write: real OrderUpdate and Portfolio FlatBuffers (schemas/fbs/trading.fbs),
 * keyed by the user, through real Kafka onto `fills` and `portfolios`, in a Kafka transaction as
 * the job's exactly-once sink writes them. It decides nothing: each test says which fill happened
 * at which price and what the portfolio is after it. Everything downstream (edges, browsers) is
 * the real path.
 */
export class FillEngineStandIn {
  private readonly producer: Producer;
  private connected: Promise<void> | null = null;

  constructor(
    brokers: string[],
    private readonly topics: TradingTopicNames,
    transactionalId = `test-fill-engine-stand-in-${process.pid}-${Date.now()}`,
  ) {
    this.producer = userStateKafka(brokers, 'test-fill-engine-stand-in').producer({
      transactionalId,
      maxInFlightRequests: 1,
      idempotent: true,
    });
  }

  /**
   * Writes updates to `fills`, and portfolios and equity curves (under `<user>/equity-curve`) to
   * `portfolios`, in one transaction, committed, or aborted with `abort` (a job that died before
   * its checkpoint: readers must never see it).
   */
  async write(
    records: { updates?: OrderUpdateFields[]; portfolios?: PortfolioFields[]; curves?: EquityCurveFields[] },
    end: 'commit' | 'abort' = 'commit',
  ): Promise<void> {
    this.connected ??= this.producer.connect();
    await this.connected;
    const transaction = await this.producer.transaction();
    try {
      const updates = records.updates ?? [];
      const portfolios = records.portfolios ?? [];
      const curves = records.curves ?? [];
      if (updates.length > 0)
        await transaction.send({
          topic: this.topics.fills,
          acks: -1,
          messages: updates.map((update) => ({ key: update.user, value: Buffer.from(encodeOrderUpdate(update)) })),
        });
      if (portfolios.length > 0)
        await transaction.send({
          topic: this.topics.portfolios,
          acks: -1,
          messages: portfolios.map((portfolio) => ({
            key: portfolio.user,
            value: Buffer.from(encodePortfolio(portfolio)),
          })),
        });
      if (curves.length > 0)
        await transaction.send({
          topic: this.topics.portfolios,
          acks: -1,
          messages: curves.map((curve) => ({
            key: `${curve.user}${EQUITY_CURVE_KEY_SUFFIX}`,
            value: Buffer.from(encodeEquityCurve(curve)),
          })),
        });
    } catch (error) {
      await transaction.abort();
      throw error;
    }
    if (end === 'commit') await transaction.commit();
    else await transaction.abort();
  }

  async stop(): Promise<void> {
    if (this.connected !== null) await this.producer.disconnect().catch(() => {});
  }
}

/** An order as the fill engine knows it: what an update restates of it. */
export interface StandInOrder {
  id: string;
  user: string;
  symbol: string;
  side: 'buy' | 'sell';
  quantity: number;
}

/**
 * Step `step` of `order` as the job would write it: `fill` shares at `price` (× 10,000) this step,
 * with the order's totals after it given by the test.
 */
export function updateOf(
  order: StandInOrder,
  step: number,
  status: OrderStatusName,
  fields: Partial<
    Pick<OrderUpdateFields, 'fillQuantity' | 'fillPrice' | 'filledQuantity' | 'averageFillPrice' | 'reason'>
  > & {
    timeMs?: number;
    tickSequence?: number;
  } = {},
): OrderUpdateFields {
  return {
    id: `${order.id}-${step}`,
    orderId: order.id,
    user: order.user,
    symbol: order.symbol,
    side: order.side,
    status,
    fillQuantity: fields.fillQuantity ?? 0,
    fillPrice: fields.fillPrice ?? 0,
    filledQuantity: fields.filledQuantity ?? 0,
    averageFillPrice: fields.averageFillPrice ?? 0,
    quantity: order.quantity,
    reason: fields.reason ?? '',
    timeMs: fields.timeMs ?? Date.now(),
    tickSequence: fields.tickSequence ?? 0,
  };
}

/** A portfolio record: money × 10,000, as the job keeps it. */
export function portfolioOf(
  user: string,
  fields: {
    cash: number;
    startingCash: number;
    positions?: PositionFields[];
    reservedCash?: number;
    lastUpdateId?: string;
  },
  equityCurve: PortfolioFields['equityCurve'] = [],
): PortfolioFields {
  const positions = fields.positions ?? [];
  return {
    user,
    cash: fields.cash,
    reservedCash: fields.reservedCash ?? 0,
    startingCash: fields.startingCash,
    realizedPnl: positions.reduce((sum, position) => sum + position.realizedPnl, 0),
    positions,
    equityCurve,
    updatedAtMs: Date.now(),
    resetAtMs: 0,
    lastUpdateId: fields.lastUpdateId ?? '',
  };
}
