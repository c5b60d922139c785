import { BarIndicators } from './generated/tickstream/edge/bar-indicators.js';
import { Candle } from './generated/tickstream/edge/candle.js';
import { Quote } from './generated/tickstream/edge/quote.js';
import { EquityPoint } from './generated/tickstream/trading/equity-point.js';
import type { TableSpec } from './verify.js';

// Vtable layouts of fbs/*.fbs for the verifier: one entry per slot, in declaration order.
// The round-trip tests decode every message through these, so a drift from the schema fails them.

const str = { kind: 'string' } as const;
const i8 = { kind: 'scalar', size: 1 } as const;
const i16 = { kind: 'scalar', size: 2 } as const;
const i32 = { kind: 'scalar', size: 4 } as const;
const i64 = { kind: 'scalar', size: 8 } as const;
/** A double occupies 8 bytes like a long: the verifier only checks that it lies in the buffer. */
const f64 = i64;

export const tickSpec: TableSpec = { name: 'Tick', fields: [str, str, i64, i32, i64, i64, i64, i64] };
export const marketEventSpec: TableSpec = {
  name: 'MarketEvent',
  // kind, symbol, sector, name, detail, time_us, then the evidence: source, value, mean, deviation,
  // threshold, window_ms, start_time_us, price, start_price.
  fields: [i8, str, str, str, str, i64, i8, f64, f64, f64, f64, i64, i64, i64, i64],
};
export const candleBarSpec: TableSpec = {
  name: 'CandleBar',
  // symbol, sector, timeframe, start_time_us, open, high, low, close, volume, vwap, trades, then 7 indicators.
  fields: [str, str, i8, i64, i64, i64, i64, i64, i64, i64, i32, f64, f64, f64, f64, f64, f64, f64],
};
export const correlationMatrixSpec: TableSpec = {
  name: 'CorrelationMatrix',
  fields: [str, i8, i16, i64, { kind: 'string-vector' }, { kind: 'vector', elementSize: 4 }],
};

// system.fbs
const metricFigureSpec: TableSpec = { name: 'MetricFigure', fields: [str, str, f64] };
// fault, target, injected_us, detected_us, detected_by, recovered_us, recovered_by, lost, detail.
const recoverySpec: TableSpec = { name: 'Recovery', fields: [str, str, i64, i64, str, i64, str, i64, str] };
export const systemMetricSpec: TableSpec = {
  name: 'SystemMetric',
  // component_id, kind, time_us, interval_ms, problem, host, pid, figures, recovery.
  fields: [
    str,
    i8,
    i64,
    i32,
    str,
    str,
    i32,
    { kind: 'table-vector', table: metricFigureSpec },
    { kind: 'table', table: recoverySpec },
  ],
};

export const userAccountSpec: TableSpec = { name: 'UserAccount', fields: [str, i8, str, i64] };
// double fields are 8-byte scalars like longs.
export const alertRuleSpec: TableSpec = {
  name: 'AlertRule',
  fields: [str, str, str, i8, i64, i64, i8, i64, i64, i64, i64],
};
export const alertTriggerSpec: TableSpec = {
  name: 'AlertTrigger',
  fields: [str, str, str, str, i8, i64, i64, i64, i64, i64, i64, str],
};

// trading.fbs
export const orderSpec: TableSpec = {
  name: 'Order',
  fields: [str, str, str, str, i8, i8, i64, i64, i8, i64, i64],
};
const orderCancelSpec: TableSpec = { name: 'OrderCancel', fields: [str, str, i64] };
const portfolioResetSpec: TableSpec = { name: 'PortfolioReset', fields: [str, str, i64, i64] };
export const orderCommandSpec: TableSpec = {
  name: 'OrderCommand',
  // Indexed by the Command enum.
  fields: [
    { kind: 'union-type' },
    { kind: 'union-value', tables: [undefined, orderSpec, orderCancelSpec, portfolioResetSpec] },
  ],
};
export const orderUpdateSpec: TableSpec = {
  name: 'OrderUpdate',
  fields: [str, str, str, str, i8, i8, i64, i64, i64, i64, i64, str, i64, i64],
};
const positionSpec: TableSpec = { name: 'Position', fields: [str, i64, i64, i64] };
export const portfolioSpec: TableSpec = {
  name: 'Portfolio',
  fields: [
    str,
    i64,
    i64,
    i64,
    i64,
    { kind: 'table-vector', table: positionSpec },
    { kind: 'vector', elementSize: EquityPoint.sizeOf() },
    i64,
    i64,
    str,
  ],
};

/** user, reset_at_ms, points. */
export const equityCurveSpec: TableSpec = {
  name: 'EquityCurve',
  fields: [str, i64, { kind: 'vector', elementSize: EquityPoint.sizeOf() }],
};

