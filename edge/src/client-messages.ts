import {
  type ClientMessageFields,
  decodeClientFrame,
  ErrorCode,
  type FrameOptions,
  ProtocolError,
} from '@tickstream/schemas';
import type { AlertRequests } from './alert-requests.js';
import { TIMEFRAME_NAMES } from './candles.js';
import type { CorrelationFollowers } from './correlation-followers.js';
import { type CorrelationRequest, MAX_SET_SYMBOLS } from './correlations.js';
import type { FanOut } from './fan-out.js';
import type { Replays } from './replays.js';
import { CloseCode, type Session } from './session.js';
import { addToSpec, removeFromSpec, resolveSpec, unknownNames } from './subscription.js';
import type { SymbolDirectory } from './symbol-directory.js';
import type { TradingRequests } from './trading-requests.js';

export interface ClientLimits {
  maxClientFrameBytes: number;
  maxSymbolsPerSubscription: number;
  maxRefusalsIn10s: number;
  /** Bars kept per timeframe: the most a CandleSubscribe can get. */
  barsKept: readonly number[];
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
    private readonly correlations: CorrelationFollowers,
    private readonly directory: SymbolDirectory,
    private readonly frameOptions: FrameOptions,
    private readonly limits: ClientLimits,
    private readonly now: () => number,
    private readonly alertRequests: AlertRequests,
    private readonly tradingRequests: TradingRequests,
    private readonly replays: Replays,
  ) {}

  receive(session: Session, bytes: Uint8Array, isBinary: boolean): void {
    const fanOut = this.fanOut;
    const limits = this.limits;
    if (!session.limiter.take(this.now())) {
      if (session.limiter.refusedInWindow > limits.maxRefusalsIn10s) {
        session.logger.warn(`rate limited: more than ${limits.maxMessagesPerSecond} messages/s, sustained; closing`);
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

  /** What is wrong with a CorrelationSubscribe, or null. */
  private correlationProblem(request: CorrelationRequest): { code: ErrorCode; message: string } | null {
    if (TIMEFRAME_NAMES[request.timeframe] === undefined)
      return { code: ErrorCode.MalformedFrame, message: `timeframe ${request.timeframe} is not one of 0-6` };
    if (request.group !== '' && request.symbols.length > 0)
      return { code: ErrorCode.MalformedFrame, message: 'name a group or a set of symbols, not both' };
    if (request.group !== '') {
      const sector = request.group.startsWith('sector:') ? request.group.slice('sector:'.length) : null;
      if (request.group !== 'all' && (sector === null || this.directory.sectorIds(sector) === undefined))
        return {
          code: ErrorCode.UnknownSymbol,
          message: `unknown group ${JSON.stringify(request.group)} (groups are "all" and "sector:<name>" of a known sector)`,
        };
      return null;
    }
    if (request.symbols.length > MAX_SET_SYMBOLS)
      return { code: ErrorCode.TooManySymbols, message: `${request.symbols.length} symbols, above ${MAX_SET_SYMBOLS}` };
    const unknown = request.symbols.filter((symbol) => this.directory.idOf(symbol) === undefined);
    if (unknown.length > 0)
      return { code: ErrorCode.UnknownSymbol, message: `unknown ${unknown.slice(0, 5).join(', ')}` };
    return null;
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
        const kept = this.limits.barsKept[message.timeframe] as number;
        const limit = Math.min(message.limit === 0 ? DEFAULT_CANDLE_LIMIT : message.limit, kept);
        if (message.replay) this.replays.followCandles(session, message.symbol, message.timeframe, limit);
        else fanOut.followCandles(session, symbolId, message.timeframe, limit);
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
      case 'correlation-subscribe': {
        const request: CorrelationRequest = {
          group: message.group,
          symbols: message.symbols,
          timeframe: message.timeframe,
          windowBars: message.windowBars,
        };
        const problem = this.correlationProblem(request);
        if (problem !== null) {
          fanOut.sendError(session, problem.code, `${problem.message}: correlations unchanged`);
          return;
        }
        this.correlations.follow(session, request.group === '' && request.symbols.length === 0 ? null : request);
        return;
      }
      case 'order-list':
      case 'order-place':
      case 'order-cancel':
      case 'portfolio-get':
        this.tradingRequests.handle(session, message).catch((error: Error) => {
          fanOut.sendError(session, ErrorCode.Internal, `order request failed: ${error.message}`, message.requestId);
        });
        return;
      case 'replay-start':
      case 'replay-control':
        this.replays.receive(session, message);
        return;
    }
  }
}
