import {
  type AlertsFields,
  type AlertTriggerFields,
  type AnalyticsStatusFields,
  type BarIndicatorsFields,
  type CandleFields,
  Channel,
  type ClientMessageFields,
  type CorrelationMatrixFields,
  DEFAULT_MAX_FRAME_BYTES,
  decodeServerFrame,
  decodeServerFrameBody,
  ErrorCode,
  encodeClientFrame,
  type FrameOptions,
  type HelloFields,
  jsLz4,
  type MarketEventFields,
  type OrderStateFields,
  type OrdersFields,
  type OrderUpdateFields,
  type PortfolioStateFields,
  PROTOCOL_VERSION,
  ProtocolError,
  type ReplayStatusFields,
  type ServerMessageFields,
  Timeframe,
} from '@tickstream/schemas';
import { AlertRequests } from './alerts.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { Emitter } from './emitter.js';
import { FrameReader, MessageType } from './frame-reader.js';
import { OrderRequests } from './orders.js';
import { QuoteBook } from './quote-book.js';
import { ReplayControls } from './replay.js';
import { PendingRequests } from './requests.js';
import {
  bytesOf,
  defaultSocketFactory,
  OPEN,
  type SocketConstructor,
  type SocketFactory,
  type SocketLike,
} from './socket.js';

/** Close code of an edge that drains before it stops (a restart, a rollout): come back at once, elsewhere. */
export const CLOSE_DRAINING = 1012;
const CLIENT_CLOSE = 1000;
const FIRST_BATCH = 1024;

export interface ClientOptions {
  /** The edge's WebSocket, e.g. ws://127.0.0.1:8080/ws. A token may ride as ?token=… (browsers). */
  url: string;
  /** The WebSocket class: the platform's by default; `ws` in Node 20. */
  WebSocket?: SocketConstructor;
  /** Or how to open a socket, e.g. `(url) => new WebSocket(url, { headers: { Authorization: … } })` with `ws`. */
  createSocket?: SocketFactory;
  /** Subscribed on every connection (default every symbol: ['*']). Both empty: no market data. */
  symbols?: string[];
  sectors?: string[];
  /** Follow the user's alerts: AlertList on every connection, then an 'alert' event per trigger. */
  alerts?: boolean;
  /**
   * Follow the user's orders and portfolio (protocol 3): OrderList and PortfolioGet on every
   * connection, then 'orders', 'order', 'fill' and 'portfolio' events as they change. (Calling
   * `orders.list()` follows the orders too.)
   */
  trading?: boolean;
  /** Reconnect with exponential backoff and full jitter (default 250 ms doubling to 5 s); false: never. */
  reconnect?: BackoffOptions | false;
  /**
   * A Ping on each Hello and then this often while connected, for the round trip and the clock
   * offset (default 5 s; 0: no Ping at all, not even the first).
   */
  pingEveryMs?: number;
}

/** The symbols of one Delta just applied. The arrays are reused: read them inside the listener. */
export interface UpdateBatch {
  /** The book the Delta was applied to: `client.live`, or `client.replayBook` for the replay channel. */
  book: QuoteBook;
  replay: boolean;
  seq: number;
  /** Symbols in this batch: the first `count` entries of `ids` and `masks`. */
  count: number;
  ids: Uint16Array;
  /** Which fields changed per symbol (DeltaField bits). */
  masks: Uint8Array;
  /** The newest exchange time among them, µs. */
  baseTimeUs: number;
}

export interface CandlesEvent {
  symbol: string;
  timeframe: Timeframe;
  bars: CandleFields[];
  /** One per bar from an edge of protocol 2 or later. */
  indicators: BarIndicatorsFields[] | null;
  replay: boolean;
}

export type MarketEvent = MarketEventFields & { replay: boolean };

