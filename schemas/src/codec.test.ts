import { describe, expect, it } from 'vitest';
import { AnalyticsEncoder, BarTimeframe, decodeCandleBar, decodeCorrelationMatrix } from './analytics-codec.js';
import { type ClientMessageFields, decodeClientFrame, encodeClientFrame, ReplayAction } from './client-codec.js';
import { applyDelta, DeltaWriter } from './delta.js';
import { decodeFrame, encodeFrame } from './frame.js';
import { nodeLz4 } from './lz4-node.js';
import { ProtocolError } from './protocol-error.js';
import { QuoteTable } from './quote-table.js';
import {
  AnalyticsState,
  type BarIndicatorsFields,
  Channel,
  decodeServerFrame,
  ErrorCode,
  type OrderStateFields,
  ServerFrameEncoder,
  Timeframe,
} from './server-codec.js';
import { decodeMarketEvent, decodeTick, MarketEventKind, TickEncoder } from './tick-codec.js';
import {
  decodeOrderCommand,
  decodeOrderUpdate,
  decodePortfolio,
  encodeOrderCommand,
  encodeOrderUpdate,
  encodePortfolio,
  ORDER_STATUSES,
  type OrderCommandFields,
  type OrderFields,
  type OrderUpdateFields,
  type PortfolioFields,
} from './trading-codec.js';
import {
  type AlertRuleFields,
  type AlertTriggerFields,
  decodeAlertRule,
  decodeAlertTrigger,
  decodeUserAccount,
  encodeAlertRule,
  encodeAlertTrigger,
  encodeUserAccount,
} from './user-codec.js';

const options = { lz4: nodeLz4 };

describe('Kafka records', () => {
  it('round-trips a Tick, including prices beyond 2^32 and µs timestamps', () => {
    const tick = {
      symbol: 'BRK.A',
      sector: 'Financials',
      price: 7_123_456_789,
      size: 3,
      bid: 7_123_400_000,
      ask: 7_123_500_000,
      exchangeTimeUs: 1_795_000_000_123_456,
      sequence: 987_654_321,
    };
    expect(decodeTick(new TickEncoder().encode(tick))).toEqual(tick);
  });

  it('round-trips a MarketEvent', () => {
    const event = {
      kind: MarketEventKind.Halt,
      symbol: 'TSLA',
      sector: 'Consumer',
      name: 'halt',
      detail: 'volatility pause',
      timeUs: 1_795_000_000_000_000,
    };
    expect(decodeMarketEvent(new TickEncoder().encodeMarketEvent(event))).toEqual(event);
  });

  it('round-trips a detection with its evidence, NaN included, and keeps an announcement evidence-free', () => {
    const detection = {
      kind: MarketEventKind.FlashCrash,
      symbol: 'TSLA',
      sector: 'Consumer',
      name: 'flash-crash',
      detail: 'fell 3.4 % in 2.1 s',
      timeUs: 1_795_000_002_100_000,
      evidence: {
        value: 3.4,
        mean: Number.NaN,
        deviation: Number.NaN,
        threshold: 3,
        windowMs: 5000,
        startTimeUs: 1_795_000_000_000_000,
        price: 2_415_000,
        startPrice: 2_500_000,
      },
    };
    expect(decodeMarketEvent(new TickEncoder().encodeMarketEvent(detection))).toEqual(detection);
    const announcement = { ...detection, kind: MarketEventKind.ScenarioStart, evidence: undefined };
    const decoded = decodeMarketEvent(new TickEncoder().encodeMarketEvent(announcement));
    expect(decoded).not.toHaveProperty('evidence');
  });

  it('round-trips a CandleBar: NaN indicators stay NaN, zeros stay zero', () => {
    const bar = {
      symbol: 'AAPL',
      sector: 'Information Technology',
      timeframe: BarTimeframe.H4,
      startTimeUs: 1_795_000_000_000_000,
      open: 1_892_345,
      high: 1_900_000,
      low: 1_880_000,
      close: 1_895_000,
      volume: 7_123_456_789,
      vwap: 1_891_111,
      trades: 123_456,
      sma20: 1_890_000.5,
      sma50: Number.NaN,
      ema20: 0,
      ema50: Number.NaN,
      volatility20: 0.0012,
      relativeVolume: 1.75,
      priceVolumeCorrelation: -0.25,
    };
    expect(decodeCandleBar(new AnalyticsEncoder().encodeCandleBar(bar))).toEqual(bar);
  });

  it('round-trips a CorrelationMatrix read from an unaligned offset, as inside a fetched batch', () => {
    const matrix = {
      group: 'sector:Energy',
      timeframe: BarTimeframe.M1,
      windowBars: 30,
      endTimeUs: 1_795_000_060_000_000,
      symbols: ['XOM', 'CVX', 'COP'],
      values: Float32Array.of(1, 0.5, Number.NaN, 0.5, 1, -0.25, Number.NaN, -0.25, 1),
    };
    const encoded = new AnalyticsEncoder().encodeCorrelationMatrix(matrix);
    const inBatch = new Uint8Array(encoded.length + 3);
    inBatch.set(encoded, 3);
    expect(decodeCorrelationMatrix(inBatch.subarray(3))).toEqual(matrix);
  });

  it('refuses a matrix whose values do not fill symbols²', () => {
    const encoder = new AnalyticsEncoder();
    expect(() =>
      encoder.encodeCorrelationMatrix({
        group: 'all',
        timeframe: BarTimeframe.M1,
        windowBars: 2,
        endTimeUs: 0,
        symbols: ['A', 'B'],
        values: Float32Array.of(1, 0, 0),
      }),
    ).toThrow('a matrix of 2 symbols has 4 values, not 3');
  });

  it('rejects a tick without a symbol', () => {
    expect(() => decodeTick(new Uint8Array([8, 0, 0, 0, 4, 0, 4, 0, 4, 0, 0, 0]))).toThrow(ProtocolError);
  });
});

