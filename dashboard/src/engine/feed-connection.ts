import {
  AnalyticsState,
  type CandlesEvent,
  ErrorCode,
  type MarketEvent,
  MarketEventKind,
  marketEventJson,
  type QuoteBook,
  ReplayAction,
  ReplayState,
  type SocketConstructor,
  type SocketLike,
  TickstreamClient,
  type Timeframe,
} from '@tickstream/client';
import { decodeServerFrame, jsLz4 } from '@tickstream/schemas';
import { correlationRgba } from './correlation-colors.js';
import {
  type AnalyticsStateName,
  BAR_WIDTH,
  type ConnectionStatus,
  type FeedCommand,
  type FeedCounters,
  type FeedReport,
  type LogKind,
  type ReplayStateName,
  ROW_WIDTH,
  type Subscription,
} from './feed-protocol.js';

export type { SocketConstructor, SocketLike };

export interface FeedConnectionOptions {
  WebSocket: SocketConstructor;
  /** Where reports go: postMessage in the worker, a callback in tests. */
  report: (report: FeedReport, transfer: ArrayBuffer[]) => void;
  /** Bars of a Candles frame of the followed symbol and timeframe (BAR_WIDTH values each), live or the replay's. */
  onCandles?: (symbol: string, timeframe: number, bars: Float64Array) => void;
  /** Connected to another epoch than before (a restarted edge, or another one): views reload what they hold. */
  onNewEpoch?: (epoch: number) => void;
  /** A replay is shown instead of live (its book, which the client keeps current), or live again (null). */
  onReplay?: (book: QuoteBook | null) => void;
  /** Each ReplayStatus of the replay shown: Loading when it loads its market at `clockUs` (a start or a seek). */
  onReplayStatus?: (state: ReplayStateName, clockUs: number) => void;
  fetch?: typeof fetch;
  reconnectBaseMs?: number;
  reconnectMaxMs?: number;
  /** No data frame for this long while connected: 'stale'. */
  staleAfterMs?: number;
  pingEveryMs?: number;
  healthEveryMs?: number;
}

const INITIAL_CAPACITY = 1024;

/**
 * The dashboard's feed, in the decode worker (in-thread in Node tests): a @tickstream/client that
 * connects, subscribes, follows (epoch, seq), resyncs and reconnects, with what the page needs on
 * top — its status (live, stale, Kafka down), the changed rows handed over when pulled, and the
 * replay shown instead of live while one runs.
 */
