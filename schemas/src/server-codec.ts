import * as flatbuffers from 'flatbuffers';
import { type CorrelationMatrixFields, readCorrelationMatrix, writeCorrelationMatrix } from './analytics-codec.js';
import type { DeltaBatch } from './delta.js';
import { encodeDeltaFrame, isDeltaFrame, newDeltaFrameFields, readDeltaFrame } from './delta-frame.js';
import { DEFAULT_MAX_FRAME_BYTES, decodeFrame, encodeFrame, type FrameOptions } from './frame.js';
import { Alerts } from './generated/tickstream/edge/alerts.js';
import { AnalyticsState } from './generated/tickstream/edge/analytics-state.js';
import { AnalyticsStatus } from './generated/tickstream/edge/analytics-status.js';
import { BarIndicators } from './generated/tickstream/edge/bar-indicators.js';
import { Candle } from './generated/tickstream/edge/candle.js';
import { Candles } from './generated/tickstream/edge/candles.js';
import { Channel } from './generated/tickstream/edge/channel.js';
import { Error as ErrorMessage } from './generated/tickstream/edge/error.js';
import { ErrorCode } from './generated/tickstream/edge/error-code.js';
import { Hello } from './generated/tickstream/edge/hello.js';
import { OrderState } from './generated/tickstream/edge/order-state.js';
import { OrderUpdated } from './generated/tickstream/edge/order-updated.js';
import { Orders } from './generated/tickstream/edge/orders.js';
import { Pong } from './generated/tickstream/edge/pong.js';
import { PortfolioState } from './generated/tickstream/edge/portfolio-state.js';
import { Quote } from './generated/tickstream/edge/quote.js';
import { ReplayState } from './generated/tickstream/edge/replay-state.js';
import { ReplayStatus } from './generated/tickstream/edge/replay-status.js';
import { ServerFrame } from './generated/tickstream/edge/server-frame.js';
import { ServerMessage } from './generated/tickstream/edge/server-message.js';
import { Snapshot } from './generated/tickstream/edge/snapshot.js';
import { SymbolInfo } from './generated/tickstream/edge/symbol-info.js';
import { Timeframe } from './generated/tickstream/edge/timeframe.js';
import { CorrelationMatrix } from './generated/tickstream/kafka/correlation-matrix.js';
import { MarketEvent } from './generated/tickstream/kafka/market-event.js';
import { Order } from './generated/tickstream/trading/order.js';
import type { OrderStatus } from './generated/tickstream/trading/order-status.js';
import { OrderUpdate } from './generated/tickstream/trading/order-update.js';
import { Portfolio } from './generated/tickstream/trading/portfolio.js';
import { AlertRule } from './generated/tickstream/user/alert-rule.js';
import { AlertTrigger } from './generated/tickstream/user/alert-trigger.js';
import { ProtocolError } from './protocol-error.js';
import type { QuoteFields } from './quote-table.js';
import { serverFrameSpec } from './specs.js';
import { type MarketEventFields, readMarketEvent, writeMarketEvent } from './tick-codec.js';
import {
  ORDER_STATUSES,
  type OrderFields,
  type OrderStatusName,
  type OrderUpdateFields,
  type PortfolioFields,
  readOrder,
  readOrderUpdate,
  readPortfolio,
  writeOrder,
  writeOrderUpdate,
  writePortfolio,
} from './trading-codec.js';
import {
  type AlertRuleFields,
  type AlertTriggerFields,
  readAlertRule,
  readAlertTrigger,
  writeAlertRule,
  writeAlertTrigger,
} from './user-codec.js';
import { present, verifyRoot } from './verify.js';

export { AnalyticsState, Channel, ErrorCode, ReplayState, Timeframe };

/** The protocol version this codec speaks (Hello.protocol_version; docs/protocol.md, "Versions"). */
export const PROTOCOL_VERSION = 5;

