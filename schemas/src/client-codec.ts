import * as flatbuffers from 'flatbuffers';
import { decodeFrame, encodeFrame, type FrameOptions } from './frame.js';
import { AlertCreate } from './generated/tickstream/edge/alert-create.js';
import { AlertDelete } from './generated/tickstream/edge/alert-delete.js';
import { AlertList } from './generated/tickstream/edge/alert-list.js';
import { AlertUpdate } from './generated/tickstream/edge/alert-update.js';
import { CandleSubscribe } from './generated/tickstream/edge/candle-subscribe.js';
import { ClientFrame } from './generated/tickstream/edge/client-frame.js';
import { ClientMessage } from './generated/tickstream/edge/client-message.js';
import { CorrelationSubscribe } from './generated/tickstream/edge/correlation-subscribe.js';
import { OrderCancelRequest } from './generated/tickstream/edge/order-cancel-request.js';
import { OrderList } from './generated/tickstream/edge/order-list.js';
import { OrderPlace } from './generated/tickstream/edge/order-place.js';
import { Ping } from './generated/tickstream/edge/ping.js';
import { PortfolioGet } from './generated/tickstream/edge/portfolio-get.js';
import { ReplayAction } from './generated/tickstream/edge/replay-action.js';
import { ReplayControl } from './generated/tickstream/edge/replay-control.js';
import { ReplayStart } from './generated/tickstream/edge/replay-start.js';
import { Resync } from './generated/tickstream/edge/resync.js';
import { Subscribe } from './generated/tickstream/edge/subscribe.js';
import { Timeframe } from './generated/tickstream/edge/timeframe.js';
import { Unsubscribe } from './generated/tickstream/edge/unsubscribe.js';
import { Order } from './generated/tickstream/trading/order.js';
import { AlertRule } from './generated/tickstream/user/alert-rule.js';
import { ProtocolError } from './protocol-error.js';
import { clientFrameSpec } from './specs.js';
import { type OrderFields, readOrder, writeOrder } from './trading-codec.js';
import { type AlertRuleFields, readAlertRule, writeAlertRule } from './user-codec.js';
import { present, verifyRoot } from './verify.js';

export { ReplayAction };

/** Every client → server message, decoded. */
export type ClientMessageFields =
  | { type: 'subscribe'; symbols: string[]; sectors: string[] }
  | { type: 'unsubscribe'; symbols: string[]; sectors: string[] }
  | { type: 'ping'; clientTimeUs: number }
  | { type: 'resync'; lastSeq: number }
  /** `replay` (protocol 4): the candles of the connection's replay, not live ones. */
  | { type: 'candle-subscribe'; symbol: string; timeframe: Timeframe; limit: number; replay?: boolean }
  // Protocol 2: alert rules. `requestId` comes back on the Alerts or Error that answers.
  | { type: 'alert-list'; requestId: number }
  | { type: 'alert-create'; requestId: number; rule: AlertRuleFields }
  | { type: 'alert-update'; requestId: number; rule: AlertRuleFields }
  | { type: 'alert-delete'; requestId: number; id: string }
  /** Protocol 2. `group` "sector:<name>" or "all", or '' with `symbols` (a sub-matrix); neither stops. */
  | { type: 'correlation-subscribe'; group: string; symbols: string[]; timeframe: Timeframe; windowBars: number }
  // Protocol 3: orders and the portfolio, answered by Orders or PortfolioState.
  | { type: 'order-list'; requestId: number }
  | { type: 'order-place'; requestId: number; order: OrderFields }
  | { type: 'order-cancel'; requestId: number; id: string }
  | { type: 'portfolio-get'; requestId: number }
  /** Protocol 4: replay from `fromUs` (µs) to `toUs` (0: until caught up with live) at `speed` (0.25-100). */
  | ReplayStartFields
  /** Protocol 4: `speed` for Speed, `toUs` for Seek, `stepUs` for Step (0: one second); the rest ignore them. */
  | { type: 'replay-control'; action: ReplayAction; speed: number; toUs: number; stepUs: number };

export interface ReplayStartFields {
  type: 'replay-start';
  fromUs: number;
  toUs: number;
  speed: number;
  paused: boolean;
  /** What to replay, as Subscribe names it; both empty: the connection's live subscription. */
  symbols: string[];
  sectors: string[];
}

/** Client frames are small and rare: never compressed. */
const uncompressed = (options: FrameOptions): FrameOptions => ({ ...options, compressAbove: Number.POSITIVE_INFINITY });