export class FeedConnection {
  readonly counters: FeedCounters = {
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
  private client: TickstreamClient | null = null;
  private healthUrl: string | null = null;
  private chart: { symbol: string; timeframe: number } | null = null;
  private palette: number[] = [];
  private changed = new Uint16Array(INITIAL_CAPACITY);
  private changedFlag = new Uint8Array(INITIAL_CAPACITY);
  private changedCount = 0;
  private universeChanged = false;
  private pullPending = false;
  private hadSnapshot = false;
  private resyncing = false;
  private kafkaDown = false;
  private status: ConnectionStatus | null = null;
  private statusDetail = '';
  private dropNextDelta = false;
  /** Replaying (protocol 4): the state shown is the replay's; live frames wait for 'live'. */
  private replaying = false;
  private everOpen = false;
  private tickTimer: ReturnType<typeof setInterval> | null = null;
  private lastHealthMs = 0;

  private readonly staleAfterMs: number;
  private readonly healthEveryMs: number;

  constructor(private readonly options: FeedConnectionOptions) {
    this.staleAfterMs = options.staleAfterMs ?? 5_000;
    this.healthEveryMs = options.healthEveryMs ?? 5_000;
  }

  command(command: FeedCommand): void {
    switch (command.type) {
      case 'start':
        this.healthUrl = command.httpBase === null ? null : `${command.httpBase}/health`;
        this.start(command.url, command.subscription);
        break;
      case 'pull':
        this.pullPending = true;
        this.flush();
        break;
      case 'reconnect':
        this.log('connection', 'reconnecting on request');
        this.client?.reconnect();
        break;
      case 'correlations':
        this.palette = command.palette;
        this.client?.correlations(command.request);
        break;
      case 'stop':
        this.stop();
        break;
      case 'drop-next-delta':
        this.dropNextDelta = true;
        break;
      case 'replay':
        this.replaying = true;
        this.universeChanged = false;
        // Of the live subscription (no symbols named): the edge replays what the page follows.
        this.client?.replay.start({ fromUs: command.fromUs, speed: command.speed });
        this.followCandles();
        if (this.client) this.options.onReplay?.(this.client.replayBook);
        this.log('connection', `replay from ${new Date(command.fromUs / 1000).toISOString()} at ${command.speed}×`);
        break;
      case 'replay-control':
        if (this.replaying) this.control(command.action, command);
        break;
      case 'live':
        this.client?.replay.stop();
        this.backToLive('back to live');
        break;
    }
  }

  /** Follows one symbol's candles (CandleSubscribe; one per connection); null follows none. */
  follow(chart: { symbol: string; timeframe: number } | null): void {
    this.chart = chart;
    this.followCandles();
  }

  stop(): void {
    if (this.tickTimer) clearInterval(this.tickTimer);
    this.tickTimer = null;
    this.client?.close();
    this.client = null;
  }

  private start(url: string, subscription: Subscription): void {
    this.stop();
    const { WebSocket } = this.options;
    const client = new TickstreamClient({
      url,
      symbols: subscription.symbols,
      sectors: subscription.sectors,
      alerts: true,
      // Protocol 3: the user's orders and portfolio, asked again on every connection.
      trading: true,
      reconnect: { baseMs: this.options.reconnectBaseMs ?? 500, maxMs: this.options.reconnectMaxMs ?? 10_000 },
      pingEveryMs: this.options.pingEveryMs ?? 5_000,
      // Tests lose a Delta on purpose (drop-next-delta) before the client sees it, as a network gap would.
      createSocket: (target) => this.droppingDeltas(new WebSocket(target)),
    });
    this.client = client;
    this.bind(client);
    this.tickTimer = setInterval(() => this.tick(), 1000);
    client.connect();
  }

  private bind(client: TickstreamClient): void {
    client.on('state', (state, detail) => {
      if (state === 'connecting' || state === 'reconnecting')
        this.setStatus(this.everOpen ? 'reconnecting' : 'connecting', detail);
    });
    client.on('close', (code, reason) =>
      this.log('connection', `connection closed (${code}${reason ? `: ${reason}` : ''})`),
    );
    client.on('hello', (hello) => {
      const previous = this.counters.epoch;
      this.counters.epoch = hello.epoch;
      if (this.everOpen) this.counters.reconnects++;
      this.everOpen = true;
      this.hadSnapshot = false;
      this.log(
        'connection',
        previous !== 0 && previous !== hello.epoch
          ? `connected to edge ${hello.edgeId}, new epoch ${hello.epoch} (was ${previous}): state will be replaced`
          : `connected to edge ${hello.edgeId}, epoch ${hello.epoch}`,
      );
      if (previous !== 0 && previous !== hello.epoch) this.options.onNewEpoch?.(hello.epoch);
    });
    client.on('snapshot', (book) => {
      if (book !== this.shownBook()) return;
      this.counters.snapshots++;
      this.counters.lastSeq = book.seq;
      if (this.resyncing) this.log('resync', `resynced at seq ${book.seq}`);
      this.resyncing = false;
      this.hadSnapshot = true;
      this.universeChanged = true;
      this.changedFlag.fill(0);
      this.changedCount = 0;
      this.updateStatus();
      this.flush();
    });
    client.on('update', (batch) => {
      if (batch.book !== this.shownBook()) return;
      if (batch.book.size > this.changedFlag.length) this.grow(batch.book.size);
      for (let i = 0; i < batch.count; i++) this.markChanged(batch.ids[i] as number);
      this.counters.deltas++;
      this.counters.updates += batch.count;
      this.counters.lastSeq = batch.seq;
      if (this.status === 'stale') this.updateStatus();
      this.flush();
    });
    client.on('gap', (book, expected, got) => {
      if (book !== this.shownBook()) return;
      this.counters.gaps++;
      this.counters.resyncs++;
      this.resyncing = true;
      this.log('resync', `gap: Delta seq ${got} where ${expected} was due; asking for a resync`);
    });
    client.on('candles', (candles) => this.candles(candles));
    client.on('event', (event) => this.marketEvent(event));
    client.on('analytics', (status) =>
      this.options.report(
        {
          type: 'analytics',
          status: {
            state: (AnalyticsState[status.state] ?? 'Unknown') as AnalyticsStateName,
            detail: status.detail,
            lagMs: status.lagMs,
          },
        },
        [],
      ),
    );
    client.on('correlations', (matrix) => {
      // Coloured here, off the main thread: it only uploads the cells as a texture.
      const rgba = correlationRgba(matrix.values, this.palette);
      this.options.report({ type: 'correlations', matrix: { ...matrix, rgba } }, [
        matrix.values.buffer as ArrayBuffer,
        rgba.buffer as ArrayBuffer,
      ]);
    });
    client.on('alerts', (alerts) =>
      this.options.report({ type: 'alerts', rules: alerts.rules.length, triggers: alerts.triggers.length }, []),
    );
    client.on('alert', (trigger) => this.options.report({ type: 'alert-triggered', trigger }, []));
    client.on('orders', () => this.options.report({ type: 'orders' }, []));
    client.on('order', (order, update) => this.options.report({ type: 'order-updated', order, update }, []));
    client.on('portfolio', (state) =>
      this.options.report({ type: 'portfolio', portfolio: state.portfolio, marks: state.marks }, []),
    );
    client.on('replay', (status) => {
      if (!this.replaying) return;
      const state = (ReplayState[status.state] ?? 'Loading') as ReplayStateName;
      this.options.onReplayStatus?.(state, status.clockUs);
      this.options.report(
        {
          type: 'replay',
          replay: {
            state,
            clockUs: status.clockUs,
            speed: status.speed,
            fromUs: status.fromUs,
            retainedFromUs: status.retainedFromUs,
            detail: status.detail,
          },
        },
        [],
      );
      if (status.state === ReplayState.Stopped) this.backToLive(`replay stopped: ${status.detail}`);
    });
    client.on('error', (error) => {
      if (error.code === ErrorCode.InvalidReplay || error.code === ErrorCode.ReplayLimit)
        this.backToLive(`replay refused: ${error.message}`);
      if (error.code === ErrorCode.KafkaUnavailable) {
        this.kafkaDown = !/\bback\b/i.test(error.message);
        this.updateStatus();
      }
      if (error.code === ErrorCode.SlowConsumer) this.resyncing = true;
      this.log(
        error.code === ErrorCode.SlowConsumer ? 'resync' : 'error',
        `edge error ${ErrorCode[error.code] ?? error.code}: ${error.message}`,
      );
    });
    client.on('problem', (problem) => this.log('error', problem.message));
    client.on('pong', (rttMs, clockOffsetUs) => {
      this.counters.rttMs = rttMs;
      this.counters.clockOffsetUs = clockOffsetUs;
    });
  }

  private shownBook(): QuoteBook | null {
    if (this.client === null) return null;
    return this.replaying ? this.client.replayBook : this.client.live;
  }

  /** A socket that loses the next Delta when told to (tests of the resync path); otherwise the socket itself. */
  private droppingDeltas(socket: SocketLike): SocketLike {
    let listener: SocketLike['onmessage'] = null;
    socket.onmessage = (event) => {
      if (this.dropNextDelta) {
        const data = event.data;
        const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : null;
        if (bytes !== null && decodeServerFrame(bytes, { lz4: jsLz4 }).type === 'delta') {
          this.dropNextDelta = false;
          return;
        }
      }
      listener?.(event);
    };
    return new Proxy(socket, {
      get: (target, key) => {
        if (key === 'onmessage') return listener;
        const value = Reflect.get(target, key);
        return typeof value === 'function' ? value.bind(target) : value;
      },
      set: (target, key, value) => {
        if (key === 'onmessage') listener = value as SocketLike['onmessage'];
        else Reflect.set(target, key, value);
        return true;
      },
    });
  }

  private control(action: number, values: { speed?: number; toUs?: number; stepUs?: number }): void {
    const replay = this.client?.replay;
    if (!replay) return;
    if (action === ReplayAction.Play) replay.play();
    else if (action === ReplayAction.Pause) replay.pause();
    else if (action === ReplayAction.Speed) replay.setSpeed(values.speed ?? 1);
    else if (action === ReplayAction.Seek) replay.seek(values.toUs ?? 0);
    else if (action === ReplayAction.Step) replay.step(values.stepUs || undefined);
  }

  /** Shows the live market again: the client kept it current meanwhile, so it is handed over whole. */
  private backToLive(why: string): void {
    if (!this.replaying) return;
    this.replaying = false;
    this.universeChanged = true;
    this.changedFlag.fill(0);
    this.changedCount = 0;
    this.flush();
    this.followCandles();
    this.options.onReplay?.(null);
    this.log('connection', why);
    this.options.report({ type: 'replay', replay: null }, []);
  }

  /** Live: only the newest bars (the history comes from /api/candles); a replay's: its own, up to its clock. */
  private followCandles(): void {
    const client = this.client;
    if (!client) return;
    if (this.chart === null) {
      client.candles(null, undefined, { replay: this.replaying });
      return;
    }
    client.candles(this.chart.symbol, this.chart.timeframe as Timeframe, {
      limit: this.replaying ? 300 : 2,
      replay: this.replaying,
    });
  }

  private candles(candles: CandlesEvent): void {
    if (candles.replay !== this.replaying) return;
    const bars = new Float64Array(candles.bars.length * BAR_WIDTH).fill(Number.NaN);
    candles.bars.forEach((bar, i) => {
      bars.set([bar.startTimeUs, bar.open, bar.high, bar.low, bar.close, bar.volume], i * BAR_WIDTH);
      const extra = candles.indicators?.[i];
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
    this.options.onCandles?.(candles.symbol, candles.timeframe, bars);
  }

  private marketEvent(event: MarketEvent): void {
    if (event.replay !== this.replaying) return;
    // A replayed event is history the event list already holds (from /api/events): said, not added again.
    if (this.replaying) {
      this.log('market', `replayed: ${describeMarketEvent(event)}`);
      return;
    }
    this.log('market', describeMarketEvent(event));
    this.options.report({ type: 'market-event', event: marketEventJson(event) }, []);
  }

  private grow(size: number): void {
    let capacity = this.changedFlag.length;
    while (capacity < size) capacity *= 2;
    const changed = new Uint16Array(capacity);
    changed.set(this.changed.subarray(0, this.changedCount));
    const flags = new Uint8Array(capacity);
    flags.set(this.changedFlag);
    this.changed = changed;
    this.changedFlag = flags;
  }

  private markChanged(id: number): void {
    if (this.changedFlag[id] === 1) {
      this.counters.conflated++;
      return;
    }
    this.changedFlag[id] = 1;
    this.changed[this.changedCount++] = id;
  }

  /** The client's own counts, copied into the counters the main thread gets. */
  private syncCounters(): FeedCounters {
    const client = this.client;
    if (client) {
      this.counters.messages = client.counters.messages;
      this.counters.wireBytes = client.counters.wireBytes;
      this.counters.bodyBytes = client.counters.bodyBytes;
      this.counters.protocolErrors = client.counters.protocolErrors;
      this.counters.dropped = client.live.dropped + client.replayBook.dropped;
    }
    return { ...this.counters };
  }

  /** Answers a pending pull with what changed, if anything did. */
  private flush(): void {
    const book = this.shownBook();
    if (!this.pullPending || book === null) return;
    if (this.universeChanged) {
      const n = book.size;
      const rows = new Float64Array(n * ROW_WIDTH);
      for (let id = 0; id < n; id++) this.writeRow(book, rows, id, id);
      const names = Array.from({ length: n }, (_, id) => book.names[id] ?? '');
      const sectors = Array.from({ length: n }, (_, id) => book.sectors[id] ?? '');
      this.universeChanged = false;
      this.pullPending = false;
      this.options.report(
        { type: 'universe', epoch: this.counters.epoch, names, sectors, rows, counters: this.syncCounters() },
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
      this.writeRow(book, rows, i, id);
      this.changedFlag[id] = 0;
    }
    this.changedCount = 0;
    this.pullPending = false;
    this.options.report({ type: 'updates', ids, rows, counters: this.syncCounters() }, [ids.buffer, rows.buffer]);
  }

  private writeRow(book: QuoteBook, rows: Float64Array, at: number, id: number): void {
    const t = book.table;
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

  /** Once a second: staleness and /health (the client pings on its own). */
  private tick(): void {
    const now = Date.now();
    this.updateStatus();
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
    const client = this.client;
    if (client === null || client.state !== 'open' || !this.hadSnapshot) return;
    if (this.kafkaDown) this.setStatus('kafka-down', 'the edge has lost Kafka: prices are stale until it returns');
    else if (Date.now() - client.lastFrameMs > this.staleAfterMs)
      this.setStatus('stale', `no data for ${Math.round((Date.now() - client.lastFrameMs) / 1000)} s`);
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

function describeMarketEvent(event: MarketEvent): string {
  const kind = MarketEventKind[event.kind] ?? `event ${event.kind}`;
  const subject = [event.symbol, event.sector].filter(Boolean).join(' / ');
  return [kind, event.name, subject, event.detail].filter(Boolean).join(': ');
}
