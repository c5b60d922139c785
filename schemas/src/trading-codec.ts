import * as flatbuffers from 'flatbuffers';
import { Command } from './generated/tickstream/trading/command.js';
import { EquityCurve } from './generated/tickstream/trading/equity-curve.js';
import { EquityPoint } from './generated/tickstream/trading/equity-point.js';
import { Order } from './generated/tickstream/trading/order.js';
import { OrderCancel } from './generated/tickstream/trading/order-cancel.js';
import { OrderCommand } from './generated/tickstream/trading/order-command.js';
import type { OrderStatus } from './generated/tickstream/trading/order-status.js';
import type { OrderType } from './generated/tickstream/trading/order-type.js';
import { OrderUpdate } from './generated/tickstream/trading/order-update.js';
import { Portfolio } from './generated/tickstream/trading/portfolio.js';
import { PortfolioReset } from './generated/tickstream/trading/portfolio-reset.js';
import { Position } from './generated/tickstream/trading/position.js';
import type { Side } from './generated/tickstream/trading/side.js';
import type { TimeInForce } from './generated/tickstream/trading/time-in-force.js';
import { ProtocolError } from './protocol-error.js';
import { equityCurveSpec, orderCommandSpec, orderUpdateSpec, portfolioSpec } from './specs.js';
import { present, verifyRoot } from './verify.js';

// The records of trading.fbs as plain objects. Prices and money are integers × 10,000
// (PRICE_SCALE), as on the wire; the API's currency units are the edge's business.

/** API names, in the order of the enums of trading.fbs. */
export const ORDER_SIDES = ['buy', 'sell'] as const;
export type OrderSideName = (typeof ORDER_SIDES)[number];
export const ORDER_TYPES = ['market', 'limit', 'stop'] as const;
export type OrderTypeName = (typeof ORDER_TYPES)[number];
export const TIMES_IN_FORCE = ['day', 'gtc'] as const;
export type TimeInForceName = (typeof TIMES_IN_FORCE)[number];
export const ORDER_STATUSES = ['new', 'partially_filled', 'filled', 'cancelled', 'rejected', 'expired'] as const;
export type OrderStatusName = (typeof ORDER_STATUSES)[number];

/** An order in one of these may still fill; the others are final. */
export function isOpenStatus(status: OrderStatusName): boolean {
  return status === 'new' || status === 'partially_filled';
}

/** A record of `orders`: a new order (trading.fbs Order). */
export interface OrderFields {
  id: string;
  /** '' when the client gave none. */
  clientOrderId: string;
  user: string;
  symbol: string;
  side: OrderSideName;
  type: OrderTypeName;
  quantity: number;
  /** × 10,000; 0 for a market order. */
  price: number;
  tif: TimeInForceName;
  createdAtMs: number;
  /** × 10,000; 0: none. */
  referencePrice: number;
}

export interface OrderCancelFields {
  orderId: string;
  user: string;
  requestedAtMs: number;
}

export interface PortfolioResetFields {
  id: string;
  user: string;
  /** × 10,000; 0: the job's --starting-cash. */
  startingCash: number;
  requestedAtMs: number;
}

/** A record of `orders`, whichever command it carries. */
export type OrderCommandFields =
  | { kind: 'order'; order: OrderFields }
  | { kind: 'cancel'; cancel: OrderCancelFields }
  | { kind: 'reset'; reset: PortfolioResetFields };

/** A record of `fills` (trading.fbs OrderUpdate). */
export interface OrderUpdateFields {
  id: string;
  orderId: string;
  user: string;
  symbol: string;
  side: OrderSideName;
  status: OrderStatusName;
  fillQuantity: number;
  /** × 10,000. */
  fillPrice: number;
  filledQuantity: number;
  /** × 10,000. */
  averageFillPrice: number;
  quantity: number;
  reason: string;
  timeMs: number;
  tickSequence: number;
}

export interface PositionFields {
  symbol: string;
  quantity: number;
  /** × 10,000. */
  cost: number;
  /** × 10,000. */
  realizedPnl: number;
}

export interface EquityPointFields {
  timeMs: number;
  /** × 10,000. */
  equity: number;
}

