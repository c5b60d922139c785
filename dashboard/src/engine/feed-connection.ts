import {
  AnalyticsState,
  applyDelta,
  Channel,
  DEFAULT_MAX_FRAME_BYTES,
  decodeServerFrame,
  ErrorCode,
  encodeClientFrame,
  type FrameOptions,
  jsLz4,
  type MarketEventFields,
  MarketEventKind,
  marketEventJson,
  ProtocolError,
  QuoteTable,
  ReplayAction,
  ReplayState,
  type ServerMessageFields,
  type Timeframe,
} from '@tickstream/schemas';
import {
  type AnalyticsStateName,
  BAR_WIDTH,
  type ConnectionStatus,
  type CorrelationRequestView,
  type FeedCommand,
  type FeedCounters,
  type FeedReport,
  type LogKind,
  type ReplayStateName,
  ROW_WIDTH,
  type Subscription,
} from './feed-protocol.js';

/** The slice of the WebSocket API the feed uses: the browser's and `ws` in Node both fit. */
export interface SocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}
export type SocketConstructor = new (url: string) => SocketLike;

export interface FeedConnectionOptions {
  WebSocket: SocketConstructor;
  /** Where reports go: postMessage in the worker, a callback in tests. */
  report: (report: FeedReport, transfer: ArrayBuffer[]) => void;
  fetch?: typeof fetch;
  reconnectBaseMs?: number;
  reconnectMaxMs?: number;
  /** No data frame for this long while connected: 'stale'. */
  staleAfterMs?: number;
  pingEveryMs?: number;
  healthEveryMs?: number;
}

const OPEN = 1;
const CLIENT_RECONNECT = 4000;
const INITIAL_CAPACITY = 1024;

function sameCounters(): FeedCounters {
  return {
    messages: 0,
    wireBytes: 0,
    bodyBytes: 0,
    deltas: 0,
    snapshots: 0,
    updates: 0,
    conflated: 0,
    dropped: 0,
    gaps: 0,
    resyncs: 0,
    reconnects: 0,
    protocolErrors: 0,
    clockOffsetUs: 0,
    rttMs: 0,
    epoch: 0,
    lastSeq: -1,
  };
}

/**
 * One client of the edge protocol (docs/protocol.md): connects, subscribes, keeps the symbol
 * state of its subscription in a QuoteTable, follows (epoch, seq) and resyncs on a gap,
 * reconnects with exponential backoff and jitter, and hands the changed rows over when pulled.
 * Runs in the decode worker in the browser and in-thread in Node tests.
 */
export class FeedConnection {
  readonly counters = sameCounters();
  private table = new QuoteTable(INITIAL_CAPACITY);
  private names: string[] = [];
  private sectors: string[] = [];
  private readonly ids = new Map<string, number>();
  private changed = new Uint16Array(INITIAL_CAPACITY);
  private changedFlag = new Uint8Array(INITIAL_CAPACITY);
  private changedCount = 0;
  private universeChanged = false;
  private pullPending = false;

  private url = '';
  private healthUrl: string | null = null;
  private subscription: Subscription = { symbols: ['*'], sectors: [] };
  private chart: { symbol: string; timeframe: number } | null = null;
  private correlations: CorrelationRequestView | null = null;
  private socket: SocketLike | null = null;
  private frameOptions: FrameOptions = { lz4: jsLz4, maxFrameBytes: DEFAULT_MAX_FRAME_BYTES };
  private awaitingSnapshot = true;
  private hadSnapshot = false;
  private attempt = 0;
  private everLive = false;
  private stopped = true;
  private kafkaDown = false;
  private lastFrameMs = 0;
  private status: ConnectionStatus | null = null;
  private statusDetail = '';
  private dropNextDelta = false;
  /** Replaying (protocol 4): the state shown is the replay channel's; live frames wait for 'live'. */
  private replaying = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private tickTimer: ReturnType<typeof setInterval> | null = null;
  private lastPingMs = 0;
  private lastHealthMs = 0;

