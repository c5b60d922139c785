import { BarTimeframe } from './analytics-codec.js';
import { encodeClientFrame, ReplayAction } from './client-codec.js';
import { DeltaWriter } from './delta.js';
import { nodeLz4 } from './lz4-node.js';
import { QuoteTable } from './quote-table.js';
import { AnalyticsState, Channel, ErrorCode, ReplayState, ServerFrameEncoder, Timeframe } from './server-codec.js';
import { MarketEventKind, TickEncoder } from './tick-codec.js';
import {
  encodeOrderCommand,
  encodeOrderUpdate,
  encodePortfolio,
  type OrderFields,
  type OrderUpdateFields,
  type PortfolioFields,
} from './trading-codec.js';
import type { AlertRuleFields, AlertTriggerFields } from './user-codec.js';

// One instance of every message, whose bytes golden.test.ts compares with fixtures/golden.json.
export const plain = { lz4: nodeLz4, compressAbove: Number.POSITIVE_INFINITY };

/** The quote the golden Delta moves (docs/protocol.md's worked example). */
export const golden = {
  quote: {
    id: 0,
    last: 1_892_345,
    bid: 1_892_300,
    ask: 1_892_400,
    open: 1_880_000,
    high: 1_899_000,
    low: 1_875_000,
    volume: 1_000_000,
    ticks: 1200,
    exchangeTimeUs: 1_795_000_000_000_000,
  },
};