/** A record of `portfolios` (trading.fbs Portfolio); money × 10,000. */
export interface PortfolioFields {
  user: string;
  cash: number;
  reservedCash: number;
  startingCash: number;
  realizedPnl: number;
  positions: PositionFields[];
  equityCurve: EquityPointFields[];
  updatedAtMs: number;
  resetAtMs: number;
  lastUpdateId: string;
}

/**
 * A record of `portfolios` under the key `<user>/equity-curve` (trading.fbs EquityCurve): the
 * user's equity curve since `resetAtMs`, written when it gains a point. Readers merge it with the
 * Portfolio's own points (mergeEquityCurve).
 */
export interface EquityCurveFields {
  user: string;
  resetAtMs: number;
  points: EquityPointFields[];
}

/** The key suffix of a user's EquityCurve record on `portfolios` (a user name holds no `/`). */
export const EQUITY_CURVE_KEY_SUFFIX = '/equity-curve';

function named<T extends string>(names: readonly T[], value: number, what: string): T {
  const name = names[value];
  if (name === undefined) throw new ProtocolError('invalid-field', `unknown ${what} ${value}`);
  return name;
}

/** An int64 as a JS number; refused beyond 2^53, where it would silently lose units. */
function exact(value: bigint, field: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER))
    throw new ProtocolError('invalid-field', `${field} ${value} is beyond 2^53: not an exact number`);
  return Number(value);
}

export function writeOrder(builder: flatbuffers.Builder, order: OrderFields): flatbuffers.Offset {
  const id = builder.createString(order.id);
  const clientOrderId = builder.createString(order.clientOrderId);
  const user = builder.createString(order.user);
  const symbol = builder.createString(order.symbol);
  Order.startOrder(builder);
  Order.addId(builder, id);
  Order.addClientOrderId(builder, clientOrderId);
  Order.addUser(builder, user);
  Order.addSymbol(builder, symbol);
  Order.addSide(builder, ORDER_SIDES.indexOf(order.side) as Side);
  Order.addType(builder, ORDER_TYPES.indexOf(order.type) as OrderType);
  Order.addQuantity(builder, BigInt(order.quantity));
  Order.addPrice(builder, BigInt(order.price));
  Order.addTif(builder, TIMES_IN_FORCE.indexOf(order.tif) as TimeInForce);
  Order.addCreatedAtMs(builder, BigInt(order.createdAtMs));
  Order.addReferencePrice(builder, BigInt(order.referencePrice));
  return Order.endOrder(builder);
}

export function readOrder(order: Order): OrderFields {
  return {
    id: order.id() ?? '',
    clientOrderId: order.clientOrderId() ?? '',
    user: order.user() ?? '',
    symbol: order.symbol() ?? '',
    side: named(ORDER_SIDES, order.side(), 'side'),
    type: named(ORDER_TYPES, order.type(), 'order type'),
    quantity: exact(order.quantity(), 'quantity'),
    price: exact(order.price(), 'price'),
    tif: named(TIMES_IN_FORCE, order.tif(), 'time in force'),
    createdAtMs: exact(order.createdAtMs(), 'created_at_ms'),
    referencePrice: exact(order.referencePrice(), 'reference_price'),
  };
}

export function writeOrderUpdate(builder: flatbuffers.Builder, update: OrderUpdateFields): flatbuffers.Offset {
  const id = builder.createString(update.id);
  const orderId = builder.createString(update.orderId);
  const user = builder.createString(update.user);
  const symbol = builder.createString(update.symbol);
  const reason = builder.createString(update.reason);
  OrderUpdate.startOrderUpdate(builder);
  OrderUpdate.addId(builder, id);
  OrderUpdate.addOrderId(builder, orderId);
  OrderUpdate.addUser(builder, user);
  OrderUpdate.addSymbol(builder, symbol);
  OrderUpdate.addSide(builder, ORDER_SIDES.indexOf(update.side) as Side);
  OrderUpdate.addStatus(builder, ORDER_STATUSES.indexOf(update.status) as OrderStatus);
  OrderUpdate.addFillQuantity(builder, BigInt(update.fillQuantity));
  OrderUpdate.addFillPrice(builder, BigInt(update.fillPrice));
  OrderUpdate.addFilledQuantity(builder, BigInt(update.filledQuantity));
  OrderUpdate.addAverageFillPrice(builder, BigInt(update.averageFillPrice));
  OrderUpdate.addQuantity(builder, BigInt(update.quantity));
  OrderUpdate.addReason(builder, reason);
  OrderUpdate.addTimeMs(builder, BigInt(update.timeMs));
  OrderUpdate.addTickSequence(builder, BigInt(update.tickSequence));
  return OrderUpdate.endOrderUpdate(builder);
}

