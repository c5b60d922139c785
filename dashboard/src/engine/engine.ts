import type { AlertTriggerFields, OrderStateFields, OrderUpdateFields, PortfolioFields } from '@tickstream/schemas';
import { CandleSeries, type TimeframeName, timeframeNumber } from './candle-series.js';
import { EventBook } from './event-book.js';
import {
  type AnalyticsStatusView,
  type ConnectionStatus,
  type CorrelationCatalogEntry,
  type CorrelationRequestView,
  type CorrelationView,
  type FeedCommand,
  type FeedCounters,
  type FeedReport,
  type HeatmapView,
  type LogKind,
  type MarketStatusView,
  type MoversView,
  type ReplayView,
  ROW,
  ROW_WIDTH,
  type Subscription,
  type SummaryWants,
  type VolumeTableView,
} from './feed-protocol.js';
import { MarketBook } from './market-book.js';
import { MarketStatus } from './market-status.js';
import { PerformanceMeter, type PerformanceSample } from './perf-stats.js';
import { SeriesHandle } from './series-handle.js';

/** Where the feed runs: the decode worker in the browser, the same thread in Node tests. */
export interface FeedPort {
  post(command: FeedCommand): void;
  close(): void;
}
export type FeedPortFactory = (onReport: (report: FeedReport) => void) => FeedPort;

export interface EngineOptions {
  /** ws://host/ws */
  url: string;
  /** http://host of the edge's HTTP API (the worker reads /health, history and summaries there); null: no HTTP. */
  httpBase: string | null;
  subscription?: Subscription;
  createFeed: FeedPortFactory;
  /** requestAnimationFrame in the browser; a timer in tests. */
  requestFrame?: (callback: () => void) => void;
}

export interface LogEntry {
  atMs: number;
  kind: LogKind;
  message: string;
}

/** Called once per frame with something to draw; returns true if it rendered. */
export type Renderer = (nowMs: number, dataChanged: boolean) => boolean;

type Events = {
  status: (status: ConnectionStatus, detail: string) => void;
  log: (entry: LogEntry) => void;
  sample: (sample: PerformanceSample) => void;
  universe: () => void;
  /** A series' bars changed (or its history failed to load: `handle.problem`). */
  series: (handle: SeriesHandle) => void;
  /** The edge listed the user's alerts (each connection): what the app shows may be out of date. */
  alerts: () => void;
  trigger: (trigger: AlertTriggerFields) => void;
  /** The event book changed: a live event, or the history read from /api/events. */
  events: (book: EventBook) => void;
  analytics: (status: AnalyticsStatusView) => void;
  correlations: (matrix: CorrelationView) => void;
  /** The edge listed the user's orders (each connection): what the app shows may be out of date. */
  orders: () => void;
  order: (order: OrderStateFields, update: OrderUpdateFields | null) => void;
  /** The user's portfolio (null: none yet) and the edge's last price of each position (× 10,000, 0: none). */
  portfolio: (portfolio: PortfolioFields | null, marks: number[]) => void;
  /** The session or a halt changed (GET /api/market, or a live event). */
  market: (status: MarketStatus) => void;
  movers: (movers: MoversView) => void;
  heatmap: (heatmap: HeatmapView) => void;
  volume: (table: VolumeTableView) => void;
  catalog: (matrices: CorrelationCatalogEntry[], analytics: string) => void;
  /** The replay changed (each window while it plays); null: the live market again. */
  replay: (replay: ReplayView | null) => void;
};

/** A view's share of what the worker asks the edge's summaries for. */
export type SummaryInterest = Partial<SummaryWants>;

/** Events read from the edge at connect (it keeps 5,000). */
const EVENTS_ON_CONNECT = 1000;

const LATENCY_SAMPLES_PER_BATCH = 32;

/**
 * The dashboard's engine on the main thread: owns the feed (in its worker), the MarketBook it
 * fills once per animation frame, the render loop that calls renderers only on dirty frames,
 * the performance meter and the chart's candle series. Knows nothing of Svelte.
 */
