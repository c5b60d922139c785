import {
  type AlertsFields,
  type AlertTriggerFields,
  AnalyticsState,
  applyDelta,
  type ClientMessageFields,
  decodeServerFrame,
  encodeClientFrame,
  type FrameOptions,
  type HelloFields,
  type MarketEventFields,
  ProtocolError,
  QuoteTable,
  type ServerMessageFields,
} from '@tickstream/schemas';
import { nodeLz4 } from '@tickstream/schemas/lz4-node';
import WebSocket from 'ws';

const frameOptions: FrameOptions = { lz4: nodeLz4 };
const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 5000;
/** Symbol ids are ushort on the wire. */
const MAX_SYMBOLS = 65_536;

export interface EdgeClientEvents {
  /** A Snapshot replaced the whole state (on subscribe, after a resync, on a new edge or epoch). */
  snapshot(client: EdgeClient, ids: readonly number[]): void;
  /** One symbol of a Delta was applied; `mask` says which fields changed (DeltaField bits). */
  update(client: EdgeClient, id: number, mask: number, seq: number): void;
  /** Connection news, gaps, resyncs and the edge's Error frames, for a human. */
  status(line: string): void;
  /** With `alerts`: the user's rules and recent triggers, on every (re)connection. */
  alerts?(listing: AlertsFields): void;
  /** With `alerts`: a trigger of the user, as it arrives. */
  trigger?(trigger: AlertTriggerFields): void;
  /** A market event the edge fanned out (every connection gets them, subscribed or not). */
  marketEvent?(event: MarketEventFields): void;
}

/**
 * The reference client of docs/protocol.md in Node: connects, subscribes, applies Snapshots and
 * Deltas to its own QuoteTable, sends Resync when a sequence number is skipped and ignores
 * Deltas until the new Snapshot, and reconnects with exponential backoff and jitter. A new
 * epoch (the edge restarted, or another edge behind a balancer) always starts from a Snapshot.
 */
export class EdgeClient {
  readonly table = new QuoteTable(MAX_SYMBOLS);
  readonly names = new Map<number, string>();
  hello: HelloFields | null = null;
  lastSeq = -1;
  resyncs = 0;
  reconnects = 0;
  private awaitingSnapshot = true;
  private socket: WebSocket | null = null;
  private failures = 0;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    /** Nothing to subscribe (both empty): no market data, e.g. for alerts only. */
    private readonly subscription: { symbols: string[]; sectors: string[] },
    private readonly events: EdgeClientEvents,
    /** Follow the user's alerts (AlertList, then AlertTriggered frames: protocol 2). */
    private readonly options: { alerts?: boolean; headers?: Record<string, string> } = {},
  ) {}

  start(): void {
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.socket?.close(1000, 'client done');
  }

  private connect(): void {
    const socket = new WebSocket(this.url, { perMessageDeflate: false, headers: this.options.headers ?? {} });
    this.socket = socket;
    this.awaitingSnapshot = true;
    socket.binaryType = 'nodebuffer';
    socket.on('open', () => {
      this.events.status(`connected to ${this.url}`);
      // Nothing to subscribe to (watch --events or --alerts alone): market events come to every connection.
      const { symbols, sectors } = this.subscription;
      if (symbols.length > 0 || sectors.length > 0) this.send({ type: 'subscribe', symbols, sectors });
      if (this.options.alerts) this.send({ type: 'alert-list', requestId: 1 });
    });
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) {
        this.events.status('the edge sent a text frame; ignored');
        return;
      }
      let message: ServerMessageFields;
      try {
        message = decodeServerFrame(new Uint8Array(data.buffer, data.byteOffset, data.length), frameOptions);
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        this.events.status(`a frame did not decode (${error.message}); resyncing`);
        this.resync();
        return;
      }
      this.receive(message);
    });
    socket.on('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      response.on('end', () => {
        this.events.status(`the edge refused the connection: ${response.statusCode} ${body.trim()}`);
        // ws leaves a refused handshake open when this event has a listener: end it, so we retry.
        socket.terminate();
      });
    });
    socket.on('error', (error) => this.events.status(`connection error: ${error.message}`));
    socket.on('close', (code, reason) => {
      if (this.socket !== socket || this.stopped) return;
      this.socket = null;
      const delay = Math.min(FIRST_RETRY_MS * 2 ** this.failures, MAX_RETRY_MS);
      // Full jitter: thousands of clients of a dead edge must not come back in lockstep.
      const wait = Math.round(delay / 2 + Math.random() * (delay / 2));
      this.failures++;
      this.reconnects++;
      this.events.status(`connection closed (${code}${reason.length ? ` ${reason}` : ''}); reconnecting in ${wait} ms`);
      this.retryTimer = setTimeout(() => this.connect(), wait);
    });
  }

  private receive(message: ServerMessageFields): void {
    switch (message.type) {
      case 'hello': {
        const previous = this.hello;
        this.hello = message;
        if (this.options.alerts && message.protocolVersion < 2)
          this.events.status(`edge ${message.edgeId} speaks protocol ${message.protocolVersion}: it has no alerts`);
        if (previous !== null && previous.epoch !== message.epoch)
          this.events.status(`new epoch ${message.epoch} from edge ${message.edgeId}: starting again from a Snapshot`);
        break;
      }
      case 'snapshot': {
        this.failures = 0;
        this.table.last.fill(0);
        this.names.clear();
        for (const symbol of message.symbols) this.names.set(symbol.id, symbol.name);
        for (const quote of message.quotes) this.table.setRow(quote.id, quote);
        this.lastSeq = message.seq;
        this.awaitingSnapshot = false;
        this.events.snapshot(
          this,
          message.quotes.map((quote) => quote.id),
        );
        break;
      }
      case 'delta': {
        if (this.awaitingSnapshot) break;
        if (message.seq !== this.lastSeq + 1) {
          this.events.status(`gap: Delta ${message.seq} after ${this.lastSeq}; resyncing`);
          this.resync();
          break;
        }
        this.lastSeq = message.seq;
        const seq = message.seq;
        applyDelta(message, this.table, (id, mask) => this.events.update(this, id, mask, seq));
        break;
      }
      case 'error':
        this.events.status(`edge error ${message.code}: ${message.message}`);
        break;
      case 'alerts':
        this.failures = 0;
        this.events.alerts?.(message);
        break;
      case 'alert-triggered':
        this.events.trigger?.(message);
        break;
      case 'market-event':
        if (this.events.marketEvent) {
          const { type: _type, epoch: _epoch, seq: _seq, ...event } = message;
          this.events.marketEvent(event);
        } else {
          this.events.status(
            `market event: ${message.name} ${message.symbol || message.sector} ${message.detail}`.trim(),
          );
        }
        break;
      case 'analytics-status':
        // After Hello and on every change: whether the analytics job's figures are live.
        this.events.status(`analytics ${AnalyticsState[message.state] ?? message.state}: ${message.detail}`);
        break;
      default:
        break;
    }
  }

  private resync(): void {
    this.awaitingSnapshot = true;
    this.resyncs++;
    this.send({ type: 'resync', lastSeq: this.lastSeq });
  }

  private send(message: ClientMessageFields): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(encodeClientFrame(message, frameOptions));
  }
}