export interface HelloFields {
  edgeId: string;
  epoch: number;
  serverTimeUs: number;
  priceScale: number;
  windowMs: number;
  maxSymbolsPerSubscription: number;
  maxFrameBytes: number;
  protocolVersion: number;
}

export interface SymbolInfoFields {
  id: number;
  name: string;
  sector: string;
}

export interface CandleFields {
  startTimeUs: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/** A bar's VWAP, trades and indicators (protocol version 2); prices × 10,000, NaN where not known. */
export interface BarIndicatorsFields {
  vwap: number;
  trades: number;
  sma20: number;
  sma50: number;
  ema20: number;
  ema50: number;
  volatility20: number;
  relativeVolume: number;
  priceVolumeCorrelation: number;
  /** Written by the analytics job: finished, indicators as of its close. */
  final: boolean;
}

/** Whether the analytics job is alive, as the edge sees it (protocol version 2). */
export interface AnalyticsStatusFields {
  state: AnalyticsState;
  detail: string;
  /** End of the newest bar read from `candles`, µs; 0 when none. */
  newestBarEndUs: number;
  /** Newest tick's exchange time − end of the newest 1s bar, ms; -1 when not known. */
  lagMs: number;
}

/** Where a replay is (protocol 4): sent on every change and with every window while it plays. */
export interface ReplayStatusFields {
  state: ReplayState;
  /** The event time the replayed state is at, µs. */
  clockUs: number;
  speed: number;
  fromUs: number;
  /** 0: plays on until caught up with the live stream. */
  toUs: number;
  /** The oldest tick time Kafka still holds, µs. */
  retainedFromUs: number;
  detail: string;
}

/**
 * Every server → client message, decoded. Data frames carry (epoch, seq) and, in protocol 4,
 * their `channel`: Live, or Replay for the connection's replay (docs/protocol.md).
 */
export type ServerMessageFields =
  | ({ type: 'hello' } & HelloFields)
  | {
      type: 'snapshot';
      epoch: number;
      seq: number;
      channel: Channel;
      symbols: SymbolInfoFields[];
      quotes: QuoteFields[];
    }
  | ({ type: 'delta'; epoch: number; seq: number; channel: Channel } & DeltaBatch)
  | {
      type: 'candles';
      epoch: number;
      seq: number;
      channel: Channel;
      symbolId: number;
      timeframe: Timeframe;
      bars: CandleFields[];
      /** One per bar from an edge of protocol version 2; null from an older one. */
      indicators: BarIndicatorsFields[] | null;
    }
  | ({ type: 'market-event'; epoch: number; seq: number; channel: Channel } & MarketEventFields)
  | { type: 'error'; code: ErrorCode; message: string; requestId: number }
  | { type: 'pong'; clientTimeUs: number; serverTimeUs: number }
  | ({ type: 'alerts' } & AlertsFields)
  | ({ type: 'alert-triggered' } & AlertTriggerFields)
  | ({ type: 'correlation-matrix'; epoch: number; seq: number } & CorrelationMatrixFields)
  | ({ type: 'analytics-status'; epoch: number; seq: number } & AnalyticsStatusFields)
  | ({ type: 'orders' } & OrdersFields)
  | { type: 'order-updated'; order: OrderStateFields; update: OrderUpdateFields | null }
  | ({ type: 'portfolio-state' } & PortfolioStateFields)
  | ({ type: 'replay-status' } & ReplayStatusFields);

/** One order as the edge knows it (protocol 3): the order and the fill engine's last word on it. */
export interface OrderStateFields {
  order: OrderFields;
  status: OrderStatusName;
  filledQuantity: number;
  /** × 10,000; 0: nothing filled. */
  averageFillPrice: number;
  reason: string;
  updatedAtMs: number;
  cancelRequested: boolean;
  acknowledged: boolean;
}

/** A user's orders and recent fills: the answer to every order request (protocol 3). */
export interface OrdersFields {
  requestId: number;
  /** The order a place or cancel was about; '' for a list. */
  orderId: string;
  orders: OrderStateFields[];
  fills: OrderUpdateFields[];
}

/** A user's portfolio (null: none opened yet) and the edge's last price of each position (× 10,000, 0: none). */
export interface PortfolioStateFields {
  /** 0 for a push. */
  requestId: number;
  portfolio: PortfolioFields | null;
  marks: number[];
}

function writeOrderState(builder: flatbuffers.Builder, state: OrderStateFields): flatbuffers.Offset {
  const order = writeOrder(builder, state.order);
  const reason = builder.createString(state.reason);
  return OrderState.createOrderState(
    builder,
    order,
    ORDER_STATUSES.indexOf(state.status) as OrderStatus,
    BigInt(state.filledQuantity),
    BigInt(state.averageFillPrice),
    reason,
    BigInt(state.updatedAtMs),
    state.cancelRequested,
    state.acknowledged,
  );
}

function readOrderState(state: OrderState): OrderStateFields {
  const order = state.order(new Order());
  if (order === null) throw new ProtocolError('invalid-field', 'an OrderState carries no order');
  const status = ORDER_STATUSES[state.status()];
  if (status === undefined) throw new ProtocolError('invalid-field', `unknown order status ${state.status()}`);
  return {
    order: readOrder(order),
    status,
    filledQuantity: Number(state.filledQuantity()),
    averageFillPrice: Number(state.averageFillPrice()),
    reason: state.reason() ?? '',
    updatedAtMs: Number(state.updatedAtMs()),
    cancelRequested: state.cancelRequested(),
    acknowledged: state.acknowledged(),
  };
}

/** A user's rules and recent triggers: the answer to every alert request (protocol 2). */
export interface AlertsFields {
  requestId: number;
  /** The rule a create, update or delete was about; '' for a list. */
  ruleId: string;
  rules: AlertRuleFields[];
  triggers: AlertTriggerFields[];
}

/**
 * Encodes server frames with one reused builder; each method returns a finished frame
 * (header byte + body, lz4-compressed when that pays), ready to send to any number of sockets.
 * An encoder writes the frames of one channel: Live, or (protocol 4) a connection's Replay.
 */
export class ServerFrameEncoder {
  private readonly builder = new flatbuffers.Builder(16 * 1024);