  private readonly reconnectBaseMs: number;
  private readonly reconnectMaxMs: number;
  private readonly staleAfterMs: number;
  private readonly pingEveryMs: number;
  private readonly healthEveryMs: number;

  constructor(private readonly options: FeedConnectionOptions) {
    this.reconnectBaseMs = options.reconnectBaseMs ?? 500;
    this.reconnectMaxMs = options.reconnectMaxMs ?? 10_000;
    this.staleAfterMs = options.staleAfterMs ?? 5_000;
    this.pingEveryMs = options.pingEveryMs ?? 5_000;
    this.healthEveryMs = options.healthEveryMs ?? 5_000;
  }

  command(command: FeedCommand): void {
    switch (command.type) {
      case 'start':
        this.url = command.url;
        this.healthUrl = command.healthUrl;
        this.subscription = command.subscription;
        this.stopped = false;
        this.tickTimer ??= setInterval(() => this.tick(), 1000);
        this.connect();
        break;
      case 'pull':
        this.pullPending = true;
        this.flush();
        break;
      case 'reconnect':
        this.log('connection', 'reconnecting on request');
        this.attempt = 0;
        this.dropSocket();
        this.connect();
        break;
      case 'candles':
        this.chart = command.symbol === null ? null : { symbol: command.symbol, timeframe: command.timeframe };
        this.sendCandleSubscribe();
        break;
      case 'correlations':
        this.correlations = command.request;
        this.sendCorrelationSubscribe(true);
        break;
      case 'stop':
        this.stop();
        break;
      case 'drop-next-delta':
        this.dropNextDelta = true;
        break;
      case 'replay':
        this.replaying = true;
        this.awaitingSnapshot = true;
        this.send({
          type: 'replay-start',
          fromUs: command.fromUs,
          toUs: 0,
          speed: command.speed,
          paused: false,
          symbols: this.subscription.symbols,
          sectors: this.subscription.sectors,
        });
        this.sendCandleSubscribe();
        this.log('connection', `replay from ${new Date(command.fromUs / 1000).toISOString()} at ${command.speed}×`);
        break;
      case 'replay-control':
        if (!this.replaying) break;
        this.send({
          type: 'replay-control',
          action: command.action as ReplayAction,
          speed: command.speed ?? 0,
          toUs: command.toUs ?? 0,
          stepUs: command.stepUs ?? 0,
        });
        break;
      case 'live':
        if (this.replaying)
          this.send({ type: 'replay-control', action: ReplayAction.Stop, speed: 0, toUs: 0, stepUs: 0 });
        this.backToLive('back to live');
        break;
    }
  }

  /** Shows the live market again: a fresh live Snapshot replaces the replay's state. */
  private backToLive(why: string): void {
    if (!this.replaying) return;
    this.replaying = false;
    this.awaitingSnapshot = true;
    this.send({ type: 'resync', lastSeq: this.counters.lastSeq });
    this.sendCandleSubscribe();
    this.log('connection', why);
    this.options.report({ type: 'replay', replay: null }, []);
  }

  /** Whether a data frame belongs to what is shown: the replay channel while replaying, else live. */
  private shown(channel: Channel | undefined): boolean {
    return (channel === Channel.Replay) === this.replaying;
  }

  stop(): void {
    this.stopped = true;
    if (this.tickTimer) clearInterval(this.tickTimer);
    this.tickTimer = null;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.dropSocket();
  }

  private connect(): void {
    if (this.stopped) return;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.awaitingSnapshot = true;
    this.setStatus(this.everLive ? 'reconnecting' : 'connecting', `connecting to ${this.url}`);
    let socket: SocketLike;
    try {
      socket = new this.options.WebSocket(this.url);
    } catch (error) {
      this.log('error', `could not open ${this.url}: ${(error as Error).message}`);
      this.scheduleReconnect();
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
      this.log('connection', `connection closed (${event.code}${event.reason ? `: ${event.reason}` : ''})`);
      this.scheduleReconnect();
    };
    socket.onerror = () => {
      // A close always follows; the reconnect happens there.
    };
  }