describe('server frames', () => {
  const encoder = new ServerFrameEncoder(options);
  const quote = {
    id: 7,
    last: 1_892_345,
    bid: 1_892_300,
    ask: 1_892_400,
    open: 1_880_000,
    high: 1_899_999,
    low: 1_870_001,
    volume: 12_345_678,
    ticks: 4321,
    exchangeTimeUs: 1_795_000_000_123_456,
  };

  it('round-trips Hello', () => {
    const hello = {
      edgeId: 'edge-1',
      epoch: 0xdeadbeef,
      serverTimeUs: 1_795_000_000_000_001,
      priceScale: 10_000,
      windowMs: 25,
      maxSymbolsPerSubscription: 10_000,
      maxFrameBytes: 1 << 20,
      protocolVersion: 1,
    };
    expect(decodeServerFrame(encoder.hello(hello), options)).toEqual({ type: 'hello', ...hello });
  });

  it('round-trips a Snapshot of many symbols (compressed)', () => {
    const symbols = Array.from({ length: 500 }, (_, id) => ({
      id,
      name: `SYM${id}`,
      sector: id % 2 ? 'Tech' : 'Energy',
    }));
    const quotes = symbols.map(({ id }) => ({ ...quote, id, last: quote.last + id }));
    const frame = encoder.snapshot(3, 1, symbols, quotes);
    expect((frame[0] as number) & 1).toBe(1);
    expect(decodeServerFrame(frame, options)).toEqual({
      type: 'snapshot',
      epoch: 3,
      seq: 1,
      channel: 0,
      symbols,
      quotes,
    });
  });

  it('round-trips Candles, MarketEvent, Error and Pong', () => {
    const bars = [
      { startTimeUs: 1_795_000_000_000_000, open: 10, high: 12, low: 9, close: 11, volume: 100 },
      { startTimeUs: 1_795_000_060_000_000, open: 11, high: 13, low: 10, close: 12, volume: 200 },
    ];
    expect(decodeServerFrame(encoder.candles(3, 2, 7, Timeframe.M1, bars), options)).toEqual({
      type: 'candles',
      epoch: 3,
      seq: 2,
      channel: Channel.Live,
      symbolId: 7,
      timeframe: Timeframe.M1,
      bars,
      indicators: null,
    });
    const event = {
      kind: MarketEventKind.ScenarioStart,
      symbol: '',
      sector: 'Tech',
      name: 'news-spike',
      detail: '',
      timeUs: 5,
    };
    expect(decodeServerFrame(encoder.marketEvent(3, 3, event), options)).toEqual({
      type: 'market-event',
      epoch: 3,
      seq: 3,
      channel: Channel.Live,
      ...event,
    });
    expect(decodeServerFrame(encoder.error(3, ErrorCode.UnknownSymbol, 'no symbol NOPE'), options)).toEqual({
      type: 'error',
      code: ErrorCode.UnknownSymbol,
      message: 'no symbol NOPE',
      requestId: 0,
    });
    expect(decodeServerFrame(encoder.error(3, ErrorCode.InvalidAlert, 'unknown symbol "X"', 42), options)).toEqual({
      type: 'error',
      code: ErrorCode.InvalidAlert,
      message: 'unknown symbol "X"',
      requestId: 42,
    });
    expect(decodeServerFrame(encoder.pong(3, 111, 222), options)).toEqual({
      type: 'pong',
      clientTimeUs: 111,
      serverTimeUs: 222,
    });
  });

  it('round-trips Candles with indicators (protocol 2): NaN stays NaN, floats keep 7 digits', () => {
    const bars = [
      { startTimeUs: 1_795_000_000_000_000, open: 10, high: 12, low: 9, close: 11, volume: 100 },
      { startTimeUs: 1_795_000_060_000_000, open: 11, high: 13, low: 10, close: 12, volume: 200 },
    ];
    const indicators: BarIndicatorsFields[] = [
      {
        vwap: 1_892_345,
        trades: 41,
        sma20: 1_892_000.5,
        sma50: Number.NaN,
        ema20: 1_891_999.25,
        ema50: Number.NaN,
        volatility20: 0.0012,
        relativeVolume: 2.5,
        priceVolumeCorrelation: -0.4,
        final: true,
      },
      {
        vwap: 12,
        trades: 3,
        sma20: Number.NaN,
        sma50: Number.NaN,
        ema20: Number.NaN,
        ema50: Number.NaN,
        volatility20: Number.NaN,
        relativeVolume: Number.NaN,
        priceVolumeCorrelation: Number.NaN,
        final: false,
      },
    ];
    const decoded = decodeServerFrame(encoder.candles(3, 0, 7, Timeframe.H1, bars, indicators), options);
    if (decoded.type !== 'candles') throw new Error(`expected candles, got ${decoded.type}`);
    expect(decoded.bars).toEqual(bars);
    expect(decoded.indicators?.map(({ final, vwap, trades }) => ({ final, vwap, trades }))).toEqual([
      { final: true, vwap: 1_892_345, trades: 41 },
      { final: false, vwap: 12, trades: 3 },
    ]);
    const first = decoded.indicators?.[0] as BarIndicatorsFields;
    expect(first.sma20).toBeCloseTo(1_892_000.5, 0);
    expect(first.volatility20).toBeCloseTo(0.0012, 7);
    expect(first.priceVolumeCorrelation).toBeCloseTo(-0.4, 6);
    expect(first.sma50).toBeNaN();
    expect(Object.values(decoded.indicators?.[1] ?? {}).filter((v) => Number.isNaN(v)).length).toBe(7);
    expect(() => encoder.candles(3, 0, 7, Timeframe.H1, bars, indicators.slice(1))).toThrow(RangeError);
  });

  it('round-trips a CorrelationMatrix and an AnalyticsStatus (protocol 2)', () => {
    const matrix = {
      group: 'set',
      timeframe: BarTimeframe.M1,
      windowBars: 30,
      endTimeUs: 1_795_000_060_000_000,
      symbols: ['AAPL', 'MSFT'],
      values: Float32Array.of(1, 0.25, 0.25, 1),
    };
    expect(decodeServerFrame(encoder.correlationMatrix(3, matrix), options)).toEqual({
      type: 'correlation-matrix',
      epoch: 3,
      seq: 0,
      ...matrix,
    });
    const status = {
      state: AnalyticsState.Offline,
      detail: 'no bar from the analytics job for 40 s while ticks flow',
      newestBarEndUs: 1_795_000_061_000_000,
      lagMs: 40_000,
    };
    expect(decodeServerFrame(encoder.analyticsStatus(3, status), options)).toEqual({
      type: 'analytics-status',
      epoch: 3,
      seq: 0,
      ...status,
    });
  });

  it('carries a Delta that brings a client copy to the server state', () => {
    const server = new QuoteTable(100);
    const published = new QuoteTable(100);
    const client = new QuoteTable(100);
    for (const table of [server, published, client]) {
      table.setRow(quote.id, quote);
      table.setRow(42, { ...quote, id: 42 });
    }
    server.last[quote.id] = quote.last + 55;
    server.bid[quote.id] = quote.bid + 50;
    server.high[quote.id] = quote.last + 55;
    server.volume[quote.id] = quote.volume + 300;
    server.ticks[quote.id] = quote.ticks + 2;
    server.timeUs[quote.id] = quote.exchangeTimeUs + 20_000;
    server.last[42] = 5;
    server.low[42] = 5;

    const writer = new DeltaWriter();
    writer.begin(quote.exchangeTimeUs + 20_000);
    for (let id = 0; id < 100; id++) writer.add(id, server, published);
    const decoded = decodeServerFrame(encoder.delta(3, 4, writer.finish()), options);
    if (decoded.type !== 'delta') throw new Error(`expected a delta, got ${decoded.type}`);
    expect(decoded.count).toBe(2);
    const applied: number[] = [];
    applyDelta(decoded, client, (id) => applied.push(id));
    expect(applied).toEqual([7, 42]);
    expect(client.row(7)).toEqual(server.row(7));
    expect(client.row(42)).toEqual(server.row(42));
    expect(published.row(7)).toEqual(server.row(7));
  });
});