  constructor(
    private readonly options: FrameOptions,
    private readonly channel: Channel = Channel.Live,
  ) {}

  private finish(epoch: number, seq: number, type: ServerMessage, message: flatbuffers.Offset): Uint8Array {
    const builder = this.builder;
    ServerFrame.startServerFrame(builder);
    ServerFrame.addEpoch(builder, epoch);
    ServerFrame.addSeq(builder, seq);
    ServerFrame.addMessageType(builder, type);
    ServerFrame.addMessage(builder, message);
    // Left out on the live channel (the default), so protocol 2 frames keep their bytes.
    if (this.channel !== Channel.Live) ServerFrame.addChannel(builder, this.channel);
    builder.finish(ServerFrame.endServerFrame(builder));
    return encodeFrame(builder.asUint8Array(), this.options);
  }

  hello(hello: HelloFields): Uint8Array {
    const builder = this.builder;
    builder.clear();
    const edgeId = builder.createString(hello.edgeId);
    Hello.startHello(builder);
    Hello.addEdgeId(builder, edgeId);
    Hello.addEpoch(builder, hello.epoch);
    Hello.addServerTimeUs(builder, BigInt(hello.serverTimeUs));
    Hello.addPriceScale(builder, hello.priceScale);
    Hello.addWindowMs(builder, hello.windowMs);
    Hello.addMaxSymbolsPerSubscription(builder, hello.maxSymbolsPerSubscription);
    Hello.addMaxFrameBytes(builder, hello.maxFrameBytes);
    Hello.addProtocolVersion(builder, hello.protocolVersion);
    return this.finish(hello.epoch, 0, ServerMessage.Hello, Hello.endHello(builder));
  }