const helloSpec: TableSpec = { name: 'Hello', fields: [str, i32, i64, i32, i16, i32, i32, i8] };
const symbolInfoSpec: TableSpec = { name: 'SymbolInfo', fields: [i16, str, str] };
const snapshotSpec: TableSpec = {
  name: 'Snapshot',
  fields: [
    { kind: 'table-vector', table: symbolInfoSpec },
    { kind: 'vector', elementSize: Quote.sizeOf() },
  ],
};
const deltaSpec: TableSpec = { name: 'Delta', fields: [i32, i64, { kind: 'vector', elementSize: 1 }] };
const candlesSpec: TableSpec = {
  name: 'Candles',
  fields: [
    i16,
    i8,
    { kind: 'vector', elementSize: Candle.sizeOf() },
    { kind: 'vector', elementSize: BarIndicators.sizeOf() },
  ],
};
const analyticsStatusSpec: TableSpec = { name: 'AnalyticsStatus', fields: [i8, str, i64, i64] };
const errorSpec: TableSpec = { name: 'Error', fields: [i16, str, i32] };
const alertsSpec: TableSpec = {
  name: 'Alerts',
  fields: [i32, str, { kind: 'table-vector', table: alertRuleSpec }, { kind: 'table-vector', table: alertTriggerSpec }],
};
const pongSpec: TableSpec = { name: 'Pong', fields: [i64, i64] };
const orderStateSpec: TableSpec = {
  name: 'OrderState',
  fields: [{ kind: 'table', table: orderSpec }, i8, i64, i64, str, i64, i8, i8],
};
const ordersSpec: TableSpec = {
  name: 'Orders',
  fields: [i32, str, { kind: 'table-vector', table: orderStateSpec }, { kind: 'table-vector', table: orderUpdateSpec }],
};
const orderUpdatedSpec: TableSpec = {
  name: 'OrderUpdated',
  fields: [
    { kind: 'table', table: orderStateSpec },
    { kind: 'table', table: orderUpdateSpec },
  ],
};
const portfolioStateSpec: TableSpec = {
  name: 'PortfolioState',
  fields: [i32, { kind: 'table', table: portfolioSpec }, { kind: 'vector', elementSize: 8 }],
};
// state, clock_us, speed (float), from_us, to_us, retained_from_us, detail.
const replayStatusSpec: TableSpec = { name: 'ReplayStatus', fields: [i8, i64, i32, i64, i64, i64, str] };

export const serverFrameSpec: TableSpec = {
  name: 'ServerFrame',
  fields: [
    i32,
    i32,
    { kind: 'union-type' },
    // Indexed by the ServerMessage enum.
    {
      kind: 'union-value',
      tables: [
        undefined,
        helloSpec,
        snapshotSpec,
        deltaSpec,
        candlesSpec,
        marketEventSpec,
        errorSpec,
        pongSpec,
        alertsSpec,
        alertTriggerSpec,
        correlationMatrixSpec,
        analyticsStatusSpec,
        ordersSpec,
        orderUpdatedSpec,
        portfolioStateSpec,
        replayStatusSpec,
      ],
    },
    // channel (protocol 4).
    i8,
  ],
};

const symbolListSpec = (name: string): TableSpec => ({
  name,
  fields: [{ kind: 'string-vector' }, { kind: 'string-vector' }],
});

export const clientFrameSpec: TableSpec = {
  name: 'ClientFrame',
  fields: [
    { kind: 'union-type' },
    // Indexed by the ClientMessage enum.
    {
      kind: 'union-value',
      tables: [
        undefined,
        symbolListSpec('Subscribe'),
        symbolListSpec('Unsubscribe'),
        { name: 'Ping', fields: [i64] },
        { name: 'Resync', fields: [i32] },
        { name: 'CandleSubscribe', fields: [str, i8, i16, i8] },
        { name: 'AlertList', fields: [i32] },
        { name: 'AlertCreate', fields: [i32, { kind: 'table', table: alertRuleSpec }] },
        { name: 'AlertUpdate', fields: [i32, { kind: 'table', table: alertRuleSpec }] },
        { name: 'AlertDelete', fields: [i32, str] },
        { name: 'CorrelationSubscribe', fields: [str, { kind: 'string-vector' }, i8, i16] },
        { name: 'OrderList', fields: [i32] },
        { name: 'OrderPlace', fields: [i32, { kind: 'table', table: orderSpec }] },
        { name: 'OrderCancelRequest', fields: [i32, str] },
        { name: 'PortfolioGet', fields: [i32] },
        { name: 'ReplayStart', fields: [i64, i64, i32, i8, { kind: 'string-vector' }, { kind: 'string-vector' }] },
        { name: 'ReplayControl', fields: [i8, i32, i64, i64] },
      ],
    },
  ],
};