export function readOrderUpdate(update: OrderUpdate): OrderUpdateFields {
  return {
    id: update.id() ?? '',
    orderId: update.orderId() ?? '',
    user: update.user() ?? '',
    symbol: update.symbol() ?? '',
    side: named(ORDER_SIDES, update.side(), 'side'),
    status: named(ORDER_STATUSES, update.status(), 'order status'),
    fillQuantity: exact(update.fillQuantity(), 'fill_quantity'),
    fillPrice: exact(update.fillPrice(), 'fill_price'),
    filledQuantity: exact(update.filledQuantity(), 'filled_quantity'),
    averageFillPrice: exact(update.averageFillPrice(), 'average_fill_price'),
    quantity: exact(update.quantity(), 'quantity'),
    reason: update.reason() ?? '',
    timeMs: exact(update.timeMs(), 'time_ms'),
    tickSequence: exact(update.tickSequence(), 'tick_sequence'),
  };
}

export function writePortfolio(builder: flatbuffers.Builder, portfolio: PortfolioFields): flatbuffers.Offset {
  const user = builder.createString(portfolio.user);
  const positions = Portfolio.createPositionsVector(
    builder,
    portfolio.positions.map((position) => {
      const symbol = builder.createString(position.symbol);
      return Position.createPosition(
        builder,
        symbol,
        BigInt(position.quantity),
        BigInt(position.cost),
        BigInt(position.realizedPnl),
      );
    }),
  );
  const curve = writeEquityPoints(builder, portfolio.equityCurve);
  const lastUpdateId = builder.createString(portfolio.lastUpdateId);
  Portfolio.startPortfolio(builder);
  Portfolio.addUser(builder, user);
  Portfolio.addCash(builder, BigInt(portfolio.cash));
  Portfolio.addReservedCash(builder, BigInt(portfolio.reservedCash));
  Portfolio.addStartingCash(builder, BigInt(portfolio.startingCash));
  Portfolio.addRealizedPnl(builder, BigInt(portfolio.realizedPnl));
  Portfolio.addPositions(builder, positions);
  Portfolio.addEquityCurve(builder, curve);
  Portfolio.addUpdatedAtMs(builder, BigInt(portfolio.updatedAtMs));
  Portfolio.addResetAtMs(builder, BigInt(portfolio.resetAtMs));
  Portfolio.addLastUpdateId(builder, lastUpdateId);
  return Portfolio.endPortfolio(builder);
}

/** Vectors of structs are built back to front. */
function writeEquityPoints(builder: flatbuffers.Builder, points: readonly EquityPointFields[]): flatbuffers.Offset {
  builder.startVector(EquityPoint.sizeOf(), points.length, 8);
  for (let i = points.length - 1; i >= 0; i--) {
    const point = points[i] as EquityPointFields;
    EquityPoint.createEquityPoint(builder, BigInt(point.timeMs), BigInt(point.equity));
  }
  return builder.endVector();
}

export function writeEquityCurve(builder: flatbuffers.Builder, curve: EquityCurveFields): flatbuffers.Offset {
  const user = builder.createString(curve.user);
  const points = writeEquityPoints(builder, curve.points);
  EquityCurve.startEquityCurve(builder);
  EquityCurve.addUser(builder, user);
  EquityCurve.addResetAtMs(builder, BigInt(curve.resetAtMs));
  EquityCurve.addPoints(builder, points);
  return EquityCurve.endEquityCurve(builder);
}