  snapshot(
    epoch: number,
    seq: number,
    symbols: readonly SymbolInfoFields[],
    quotes: readonly QuoteFields[],
  ): Uint8Array {
    const builder = this.builder;
    builder.clear();
    const infos = symbols.map((symbol) => {
      const name = builder.createString(symbol.name);
      const sector = builder.createString(symbol.sector);
      SymbolInfo.startSymbolInfo(builder);
      SymbolInfo.addId(builder, symbol.id);
      SymbolInfo.addName(builder, name);
      SymbolInfo.addSector(builder, sector);
      return SymbolInfo.endSymbolInfo(builder);
    });
    const symbolsVector = Snapshot.createSymbolsVector(builder, infos);
    Snapshot.startQuotesVector(builder, quotes.length);
    // FlatBuffers vectors are built back to front.
    for (let i = quotes.length - 1; i >= 0; i--) {
      const q = quotes[i] as QuoteFields;
      Quote.createQuote(
        builder,
        q.id,
        BigInt(q.last),
        BigInt(q.bid),
        BigInt(q.ask),
        BigInt(q.open),
        BigInt(q.high),
        BigInt(q.low),
        BigInt(q.volume),
        q.ticks,
        BigInt(q.exchangeTimeUs),
      );
    }
    const quotesVector = builder.endVector();
    Snapshot.startSnapshot(builder);
    Snapshot.addSymbols(builder, symbolsVector);
    Snapshot.addQuotes(builder, quotesVector);
    return this.finish(epoch, seq, ServerMessage.Snapshot, Snapshot.endSnapshot(builder));
  }

  /** A Delta in its own compact frame (protocol 5, delta-frame.ts), not a FlatBuffer. */
  delta(epoch: number, seq: number, batch: DeltaBatch): Uint8Array {
    return encodeDeltaFrame(epoch, seq, this.channel, batch);
  }

  /** Candles; with `indicators` (one per bar) for clients of protocol version 2. */
  candles(
    epoch: number,
    seq: number,
    symbolId: number,
    timeframe: Timeframe,
    bars: readonly CandleFields[],
    indicators?: readonly BarIndicatorsFields[],
  ): Uint8Array {
    const builder = this.builder;
    builder.clear();
    let indicatorsVector = 0;
    if (indicators !== undefined) {
      if (indicators.length !== bars.length)
        throw new RangeError(`${indicators.length} indicator entries for ${bars.length} bars`);
      Candles.startIndicatorsVector(builder, indicators.length);
      for (let i = indicators.length - 1; i >= 0; i--) {
        const bar = indicators[i] as BarIndicatorsFields;
        BarIndicators.createBarIndicators(
          builder,
          BigInt(Math.round(bar.vwap)),
          bar.trades,
          bar.sma20,
          bar.sma50,
          bar.ema20,
          bar.ema50,
          bar.volatility20,
          bar.relativeVolume,
          bar.priceVolumeCorrelation,
          bar.final,
        );
      }
      indicatorsVector = builder.endVector();
    }
    Candles.startBarsVector(builder, bars.length);
    for (let i = bars.length - 1; i >= 0; i--) {
      const bar = bars[i] as CandleFields;
      Candle.createCandle(
        builder,
        BigInt(bar.startTimeUs),
        BigInt(bar.open),
        BigInt(bar.high),
        BigInt(bar.low),
        BigInt(bar.close),
        BigInt(bar.volume),
      );
    }
    const barsVector = builder.endVector();
    Candles.startCandles(builder);
    Candles.addSymbolId(builder, symbolId);
    Candles.addTimeframe(builder, timeframe);
    Candles.addBars(builder, barsVector);
    if (indicators !== undefined) Candles.addIndicators(builder, indicatorsVector);
    return this.finish(epoch, seq, ServerMessage.Candles, Candles.endCandles(builder));
  }