  private dropSocket(): void {
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onmessage = null;
      socket.onclose = null;
      socket.onerror = null;
      socket.onopen = null;
      try {
        socket.close(CLIENT_RECONNECT, 'client reconnect');
      } catch {
        // Closing a socket that is still connecting throws in some implementations: it is gone either way.
      }
    }
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    // Exponential backoff with jitter, so a restarted edge is not hit by every client at once.
    const ceiling = Math.min(this.reconnectMaxMs, this.reconnectBaseMs * 2 ** this.attempt);
    const delay = Math.round(ceiling * (0.5 + Math.random() * 0.5));
    this.attempt++;
    this.setStatus(this.everLive ? 'reconnecting' : 'connecting', `retrying in ${(delay / 1000).toFixed(1)} s`);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private send(message: Parameters<typeof encodeClientFrame>[0]): void {
    if (this.socket?.readyState === OPEN) this.socket.send(encodeClientFrame(message, this.frameOptions));
  }

  private sendCandleSubscribe(): void {
    // Live: only the newest bars, the history comes from /api/candles over HTTP. A replay's come
    // from its own ticks, so they bring the bars up to its clock.
    if (this.chart)
      this.send({
        type: 'candle-subscribe',
        symbol: this.chart.symbol,
        timeframe: this.chart.timeframe as Timeframe,
        limit: this.replaying ? 300 : 2,
        replay: this.replaying,
      });
  }

  /** `stop`: send the empty request that ends following (only on a command; a new connection follows nothing). */
  private sendCorrelationSubscribe(stop = false): void {
    const request = this.correlations;
    if (request === null && !stop) return;
    this.send({
      type: 'correlation-subscribe',
      group: request?.group ?? '',
      symbols: request?.symbols ?? [],
      timeframe: (request?.timeframe ?? 0) as Timeframe,
      windowBars: request?.windowBars ?? 0,
    });
  }

  private receive(data: unknown): void {
    const bytes =
      data instanceof ArrayBuffer
        ? new Uint8Array(data)
        : ArrayBuffer.isView(data)
          ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
          : null;
    if (bytes === null) {
      this.counters.protocolErrors++;
      this.log('error', 'the edge sent a text message; every message should be binary');
      return;
    }
    this.counters.messages++;
    this.counters.wireBytes += bytes.length;
    let message: ServerMessageFields;
    try {
      message = decodeServerFrame(bytes, this.frameOptions);
    } catch (error) {
      this.counters.protocolErrors++;
      const reason = error instanceof ProtocolError ? `${error.code}: ${error.message}` : String(error);
      this.log('error', `a frame did not decode (${reason}); skipped`);
      return;
    }
    this.counters.bodyBytes +=
      bytes[0] === 0x11
        ? (bytes[1] as number) | ((bytes[2] as number) << 8) | ((bytes[3] as number) << 16)
        : bytes.length - 1;
    this.handle(message);
  }