export interface EdgeError {
  code: ErrorCode;
  message: string;
  requestId: number;
}

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface ClientEvents {
  /** The connection's state changed; `detail` says why, for people. */
  state: (state: ConnectionState, detail: string) => void;
  /** The edge said hello (each connection); a new `epoch` means the books start over from Snapshots. */
  hello: (hello: HelloFields) => void;
  /** A Snapshot replaced a book (subscribe, resync, a new epoch, a replay's start or seek). */
  snapshot: (book: QuoteBook) => void;
  /** A Delta was applied: called once per Delta with the symbols it changed. */
  update: (batch: UpdateBatch) => void;
  /** A sequence gap: the client has asked for a fresh Snapshot and drops Deltas until it comes. */
  gap: (book: QuoteBook, expected: number, got: number) => void;
  /** A market event: live as it arrives, or of the replay's time as its clock passes it. */
  event: (event: MarketEvent) => void;
  candles: (candles: CandlesEvent) => void;
  correlations: (matrix: CorrelationMatrixFields) => void;
  analytics: (status: AnalyticsStatusFields) => void;
  /** The user's alert rules and recent triggers: every answer to an alert request. */
  alerts: (alerts: AlertsFields) => void;
  /** One of the user's alerts fired. */
  alert: (trigger: AlertTriggerFields) => void;
  /** The user's orders and recent fills (protocol 3): every answer to an order request. */
  orders: (orders: OrdersFields) => void;
  /** One of the user's orders changed (placed, cancel requested, or the fill engine's `update`). */
  order: (order: OrderStateFields, update: OrderUpdateFields | null) => void;
  /** The fill engine filled (part of) one of the user's orders: `fill.fillQuantity` shares at `fill.fillPrice` (× 10,000). */
  fill: (fill: OrderUpdateFields, order: OrderStateFields) => void;
  /** The user's portfolio: answered to PortfolioGet and pushed on every change. */
  portfolio: (state: PortfolioStateFields) => void;
  /** Where the connection's replay is (each change, and its clock with every window while it plays). */
  replay: (status: ReplayStatusFields) => void;
  /** An Error frame of the edge (docs/protocol.md, "Errors"): the connection stays up. */
  error: (error: EdgeError) => void;
  /** A frame that did not decode (skipped), or a Delta that did not apply (resynced). */
  problem: (problem: Error) => void;
  pong: (rttMs: number, clockOffsetUs: number) => void;
  close: (code: number, reason: string) => void;
  /**
   * Every frame, fully decoded. For debugging and tests: it costs a decode (and objects) per frame,
   * which the client otherwise spares Deltas.
   */
  message: (message: ServerMessageFields) => void;
}

/** Cumulative counters since the client was made. */
export interface ClientCounters {
  messages: number;
  wireBytes: number;
  /** Uncompressed FlatBuffer bytes. */
  bodyBytes: number;
  reconnects: number;
  resyncs: number;
  protocolErrors: number;
}

/**
 * One client of a tickstream edge (docs/protocol.md), for browsers, Workers and Node: connects,
 * subscribes, keeps the live market in `live` (and a replay's in `replayBook`), follows (epoch,
 * seq) and resyncs on a gap or a new epoch, reconnects with backoff (at once when a draining
 * edge closes with 1012), and re-asks on each connection what it was following. Deltas are
 * applied in place from the frame's bytes: nothing is allocated per update.
 */
export class TickstreamClient extends Emitter<ClientEvents> {
  readonly live = new QuoteBook(false);
  readonly replayBook = new QuoteBook(true);
  readonly alerts: AlertRequests;
  readonly orders: OrderRequests;
  readonly replay: ReplayControls;
  readonly counters: ClientCounters = {
    messages: 0,
    wireBytes: 0,
    bodyBytes: 0,
    reconnects: 0,
    resyncs: 0,
    protocolErrors: 0,
  };
  hello: HelloFields | null = null;
  state: ConnectionState = 'idle';
  /** Edge clock − this clock, µs (from Hello, then Pongs). */
  clockOffsetUs = 0;
  rttMs = 0;
  /** Date.now() of the last frame received. */
  lastFrameMs = 0;

  private symbols: string[];
  private sectors: string[];
  private liveCandles: { symbol: string; timeframe: Timeframe; limit: number } | null = null;
  private replayCandles: { symbol: string; timeframe: Timeframe; limit: number } | null = null;
  private correlationRequest: Extract<ClientMessageFields, { type: 'correlation-subscribe' }> | null = null;
  private socket: SocketLike | null = null;
  private readonly createSocket: SocketFactory;
  private readonly backoff: Backoff | null;
  private readonly pingEveryMs: number;
  private readonly reader = new FrameReader();
  /** Alert and order requests awaiting the edge's answer, by request id. */
  private readonly requests = new PendingRequests((message) => this.send(message));
  private readonly frameOptions: FrameOptions = { lz4: jsLz4, maxFrameBytes: DEFAULT_MAX_FRAME_BYTES };
  private readonly batch: UpdateBatch = {
    book: this.live,
    replay: false,
    seq: 0,
    count: 0,
    ids: new Uint16Array(FIRST_BATCH),
    masks: new Uint8Array(FIRST_BATCH),
    baseTimeUs: 0,
  };
  /** 'update' listeners as an array: called per Delta, so no iterator or rest array per call. */
  private updateListeners: ClientEvents['update'][] = [];
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private stopped = true;
  private dropDelta = false;