  marketEvent(epoch: number, seq: number, event: MarketEventFields): Uint8Array {
    this.builder.clear();
    return this.finish(epoch, seq, ServerMessage.MarketEvent, writeMarketEvent(this.builder, event));
  }

  /** A correlation matrix (protocol version 2); seq 0 like Candles: a newer one replaces it. */
  correlationMatrix(epoch: number, matrix: CorrelationMatrixFields): Uint8Array {
    this.builder.clear();
    return this.finish(epoch, 0, ServerMessage.CorrelationMatrix, writeCorrelationMatrix(this.builder, matrix));
  }

  analyticsStatus(epoch: number, status: AnalyticsStatusFields): Uint8Array {
    const builder = this.builder;
    builder.clear();
    const detail = builder.createString(status.detail);
    AnalyticsStatus.startAnalyticsStatus(builder);
    AnalyticsStatus.addState(builder, status.state);
    AnalyticsStatus.addDetail(builder, detail);
    AnalyticsStatus.addNewestBarEndUs(builder, BigInt(status.newestBarEndUs));
    AnalyticsStatus.addLagMs(builder, BigInt(Math.round(status.lagMs)));
    return this.finish(epoch, 0, ServerMessage.AnalyticsStatus, AnalyticsStatus.endAnalyticsStatus(builder));
  }

  /** Where the connection's replay is (protocol 4); seq 0. */
  replayStatus(epoch: number, status: ReplayStatusFields): Uint8Array {
    const builder = this.builder;
    builder.clear();
    const detail = builder.createString(status.detail);
    ReplayStatus.startReplayStatus(builder);
    ReplayStatus.addState(builder, status.state);
    ReplayStatus.addClockUs(builder, BigInt(Math.round(status.clockUs)));
    ReplayStatus.addSpeed(builder, status.speed);
    ReplayStatus.addFromUs(builder, BigInt(Math.round(status.fromUs)));
    ReplayStatus.addToUs(builder, BigInt(Math.round(status.toUs)));
    ReplayStatus.addRetainedFromUs(builder, BigInt(Math.round(status.retainedFromUs)));
    ReplayStatus.addDetail(builder, detail);
    return this.finish(epoch, 0, ServerMessage.ReplayStatus, ReplayStatus.endReplayStatus(builder));
  }

  /** Errors are not data frames: they carry seq 0 and do not advance the sequence. */
  error(epoch: number, code: ErrorCode, message: string, requestId = 0): Uint8Array {
    const builder = this.builder;
    builder.clear();
    const text = builder.createString(message);
    ErrorMessage.startError(builder);
    ErrorMessage.addCode(builder, code);
    ErrorMessage.addMessage(builder, text);
    if (requestId !== 0) ErrorMessage.addRequestId(builder, requestId);
    return this.finish(epoch, 0, ServerMessage.Error, ErrorMessage.endError(builder));
  }

  /** Not a data frame either (seq 0): it goes to one user's connections, not to a stream. */
  alerts(epoch: number, alerts: AlertsFields): Uint8Array {
    const builder = this.builder;
    builder.clear();
    const ruleId = builder.createString(alerts.ruleId);
    const rules = Alerts.createRulesVector(
      builder,
      alerts.rules.map((rule) => writeAlertRule(builder, rule)),
    );
    const triggers = Alerts.createTriggersVector(
      builder,
      alerts.triggers.map((trigger) => writeAlertTrigger(builder, trigger)),
    );
    return this.finish(
      epoch,
      0,
      ServerMessage.Alerts,
      Alerts.createAlerts(builder, alerts.requestId, ruleId, rules, triggers),
    );
  }

  alertTriggered(epoch: number, trigger: AlertTriggerFields): Uint8Array {
    this.builder.clear();
    return this.finish(epoch, 0, ServerMessage.AlertTriggered, writeAlertTrigger(this.builder, trigger));
  }