export function readPortfolio(portfolio: Portfolio): PortfolioFields {
  const positions: PositionFields[] = [];
  const position = new Position();
  for (let i = 0; i < portfolio.positionsLength(); i++) {
    const p = portfolio.positions(i, position) as Position;
    positions.push({
      symbol: p.symbol() ?? '',
      quantity: exact(p.quantity(), 'position quantity'),
      cost: exact(p.cost(), 'position cost'),
      realizedPnl: exact(p.realizedPnl(), 'position realized_pnl'),
    });
  }
  const equityCurve: EquityPointFields[] = [];
  const point = new EquityPoint();
  for (let i = 0; i < portfolio.equityCurveLength(); i++) {
    const p = portfolio.equityCurve(i, point) as EquityPoint;
    equityCurve.push({ timeMs: exact(p.timeMs(), 'equity point time_ms'), equity: exact(p.equity(), 'equity') });
  }
  return {
    user: portfolio.user() ?? '',
    cash: exact(portfolio.cash(), 'cash'),
    reservedCash: exact(portfolio.reservedCash(), 'reserved_cash'),
    startingCash: exact(portfolio.startingCash(), 'starting_cash'),
    realizedPnl: exact(portfolio.realizedPnl(), 'realized_pnl'),
    positions,
    equityCurve,
    updatedAtMs: exact(portfolio.updatedAtMs(), 'updated_at_ms'),
    resetAtMs: exact(portfolio.resetAtMs(), 'reset_at_ms'),
    lastUpdateId: portfolio.lastUpdateId() ?? '',
  };
}

function finished(write: (builder: flatbuffers.Builder) => flatbuffers.Offset): Uint8Array {
  const builder = new flatbuffers.Builder(256);
  builder.finish(write(builder));
  return builder.asUint8Array().slice();
}

/** An `orders` record value. */
export function encodeOrderCommand(command: OrderCommandFields): Uint8Array {
  return finished((builder) => {
    let type: Command;
    let offset: flatbuffers.Offset;
    switch (command.kind) {
      case 'order':
        type = Command.Order;
        offset = writeOrder(builder, command.order);
        break;
      case 'cancel': {
        const { cancel } = command;
        type = Command.OrderCancel;
        const orderId = builder.createString(cancel.orderId);
        const user = builder.createString(cancel.user);
        offset = OrderCancel.createOrderCancel(builder, orderId, user, BigInt(cancel.requestedAtMs));
        break;
      }
      case 'reset': {
        const { reset } = command;
        type = Command.PortfolioReset;
        const id = builder.createString(reset.id);
        const user = builder.createString(reset.user);
        offset = PortfolioReset.createPortfolioReset(
          builder,
          id,
          user,
          BigInt(reset.startingCash),
          BigInt(reset.requestedAtMs),
        );
        break;
      }
    }
    return OrderCommand.createOrderCommand(builder, type, offset);
  });
}

/** Decodes an `orders` record value. Throws only ProtocolError. */
export function decodeOrderCommand(bytes: Uint8Array): OrderCommandFields {
  verifyRoot(bytes, orderCommandSpec);
  const root = OrderCommand.getRootAsOrderCommand(new flatbuffers.ByteBuffer(bytes));
  switch (root.commandType()) {
    case Command.Order:
      return { kind: 'order', order: readOrder(present(root.command(new Order()))) };
    case Command.OrderCancel: {
      const cancel = present(root.command(new OrderCancel()));
      return {
        kind: 'cancel',
        cancel: {
          orderId: cancel.orderId() ?? '',
          user: cancel.user() ?? '',
          requestedAtMs: exact(cancel.requestedAtMs(), 'requested_at_ms'),
        },
      };
    }
    case Command.PortfolioReset: {
      const reset = present(root.command(new PortfolioReset()));
      return {
        kind: 'reset',
        reset: {
          id: reset.id() ?? '',
          user: reset.user() ?? '',
          startingCash: exact(reset.startingCash(), 'starting_cash'),
          requestedAtMs: exact(reset.requestedAtMs(), 'requested_at_ms'),
        },
      };
    }
    default:
      throw new ProtocolError('unknown-message', `orders record carries no known command (type ${root.commandType()})`);
  }
}

/** A `fills` record value. */
export function encodeOrderUpdate(update: OrderUpdateFields): Uint8Array {
  return finished((builder) => writeOrderUpdate(builder, update));
}

/** Decodes a `fills` record value. Throws only ProtocolError. */
export function decodeOrderUpdate(bytes: Uint8Array): OrderUpdateFields {
  verifyRoot(bytes, orderUpdateSpec);
  return readOrderUpdate(OrderUpdate.getRootAsOrderUpdate(new flatbuffers.ByteBuffer(bytes)));
}