  private handle(message: ServerMessageFields): void {
    switch (message.type) {
      case 'hello': {
        const previous = this.counters.epoch;
        this.counters.epoch = message.epoch;
        this.counters.clockOffsetUs = message.serverTimeUs - Date.now() * 1000;
        this.frameOptions = { lz4: jsLz4, maxFrameBytes: message.maxFrameBytes || DEFAULT_MAX_FRAME_BYTES };
        if (this.everLive) this.counters.reconnects++;
        this.log(
          'connection',
          previous !== 0 && previous !== message.epoch
            ? `connected to edge ${message.edgeId}, new epoch ${message.epoch} (was ${previous}): state will be replaced`
            : `connected to edge ${message.edgeId}, epoch ${message.epoch}`,
        );
        // A new connection has no replay: the live market is shown again (the edge's replay died with the old one).
        this.backToLive('the connection was renewed: back to live');
        this.send({ type: 'subscribe', symbols: this.subscription.symbols, sectors: this.subscription.sectors });
        this.sendCandleSubscribe();
        // Protocol 2: follow the user's alert triggers on this connection.
        if (message.protocolVersion >= 2) this.send({ type: 'alert-list', requestId: 1 });
        this.sendCorrelationSubscribe();
        this.lastPingMs = Date.now();
        this.send({ type: 'ping', clientTimeUs: Date.now() * 1000 });
        break;
      }
      case 'snapshot': {
        if (!this.shown(message.channel)) break;
        this.replaceState(message.symbols, message.quotes);
        this.counters.snapshots++;
        this.counters.lastSeq = message.seq;
        if (this.awaitingSnapshot && this.hadSnapshot && this.everLive && this.status === 'live') {
          this.log('resync', `resynced at seq ${message.seq}`);
        }
        this.awaitingSnapshot = false;
        this.hadSnapshot = true;
        this.everLive = true;
        this.attempt = 0;
        this.lastFrameMs = Date.now();
        this.updateStatus();
        this.flush();
        break;
      }
      case 'delta': {
        this.lastFrameMs = Date.now();
        if (!this.shown(message.channel)) break;
        if (this.awaitingSnapshot) {
          this.counters.dropped++;
          break;
        }
        if (this.dropNextDelta) {
          this.dropNextDelta = false;
          break;
        }
        if (message.epoch !== this.counters.epoch || message.seq !== this.counters.lastSeq + 1) {
          this.counters.gaps++;
          this.counters.resyncs++;
          this.counters.dropped++;
          this.log('resync', `gap: Delta seq ${message.seq} after ${this.counters.lastSeq}; asking for a resync`);
          this.awaitingSnapshot = true;
          this.send({ type: 'resync', lastSeq: this.counters.lastSeq });
          break;
        }
        try {
          applyDelta(message, this.table, (id) => this.markChanged(id));
        } catch (error) {
          this.counters.protocolErrors++;
          this.log('error', `a Delta did not apply (${(error as Error).message}); asking for a resync`);
          this.awaitingSnapshot = true;
          this.send({ type: 'resync', lastSeq: this.counters.lastSeq });
          break;
        }
        this.counters.deltas++;
        this.counters.updates += message.count;
        this.counters.lastSeq = message.seq;
        if (this.status === 'stale') this.updateStatus();
        this.flush();
        break;
      }
      case 'candles': {
        if (!this.shown(message.channel)) break;
        const symbol = this.names[message.symbolId];
        if (!this.chart || symbol !== this.chart.symbol || message.timeframe !== this.chart.timeframe) break;
        const bars = new Float64Array(message.bars.length * BAR_WIDTH).fill(Number.NaN);
        message.bars.forEach((bar, i) => {
          bars.set([bar.startTimeUs, bar.open, bar.high, bar.low, bar.close, bar.volume], i * BAR_WIDTH);
          const extra = message.indicators?.[i];
          if (extra === undefined) return;
          bars.set(
            [
              extra.vwap,
              extra.trades,
              extra.final ? 1 : 0,
              extra.sma20,
              extra.sma50,
              extra.ema20,
              extra.ema50,
              extra.volatility20,
              extra.relativeVolume,
              extra.priceVolumeCorrelation,
            ],
            i * BAR_WIDTH + 6,
          );
        });
        this.options.report({ type: 'candles', symbol, timeframe: message.timeframe, bars }, [bars.buffer]);
        break;
      }
      case 'market-event':
        if (!this.shown(message.channel)) break;
        // A replayed event is history the event list already holds (from /api/events): said, not added again.
        if (this.replaying) {
          this.log('market', `replayed: ${describeMarketEvent(message)}`);
          break;
        }
        this.log('market', describeMarketEvent(message));
        this.options.report({ type: 'market-event', event: marketEventJson(message) }, []);
        break;
      case 'analytics-status':
        this.options.report(
          {
            type: 'analytics',
            status: {
              state: (AnalyticsState[message.state] ?? 'Unknown') as AnalyticsStateName,
              detail: message.detail,
              lagMs: message.lagMs,
            },
          },
          [],
        );
        break;
      case 'correlation-matrix':
        this.options.report(
          {
            type: 'correlations',
            matrix: {
              group: message.group,
              timeframe: message.timeframe,
              windowBars: message.windowBars,
              endTimeUs: message.endTimeUs,
              symbols: message.symbols,
              values: message.values,
            },
          },
          [message.values.buffer as ArrayBuffer],
        );
        break;
      case 'replay-status':
        if (!this.replaying) break;
        this.options.report(
          {
            type: 'replay',
            replay: {
              state: (ReplayState[message.state] ?? 'Loading') as ReplayStateName,
              clockUs: message.clockUs,
              speed: message.speed,
              fromUs: message.fromUs,
              retainedFromUs: message.retainedFromUs,
              detail: message.detail,
            },
          },
          [],
        );
        if (message.state === ReplayState.Stopped) this.backToLive(`replay stopped: ${message.detail}`);
        break;
      case 'error':
        if (message.code === ErrorCode.InvalidReplay || message.code === ErrorCode.ReplayLimit)
          this.backToLive(`replay refused: ${message.message}`);
        if (message.code === ErrorCode.KafkaUnavailable) {
          this.kafkaDown = !/\bback\b/i.test(message.message);
          this.updateStatus();
        }
        this.log(
          message.code === ErrorCode.SlowConsumer ? 'resync' : 'error',
          `edge error ${ErrorCode[message.code] ?? message.code}: ${message.message}`,
        );
        if (message.code === ErrorCode.SlowConsumer) this.awaitingSnapshot = true;
        break;
      case 'alerts':
        this.options.report({ type: 'alerts', rules: message.rules.length, triggers: message.triggers.length }, []);
        break;
      case 'alert-triggered': {
        const { type: _, ...trigger } = message;
        this.options.report({ type: 'alert-triggered', trigger }, []);
        break;
      }
      case 'pong': {
        const nowUs = Date.now() * 1000;
        this.counters.rttMs = (nowUs - message.clientTimeUs) / 1000;
        this.counters.clockOffsetUs = message.serverTimeUs - (message.clientTimeUs + nowUs) / 2;
        break;
      }
    }
  }

