import {
  type ClientMessageFields,
  decodeClientFrame,
  ErrorCode,
  type FrameOptions,
  ProtocolError,
} from '@tickstream/schemas';
import type { AlertRequests } from './alert-requests.js';
import { TIMEFRAME_NAMES } from './candles.js';
import type { FanOut } from './fan-out.js';
import { CloseCode, type Session } from './session.js';
import { addToSpec, removeFromSpec, resolveSpec, unknownNames } from './subscription.js';
import type { SymbolDirectory } from './symbol-directory.js';
import type { TradingRequests } from './trading-requests.js';

export interface ClientLimits {
  maxClientFrameBytes: number;
  maxSymbolsPerSubscription: number;
  maxRefusalsIn10s: number;
  maxBars: number;
  maxMessagesPerSecond: number;
}

const DEFAULT_CANDLE_LIMIT = 300;

/**
 * Answers what clients send (docs/protocol.md, "Client → server messages"). Bad input of any
 * kind gets an Error frame naming what was wrong and the connection stays open; only sustained
 * flooding closes it (4029).
 */
export class ClientMessages {
  constructor(
    private readonly fanOut: FanOut,
    private readonly directory: SymbolDirectory,
    private readonly frameOptions: FrameOptions,
    private readonly limits: ClientLimits,
    private readonly now: () => number,
    private readonly alertRequests: AlertRequests,
    private readonly tradingRequests: TradingRequests,
  ) {}

  receive(session: Session, bytes: Uint8Array, isBinary: boolean): void {
    const fanOut = this.fanOut;
    const limits = this.limits;
    if (!session.limiter.take(this.now())) {
      if (session.limiter.refusedInWindow > limits.maxRefusalsIn10s) {
        session.outlet?.close(
          CloseCode.RateLimited,
          `rate limited: more than ${limits.maxMessagesPerSecond} messages/s, sustained`,
        );
        return;
      }
      fanOut.sendError(
        session,
        ErrorCode.RateLimited,
        `more than ${limits.maxMessagesPerSecond} messages a second: message ignored`,
      );
      return;
    }
    if (!isBinary) {
      fanOut.sendError(
        session,
        ErrorCode.MalformedFrame,
        'text message: the protocol is binary frames (docs/protocol.md)',
      );
      return;
    }
    if (bytes.length > limits.maxClientFrameBytes) {
      fanOut.sendError(
        session,
        ErrorCode.MalformedFrame,
        `frame of ${bytes.length} bytes is above the limit of ${limits.maxClientFrameBytes}`,
      );
      return;
    }
    let message: ClientMessageFields;
    try {
      message = decodeClientFrame(bytes, this.frameOptions);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      const code = error.code === 'unknown-message' ? ErrorCode.UnknownMessage : ErrorCode.MalformedFrame;
      fanOut.sendError(session, code, `${error.code}: ${error.message}`);
      return;
    }
    this.apply(session, message);
  }

  private apply(session: Session, message: ClientMessageFields): void {
    const fanOut = this.fanOut;
    const directory = this.directory;
    switch (message.type) {
      case 'subscribe': {
        const unknown = unknownNames(directory, message.symbols, message.sectors);
        if (unknown.length > 0) {
          const listed = unknown.slice(0, 5).join(', ') + (unknown.length > 5 ? ` and ${unknown.length - 5} more` : '');
          fanOut.sendError(session, ErrorCode.UnknownSymbol, `unknown ${listed}: subscription unchanged`);
          return;
        }
        const spec = addToSpec(session.spec, message.symbols, message.sectors);
        const size = resolveSpec(spec, directory).length;
        if (size > this.limits.maxSymbolsPerSubscription) {
          fanOut.sendError(
            session,
            ErrorCode.TooManySymbols,
            `subscription would cover ${size} symbols, above this edge's limit of ${this.limits.maxSymbolsPerSubscription}: unchanged`,
          );
          return;
        }
        fanOut.subscribe(session, spec);
        return;
      }
      case 'unsubscribe':
        fanOut.subscribe(session, removeFromSpec(session.spec, message.symbols, message.sectors));
        return;
      case 'ping':
        fanOut.send(session, fanOut.pong(message.clientTimeUs, this.now() * 1000), 'pong');
        return;
      case 'resync':
        fanOut.sendSnapshot(session);
        return;
      case 'candle-subscribe': {
        const symbolId = directory.idOf(message.symbol);
        if (symbolId === undefined) {
          fanOut.sendError(session, ErrorCode.UnknownSymbol, `unknown symbol ${message.symbol}: no candles`);
          return;
        }
        if (TIMEFRAME_NAMES[message.timeframe] === undefined) {
          fanOut.sendError(session, ErrorCode.MalformedFrame, `timeframe ${message.timeframe} is not one of 0-6`);
          return;
        }
        const limit = message.limit === 0 ? DEFAULT_CANDLE_LIMIT : Math.min(message.limit, this.limits.maxBars);
        fanOut.followCandles(session, symbolId, message.timeframe, limit);
        return;
      }
      case 'alert-list':
      case 'alert-create':
      case 'alert-update':
      case 'alert-delete':
        this.alertRequests.handle(session, message).catch((error: Error) => {
          fanOut.sendError(session, ErrorCode.Internal, `alert request failed: ${error.message}`, message.requestId);
        });
        return;
      case 'order-list':
      case 'order-place':
      case 'order-cancel':
      case 'portfolio-get':
        this.tradingRequests.handle(session, message).catch((error: Error) => {
          fanOut.sendError(session, ErrorCode.Internal, `order request failed: ${error.message}`, message.requestId);
        });
        return;
    }
  }
}