export class Engine {
  readonly book = new MarketBook();
  readonly meter = new PerformanceMeter();
  status: ConnectionStatus = 'connecting';
  statusDetail = '';
  counters: FeedCounters | null = null;
  readonly events = new EventBook();
  /** The session and the halted symbols. */
  readonly market = new MarketStatus();
  movers: MoversView | null = null;
  heatmap: HeatmapView | null = null;
  volumeTable: VolumeTableView | null = null;
  /** Whether the analytics job is alive (the edge says so after Hello and on every change). */
  analytics: AnalyticsStatusView = { state: 'Unknown', detail: 'not connected yet', lagMs: -1 };
  correlation: CorrelationView | null = null;
  /** The replay shown instead of the live market (protocol 4); null: live. */
  replay: ReplayView | null = null;
  private correlationRequest: CorrelationRequestView | null = null;
  private readonly handles = new Map<number, SeriesHandle>();
  private nextSeriesId = 1;
  private readonly interests = new Set<SummaryInterest>();
  private eventsEpoch = -1;
  private feed: FeedPort | null = null;
  private readonly listeners: { [K in keyof Events]: Set<Events[K]> } = {
    status: new Set(),
    log: new Set(),
    sample: new Set(),
    universe: new Set(),
    series: new Set(),
    alerts: new Set(),
    trigger: new Set(),
    events: new Set(),
    analytics: new Set(),
    correlations: new Set(),
    orders: new Set(),
    order: new Set(),
    portfolio: new Set(),
    market: new Set(),
    movers: new Set(),
    heatmap: new Set(),
    volume: new Set(),
    catalog: new Set(),
    replay: new Set(),
  };
  private readonly renderers = new Set<Renderer>();
  private pullOutstanding = false;
  private dataChanged = false;
  private dirty = true;
  private running = false;
  /** An animation frame is requested: frames are asked for only when something is to be drawn. */
  private frameRequested = false;
  private sampleTimer: ReturnType<typeof setInterval> | null = null;
  private latencyIds: Uint16Array = new Uint16Array(0);
  private readonly requestFrame: (callback: () => void) => void;

  constructor(private readonly options: EngineOptions) {
    this.requestFrame = options.requestFrame ?? ((callback) => requestAnimationFrame(() => callback()));
  }

  on<K extends keyof Events>(event: K, listener: Events[K]): () => void {
    this.listeners[event].add(listener);
    return () => this.listeners[event].delete(listener);
  }

  addRenderer(renderer: Renderer): () => void {
    this.renderers.add(renderer);
    this.invalidate();
    return () => this.renderers.delete(renderer);
  }

  /** Something other than data changed (scroll, resize, theme): draw the next frame. */
  invalidate(): void {
    this.dirty = true;
    this.scheduleFrame();
  }

  /**
   * Asks for one animation frame unless one is pending. Nothing else keeps the loop going: with
   * nothing new the page requests no frames at all (measured: a loop polling every frame cost
   * the idle page ~0.03 CPU-s/s of renderer main thread and compositor for nothing).
   */
  private scheduleFrame(): void {
    if (this.frameRequested || !this.running) return;
    this.frameRequested = true;
    this.requestFrame(() => this.frame());
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.feed = this.options.createFeed((report) => this.receive(report));
    this.feed.post({
      type: 'start',
      url: this.options.url,
      httpBase: this.options.httpBase,
      subscription: this.options.subscription ?? { symbols: ['*'], sectors: [] },
    });
    // Series and summaries asked for before the start.
    for (const handle of this.handles.values()) this.postOpen(handle);
    this.postWants();
    this.pull();
    this.sampleTimer = setInterval(() => this.sample(), 1000);
    this.scheduleFrame();
  }

  stop(): void {
    this.running = false;
    this.frameRequested = false;
    if (this.sampleTimer) clearInterval(this.sampleTimer);
    this.sampleTimer = null;
    this.feed?.post({ type: 'stop' });
    this.feed?.close();
    this.feed = null;
  }

  /** Drops the connection and opens a new one at once (Ctrl+R), without reloading the page. */
  reconnect(): void {
    this.feed?.post({ type: 'reconnect' });
  }

  /** Shows the market as it was from `fromUs` on, replayed at `speed` (0.25-100), instead of live. */
  startReplay(fromUs: number, speed: number): void {
    this.feed?.post({ type: 'replay', fromUs, speed });
  }

  /** ReplayAction 0 Play, 1 Pause, 2 Speed (`speed`), 3 Seek (`toUs`), 4 Step (`stepUs`). */
  controlReplay(action: number, values: { speed?: number; toUs?: number; stepUs?: number } = {}): void {
    this.feed?.post({ type: 'replay-control', action, ...values });
  }

  /** Back to the live market. */
  backToLive(): void {
    this.feed?.post({ type: 'live' });
  }

  /** Tests: lose the next Delta to exercise the resync path. */
  dropNextDelta(): void {
    this.feed?.post({ type: 'drop-next-delta' });
  }