  /** Protocol 3; seq 0 like Alerts: it goes to one user's connections. */
  orders(epoch: number, orders: OrdersFields): Uint8Array {
    const builder = this.builder;
    builder.clear();
    const orderId = builder.createString(orders.orderId);
    const states = Orders.createOrdersVector(
      builder,
      orders.orders.map((state) => writeOrderState(builder, state)),
    );
    const fills = Orders.createFillsVector(
      builder,
      orders.fills.map((fill) => writeOrderUpdate(builder, fill)),
    );
    return this.finish(
      epoch,
      0,
      ServerMessage.Orders,
      Orders.createOrders(builder, orders.requestId, orderId, states, fills),
    );
  }

  orderUpdated(epoch: number, order: OrderStateFields, update: OrderUpdateFields | null): Uint8Array {
    const builder = this.builder;
    builder.clear();
    const state = writeOrderState(builder, order);
    const updateOffset = update === null ? 0 : writeOrderUpdate(builder, update);
    OrderUpdated.startOrderUpdated(builder);
    OrderUpdated.addOrder(builder, state);
    if (update !== null) OrderUpdated.addUpdate(builder, updateOffset);
    return this.finish(epoch, 0, ServerMessage.OrderUpdated, OrderUpdated.endOrderUpdated(builder));
  }

  portfolioState(epoch: number, state: PortfolioStateFields): Uint8Array {
    const builder = this.builder;
    builder.clear();
    const portfolio = state.portfolio === null ? 0 : writePortfolio(builder, state.portfolio);
    const marks = PortfolioState.createMarksVector(
      builder,
      state.marks.map((mark) => BigInt(mark)),
    );
    PortfolioState.startPortfolioState(builder);
    PortfolioState.addRequestId(builder, state.requestId);
    if (state.portfolio !== null) PortfolioState.addPortfolio(builder, portfolio);
    PortfolioState.addMarks(builder, marks);
    return this.finish(epoch, 0, ServerMessage.PortfolioState, PortfolioState.endPortfolioState(builder));
  }