  private replaceState(
    symbols: { id: number; name: string; sector: string }[],
    quotes: Parameters<QuoteTable['setRow']>[1][],
  ): void {
    let size = 0;
    for (const symbol of symbols) size = Math.max(size, symbol.id + 1);
    if (size > this.table.capacity) this.grow(size);
    this.names = [];
    this.sectors = [];
    this.ids.clear();
    for (const symbol of symbols) {
      this.names[symbol.id] = symbol.name;
      this.sectors[symbol.id] = symbol.sector;
      this.ids.set(symbol.name, symbol.id);
    }
    for (const quote of quotes) this.table.setRow(quote.id, quote);
    this.universeChanged = true;
    this.changedFlag.fill(0);
    this.changedCount = 0;
  }

  private grow(size: number): void {
    let capacity = this.table.capacity;
    while (capacity < size) capacity *= 2;
    this.table = new QuoteTable(capacity);
    this.changed = new Uint16Array(capacity);
    this.changedFlag = new Uint8Array(capacity);
  }

  private markChanged(id: number): void {
    if (this.changedFlag[id] === 1) {
      this.counters.conflated++;
      return;
    }
    this.changedFlag[id] = 1;
    this.changed[this.changedCount++] = id;
  }

  /** Answers a pending pull with what changed, if anything did. */
  private flush(): void {
    if (!this.pullPending) return;
    if (this.universeChanged) {
      const n = this.names.length;
      const rows = new Float64Array(n * ROW_WIDTH);
      for (let id = 0; id < n; id++) this.writeRow(rows, id, id);
      const names = Array.from({ length: n }, (_, id) => this.names[id] ?? '');
      const sectors = Array.from({ length: n }, (_, id) => this.sectors[id] ?? '');
      this.universeChanged = false;
      this.pullPending = false;
      this.options.report(
        { type: 'universe', epoch: this.counters.epoch, names, sectors, rows, counters: { ...this.counters } },
        [rows.buffer],
      );
      return;
    }
    const count = this.changedCount;
    if (count === 0) return;
    const ids = this.changed.slice(0, count);
    const rows = new Float64Array(count * ROW_WIDTH);
    for (let i = 0; i < count; i++) {
      const id = ids[i] as number;
      this.writeRow(rows, i, id);
      this.changedFlag[id] = 0;
    }
    this.changedCount = 0;
    this.pullPending = false;
    this.options.report({ type: 'updates', ids, rows, counters: { ...this.counters } }, [ids.buffer, rows.buffer]);
  }