  /**
   * Opens one symbol's bars at a timeframe for a chart: `limit` bars of history (the worker
   * loads them from /api/candles), then live. Several may be open (the Correlation view's pair);
   * the newest is followed on the connection, the others refreshed over HTTP. Close it when done.
   */
  openSeries(symbol: string, timeframe: TimeframeName = '1m', limit = 1000): SeriesHandle {
    const handle = new SeriesHandle(
      this.nextSeriesId++,
      symbol,
      timeframe,
      (closing) => {
        this.handles.delete(closing.id);
        this.feed?.post({ type: 'series-close', id: closing.id });
      },
      (asking, fromUs, toUs, bins) => this.feed?.post({ type: 'series-profile', id: asking.id, fromUs, toUs, bins }),
    );
    this.handles.set(handle.id, handle);
    this.postOpen(handle, limit);
    return handle;
  }

  private postOpen(handle: SeriesHandle, limit = 1000): void {
    this.feed?.post({
      type: 'series-open',
      spec: { id: handle.id, symbol: handle.symbol, timeframe: timeframeNumber(handle.timeframe), limit },
    });
  }

  /**
   * A view says which of the edge's summaries it shows (the session, movers, the heatmap at its
   * size, the volume table, the correlation catalog); the worker polls the union of what every
   * view registered. Returns the function that withdraws it. Change it in place and call
   * `summariesChanged()` when a size or an order changes.
   */
  watchSummaries(interest: SummaryInterest): () => void {
    this.interests.add(interest);
    this.postWants();
    return () => {
      this.interests.delete(interest);
      this.postWants();
    };
  }

  summariesChanged(): void {
    this.postWants();
  }

  private postWants(): void {
    // The header always shows the session.
    const wants: SummaryWants = { market: true, movers: null, heatmap: null, volume: null, correlationCatalog: false };
    for (const interest of this.interests) {
      wants.movers = interest.movers ?? wants.movers;
      wants.heatmap = interest.heatmap ?? wants.heatmap;
      wants.volume = interest.volume ?? wants.volume;
      wants.correlationCatalog ||= interest.correlationCatalog ?? false;
    }
    this.feed?.post({ type: 'summaries', wants });
  }

  /**
   * Follows one correlation matrix (the Correlation view); null stops. `palette`: cell colours
   * from −1 to +1 and last the colour of a missing pair, applied in the worker.
   */
  watchCorrelations(request: CorrelationRequestView | null, palette: number[] = []): void {
    this.correlationRequest = request;
    this.correlation = null;
    this.feed?.post({ type: 'correlations', request, palette });
  }

  /** The server's clock now, µs (the edge's time base: event and bar times). */
  serverNowUs(): number {
    return Date.now() * 1000 + (this.counters?.clockOffsetUs ?? 0);
  }

  /**
   * A symbol's halt to draw over the market shown: the live one's; none while a replay is shown,
   * since halts are live only (a replay does not carry the halts of its time).
   */
  haltOf(symbol: string): MarketStatusView['halted'][number] | undefined {
    return this.replay === null ? this.market.halted.get(symbol) : undefined;
  }

  /** The market's time shown: the replay's clock while a replay is shown, else the edge's now. */
  marketNowUs(): number {
    return this.replay === null ? this.serverNowUs() : this.replay.clockUs;
  }

  /** Has the worker read the recent market events from the edge: at connect, and again after a new epoch. */
  private loadEvents(): void {
    this.feed?.post({ type: 'load-events', limit: EVENTS_ON_CONNECT });
  }

