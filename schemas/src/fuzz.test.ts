import { describe, expect, it } from 'vitest';
import { AnalyticsEncoder, BarTimeframe, decodeCandleBar, decodeCorrelationMatrix } from './analytics-codec.js';
import { decodeClientFrame, encodeClientFrame, ReplayAction } from './client-codec.js';
import { applyDelta, DeltaWriter } from './delta.js';
import { nodeLz4 } from './lz4-node.js';
import { ProtocolError } from './protocol-error.js';
import { QuoteTable } from './quote-table.js';
import {
  AnalyticsState,
  Channel,
  decodeServerFrame,
  ErrorCode,
  ReplayState,
  ServerFrameEncoder,
  Timeframe,
} from './server-codec.js';
import { decodeMarketEvent, decodeTick, MarketEventKind, TickEncoder } from './tick-codec.js';
import {
  decodeEquityCurve,
  decodeOrderCommand,
  decodeOrderUpdate,
  decodePortfolio,
  encodeEquityCurve,
  encodeOrderCommand,
  encodeOrderUpdate,
  encodePortfolio,
  type OrderFields,
  type OrderUpdateFields,
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

// Hostile input must end in a value or a ProtocolError: never another exception, a hang, or a
// huge allocation. 100,000 random and mutated buffers across every decoder.
const options = { lz4: nodeLz4, maxFrameBytes: 64 * 1024 };

/** Small deterministic PRNG (mulberry32), so a failure reproduces. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const rule: AlertRuleFields = {
  id: 'a1',
  user: 'alice',
  symbol: 'AAPL',
  kind: 'change-pct',
  value: -2.5,
  windowMs: 300_000,
  repeat: true,
  cooldownMs: 60_000,
  expiresAtMs: 0,
  createdAtMs: 1,
  armedAtMs: 2,
};
const trigger: AlertTriggerFields = {
  id: 'a1-2-9',
  user: 'alice',
  ruleId: 'a1',
  symbol: 'AAPL',
  kind: 'change-pct',
  value: -2.6,
  price: 180.5,
  timeMs: 3,
  threshold: -2.5,
  tickSequence: 9,
  ruleArmedAtMs: 2,
  detail: 'fell 2.6 % in 5 m',
};

function seeds(): Uint8Array[] {
  const server = new ServerFrameEncoder({ lz4: nodeLz4, compressAbove: Number.POSITIVE_INFINITY });
  const compressed = new ServerFrameEncoder({ lz4: nodeLz4, compressAbove: 0 });
  const replay = new ServerFrameEncoder({ lz4: nodeLz4, compressAbove: 0 }, Channel.Replay);
  const quotes = Array.from({ length: 20 }, (_, id) => ({
    id,
    last: 1000 + id,
    bid: 999,
    ask: 1001,
    open: 1000,
    high: 1100,
    low: 900,
    volume: 10 * id,
    ticks: id,
    exchangeTimeUs: 1_795_000_000_000_000,
  }));
  const symbols = quotes.map(({ id }) => ({ id, name: `S${id}`, sector: 'Tech' }));
  const state = new QuoteTable(20);
  const published = new QuoteTable(20);
  for (const quote of quotes) state.setRow(quote.id, quote);
  const writer = new DeltaWriter();
  writer.begin(1_795_000_000_000_000);
  for (let id = 0; id < 20; id++) writer.add(id, state, published);
  const delta = writer.finish();
  const event = { kind: MarketEventKind.Halt, symbol: 'S1', sector: 'Tech', name: 'halt', detail: 'x', timeUs: 1 };
  const order: OrderFields = {
    id: 'o1',
    clientOrderId: 'c1',
    user: 'alice',
    symbol: 'S1',
    side: 'sell',
    type: 'stop',
    quantity: 5,
    price: 990,
    tif: 'day',
    createdAtMs: 1,
    referencePrice: 1000,
  };
  const fill: OrderUpdateFields = {
    id: 'o1-1',
    orderId: 'o1',
    user: 'alice',
    symbol: 'S1',
    side: 'sell',
    status: 'filled',
    fillQuantity: 5,
    fillPrice: 989,
    filledQuantity: 5,
    averageFillPrice: 989,
    quantity: 5,
    reason: '',
    timeMs: 2,
    tickSequence: 3,
  };
  const portfolio = {
    user: 'alice',
    cash: 100,
    reservedCash: 0,
    startingCash: 100,
    realizedPnl: 1,
    positions: [{ symbol: 'S1', quantity: 2, cost: 20, realizedPnl: 1 }],
    equityCurve: [{ timeMs: 1, equity: 120 }],
    updatedAtMs: 4,
    resetAtMs: 0,
    lastUpdateId: 'o1-1',
  };
  const orderState = {
    order,
    status: 'new' as const,
    filledQuantity: 0,
    averageFillPrice: 0,
    reason: '',
    updatedAtMs: 1,
    cancelRequested: false,
    acknowledged: false,
  };
  return [
    server.orders(1, { requestId: 1, orderId: 'o1', orders: [orderState], fills: [fill] }),
    server.orderUpdated(1, orderState, fill),
    server.portfolioState(1, { requestId: 0, portfolio, marks: [1000] }),
    encodeClientFrame({ type: 'order-place', requestId: 2, order }, options),
    encodeOrderCommand({ kind: 'order', order }),
    encodeOrderCommand({ kind: 'cancel', cancel: { orderId: 'o1', user: 'alice', requestedAtMs: 3 } }),
    encodeOrderUpdate(fill),
    encodePortfolio(portfolio),
    encodeEquityCurve({ user: 'alice', resetAtMs: 1, points: [{ timeMs: 2, equity: 3 }] }),
    server.hello({
      edgeId: 'e',
      epoch: 1,
      serverTimeUs: 2,
      priceScale: 10_000,
      windowMs: 25,
      maxSymbolsPerSubscription: 100,
      maxFrameBytes: 1000,
      protocolVersion: 1,
    }),
    server.snapshot(1, 1, symbols, quotes),
    compressed.snapshot(1, 1, symbols, quotes),
    server.delta(1, 2, delta),
    server.candles(1, 3, 4, Timeframe.M5, [{ startTimeUs: 1, open: 2, high: 3, low: 1, close: 2, volume: 9 }]),
    server.candles(
      1,
      0,
      4,
      Timeframe.M5,
      [{ startTimeUs: 1, open: 2, high: 3, low: 1, close: 2, volume: 9 }],
      [
        {
          vwap: 2,
          trades: 1,
          sma20: 2,
          sma50: Number.NaN,
          ema20: 2,
          ema50: Number.NaN,
          volatility20: 0.1,
          relativeVolume: 1,
          priceVolumeCorrelation: 0,
          final: true,
        },
      ],
    ),
    server.correlationMatrix(1, {
      group: 'all',
      timeframe: BarTimeframe.M1,
      windowBars: 20,
      endTimeUs: 1,
      symbols: ['A', 'B'],
      values: Float32Array.of(1, 0.1, 0.1, 1),
    }),
    server.analyticsStatus(1, {
      state: AnalyticsState.NeverRan,
      detail: 'no candles topic',
      newestBarEndUs: 0,
      lagMs: -1,
    }),
    server.marketEvent(1, 4, event),
    server.error(1, ErrorCode.MalformedFrame, 'bad'),
    server.pong(1, 5, 6),
    server.error(1, ErrorCode.NotFound, 'no rule', 7),
    server.alerts(1, { requestId: 7, ruleId: 'a1', rules: [rule], triggers: [trigger] }),
    server.alertTriggered(1, trigger),
    replay.replayStatus(1, {
      state: ReplayState.Paused,
      clockUs: 9,
      speed: 10,
      fromUs: 1,
      toUs: 20,
      retainedFromUs: 0,
      detail: 'paused',
    }),
    replay.delta(1, 3, delta),
    replay.snapshot(1, 2, symbols, quotes),
    encodeClientFrame(
      { type: 'replay-start', fromUs: 1, toUs: 2, speed: 10, paused: false, symbols: ['*'], sectors: [] },
      options,
    ),
    encodeClientFrame({ type: 'replay-control', action: ReplayAction.Seek, speed: 0, toUs: 5, stepUs: 0 }, options),
    encodeClientFrame(
      { type: 'candle-subscribe', symbol: 'AAPL', timeframe: Timeframe.S1, limit: 5, replay: true },
      options,
    ),
    encodeClientFrame({ type: 'subscribe', symbols: ['AAPL', 'MSFT'], sectors: ['Tech'] }, options),
    encodeClientFrame({ type: 'candle-subscribe', symbol: 'AAPL', timeframe: Timeframe.D1, limit: 5 }, options),
    encodeClientFrame({ type: 'ping', clientTimeUs: 7 }, options),
    encodeClientFrame({ type: 'alert-create', requestId: 8, rule }, options),
    encodeClientFrame({ type: 'alert-delete', requestId: 9, id: 'a1' }, options),
    encodeClientFrame(
      { type: 'correlation-subscribe', group: '', symbols: ['A', 'B'], timeframe: Timeframe.M1, windowBars: 20 },
      options,
    ),
    new TickEncoder().encode({
      symbol: 'AAPL',
      sector: 'Tech',
      price: 1,
      size: 2,
      bid: 3,
      ask: 4,
      exchangeTimeUs: 5,
      sequence: 6,
    }),
    new TickEncoder().encodeMarketEvent(event),
    new TickEncoder().encodeMarketEvent({
      ...event,
      kind: MarketEventKind.FlashCrash,
      evidence: {
        value: 3.2,
        mean: Number.NaN,
        deviation: Number.NaN,
        threshold: 3,
        windowMs: 5000,
        startTimeUs: 0,
        price: 9,
        startPrice: 10,
      },
    }),
    new AnalyticsEncoder().encodeCandleBar({
      symbol: 'AAPL',
      sector: 'Tech',
      timeframe: BarTimeframe.M1,
      startTimeUs: 60_000_000,
      open: 1,
      high: 2,
      low: 1,
      close: 2,
      volume: 10,
      vwap: 1,
      trades: 3,
      sma20: 1.5,
      sma50: Number.NaN,
      ema20: 1.5,
      ema50: Number.NaN,
      volatility20: 0.01,
      relativeVolume: 1.2,
      priceVolumeCorrelation: -0.3,
    }),
    encodeAlertRule(rule),
    encodeAlertTrigger(trigger),
    encodeUserAccount({ name: 'alice', role: 'trader', passwordHash: 'scrypt$x', updatedAtMs: 1 }),
    new AnalyticsEncoder().encodeCorrelationMatrix({
      group: 'sector:Tech',
      timeframe: BarTimeframe.M1,
      windowBars: 30,
      endTimeUs: 1,
      symbols: ['A', 'B'],
      values: Float32Array.of(1, 0.5, 0.5, 1),
    }),
  ];
}

function mutate(seed: Uint8Array, next: () => number): Uint8Array {
  const bytes = seed.slice();
  switch (Math.floor(next() * 4)) {
    case 0: // flip a few bytes
      for (let i = 0, n = 1 + Math.floor(next() * 4); i < n; i++)
        bytes[Math.floor(next() * bytes.length)] = Math.floor(next() * 256);
      return bytes;
    case 1: // truncate
      return bytes.subarray(0, Math.floor(next() * bytes.length));
    case 2: // write a huge 32-bit value somewhere (a lying length or offset)
      if (bytes.length >= 5) {
        const at = 1 + Math.floor(next() * (bytes.length - 4));
        new DataView(bytes.buffer).setUint32(at, 0x7fff_fff0 + Math.floor(next() * 15), true);
      }
      return bytes;
    default: // random bytes behind a valid uncompressed header
      return Uint8Array.from({ length: Math.floor(next() * 200) }, (_, i) =>
        i === 0 ? 0x10 : Math.floor(next() * 256),
      );
  }
}

const decoders: ReadonlyArray<readonly [string, (bytes: Uint8Array) => unknown]> = [
  ['server frame', (bytes) => decodeServerFrame(bytes, options)],
  ['client frame', (bytes) => decodeClientFrame(bytes, options)],
  ['tick', (bytes) => decodeTick(bytes)],
  ['market event', (bytes) => decodeMarketEvent(bytes)],
  ['candle bar', (bytes) => decodeCandleBar(bytes)],
  ['correlation matrix', (bytes) => decodeCorrelationMatrix(bytes)],
  ['alert rule', (bytes) => decodeAlertRule(bytes)],
  ['alert trigger', (bytes) => decodeAlertTrigger(bytes)],
  ['user account', (bytes) => decodeUserAccount(bytes)],
  ['orders record', (bytes) => decodeOrderCommand(bytes)],
  ['fills record', (bytes) => decodeOrderUpdate(bytes)],
  ['portfolios record', (bytes) => decodePortfolio(bytes)],
  ['equity curve record', (bytes) => decodeEquityCurve(bytes)],
  [
    'delta data',
    (bytes) => applyDelta({ count: bytes[0] ?? 0, baseTimeUs: 0, data: bytes.subarray(1) }, new QuoteTable(1000)),
  ],
];

describe('decoders under hostile input', () => {
  it('fail only with ProtocolError over 100,000 random and mutated buffers', () => {
    const next = random(Number(process.env.FUZZ_SEED ?? 20261124));
    const inputs = seeds();
    const failures = new Map<string, string>();
    let decoded = 0;
    let rejected = 0;
    for (let i = 0; i < 100_000; i++) {
      const bytes =
        next() < 0.15
          ? Uint8Array.from({ length: Math.floor(next() * 64) }, () => Math.floor(next() * 256))
          : mutate(inputs[i % inputs.length] as Uint8Array, next);
      const [name, decode] = decoders[i % decoders.length] as (typeof decoders)[number];
      try {
        decode(bytes);
        decoded++;
      } catch (error) {
        if (error instanceof ProtocolError) rejected++;
        else
          failures.set(
            `${name}: ${(error as Error).name}: ${(error as Error).message}`,
            Buffer.from(bytes).toString('hex'),
          );
      }
    }
    expect([...failures.entries()].slice(0, 5)).toEqual([]);
    expect(decoded + rejected).toBe(100_000);
    // Both outcomes occur: the inputs reach past the header checks.
    expect(decoded).toBeGreaterThan(1000);
    expect(rejected).toBeGreaterThan(10_000);
  });
});