describe('client frames', () => {
  it('round-trips every client message', () => {
    const messages: ClientMessageFields[] = [
      { type: 'subscribe', symbols: ['AAPL', '*'], sectors: ['Tech'] },
      { type: 'unsubscribe', symbols: ['AAPL'], sectors: [] },
      { type: 'ping', clientTimeUs: 1_795_000_000_000_000 },
      { type: 'resync', lastSeq: 4_000_000_000 },
      { type: 'candle-subscribe', symbol: 'MSFT', timeframe: Timeframe.H4, limit: 500, replay: false },
      { type: 'candle-subscribe', symbol: 'MSFT', timeframe: Timeframe.S1, limit: 60, replay: true },
      { type: 'correlation-subscribe', group: 'sector:Tech', symbols: [], timeframe: Timeframe.M1, windowBars: 0 },
      { type: 'correlation-subscribe', group: '', symbols: ['AAPL', 'XOM'], timeframe: Timeframe.H1, windowBars: 30 },
      {
        type: 'replay-start',
        fromUs: 1_795_000_000_000_000,
        toUs: 0,
        speed: 0.25,
        paused: true,
        symbols: [],
        sectors: ['Tech'],
      },
      { type: 'replay-control', action: ReplayAction.Step, speed: 0, toUs: 0, stepUs: 2_500_000 },
      { type: 'replay-control', action: ReplayAction.Speed, speed: 100, toUs: 0, stepUs: 0 },
    ];
    for (const message of messages) {
      expect(decodeClientFrame(encodeClientFrame(message, options), options)).toEqual(message);
    }
  });
});