export function goldenMessages(): Record<string, Uint8Array> {
  const server = new ServerFrameEncoder(plain);
  const replay = new ServerFrameEncoder(plain, Channel.Replay);
  const quote = golden.quote;
  const current = new QuoteTable(2);
  const published = new QuoteTable(2);
  current.setRow(0, quote);
  published.setRow(0, quote);
  current.last[0] = quote.last + 100;
  current.bid[0] = quote.bid + 100;
  current.ask[0] = quote.ask + 100;
  current.volume[0] = quote.volume + 300;
  current.ticks[0] = quote.ticks + 2;
  current.timeUs[0] = quote.exchangeTimeUs + 9_000;
  const writer = new DeltaWriter();
  writer.begin(quote.exchangeTimeUs + 12_000);
  writer.add(0, current, published);
  const event = {
    kind: MarketEventKind.Halt,
    symbol: 'AAPL',
    sector: 'Tech',
    name: 'halt',
    detail: '',
    timeUs: 1_795_000_000_000_000,
  };
  const rule: AlertRuleFields = {
    id: 'a1',
    user: 'alice',
    symbol: 'AAPL',
    kind: 'price-above',
    value: 190,
    windowMs: 0,
    repeat: false,
    cooldownMs: 0,
    expiresAtMs: 0,
    createdAtMs: 1_795_000_000_000,
    armedAtMs: 1_795_000_000_000,
  };
  const trigger: AlertTriggerFields = {
    id: 'a1-1795000000000-9',
    user: 'alice',
    ruleId: 'a1',
    symbol: 'AAPL',
    kind: 'price-above',
    value: 190.05,
    price: 190.05,
    timeMs: 1_795_000_001_000,
    threshold: 190,
    tickSequence: 9,
    ruleArmedAtMs: 1_795_000_000_000,
    detail: 'AAPL 190.05 ≥ 190',
  };
  const order: OrderFields = {
    id: 'o1',
    clientOrderId: 'c1',
    user: 'alice',
    symbol: 'AAPL',
    side: 'buy',
    type: 'limit',
    quantity: 100,
    price: 1_890_000,
    tif: 'gtc',
    createdAtMs: 1_795_000_000_000,
    referencePrice: 1_892_345,
  };
  const fill: OrderUpdateFields = {
    id: 'o1-1',
    orderId: 'o1',
    user: 'alice',
    symbol: 'AAPL',
    side: 'buy',
    status: 'partially_filled',
    fillQuantity: 40,
    fillPrice: 1_889_900,
    filledQuantity: 40,
    averageFillPrice: 1_889_900,
    quantity: 100,
    reason: '',
    timeMs: 1_795_000_002_000,
    tickSequence: 11,
  };
  const portfolio: PortfolioFields = {
    user: 'alice',
    cash: 1_000_000_000 - 40 * 1_889_900,
    reservedCash: 60 * 1_890_000,
    startingCash: 1_000_000_000,
    realizedPnl: 0,
    positions: [{ symbol: 'AAPL', quantity: 40, cost: 40 * 1_889_900, realizedPnl: 0 }],
    equityCurve: [{ timeMs: 1_795_000_000_000, equity: 1_000_000_000 }],
    updatedAtMs: 1_795_000_002_000,
    resetAtMs: 0,
    lastUpdateId: 'o1-1',
  };
  const orderState = {
    order,
    status: 'partially_filled' as const,
    filledQuantity: 40,
    averageFillPrice: 1_889_900,
    reason: '',
    updatedAtMs: 1_795_000_002_000,
    cancelRequested: false,
    acknowledged: true,
  };
  return {
    tick: new TickEncoder().encode({
      symbol: 'AAPL',
      sector: 'Tech',
      price: 1_892_345,
      size: 100,
      bid: 1_892_300,
      ask: 1_892_400,
      exchangeTimeUs: 1_795_000_000_000_000,
      sequence: 1,
    }),
    marketEvent: new TickEncoder().encodeMarketEvent(event),
    hello: server.hello({
      edgeId: 'edge-1',
      epoch: 7,
      serverTimeUs: 1_795_000_000_000_000,
      priceScale: 10_000,
      windowMs: 25,
      maxSymbolsPerSubscription: 10_000,
      maxFrameBytes: 1_048_576,
      protocolVersion: 1,
    }),
    snapshot: server.snapshot(7, 1, [{ id: 0, name: 'AAPL', sector: 'Tech' }], [quote]),
    delta: server.delta(7, 2, writer.finish()),
    candles: server.candles(7, 3, 0, Timeframe.M1, [
      {
        startTimeUs: 1_795_000_020_000_000,
        open: 1_892_000,
        high: 1_893_000,
        low: 1_891_000,
        close: 1_892_445,
        volume: 5000,
      },
    ]),
    candlesWithIndicators: server.candles(
      7,
      0,
      0,
      Timeframe.M1,
      [
        {
          startTimeUs: 1_795_000_020_000_000,
          open: 1_892_000,
          high: 1_893_000,
          low: 1_891_000,
          close: 1_892_445,
          volume: 5000,
        },
      ],
      [
        {
          vwap: 1_892_300,
          trades: 12,
          sma20: 1_891_500,
          sma50: Number.NaN,
          ema20: 1_891_750,
          ema50: Number.NaN,
          volatility20: 0.001,
          relativeVolume: 1.5,
          priceVolumeCorrelation: 0.25,
          final: true,
        },
      ],
    ),
    correlationMatrix: server.correlationMatrix(7, {
      group: 'sector:Tech',
      timeframe: BarTimeframe.M1,
      windowBars: 30,
      endTimeUs: 1_795_000_080_000_000,
      symbols: ['AAPL', 'MSFT'],
      values: Float32Array.of(1, 0.5, 0.5, 1),
    }),
    analyticsStatus: server.analyticsStatus(7, {
      state: AnalyticsState.Online,
      detail: 'bars 1.2 s behind ticks',
      newestBarEndUs: 1_795_000_081_000_000,
      lagMs: 1200,
    }),
    serverMarketEvent: server.marketEvent(7, 4, event),
    error: server.error(7, ErrorCode.UnknownSymbol, 'unknown symbol NOPE'),
    pong: server.pong(7, 1_795_000_000_000_000, 1_795_000_000_000_250),
    errorOfRequest: server.error(7, ErrorCode.NotFound, 'no alert rule "a2" of user alice', 4),
    alerts: server.alerts(7, { requestId: 2, ruleId: 'a1', rules: [rule], triggers: [trigger] }),
    alertTriggered: server.alertTriggered(7, trigger),
    orders: server.orders(7, { requestId: 5, orderId: 'o1', orders: [orderState], fills: [fill] }),
    orderUpdated: server.orderUpdated(7, orderState, fill),
    portfolioState: server.portfolioState(7, { requestId: 0, portfolio, marks: [1_892_345] }),
    errorOfOrder: server.error(7, ErrorCode.InvalidOrder, 'unknown symbol "NOPE"', 6),
    replayStatus: replay.replayStatus(7, {
      state: ReplayState.Playing,
      clockUs: 1_795_000_067_000_000,
      speed: 10,
      fromUs: 1_795_000_000_000_000,
      toUs: 0,
      retainedFromUs: 1_794_990_000_000_000,
      detail: 'playing at 10×',
    }),
    replayDelta: replay.delta(7, 5, writer.finish()),
    subscribe: encodeClientFrame({ type: 'subscribe', symbols: ['AAPL', 'MSFT'], sectors: [] }, plain),
    unsubscribe: encodeClientFrame({ type: 'unsubscribe', symbols: ['MSFT'], sectors: [] }, plain),
    ping: encodeClientFrame({ type: 'ping', clientTimeUs: 1_795_000_000_000_000 }, plain),
    resync: encodeClientFrame({ type: 'resync', lastSeq: 41 }, plain),
    candleSubscribe: encodeClientFrame(
      { type: 'candle-subscribe', symbol: 'AAPL', timeframe: Timeframe.M1, limit: 300 },
      plain,
    ),
    alertList: encodeClientFrame({ type: 'alert-list', requestId: 1 }, plain),
    alertCreate: encodeClientFrame({ type: 'alert-create', requestId: 2, rule: { ...rule, id: '', user: '' } }, plain),
    alertUpdate: encodeClientFrame({ type: 'alert-update', requestId: 3, rule: { ...rule, value: 191 } }, plain),
    alertDelete: encodeClientFrame({ type: 'alert-delete', requestId: 4, id: 'a2' }, plain),
    correlationSubscribe: encodeClientFrame(
      { type: 'correlation-subscribe', group: 'sector:Tech', symbols: [], timeframe: Timeframe.M1, windowBars: 30 },
      plain,
    ),
    orderList: encodeClientFrame({ type: 'order-list', requestId: 5 }, plain),
    orderPlace: encodeClientFrame(
      { type: 'order-place', requestId: 6, order: { ...order, id: '', user: '', createdAtMs: 0, referencePrice: 0 } },
      plain,
    ),
    orderCancelRequest: encodeClientFrame({ type: 'order-cancel', requestId: 7, id: 'o1' }, plain),
    portfolioGet: encodeClientFrame({ type: 'portfolio-get', requestId: 8 }, plain),
    replayStart: encodeClientFrame(
      {
        type: 'replay-start',
        fromUs: 1_795_000_000_000_000,
        toUs: 1_795_000_600_000_000,
        speed: 10,
        paused: false,
        symbols: ['*'],
        sectors: [],
      },
      plain,
    ),
    replayControl: encodeClientFrame(
      { type: 'replay-control', action: ReplayAction.Seek, speed: 0, toUs: 1_795_000_300_000_000, stepUs: 0 },
      plain,
    ),
    replayCandleSubscribe: encodeClientFrame(
      { type: 'candle-subscribe', symbol: 'AAPL', timeframe: Timeframe.S1, limit: 120, replay: true },
      plain,
    ),
    ordersRecord: encodeOrderCommand({ kind: 'order', order }),
    fillsRecord: encodeOrderUpdate(fill),
    portfoliosRecord: encodePortfolio(portfolio),
  };
}