  constructor(private readonly options: ClientOptions) {
    super();
    this.symbols = options.symbols ?? ['*'];
    this.sectors = options.sectors ?? [];
    const WebSocketClass = options.WebSocket;
    this.createSocket =
      options.createSocket ?? (WebSocketClass ? (url: string) => new WebSocketClass(url) : defaultSocketFactory());
    this.backoff = options.reconnect === false ? null : new Backoff(options.reconnect ?? {});
    this.pingEveryMs = options.pingEveryMs ?? 5000;
    this.alerts = new AlertRequests(this.requests);
    this.orders = new OrderRequests(this.requests);
    this.replay = new ReplayControls(
      (message) => this.send(message),
      this.replayBook,
      () => {
        if (this.replayCandles) this.sendCandles(this.replayCandles, true);
      },
    );
  }

  override on<K extends keyof ClientEvents>(event: K, listener: ClientEvents[K]): () => void {
    const off = super.on(event, listener);
    if (event === 'update') this.updateListeners = [...this.updateListeners, listener as ClientEvents['update']];
    return off;
  }

  override off<K extends keyof ClientEvents>(event: K, listener: ClientEvents[K]): void {
    super.off(event, listener);
    if (event === 'update') this.updateListeners = this.updateListeners.filter((l) => l !== listener);
  }

  /** Opens the connection (and keeps it open until close()). */
  connect(): this {
    if (!this.stopped) return this;
    this.stopped = false;
    this.open();
    if (this.pingEveryMs > 0) this.pingTimer = setInterval(() => this.ping(), this.pingEveryMs);
    return this;
  }

  /** Resolves once a Snapshot of the live subscription has been applied (or with the next one). */
  whenLive(): Promise<QuoteBook> {
    if (!this.live.awaitingSnapshot && this.state === 'open') return Promise.resolve(this.live);
    return new Promise((resolve) => {
      const off = this.on('snapshot', (book) => {
        if (book.replay) return;
        off();
        resolve(book);
      });
    });
  }