describe('frames', () => {
  it('leaves small bodies uncompressed and compresses repetitive ones', () => {
    expect(encodeFrame(new Uint8Array(10), options)[0]).toBe(0x10);
    const big = encodeFrame(new Uint8Array(4096), options);
    expect(big[0]).toBe(0x11);
    expect(big.length).toBeLessThan(100);
    expect(new Uint8Array(decodeFrame(big, options))).toEqual(new Uint8Array(4096));
  });

  it('refuses a compressed frame that declares more than the limit, before allocating it', () => {
    const frame = new Uint8Array([0x11, 0xff, 0xff, 0xff, 0x7f, 0x00]);
    expect(() => decodeFrame(frame, options)).toThrow(/declares 2147483647 bytes, above the limit/);
  });

  it('names each header problem', () => {
    const codeOf = (bytes: number[]): string => {
      try {
        decodeFrame(new Uint8Array(bytes), options);
        return 'none';
      } catch (error) {
        return (error as ProtocolError).code;
      }
    };
    expect(codeOf([])).toBe('empty-frame');
    expect(codeOf([0x20, 1])).toBe('unsupported-version');
    expect(codeOf([0x12, 1])).toBe('unknown-flags');
    expect(codeOf([0x11, 8, 0, 0, 0, 0xff, 0xff])).toBe('decompression-failed');
  });
});

