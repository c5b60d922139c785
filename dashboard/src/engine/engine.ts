import type { AlertTriggerFields } from '@tickstream/schemas';
import { CandleSeries, type TimeframeName, timeframeNumber } from './candle-series.js';
import { EventBook } from './event-book.js';
import {
  type AnalyticsStatusView,
  type ConnectionStatus,
  type CorrelationRequestView,
  type CorrelationView,
  type FeedCommand,
  type FeedCounters,
  type FeedReport,
  type LogKind,
  type MarketEventView,
  type ReplayView,
  ROW,
  ROW_WIDTH,
  type Subscription,
} from './feed-protocol.js';
import { MarketBook } from './market-book.js';
import { PerformanceMeter, type PerformanceSample } from './perf-stats.js';

/** Where the feed runs: the decode worker in the browser, the same thread in Node tests. */
export interface FeedPort {
  post(command: FeedCommand): void;
  close(): void;
}
export type FeedPortFactory = (onReport: (report: FeedReport) => void) => FeedPort;

export interface EngineOptions {
  /** ws://host/ws */
  url: string;
  /** http://host (for /health and /api/candles); null: no HTTP. */
  httpBase: string | null;
  subscription?: Subscription;
  createFeed: FeedPortFactory;
  /** requestAnimationFrame in the browser; a timer in tests. */
  requestFrame?: (callback: () => void) => void;
  fetch?: typeof fetch;
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
  candles: (series: CandleSeries) => void;
  /** The edge listed the user's alerts (each connection): what the app shows may be out of date. */
  alerts: () => void;
  trigger: (trigger: AlertTriggerFields) => void;
  /** The event book changed: a live event, or the history read from /api/events. */
  events: (book: EventBook) => void;
  analytics: (status: AnalyticsStatusView) => void;
  correlations: (matrix: CorrelationView) => void;
  /** The replay changed (each window while it plays); null: the live market again. */
  replay: (replay: ReplayView | null) => void;
};

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
  series: CandleSeries | null = null;
  readonly events = new EventBook();
  /** Whether the analytics job is alive (the edge says so after Hello and on every change). */
  analytics: AnalyticsStatusView = { state: 'Unknown', detail: 'not connected yet', lagMs: -1 };
  correlation: CorrelationView | null = null;
  /** The replay shown instead of the live market (protocol 4); null: live. */
  replay: ReplayView | null = null;
  private correlationRequest: CorrelationRequestView | null = null;
  private eventsEpoch = -1;
  private feed: FeedPort | null = null;
  private readonly listeners: { [K in keyof Events]: Set<Events[K]> } = {
    status: new Set(),
    log: new Set(),
    sample: new Set(),
    universe: new Set(),
    candles: new Set(),
    alerts: new Set(),
    trigger: new Set(),
    events: new Set(),
    analytics: new Set(),
    correlations: new Set(),
    replay: new Set(),
  };
  private readonly renderers = new Set<Renderer>();
  private pullOutstanding = false;
  private dataChanged = false;
  private dirty = true;
  private running = false;
  private sampleTimer: ReturnType<typeof setInterval> | null = null;
  private latencyIds: Uint16Array = new Uint16Array(0);
  private readonly requestFrame: (callback: () => void) => void;
  private readonly fetcher: typeof fetch | undefined;

  constructor(private readonly options: EngineOptions) {
    this.requestFrame = options.requestFrame ?? ((callback) => requestAnimationFrame(() => callback()));
    this.fetcher = options.fetch ?? (typeof fetch === 'function' ? fetch.bind(globalThis) : undefined);
  }

  on<K extends keyof Events>(event: K, listener: Events[K]): () => void {
    this.listeners[event].add(listener);
    return () => this.listeners[event].delete(listener);
  }

  addRenderer(renderer: Renderer): () => void {
    this.renderers.add(renderer);
    this.dirty = true;
    return () => this.renderers.delete(renderer);
  }

  /** Something other than data changed (scroll, resize, theme): draw the next frame. */
  invalidate(): void {
    this.dirty = true;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.feed = this.options.createFeed((report) => this.receive(report));
    this.feed.post({
      type: 'start',
      url: this.options.url,
      healthUrl: this.options.httpBase === null ? null : `${this.options.httpBase}/health`,
      subscription: this.options.subscription ?? { symbols: ['*'], sectors: [] },
    });
    this.pull();
    this.sampleTimer = setInterval(() => this.sample(), 1000);
    this.requestFrame(() => this.frame());
  }

  stop(): void {
    this.running = false;
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

  /** Follows one symbol's candles: history over HTTP, then live Candles frames. null stops. */
  watchCandles(symbol: string | null, timeframe: TimeframeName = '1m'): CandleSeries | null {
    if (symbol === null) {
      this.series = null;
      this.feed?.post({ type: 'candles', symbol: null, timeframe: 0 });
      return null;
    }
    const series = new CandleSeries(symbol, timeframe);
    this.series = series;
    this.feed?.post({ type: 'candles', symbol, timeframe: timeframeNumber(timeframe) });
    if (this.options.httpBase !== null && this.fetcher) {
      const url = `${this.options.httpBase}/api/candles?symbol=${encodeURIComponent(symbol)}&tf=${timeframe}&limit=1000`;
      this.fetcher(url)
        .then(async (response) => {
          if (!response.ok) throw new Error(`${response.status} ${(await response.text()).trim()}`);
          return (await response.json()) as { bars: Parameters<CandleSeries['mergeJson']>[0] };
        })
        .then(
          (body) => {
            if (this.series !== series) return;
            series.mergeJson(body.bars);
            this.emit('candles', series);
            this.dirty = true;
          },
          (error: Error) => this.addLog('error', `candles for ${symbol} ${timeframe} did not load: ${error.message}`),
        );
    }
    return series;
  }

  /** Follows one correlation matrix (the Correlation view); null stops. */
  watchCorrelations(request: CorrelationRequestView | null): void {
    this.correlationRequest = request;
    this.correlation = null;
    this.feed?.post({ type: 'correlations', request });
  }

  /** The server's clock now, µs (the edge's time base: event and bar times). */
  serverNowUs(): number {
    return Date.now() * 1000 + (this.counters?.clockOffsetUs ?? 0);
  }

  /** The market's time shown: the replay's clock while a replay is shown, else the edge's now. */
  marketNowUs(): number {
    return this.replay === null ? this.serverNowUs() : this.replay.clockUs;
  }

  /** Reads the recent market events from the edge: at connect, and again after a new epoch. */
  private loadEvents(): void {
    if (this.options.httpBase === null || !this.fetcher) return;
    this.fetcher(`${this.options.httpBase}/api/events?limit=${EVENTS_ON_CONNECT}`)
      .then(async (response) => {
        if (!response.ok) throw new Error(`${response.status} ${(await response.text()).trim()}`);
        return (await response.json()) as { events: MarketEventView[] };
      })
      .then(
        (body) => {
          this.events.load(body.events);
          this.emit('events', this.events);
          this.dirty = true;
        },
        (error: Error) => this.addLog('error', `market events did not load: ${error.message}`),
      );
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
        this.emit('universe');
        break;
      case 'updates':
        this.pullOutstanding = false;
        this.counters = report.counters;
        this.meter.appliedUpdates += this.book.apply(report.ids, report.rows, performance.now());
        this.latencyIds = report.ids.subarray(0, LATENCY_SAMPLES_PER_BATCH);
        this.dataChanged = true;
        break;
      case 'candles': {
        const series = this.series;
        if (series && series.symbol === report.symbol && timeframeNumber(series.timeframe) === report.timeframe) {
          series.mergePacked(report.bars);
          this.emit('candles', series);
          this.dirty = true;
        }
        break;
      }
      case 'market-event':
        this.events.add(report.event);
        this.emit('events', this.events);
        this.dirty = true;
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

  private frame(): void {
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
    this.requestFrame(() => this.frame());
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