  pong(epoch: number, clientTimeUs: number, serverTimeUs: number): Uint8Array {
    const builder = this.builder;
    builder.clear();
    Pong.startPong(builder);
    Pong.addClientTimeUs(builder, BigInt(clientTimeUs));
    Pong.addServerTimeUs(builder, BigInt(serverTimeUs));
    return this.finish(epoch, 0, ServerMessage.Pong, Pong.endPong(builder));
  }
}

/** Decodes one server frame. Any input ends in a message or a ProtocolError. */
export function decodeServerFrame(frame: Uint8Array, options: FrameOptions): ServerMessageFields {
  if (isDeltaFrame(frame)) {
    const delta = readDeltaFrame(frame, options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES, newDeltaFrameFields());
    return {
      type: 'delta',
      epoch: delta.epoch,
      seq: delta.seq,
      channel: delta.channel,
      count: delta.count,
      baseTimeUs: delta.baseTimeUs,
      data: frame.subarray(delta.dataStart, delta.dataEnd),
    };
  }
  return decodeServerFrameBody(decodeFrame(frame, options));
}

/** Decodes the FlatBuffer of a server frame whose header a client has already read (and decompressed). */
export function decodeServerFrameBody(body: Uint8Array): ServerMessageFields {
  verifyRoot(body, serverFrameSpec);
  const root = ServerFrame.getRootAsServerFrame(new flatbuffers.ByteBuffer(body));
  const epoch = root.epoch();
  const seq = root.seq();
  const channel = root.channel();
  if (Channel[channel] === undefined) throw new ProtocolError('invalid-field', `unknown channel ${channel}`);
  switch (root.messageType()) {
    case ServerMessage.Hello: {
      const hello = present(root.message(new Hello()));
      return {
        type: 'hello',
        edgeId: hello.edgeId() ?? '',
        epoch: hello.epoch(),
        serverTimeUs: Number(hello.serverTimeUs()),
        priceScale: hello.priceScale(),
        windowMs: hello.windowMs(),
        maxSymbolsPerSubscription: hello.maxSymbolsPerSubscription(),
        maxFrameBytes: hello.maxFrameBytes(),
        protocolVersion: hello.protocolVersion(),
      };
    }
    case ServerMessage.Snapshot: {
      const snapshot = present(root.message(new Snapshot()));
      const symbols: SymbolInfoFields[] = [];
      const info = new SymbolInfo();
      for (let i = 0; i < snapshot.symbolsLength(); i++) {
        const symbol = snapshot.symbols(i, info) as SymbolInfo;
        symbols.push({ id: symbol.id(), name: symbol.name() ?? '', sector: symbol.sector() ?? '' });
      }
      const quotes: QuoteFields[] = [];
      const quote = new Quote();
      for (let i = 0; i < snapshot.quotesLength(); i++) {
        const q = snapshot.quotes(i, quote) as Quote;
        quotes.push({
          id: q.id(),
          last: Number(q.last()),
          bid: Number(q.bid()),
          ask: Number(q.ask()),
          open: Number(q.open()),
          high: Number(q.high()),
          low: Number(q.low()),
          volume: Number(q.volume()),
          ticks: q.ticks(),
          exchangeTimeUs: Number(q.exchangeTimeUs()),
        });
      }
      return { type: 'snapshot', epoch, seq, channel, symbols, quotes };
    }
    case ServerMessage.Delta:
      // Since version 5 a Delta has its own frame (delta-frame.ts); inside a FlatBuffer it is an
      // edge of version 4 or older, whose data this decoder would misread.
      throw new ProtocolError(
        'unsupported-version',
        'a Delta inside a FlatBuffers frame is protocol 4 or older; this client speaks protocol 5 (docs/protocol.md, "Versions")',
      );
    case ServerMessage.Candles: {
      const candles = present(root.message(new Candles()));
      const timeframe = candles.timeframe();
      if (Timeframe[timeframe] === undefined)
        throw new ProtocolError('invalid-field', `unknown timeframe ${timeframe}`);
      const bars: CandleFields[] = [];
      const bar = new Candle();
      for (let i = 0; i < candles.barsLength(); i++) {
        const b = candles.bars(i, bar) as Candle;
        bars.push({
          startTimeUs: Number(b.startTimeUs()),
          open: Number(b.open()),
          high: Number(b.high()),
          low: Number(b.low()),
          close: Number(b.close()),
          volume: Number(b.volume()),
        });
      }
      let indicators: BarIndicatorsFields[] | null = null;
      const count = candles.indicatorsLength();
      if (count > 0) {
        if (count !== bars.length)
          throw new ProtocolError('invalid-field', `${count} indicator entries for ${bars.length} bars`);
        indicators = [];
        const entry = new BarIndicators();
        for (let i = 0; i < count; i++) {
          const b = candles.indicators(i, entry) as BarIndicators;
          indicators.push({
            vwap: Number(b.vwap()),
            trades: b.trades(),
            sma20: b.sma20(),
            sma50: b.sma50(),
            ema20: b.ema20(),
            ema50: b.ema50(),
            volatility20: b.volatility20(),
            relativeVolume: b.relativeVolume(),
            priceVolumeCorrelation: b.priceVolumeCorrelation(),
            final: b.final(),
          });
        }
      }
      return { type: 'candles', epoch, seq, channel, symbolId: candles.symbolId(), timeframe, bars, indicators };
    }
    case ServerMessage.MarketEvent:
      return {
        type: 'market-event',
        epoch,
        seq,
        channel,
        ...readMarketEvent(present(root.message(new MarketEvent()))),
      };
    case ServerMessage.Error: {
      const error = present(root.message(new ErrorMessage()));
      return { type: 'error', code: error.code(), message: error.message() ?? '', requestId: error.requestId() };
    }
    case ServerMessage.Alerts: {
      const alerts = present(root.message(new Alerts()));
      const rules: AlertRuleFields[] = [];
      for (let i = 0; i < alerts.rulesLength(); i++)
        rules.push(readAlertRule(alerts.rules(i, new AlertRule()) as AlertRule));
      const triggers: AlertTriggerFields[] = [];
      for (let i = 0; i < alerts.triggersLength(); i++)
        triggers.push(readAlertTrigger(alerts.triggers(i, new AlertTrigger()) as AlertTrigger));
      return { type: 'alerts', requestId: alerts.requestId(), ruleId: alerts.ruleId() ?? '', rules, triggers };
    }
    case ServerMessage.AlertTriggered:
      return { type: 'alert-triggered', ...readAlertTrigger(present(root.message(new AlertTrigger()))) };
    case ServerMessage.Orders: {
      const orders = present(root.message(new Orders()));
      const states: OrderStateFields[] = [];
      for (let i = 0; i < orders.ordersLength(); i++)
        states.push(readOrderState(orders.orders(i, new OrderState()) as OrderState));
      const fills: OrderUpdateFields[] = [];
      for (let i = 0; i < orders.fillsLength(); i++)
        fills.push(readOrderUpdate(orders.fills(i, new OrderUpdate()) as OrderUpdate));
      return { type: 'orders', requestId: orders.requestId(), orderId: orders.orderId() ?? '', orders: states, fills };
    }
    case ServerMessage.OrderUpdated: {
      const updated = present(root.message(new OrderUpdated()));
      const order = updated.order(new OrderState());
      if (order === null) throw new ProtocolError('invalid-field', 'an OrderUpdated carries no order');
      const update = updated.update(new OrderUpdate());
      return {
        type: 'order-updated',
        order: readOrderState(order),
        update: update === null ? null : readOrderUpdate(update),
      };
    }
    case ServerMessage.PortfolioState: {
      const state = present(root.message(new PortfolioState()));
      const portfolio = state.portfolio(new Portfolio());
      const marks: number[] = [];
      for (let i = 0; i < state.marksLength(); i++) marks.push(Number(state.marks(i)));
      return {
        type: 'portfolio-state',
        requestId: state.requestId(),
        portfolio: portfolio === null ? null : readPortfolio(portfolio),
        marks,
      };
    }
    case ServerMessage.Pong: {
      const pong = present(root.message(new Pong()));
      return { type: 'pong', clientTimeUs: Number(pong.clientTimeUs()), serverTimeUs: Number(pong.serverTimeUs()) };
    }
    case ServerMessage.CorrelationMatrix:
      return {
        type: 'correlation-matrix',
        epoch,
        seq,
        ...readCorrelationMatrix(present(root.message(new CorrelationMatrix()))),
      };
    case ServerMessage.AnalyticsStatus: {
      const status = present(root.message(new AnalyticsStatus()));
      const state = status.state();
      if (AnalyticsState[state] === undefined)
        throw new ProtocolError('invalid-field', `unknown analytics state ${state}`);
      return {
        type: 'analytics-status',
        epoch,
        seq,
        state,
        detail: status.detail() ?? '',
        newestBarEndUs: Number(status.newestBarEndUs()),
        lagMs: Number(status.lagMs()),
      };
    }
    case ServerMessage.ReplayStatus: {
      const status = present(root.message(new ReplayStatus()));
      const state = status.state();
      if (ReplayState[state] === undefined) throw new ProtocolError('invalid-field', `unknown replay state ${state}`);
      return {
        type: 'replay-status',
        state,
        clockUs: Number(status.clockUs()),
        speed: status.speed(),
        fromUs: Number(status.fromUs()),
        toUs: Number(status.toUs()),
        retainedFromUs: Number(status.retainedFromUs()),
        detail: status.detail() ?? '',
      };
    }
    default:
      throw new ProtocolError('unknown-message', `server frame carries no known message (type ${root.messageType()})`);
  }
}