export function encodeClientFrame(message: ClientMessageFields, options: FrameOptions): Uint8Array {
  const builder = new flatbuffers.Builder(256);
  let type: ClientMessage;
  let offset: flatbuffers.Offset;
  switch (message.type) {
    case 'subscribe':
    case 'unsubscribe': {
      const symbols = message.symbols.map((symbol) => builder.createString(symbol));
      const sectors = message.sectors.map((sector) => builder.createString(sector));
      if (message.type === 'subscribe') {
        const symbolsVector = Subscribe.createSymbolsVector(builder, symbols);
        const sectorsVector = Subscribe.createSectorsVector(builder, sectors);
        offset = Subscribe.createSubscribe(builder, symbolsVector, sectorsVector);
        type = ClientMessage.Subscribe;
      } else {
        const symbolsVector = Unsubscribe.createSymbolsVector(builder, symbols);
        const sectorsVector = Unsubscribe.createSectorsVector(builder, sectors);
        offset = Unsubscribe.createUnsubscribe(builder, symbolsVector, sectorsVector);
        type = ClientMessage.Unsubscribe;
      }
      break;
    }
    case 'ping':
      offset = Ping.createPing(builder, BigInt(message.clientTimeUs));
      type = ClientMessage.Ping;
      break;
    case 'resync':
      offset = Resync.createResync(builder, message.lastSeq);
      type = ClientMessage.Resync;
      break;
    case 'candle-subscribe': {
      const symbol = builder.createString(message.symbol);
      offset = CandleSubscribe.createCandleSubscribe(
        builder,
        symbol,
        message.timeframe,
        message.limit,
        message.replay === true,
      );
      type = ClientMessage.CandleSubscribe;
      break;
    }
    case 'alert-list':
      offset = AlertList.createAlertList(builder, message.requestId);
      type = ClientMessage.AlertList;
      break;
    case 'alert-create': {
      const rule = writeAlertRule(builder, message.rule);
      AlertCreate.startAlertCreate(builder);
      AlertCreate.addRequestId(builder, message.requestId);
      AlertCreate.addRule(builder, rule);
      offset = AlertCreate.endAlertCreate(builder);
      type = ClientMessage.AlertCreate;
      break;
    }
    case 'alert-update': {
      const rule = writeAlertRule(builder, message.rule);
      AlertUpdate.startAlertUpdate(builder);
      AlertUpdate.addRequestId(builder, message.requestId);
      AlertUpdate.addRule(builder, rule);
      offset = AlertUpdate.endAlertUpdate(builder);
      type = ClientMessage.AlertUpdate;
      break;
    }
    case 'alert-delete': {
      const id = builder.createString(message.id);
      offset = AlertDelete.createAlertDelete(builder, message.requestId, id);
      type = ClientMessage.AlertDelete;
      break;
    }
    case 'correlation-subscribe': {
      const group = builder.createString(message.group);
      const symbols = CorrelationSubscribe.createSymbolsVector(
        builder,
        message.symbols.map((symbol) => builder.createString(symbol)),
      );
      offset = CorrelationSubscribe.createCorrelationSubscribe(
        builder,
        group,
        symbols,
        message.timeframe,
        message.windowBars,
      );
      type = ClientMessage.CorrelationSubscribe;
      break;
    }
    case 'order-list':
      offset = OrderList.createOrderList(builder, message.requestId);
      type = ClientMessage.OrderList;
      break;
    case 'order-place': {
      const order = writeOrder(builder, message.order);
      OrderPlace.startOrderPlace(builder);
      OrderPlace.addRequestId(builder, message.requestId);
      OrderPlace.addOrder(builder, order);
      offset = OrderPlace.endOrderPlace(builder);
      type = ClientMessage.OrderPlace;
      break;
    }
    case 'order-cancel': {
      const id = builder.createString(message.id);
      offset = OrderCancelRequest.createOrderCancelRequest(builder, message.requestId, id);
      type = ClientMessage.OrderCancelRequest;
      break;
    }
    case 'portfolio-get':
      offset = PortfolioGet.createPortfolioGet(builder, message.requestId);
      type = ClientMessage.PortfolioGet;
      break;
    case 'replay-start': {
      const symbols = ReplayStart.createSymbolsVector(
        builder,
        message.symbols.map((symbol) => builder.createString(symbol)),
      );
      const sectors = ReplayStart.createSectorsVector(
        builder,
        message.sectors.map((sector) => builder.createString(sector)),
      );
      ReplayStart.startReplayStart(builder);
      ReplayStart.addFromUs(builder, BigInt(Math.round(message.fromUs)));
      ReplayStart.addToUs(builder, BigInt(Math.round(message.toUs)));
      ReplayStart.addSpeed(builder, message.speed);
      ReplayStart.addPaused(builder, message.paused);
      ReplayStart.addSymbols(builder, symbols);
      ReplayStart.addSectors(builder, sectors);
      offset = ReplayStart.endReplayStart(builder);
      type = ClientMessage.ReplayStart;
      break;
    }
    case 'replay-control':
      offset = ReplayControl.createReplayControl(
        builder,
        message.action,
        message.speed,
        BigInt(Math.round(message.toUs)),
        BigInt(Math.round(message.stepUs)),
      );
      type = ClientMessage.ReplayControl;
      break;
  }
  builder.finish(ClientFrame.createClientFrame(builder, type, offset));
  return encodeFrame(builder.asUint8Array(), uncompressed(options));
}

function strings(count: number, at: (index: number) => string | null): string[] {
  const values: string[] = [];
  for (let i = 0; i < count; i++) values.push(at(i) ?? '');
  return values;
}