  private writeRow(rows: Float64Array, at: number, id: number): void {
    const t = this.table;
    const o = at * ROW_WIDTH;
    rows[o] = t.last[id] as number;
    rows[o + 1] = t.bid[id] as number;
    rows[o + 2] = t.ask[id] as number;
    rows[o + 3] = t.open[id] as number;
    rows[o + 4] = t.high[id] as number;
    rows[o + 5] = t.low[id] as number;
    rows[o + 6] = t.volume[id] as number;
    rows[o + 7] = t.ticks[id] as number;
    rows[o + 8] = t.timeUs[id] as number;
  }

  /** Once a second: staleness, pings, /health. */
  private tick(): void {
    const now = Date.now();
    if (this.socket?.readyState === OPEN) {
      if (now - this.lastPingMs >= this.pingEveryMs) {
        this.lastPingMs = now;
        this.send({ type: 'ping', clientTimeUs: now * 1000 });
      }
      this.updateStatus();
    }
    if (this.healthUrl && this.options.fetch && now - this.lastHealthMs >= this.healthEveryMs) {
      this.lastHealthMs = now;
      void this.checkHealth(this.healthUrl, this.options.fetch);
    }
  }

  private async checkHealth(url: string, fetcher: typeof fetch): Promise<void> {
    try {
      const response = await fetcher(url, { cache: 'no-store' });
      const body = (await response.json()) as { status?: string };
      const down = body.status === 'kafka-unavailable';
      if (down !== this.kafkaDown) {
        this.kafkaDown = down;
        this.log('connection', down ? '/health: the edge has lost Kafka' : '/health: Kafka is reachable again');
        this.updateStatus();
      }
    } catch {
      // The edge itself is unreachable: the socket's close already says so.
    }
  }

  private updateStatus(): void {
    if (this.socket === null || this.socket.readyState !== OPEN) return;
    if (this.awaitingSnapshot && !this.hadSnapshot) return;
    if (this.kafkaDown) this.setStatus('kafka-down', 'the edge has lost Kafka: prices are stale until it returns');
    else if (Date.now() - this.lastFrameMs > this.staleAfterMs)
      this.setStatus('stale', `no data for ${Math.round((Date.now() - this.lastFrameMs) / 1000)} s`);
    else this.setStatus('live', `epoch ${this.counters.epoch}`);
  }

  private setStatus(status: ConnectionStatus, detail: string): void {
    if (status === this.status && detail === this.statusDetail) return;
    const changed = status !== this.status;
    this.status = status;
    this.statusDetail = detail;
    if (changed) this.options.report({ type: 'status', status, detail }, []);
  }

  private log(kind: LogKind, message: string): void {
    this.options.report({ type: 'log', kind, message }, []);
  }
}

function describeMarketEvent(event: MarketEventFields): string {
  const kind = MarketEventKind[event.kind] ?? `event ${event.kind}`;
  const subject = [event.symbol, event.sector].filter(Boolean).join(' / ');
  return [kind, event.name, subject, event.detail].filter(Boolean).join(': ');
}