  /** Closes for good: no reconnect. */
  close(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.retryTimer = null;
    this.pingTimer = null;
    this.requests.failAll('the client was closed before the edge answered');
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      detach(socket);
      try {
        socket.close(CLIENT_CLOSE, 'client closed');
      } catch {
        // A socket still connecting may throw on close in some implementations: it is gone either way.
      }
    }
    this.setState('closed', 'closed by the client');
  }

  /** Drops the connection and opens a new one at once (the books resync from Snapshots). */
  reconnect(): void {
    if (this.stopped) return;
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      detach(socket);
      try {
        socket.close(4000, 'client reconnect');
      } catch {
        // As in close().
      }
    }
    this.backoff?.reset();
    this.open();
  }

  /** Adds to the live subscription (`'*'`: every symbol); a Snapshot of the whole subscription answers. */
  subscribe(symbols: readonly string[], sectors: readonly string[] = []): void {
    if (symbols.includes('*')) {
      this.symbols = ['*'];
      this.sectors = [];
    } else {
      this.symbols = [...new Set([...this.symbols, ...symbols])];
      this.sectors = [...new Set([...this.sectors, ...sectors])];
    }
    this.send({ type: 'subscribe', symbols: [...symbols], sectors: [...sectors] });
  }

  unsubscribe(symbols: readonly string[], sectors: readonly string[] = []): void {
    if (symbols.includes('*')) {
      this.symbols = [];
      this.sectors = [];
    } else {
      this.symbols = this.symbols.filter((s) => !symbols.includes(s));
      this.sectors = this.sectors.filter((s) => !sectors.includes(s));
    }
    this.send({ type: 'unsubscribe', symbols: [...symbols], sectors: [...sectors] });
  }

  /**
   * Follows one symbol's candles at `timeframe` (history first, then each change), live or of the
   * replay (`replay: true`); one of each at a time. `symbol` null stops (live: the edge has no
   * stop message, the client ignores further Candles).
   */
  candles(
    symbol: string | null,
    timeframe: Timeframe = Timeframe.M1,
    options: { limit?: number; replay?: boolean } = {},
  ) {
    const follow = symbol === null ? null : { symbol, timeframe, limit: options.limit ?? 300 };
    if (options.replay) this.replayCandles = follow;
    else this.liveCandles = follow;
    // A replay's candles are asked for with each ReplayStart (the edge has none without a replay).
    if (follow !== null && (!options.replay || this.replay.active)) this.sendCandles(follow, options.replay === true);
  }

  /** Follows one correlation matrix (protocol 2): a group ("all", "sector:<name>") or a set of symbols; null stops. */
  correlations(request: { group?: string; symbols?: string[]; timeframe?: Timeframe; windowBars?: number } | null) {
    this.correlationRequest = {
      type: 'correlation-subscribe',
      group: request?.group ?? '',
      symbols: request?.symbols ?? [],
      timeframe: request?.timeframe ?? Timeframe.M1,
      windowBars: request?.windowBars ?? 0,
    };
    this.send(this.correlationRequest);
    if (request === null) this.correlationRequest = null;
  }

  ping(): void {
    this.send({ type: 'ping', clientTimeUs: Date.now() * 1000 });
  }

  /** The edge's clock now, µs. */
  serverNowUs(): number {
    return Date.now() * 1000 + this.clockOffsetUs;
  }

  /** Sends any client message (docs/protocol.md); dropped while not connected. Returns whether it was sent. */
  send(message: ClientMessageFields): boolean {
    if (this.socket?.readyState !== OPEN) return false;
    this.socket.send(encodeClientFrame(message, this.frameOptions));
    return true;
  }

  /**
   * Loses the next Delta (live or replay) as a network gap would: it is dropped before the client
   * reads it (no 'message', no 'update'), so the Delta after it is a gap and the book resyncs. For
   * tests of the resync path: the dashboard's and the edge's.
   */
  dropNextDelta(): void {
    this.dropDelta = true;
  }

  /** Sends bytes as they are (tests of the edge's answers to malformed frames). */
  sendRaw(bytes: Uint8Array): void {
    if (this.socket?.readyState === OPEN) this.socket.send(bytes);
  }

  private open(): void {
    if (this.stopped) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.live.awaitingSnapshot = true;
    this.replayBook.awaitingSnapshot = true;
    this.setState(this.counters.reconnects > 0 || this.hello ? 'reconnecting' : 'connecting', this.options.url);
    let socket: SocketLike;
    try {
      socket = this.createSocket(this.options.url);
    } catch (error) {
      this.emit('problem', new Error(`could not open ${this.options.url}: ${(error as Error).message}`));
      this.retry(0);
      return;
    }
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    socket.onmessage = (event) => {
      if (this.socket === socket) this.receive(event.data);
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      // An order may have been placed all the same: orders.list() on the next connection says.
      this.requests.failAll(`the connection closed (${event.code}) before the edge answered`);
      this.emit('close', event.code, event.reason);
      this.retry(event.code);
    };
    socket.onerror = () => {
      // A close always follows; the retry happens there.
    };
  }

  private retry(closeCode: number): void {
    if (this.stopped || this.backoff === null) {
      if (!this.stopped) this.setState('closed', `connection closed (${closeCode})`);
      this.stopped = true;
      if (this.pingTimer) clearInterval(this.pingTimer);
      return;
    }
    // A draining edge (1012) is going away on purpose: another one (behind the balancer) is there now.
    const delay = closeCode === CLOSE_DRAINING ? 0 : this.backoff.next();
    this.counters.reconnects++;
    this.setState('reconnecting', `connection closed (${closeCode}); reconnecting in ${delay} ms`);
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  private setState(state: ConnectionState, detail: string): void {
    this.state = state;
    this.emit('state', state, detail);
  }

  private receive(data: unknown): void {
    const bytes = bytesOf(data);
    if (bytes === null) {
      this.counters.protocolErrors++;
      this.emit('problem', new Error('the edge sent a text message; every message should be binary'));
      return;
    }
    this.counters.messages++;
    this.counters.wireBytes += bytes.length;
    this.lastFrameMs = Date.now();
    const reader = this.reader;
    try {
      reader.read(bytes);
      if (this.dropDelta && reader.type === MessageType.Delta) {
        this.dropDelta = false;
        return;
      }
      this.counters.bodyBytes += reader.end - reader.start;
      if (this.has('message'))
        this.emit(
          'message',
          reader.compactDelta ? decodeServerFrame(bytes, this.frameOptions) : decodeServerFrameBody(reader.body()),
        );
      if (reader.type === MessageType.Delta) {
        reader.readDelta();
        this.applyDelta(reader);
        return;
      }
      this.handle(decodeServerFrameBody(reader.body()));
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.counters.protocolErrors++;
      this.emit('problem', new Error(`a frame did not decode (${error.code}: ${error.message}); skipped`));
    }
  }

  private applyDelta(reader: FrameReader): void {
    const replay = reader.channel === Channel.Replay;
    const book = replay ? this.replayBook : this.live;
    if (book.awaitingSnapshot) {
      book.dropped++;
      return;
    }
    if (reader.epoch !== book.epoch || reader.seq !== book.seq + 1) {
      this.gap(book, book.seq + 1, reader.seq);
      return;
    }
    const batch = this.batch;
    if (reader.count > batch.ids.length) {
      const size = Math.max(reader.count, batch.ids.length * 2);
      batch.ids = new Uint16Array(size);
      batch.masks = new Uint8Array(size);
    }
    try {
      batch.count = book.applyDelta(
        reader.bytes,
        reader.dataStart,
        reader.dataEnd,
        reader.count,
        reader.baseTimeUs,
        batch.ids,
        batch.masks,
      );
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.counters.protocolErrors++;
      this.emit('problem', new Error(`a Delta did not apply (${error.message}); resyncing`));
      this.gap(book, book.seq + 1, reader.seq);
      return;
    }
    book.seq = reader.seq;
    book.deltas++;
    book.updates += batch.count;
    batch.book = book;
    batch.replay = replay;
    batch.seq = reader.seq;
    batch.baseTimeUs = reader.baseTimeUs;
    const listeners = this.updateListeners;
    for (let i = 0; i < listeners.length; i++) (listeners[i] as ClientEvents['update'])(batch);
  }

  /** A gap in a stream: ask for a fresh Snapshot and drop Deltas until it comes. */
  private gap(book: QuoteBook, expected: number, got: number): void {
    book.gaps++;
    book.awaitingSnapshot = true;
    this.counters.resyncs++;
    this.emit('gap', book, expected, got);
    if (book.replay) this.replay.resync();
    else this.send({ type: 'resync', lastSeq: Math.max(0, book.seq) });
  }

  private handle(message: ServerMessageFields): void {
    switch (message.type) {
      case 'hello': {
        const previous = this.hello;
        this.hello = message;
        this.reader.maxFrameBytes = message.maxFrameBytes || DEFAULT_MAX_FRAME_BYTES;
        this.clockOffsetUs = message.serverTimeUs - Date.now() * 1000;
        this.backoff?.reset();
        if (previous !== null && previous.epoch !== message.epoch) {
          // Ids belong to an epoch: both books start over from the Snapshots that answer below.
          this.live.awaitingSnapshot = true;
          this.replayBook.awaitingSnapshot = true;
        }
        this.setState('open', `edge ${message.edgeId}, epoch ${message.epoch}, protocol ${message.protocolVersion}`);
        // Deltas changed frame in version 5 (docs/protocol.md, "Versions"): an older edge's cannot be read.
        if (message.protocolVersion < PROTOCOL_VERSION)
          this.emit(
            'problem',
            new Error(
              `edge ${message.edgeId} speaks protocol ${message.protocolVersion}; this client reads Deltas of protocol ${PROTOCOL_VERSION}: upgrade the edge`,
            ),
          );
        this.emit('hello', message);
        this.resume(message);
        break;
      }
      case 'snapshot': {
        const book = message.channel === Channel.Replay ? this.replayBook : this.live;
        book.replace(message.epoch, message.seq, message.symbols, message.quotes);
        this.emit('snapshot', book);
        break;
      }
      case 'delta':
        // Read in place by receive(); only a 'message' listener's copy gets here, never.
        break;
      case 'candles': {
        const replay = message.channel === Channel.Replay;
        const follow = replay ? this.replayCandles : this.liveCandles;
        const book = replay ? this.replayBook : this.live;
        const symbol = book.names[message.symbolId] ?? '';
        if (follow === null || follow.symbol !== symbol || follow.timeframe !== message.timeframe) break;
        this.emit('candles', {
          symbol,
          timeframe: message.timeframe,
          bars: message.bars,
          indicators: message.indicators,
          replay,
        });
        break;
      }
      case 'market-event': {
        const { type: _, epoch: __, seq: ___, channel, ...event } = message;
        this.emit('event', { ...event, replay: channel === Channel.Replay });
        break;
      }
      case 'error':
        if (message.code === ErrorCode.SlowConsumer) this.live.awaitingSnapshot = true;
        if (message.requestId !== 0) this.requests.refused(message.requestId, message.code, message.message);
        if (message.code === ErrorCode.InvalidReplay || message.code === ErrorCode.ReplayLimit)
          this.replay.refused(message.message);
        this.emit('error', { code: message.code, message: message.message, requestId: message.requestId });
        break;
      case 'pong': {
        const nowUs = Date.now() * 1000;
        this.rttMs = (nowUs - message.clientTimeUs) / 1000;
        this.clockOffsetUs = message.serverTimeUs - (message.clientTimeUs + nowUs) / 2;
        this.emit('pong', this.rttMs, this.clockOffsetUs);
        break;
      }
      case 'alerts':
        this.requests.answered('alerts', message.requestId, message);
        this.emit('alerts', message);
        break;
      case 'alert-triggered': {
        const { type: _, ...trigger } = message;
        this.emit('alert', trigger);
        break;
      }
      case 'correlation-matrix': {
        const { type: _, epoch: __, seq: ___, ...matrix } = message;
        this.emit('correlations', matrix);
        break;
      }
      case 'analytics-status': {
        const { type: _, epoch: __, seq: ___, ...status } = message;
        this.emit('analytics', status);
        break;
      }
      case 'orders': {
        const { type: _, ...orders } = message;
        this.requests.answered('orders', orders.requestId, orders);
        this.emit('orders', orders);
        break;
      }
      case 'order-updated':
        this.emit('order', message.order, message.update);
        if (message.update !== null && message.update.fillQuantity > 0)
          this.emit('fill', message.update, message.order);
        break;
      case 'portfolio-state': {
        const { type: _, ...state } = message;
        this.requests.answered('portfolio', state.requestId, state);
        this.emit('portfolio', state);
        break;
      }
      case 'replay-status': {
        const { type: _, ...status } = message;
        this.replay.arrived(status);
        this.emit('replay', status);
        break;
      }
    }
  }

  /** After Hello: ask again for everything this client follows. */
  private resume(hello: HelloFields): void {
    if (this.symbols.length > 0 || this.sectors.length > 0)
      this.send({ type: 'subscribe', symbols: this.symbols, sectors: this.sectors });
    if (this.liveCandles) this.sendCandles(this.liveCandles, false);
    if (this.correlationRequest && hello.protocolVersion >= 2) this.send(this.correlationRequest);
    if (this.options.alerts && hello.protocolVersion >= 2) void this.alerts.list().catch(() => {});
    if ((this.options.trading || this.orders.following) && hello.protocolVersion >= 3)
      this.send({ type: 'order-list', requestId: 0 });
    if (this.options.trading && hello.protocolVersion >= 3) this.send({ type: 'portfolio-get', requestId: 0 });
    if (hello.protocolVersion >= 4) this.replay.resume();
    if (this.pingEveryMs > 0) this.ping();
  }

  private sendCandles(follow: { symbol: string; timeframe: Timeframe; limit: number }, replay: boolean): void {
    this.send({
      type: 'candle-subscribe',
      symbol: follow.symbol,
      timeframe: follow.timeframe,
      limit: follow.limit,
      replay,
    });
  }
}

function detach(socket: SocketLike): void {
  socket.onmessage = null;
  socket.onclose = null;
  socket.onerror = null;
  socket.onopen = null;
}