/** Decodes one client frame. Any input ends in a message or a ProtocolError. */
export function decodeClientFrame(frame: Uint8Array, options: FrameOptions): ClientMessageFields {
  const body = decodeFrame(frame, options);
  verifyRoot(body, clientFrameSpec);
  const root = ClientFrame.getRootAsClientFrame(new flatbuffers.ByteBuffer(body));
  switch (root.messageType()) {
    case ClientMessage.Subscribe: {
      const message = present(root.message(new Subscribe()));
      return {
        type: 'subscribe',
        symbols: strings(message.symbolsLength(), (i) => message.symbols(i)),
        sectors: strings(message.sectorsLength(), (i) => message.sectors(i)),
      };
    }
    case ClientMessage.Unsubscribe: {
      const message = present(root.message(new Unsubscribe()));
      return {
        type: 'unsubscribe',
        symbols: strings(message.symbolsLength(), (i) => message.symbols(i)),
        sectors: strings(message.sectorsLength(), (i) => message.sectors(i)),
      };
    }
    case ClientMessage.Ping:
      return { type: 'ping', clientTimeUs: Number(present(root.message(new Ping())).clientTimeUs()) };
    case ClientMessage.Resync:
      return { type: 'resync', lastSeq: present(root.message(new Resync())).lastSeq() };
    case ClientMessage.CandleSubscribe: {
      const message = present(root.message(new CandleSubscribe()));
      const timeframe = message.timeframe();
      if (Timeframe[timeframe] === undefined)
        throw new ProtocolError('invalid-field', `unknown timeframe ${timeframe}`);
      return {
        type: 'candle-subscribe',
        symbol: message.symbol() ?? '',
        timeframe,
        limit: message.limit(),
        replay: message.replay(),
      };
    }
    case ClientMessage.AlertList:
      return { type: 'alert-list', requestId: present(root.message(new AlertList())).requestId() };
    case ClientMessage.AlertCreate:
    case ClientMessage.AlertUpdate: {
      const message =
        root.messageType() === ClientMessage.AlertCreate
          ? present(root.message(new AlertCreate()))
          : present(root.message(new AlertUpdate()));
      const rule = message.rule(new AlertRule());
      if (rule === null) throw new ProtocolError('invalid-field', 'alert request carries no rule');
      return {
        type: root.messageType() === ClientMessage.AlertCreate ? 'alert-create' : 'alert-update',
        requestId: message.requestId(),
        rule: readAlertRule(rule),
      };
    }
    case ClientMessage.AlertDelete: {
      const message = present(root.message(new AlertDelete()));
      return { type: 'alert-delete', requestId: message.requestId(), id: message.id() ?? '' };
    }
    case ClientMessage.CorrelationSubscribe: {
      const message = present(root.message(new CorrelationSubscribe()));
      const timeframe = message.timeframe();
      if (Timeframe[timeframe] === undefined)
        throw new ProtocolError('invalid-field', `unknown timeframe ${timeframe}`);
      return {
        type: 'correlation-subscribe',
        group: message.group() ?? '',
        symbols: strings(message.symbolsLength(), (i) => message.symbols(i)),
        timeframe,
        windowBars: message.windowBars(),
      };
    }
    case ClientMessage.OrderList:
      return { type: 'order-list', requestId: present(root.message(new OrderList())).requestId() };
    case ClientMessage.OrderPlace: {
      const message = present(root.message(new OrderPlace()));
      const order = message.order(new Order());
      if (order === null) throw new ProtocolError('invalid-field', 'OrderPlace carries no order');
      return { type: 'order-place', requestId: message.requestId(), order: readOrder(order) };
    }
    case ClientMessage.OrderCancelRequest: {
      const message = present(root.message(new OrderCancelRequest()));
      return { type: 'order-cancel', requestId: message.requestId(), id: message.id() ?? '' };
    }
    case ClientMessage.PortfolioGet:
      return { type: 'portfolio-get', requestId: present(root.message(new PortfolioGet())).requestId() };
    case ClientMessage.ReplayStart: {
      const message = present(root.message(new ReplayStart()));
      return {
        type: 'replay-start',
        fromUs: Number(message.fromUs()),
        toUs: Number(message.toUs()),
        speed: message.speed(),
        paused: message.paused(),
        symbols: strings(message.symbolsLength(), (i) => message.symbols(i)),
        sectors: strings(message.sectorsLength(), (i) => message.sectors(i)),
      };
    }
    case ClientMessage.ReplayControl: {
      const message = present(root.message(new ReplayControl()));
      const action = message.action();
      if (ReplayAction[action] === undefined)
        throw new ProtocolError('invalid-field', `unknown replay action ${action}`);
      return {
        type: 'replay-control',
        action,
        speed: message.speed(),
        toUs: Number(message.toUs()),
        stepUs: Number(message.stepUs()),
      };
    }
    default:
      throw new ProtocolError('unknown-message', `client frame carries no known message (type ${root.messageType()})`);
  }
}