describe('alert frames (protocol 2) and per-user records', () => {
  const rule: AlertRuleFields = {
    id: 'a0123456789abcdef',
    user: 'alice',
    symbol: 'sector:Technology',
    kind: 'event',
    value: 0,
    windowMs: 0,
    repeat: true,
    cooldownMs: 30_000,
    expiresAtMs: 1_900_000_000_000,
    createdAtMs: 1_796_000_000_000,
    armedAtMs: 1_796_000_000_001,
  };
  const trigger: AlertTriggerFields = {
    id: 'a0123456789abcdef-1796000000001-9',
    user: 'alice',
    ruleId: rule.id,
    symbol: 'MSFT',
    kind: 'price-above',
    value: 420.5,
    price: 420.5,
    timeMs: 1_796_000_001_000,
    threshold: 420,
    tickSequence: 9,
    ruleArmedAtMs: rule.armedAtMs,
    detail: 'MSFT 420.5 ≥ 420',
  };

  it('round-trips every alert message both ways', () => {
    for (const message of [
      { type: 'alert-list', requestId: 1 },
      { type: 'alert-create', requestId: 2, rule },
      { type: 'alert-update', requestId: 3, rule },
      { type: 'alert-delete', requestId: 4, id: rule.id },
    ] as const) {
      expect(decodeClientFrame(encodeClientFrame(message, options), options)).toEqual(message);
    }
    const encoder = new ServerFrameEncoder(options);
    const alerts = { requestId: 7, ruleId: rule.id, rules: [rule], triggers: [trigger, { ...trigger, id: 'b' }] };
    expect(decodeServerFrame(encoder.alerts(5, alerts), options)).toEqual({ type: 'alerts', ...alerts });
    expect(decodeServerFrame(encoder.alertTriggered(5, trigger), options)).toEqual({
      type: 'alert-triggered',
      ...trigger,
    });
  });

  it('round-trips the Kafka records and refuses bytes that are not one', () => {
    expect(decodeAlertRule(encodeAlertRule(rule))).toEqual(rule);
    expect(decodeAlertTrigger(encodeAlertTrigger(trigger))).toEqual(trigger);
    const account = { name: 'alice', role: 'trader', passwordHash: 'scrypt$…', updatedAtMs: 5 } as const;
    expect(decodeUserAccount(encodeUserAccount(account))).toEqual(account);
    expect(() => decodeAlertRule(new Uint8Array([1, 2, 3]))).toThrow(ProtocolError);
    const truncated = encodeAlertTrigger(trigger).subarray(0, 40);
    expect(() => decodeAlertTrigger(truncated)).toThrow(ProtocolError);
  });
});

