import {
  AnalyticsEncoder,
  BAR_TIMEFRAME_US,
  BarTimeframe,
  type CandleBarFields,
  type CorrelationMatrixFields,
  type MarketEventFields,
  TickEncoder,
} from '@tickstream/schemas';
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;

/**
 * STANDS IN FOR THE ANALYTICS JOB (analytics/, Flink, on another branch until merged): writes
 * `candles`, `correlations` and detected `market_events` records exactly as the job does — the
 * real FlatBuffers schema (schemas/fbs/analytics.fbs, tick.fbs) through a real Kafka producer,
 * key = symbol, `candles` partition = timeframe, record timestamp = bar start — optionally in
 * transactions, committed or aborted. Tests of the edge's consumers use it so they do not need a
 * JVM; an end-to-end variant with the real job belongs beside them once the job is merged.
 */
export class AnalyticsStandIn {
  private readonly kafka: InstanceType<typeof Kafka>;
  private readonly encoder = new AnalyticsEncoder();
  private producer: kafkajs.Producer | null = null;
  private transactional: kafkajs.Producer | null = null;

  constructor(
    brokers: string[],
    readonly topics: { candles: string; correlations: string; events: string },
  ) {
    this.kafka = new Kafka({ clientId: 'analytics-stand-in', brokers, logLevel: logLevel.NOTHING });
  }

  /** Creates the job's topics as the job does: `candles` with one partition per timeframe. */
  async createTopics(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const topics = [
        {
          topic: this.topics.candles,
          numPartitions: 7,
          configEntries: [{ name: 'message.timestamp.type', value: 'CreateTime' }],
        },
        { topic: this.topics.correlations, numPartitions: 1 },
        { topic: this.topics.events, numPartitions: 1 },
      ].filter(({ topic }) => !existing.has(topic));
      if (topics.length > 0) await admin.createTopics({ topics, waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
  }

  private async plain(): Promise<kafkajs.Producer> {
    if (this.producer === null) {
      this.producer = this.kafka.producer();
      await this.producer.connect();
    }
    return this.producer;
  }

  private candleMessages(bars: readonly CandleBarFields[]): kafkajs.Message[] {
    return bars.map((bar) => ({
      key: bar.symbol,
      value: Buffer.from(this.encoder.encodeCandleBar(bar)),
      partition: bar.timeframe,
      timestamp: String(Math.floor(bar.startTimeUs / 1000)),
    }));
  }

  async writeBars(bars: readonly CandleBarFields[]): Promise<void> {
    const producer = await this.plain();
    for (let i = 0; i < bars.length; i += 5000)
      await producer.send({ topic: this.topics.candles, messages: this.candleMessages(bars.slice(i, i + 5000)) });
  }

  async writeMatrix(matrix: CorrelationMatrixFields): Promise<void> {
    const producer = await this.plain();
    await producer.send({
      topic: this.topics.correlations,
      messages: [{ key: matrix.group, value: Buffer.from(this.encoder.encodeCorrelationMatrix(matrix)) }],
    });
  }

  async writeEvent(event: MarketEventFields): Promise<void> {
    const producer = await this.plain();
    await producer.send({
      topic: this.topics.events,
      messages: [{ key: event.symbol, value: Buffer.from(new TickEncoder().encodeMarketEvent(event)) }],
    });
  }

  /** Bars in one transaction that ends as told ('open' leaves it undecided; `end()` of the result decides it later). */
  async writeBarsInTransaction(
    bars: readonly CandleBarFields[],
    outcome: 'commit' | 'abort' | 'open',
  ): Promise<{ end: (how: 'commit' | 'abort') => Promise<void> }> {
    if (this.transactional === null) {
      this.transactional = this.kafka.producer({
        transactionalId: `analytics-stand-in-${process.pid}-${Date.now()}`,
        maxInFlightRequests: 1,
        idempotent: true,
      });
      await this.transactional.connect();
    }
    const transaction = await this.transactional.transaction();
    await transaction.send({ topic: this.topics.candles, messages: this.candleMessages(bars) });
    const end = async (how: 'commit' | 'abort') => {
      if (how === 'commit') await transaction.commit();
      else await transaction.abort();
    };
    if (outcome !== 'open') await end(outcome);
    return { end };
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.producer?.disconnect(), this.transactional?.disconnect()]);
  }
}

/**
 * `count` finished bars of `symbol` at `timeframe`, the last one ending at or before `endUs`,
 * with a recognisable close (base + index) and indicators derived from it.
 */
export function barsOf(
  symbol: string,
  sector: string,
  timeframe: BarTimeframe,
  count: number,
  endUs: number,
  base = 100_0000,
): CandleBarFields[] {
  const length = BAR_TIMEFRAME_US[timeframe];
  const lastStart = Math.floor(endUs / length) * length - length;
  return Array.from({ length: count }, (_, i) => {
    const close = base + i;
    return {
      symbol,
      sector,
      timeframe,
      startTimeUs: lastStart - (count - 1 - i) * length,
      open: close - 50,
      high: close + 100,
      low: close - 100,
      close,
      volume: 1000 + i,
      vwap: close - 10,
      trades: 10 + i,
      // The job writes NaN until it has enough bars: the first 19 here.
      sma20: i < 19 ? Number.NaN : close - 0.5,
      sma50: Number.NaN,
      ema20: i < 19 ? Number.NaN : close - 0.25,
      ema50: Number.NaN,
      volatility20: i < 19 ? Number.NaN : 0.002,
      relativeVolume: i < 19 ? Number.NaN : 1.25,
      priceVolumeCorrelation: i < 19 ? Number.NaN : 0.5,
    };
  });
}

export { BarTimeframe };