  private receive(report: FeedReport): void {
    switch (report.type) {
      case 'status':
        this.status = report.status;
        this.statusDetail = report.detail;
        this.emit('status', report.status, report.detail);
        break;
      case 'alerts':
        this.emit('alerts');
        break;
      case 'alert-triggered':
        this.emit('trigger', report.trigger);
        break;
      case 'orders':
        this.emit('orders');
        break;
      case 'order-updated':
        this.emit('order', report.order, report.update);
        break;
      case 'portfolio':
        this.emit('portfolio', report.portfolio, report.marks);
        break;
      case 'log':
        this.addLog(report.kind, report.message);
        break;
      case 'universe':
        this.pullOutstanding = false;
        this.counters = report.counters;
        this.book.replace(report.epoch, report.names, report.sectors, report.rows);
        this.meter.appliedUpdates += report.names.length;
        if (report.epoch !== this.eventsEpoch) {
          this.eventsEpoch = report.epoch;
          this.loadEvents();
        }
        this.dataChanged = true;
        this.scheduleFrame();
        this.emit('universe');
        break;
      case 'updates':
        this.pullOutstanding = false;
        this.counters = report.counters;
        this.meter.appliedUpdates += this.book.apply(report.ids, report.rows, performance.now());
        this.latencyIds = report.ids.subarray(0, LATENCY_SAMPLES_PER_BATCH);
        this.dataChanged = true;
        this.scheduleFrame();
        break;
      case 'series': {
        const handle = this.handles.get(report.id);
        if (handle === undefined) break;
        handle.problem = report.problem;
        if (report.problem !== '') this.addLog('error', report.problem);
        else handle.series.mergePacked(report.bars, report.reset);
        this.emit('series', handle);
        this.invalidate();
        break;
      }
      case 'profile': {
        const handle = this.handles.get(report.profile.id);
        if (handle === undefined) break;
        handle.profile = report.profile;
        handle.profileVersion++;
        this.invalidate();
        break;
      }
      case 'market':
        this.market.load(report.status);
        this.emit('market', this.market);
        this.invalidate();
        break;
      case 'movers':
        this.movers = report.movers;
        this.emit('movers', report.movers);
        break;
      case 'heatmap':
        this.heatmap = report.heatmap;
        this.emit('heatmap', report.heatmap);
        this.invalidate();
        break;
      case 'volume-table':
        this.volumeTable = report.table;
        this.emit('volume', report.table);
        break;
      case 'correlation-catalog':
        this.emit('catalog', report.matrices, report.analytics);
        break;
      case 'events-history':
        this.events.load(report.events);
        this.emit('events', this.events);
        this.invalidate();
        break;
      case 'market-event':
        this.events.add(report.event);
        this.emit('events', this.events);
        if (this.market.event(report.event)) this.emit('market', this.market);
        this.invalidate();
        break;
      case 'analytics':
        this.analytics = report.status;
        this.emit('analytics', report.status);
        break;
      case 'replay':
        this.replay = report.replay;
        this.emit('replay', report.replay);
        break;
      case 'correlations':
        if (this.correlationRequest !== null) {
          this.correlation = report.matrix;
          this.emit('correlations', report.matrix);
        }
        break;
    }
  }

  private addLog(kind: LogKind, message: string): void {
    this.emit('log', { atMs: Date.now(), kind, message });
  }

  private pull(): void {
    if (this.pullOutstanding || !this.feed) return;
    this.pullOutstanding = true;
    this.feed.post({ type: 'pull' });
  }

  /**
   * One animation frame: draws if data or a view changed, then hands the worker its credit for
   * the next batch (it answers when something changed, so batches come at most once a frame:
   * the worker conflates to the frame rate). A renderer still animating calls invalidate().
   */
  private frame(): void {
    this.frameRequested = false;
    if (!this.running) return;
    const now = performance.now();
    if (this.dataChanged || this.dirty) {
      const dataChanged = this.dataChanged;
      this.dataChanged = false;
      this.dirty = false;
      let rendered = false;
      for (const renderer of this.renderers) {
        try {
          rendered = renderer(now, dataChanged) || rendered;
        } catch (error) {
          // One broken view must not stop the loop that feeds every other one.
          this.renderers.delete(renderer);
          this.addLog('error', `a view stopped drawing: ${(error as Error).message}`);
          console.error(error);
        }
      }
      if (rendered) this.meter.recordFrame(performance.now() - now);
      if (dataChanged) this.recordLatency();
    }
    this.pull();
  }

  /** Tick-to-render latency: the exchange time of symbols just drawn against the edge's clock now. */
  private recordLatency(): void {
    const offsetUs = this.counters?.clockOffsetUs ?? 0;
    const serverNowUs = Date.now() * 1000 + offsetUs;
    for (const id of this.latencyIds) {
      const timeUs = this.book.rows[id * ROW_WIDTH + ROW.timeUs] as number;
      if (timeUs > 0) this.meter.recordLatency((serverNowUs - timeUs) / 1000);
    }
    this.latencyIds = new Uint16Array(0);
  }

  private sample(): void {
    if (!this.counters) return;
    this.emit('sample', this.meter.sample(this.counters, performance.now(), this.book.size));
  }

  private emit<K extends keyof Events>(event: K, ...args: Parameters<Events[K]>): void {
    for (const listener of this.listeners[event]) (listener as (...a: Parameters<Events[K]>) => void)(...args);
  }
}