describe('trading frames (protocol 3) and records', () => {
  const order: OrderFields = {
    id: 'o0123456789abcdef',
    clientOrderId: 'my-order-1',
    user: 'alice',
    symbol: 'AAPL',
    side: 'buy',
    type: 'limit',
    quantity: 100,
    price: 1_892_345,
    tif: 'gtc',
    createdAtMs: 1_796_000_000_000,
    referencePrice: 1_900_000,
  };
  const fill: OrderUpdateFields = {
    id: `${order.id}-2`,
    orderId: order.id,
    user: 'alice',
    symbol: 'AAPL',
    side: 'buy',
    status: 'partially_filled',
    fillQuantity: 40,
    fillPrice: 1_892_300,
    filledQuantity: 40,
    averageFillPrice: 1_892_300,
    quantity: 100,
    reason: '',
    timeMs: 1_796_000_001_000,
    tickSequence: 2 ** 40,
  };
  const portfolio: PortfolioFields = {
    user: 'alice',
    // Beyond 2^32 units: 1,000,000.00 of cash is 10^10.
    cash: 10_000_000_000 - 40 * 1_892_300,
    reservedCash: 60 * 1_892_345,
    startingCash: 10_000_000_000,
    realizedPnl: -12_345,
    positions: [
      { symbol: 'AAPL', quantity: 40, cost: 40 * 1_892_300, realizedPnl: 0 },
      { symbol: 'MSFT', quantity: 0, cost: 0, realizedPnl: -12_345 },
    ],
    equityCurve: [
      { timeMs: 1_796_000_000_000, equity: 10_000_000_000 },
      { timeMs: 1_796_000_060_000, equity: 9_999_987_655 },
    ],
    updatedAtMs: 1_796_000_001_000,
    resetAtMs: 1_795_000_000_000,
    lastUpdateId: fill.id,
  };

  it('round-trips the three commands of `orders`, a `fills` update and a `portfolios` record', () => {
    const commands: OrderCommandFields[] = [
      { kind: 'order', order },
      { kind: 'order', order: { ...order, type: 'market', price: 0, tif: 'day', clientOrderId: '', side: 'sell' } },
      { kind: 'cancel', cancel: { orderId: order.id, user: 'alice', requestedAtMs: 1_796_000_000_500 } },
      { kind: 'reset', reset: { id: 'r1', user: 'alice', startingCash: 0, requestedAtMs: 1_796_000_000_700 } },
    ];
    for (const command of commands) expect(decodeOrderCommand(encodeOrderCommand(command))).toEqual(command);
    expect(decodeOrderUpdate(encodeOrderUpdate(fill))).toEqual(fill);
    for (const status of ORDER_STATUSES)
      expect(decodeOrderUpdate(encodeOrderUpdate({ ...fill, status, reason: status })).status).toBe(status);
    expect(decodePortfolio(encodePortfolio(portfolio))).toEqual(portfolio);
    expect(decodePortfolio(encodePortfolio({ ...portfolio, positions: [], equityCurve: [] }))).toMatchObject({
      positions: [],
      equityCurve: [],
    });
  });

  it('refuses bytes that are not a record, and amounts a JS number cannot hold exactly', () => {
    expect(() => decodeOrderCommand(new Uint8Array([1, 2, 3]))).toThrow(ProtocolError);
    expect(() => decodePortfolio(encodePortfolio(portfolio).subarray(0, 60))).toThrow(ProtocolError);
    // A fills record is no orders record: its first slot is a string, not a command type.
    expect(() => decodeOrderCommand(encodeOrderUpdate(fill))).toThrow(ProtocolError);
    expect(() => decodeOrderUpdate(encodeOrderUpdate({ ...fill, fillPrice: 2 ** 53 + 2 }))).toThrow(
      'fill_price 9007199254740994 is beyond 2^53: not an exact number',
    );
  });

  it('round-trips every trading message both ways', () => {
    for (const message of [
      { type: 'order-list', requestId: 1 },
      { type: 'order-place', requestId: 2, order },
      { type: 'order-cancel', requestId: 3, id: order.id },
      { type: 'portfolio-get', requestId: 4 },
    ] as const) {
      expect(decodeClientFrame(encodeClientFrame(message, options), options)).toEqual(message);
    }
    const encoder = new ServerFrameEncoder(options);
    const state: OrderStateFields = {
      order,
      status: 'partially_filled',
      filledQuantity: 40,
      averageFillPrice: 1_892_300,
      reason: '',
      updatedAtMs: fill.timeMs,
      cancelRequested: true,
      acknowledged: true,
    };
    const orders = { requestId: 9, orderId: order.id, orders: [state], fills: [fill] };
    expect(decodeServerFrame(encoder.orders(5, orders), options)).toEqual({ type: 'orders', ...orders });
    expect(decodeServerFrame(encoder.orderUpdated(5, state, fill), options)).toEqual({
      type: 'order-updated',
      order: state,
      update: fill,
    });
    expect(decodeServerFrame(encoder.orderUpdated(5, state, null), options)).toMatchObject({ update: null });
    const pushed = { requestId: 0, portfolio, marks: [1_900_000, 0] };
    expect(decodeServerFrame(encoder.portfolioState(5, pushed), options)).toEqual({
      type: 'portfolio-state',
      ...pushed,
    });
    expect(decodeServerFrame(encoder.portfolioState(5, { requestId: 3, portfolio: null, marks: [] }), options)).toEqual(
      { type: 'portfolio-state', requestId: 3, portfolio: null, marks: [] },
    );
    expect(decodeServerFrame(encoder.error(5, ErrorCode.InvalidOrder, 'unknown symbol "X"', 2), options)).toEqual({
      type: 'error',
      code: ErrorCode.InvalidOrder,
      message: 'unknown symbol "X"',
      requestId: 2,
    });
  });
});