/** A `portfolios` record value. */
export function encodePortfolio(portfolio: PortfolioFields): Uint8Array {
  return finished((builder) => writePortfolio(builder, portfolio));
}

/** Decodes a `portfolios` record value. Throws only ProtocolError. */
export function decodePortfolio(bytes: Uint8Array): PortfolioFields {
  verifyRoot(bytes, portfolioSpec);
  return readPortfolio(Portfolio.getRootAsPortfolio(new flatbuffers.ByteBuffer(bytes)));
}

/**
 * Checks a `portfolios` record value's layout and returns its user, decoding nothing else: an
 * edge keeps every user's latest record and decodes only those someone asks for
 * (decodeCheckedPortfolio). Throws only ProtocolError.
 */
export function checkPortfolio(bytes: Uint8Array): string {
  verifyRoot(bytes, portfolioSpec);
  return Portfolio.getRootAsPortfolio(new flatbuffers.ByteBuffer(bytes)).user() ?? '';
}

/** Decodes a value checkPortfolio accepted. Throws only ProtocolError (an amount beyond 2^53). */
export function decodeCheckedPortfolio(bytes: Uint8Array): PortfolioFields {
  return readPortfolio(Portfolio.getRootAsPortfolio(new flatbuffers.ByteBuffer(bytes)));
}

/** A `<user>/equity-curve` record value of `portfolios`. */
export function encodeEquityCurve(curve: EquityCurveFields): Uint8Array {
  return finished((builder) => writeEquityCurve(builder, curve));
}

/** Checks an EquityCurve record value's layout and returns its user (decodeCheckedEquityCurve reads the rest). Throws only ProtocolError. */
export function checkEquityCurve(bytes: Uint8Array): string {
  verifyRoot(bytes, equityCurveSpec);
  return EquityCurve.getRootAsEquityCurve(new flatbuffers.ByteBuffer(bytes)).user() ?? '';
}

/** Decodes a value checkEquityCurve accepted. Throws only ProtocolError (a value beyond 2^53). */
export function decodeCheckedEquityCurve(bytes: Uint8Array): EquityCurveFields {
  const curve = EquityCurve.getRootAsEquityCurve(new flatbuffers.ByteBuffer(bytes));
  const points: EquityPointFields[] = [];
  const point = new EquityPoint();
  for (let i = 0; i < curve.pointsLength(); i++) {
    const p = curve.points(i, point) as EquityPoint;
    points.push({ timeMs: exact(p.timeMs(), 'equity point time_ms'), equity: exact(p.equity(), 'equity') });
  }
  return { user: curve.user() ?? '', resetAtMs: exact(curve.resetAtMs(), 'reset_at_ms'), points };
}

/** Decodes a `<user>/equity-curve` record value. Throws only ProtocolError. */
export function decodeEquityCurve(bytes: Uint8Array): EquityCurveFields {
  checkEquityCurve(bytes);
  return decodeCheckedEquityCurve(bytes);
}

const MINUTE_MS = 60_000;

/**
 * A user's equity curve as readers show it: the EquityCurve record's points (null: none read)
 * since the portfolio's reset, then the Portfolio's own points by minute: one in the minute of the
 * last point replaces it (the later change of that minute), one in a later minute is added, an
 * older one is already in the curve. A Portfolio that still carries its whole curve (the engine
 * before the EquityCurve record, or a stand-in) reads the same as before.
 */
export function mergeEquityCurve(
  curve: EquityCurveFields | null,
  portfolio: Pick<PortfolioFields, 'resetAtMs' | 'equityCurve'>,
): EquityPointFields[] {
  // A curve of another reset than the portfolio's (the two keys are read apart) is left out.
  const merged = curve === null || curve.resetAtMs !== portfolio.resetAtMs ? [] : [...curve.points];
  const minute = (timeMs: number): number => Math.floor(timeMs / MINUTE_MS);
  for (const point of portfolio.equityCurve) {
    const last = merged.at(-1);
    if (last === undefined || minute(point.timeMs) > minute(last.timeMs)) merged.push(point);
    else if (minute(point.timeMs) === minute(last.timeMs) && point.timeMs >= last.timeMs)
      merged[merged.length - 1] = point;
  }
  return merged;
}
