import * as flatbuffers from 'flatbuffers';
import { decodeFrame, encodeFrame, type FrameOptions } from './frame.js';
import { CandleSubscribe } from './generated/tickstream/edge/candle-subscribe.js';
import { ClientFrame } from './generated/tickstream/edge/client-frame.js';
import { ClientMessage } from './generated/tickstream/edge/client-message.js';
import { CorrelationSubscribe } from './generated/tickstream/edge/correlation-subscribe.js';
import { Ping } from './generated/tickstream/edge/ping.js';
import { Resync } from './generated/tickstream/edge/resync.js';
import { Subscribe } from './generated/tickstream/edge/subscribe.js';
import { Timeframe } from './generated/tickstream/edge/timeframe.js';
import { Unsubscribe } from './generated/tickstream/edge/unsubscribe.js';
import { ProtocolError } from './protocol-error.js';
import { clientFrameSpec } from './specs.js';
import { present, verifyRoot } from './verify.js';

/** Every client → server message, decoded. */
export type ClientMessageFields =
  | { type: 'subscribe'; symbols: string[]; sectors: string[] }
  | { type: 'unsubscribe'; symbols: string[]; sectors: string[] }
  | { type: 'ping'; clientTimeUs: number }
  | { type: 'resync'; lastSeq: number }
  | { type: 'candle-subscribe'; symbol: string; timeframe: Timeframe; limit: number }
  /** Protocol version 2. `group` "sector:<name>" or "all", or '' with `symbols` (a sub-matrix); neither stops. */
  | { type: 'correlation-subscribe'; group: string; symbols: string[]; timeframe: Timeframe; windowBars: number };

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
      offset = CandleSubscribe.createCandleSubscribe(builder, symbol, message.timeframe, message.limit);
      type = ClientMessage.CandleSubscribe;
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
      return { type: 'candle-subscribe', symbol: message.symbol() ?? '', timeframe, limit: message.limit() };
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
    default:
      throw new ProtocolError('unknown-message', `client frame carries no known message (type ${root.messageType()})`);
  }
}
