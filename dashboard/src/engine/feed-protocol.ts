import type {
  AlertTriggerFields,
  MarketEventJson,
  OrderStateFields,
  OrderUpdateFields,
  PortfolioFields,
} from '@tickstream/schemas';

// What the decode worker and the main thread say to each other. Bulk data travels as
// transferable typed arrays; everything else is small and rare.

/** Values per symbol row, in this order (prices × Hello.price_scale, times in µs). */
export const ROW = { last: 0, bid: 1, ask: 2, open: 3, high: 4, low: 5, volume: 6, ticks: 7, timeUs: 8 } as const;
export const ROW_WIDTH = 9;
/**
 * Values per candle bar: start time µs, open, high, low, close, volume, then (protocol 2) VWAP,
 * trades, final (1 when the analytics job wrote the bar, else 0) and its seven indicators
 * (sma20, sma50, ema20, ema50, volatility20, relativeVolume, priceVolumeCorrelation; NaN when none);
 * a series (the worker's SeriesStore) adds the mean and standard deviation of the last 20 closes
 * (Bollinger bands), which neither the job nor the edge computes.
 */
export const BAR = {
  start: 0,
  open: 1,
  high: 2,
  low: 3,
  close: 4,
  volume: 5,
  vwap: 6,
  trades: 7,
  final: 8,
  sma20: 9,
  sma50: 10,
  ema20: 11,
  ema50: 12,
  volatility20: 13,
  relativeVolume: 14,
  priceVolumeCorrelation: 15,
  mean20: 16,
  stdev20: 17,
} as const;
/** Values per bar in a Candles frame. */
export const BAR_WIDTH = 16;
/** Values per bar of a series: a frame's, then mean20 and stdev20. */
export const SERIES_WIDTH = 18;

/** One chart's bars: a symbol at a timeframe, history from /api/candles, then live. */
export interface SeriesSpec {
  /** The main thread's handle for it. */
  id: number;
  symbol: string;
  /** The protocol's Timeframe number (0 = 1s … 6 = 1d). */
  timeframe: number;
  /** Bars of history to load (the edge caps it at what it keeps). */
  limit: number;
}

/** Volume at price of a series over [fromUs, toUs): `volumes[k]` traded between low + k·step and low + (k+1)·step. */
export interface VolumeProfileView {
  id: number;
  fromUs: number;
  toUs: number;
  low: number;
  high: number;
  volumes: Float64Array;
}

/** The trading session and the halted symbols (GET /api/market, then live MarketEvents). */
export interface MarketStatusView {
  /** `pre-market`, `regular`, `after-hours`, `closed`; '' while unknown. */
  phase: string;
  sinceUs: number;
  detail: string;
  halted: { symbol: string; sector: string; sinceUs: number; source: string; detail: string }[];
}

export interface MoverView {
  symbol: string;
  sector: string;
  last: number;
  changePct: number;
  volume: number;
  relativeVolume: number | null;
}

/** GET /api/movers, or the same computed from the replay's book while a replay is shown. */
export interface MoversView {
  gainers: MoverView[];
  losers: MoverView[];
  active: MoverView[];
  analytics: string;
  /** Computed from the replayed market, not the edge's live summary. */
  replay: boolean;
}

/**
 * The sector treemap laid out for a size: per tile x, y, width, height (CSS pixels) and the
 * change %, `TILE_WIDTH` values each; sector rectangles the same, with their names.
 */
export interface HeatmapView {
  width: number;
  height: number;
  symbols: string[];
  tiles: Float32Array;
  sectors: string[];
  sectorTiles: Float32Array;
  /** Traded value (currency) of each tile and sector, for the tooltip. */
  values: Float64Array;
  sectorValues: Float64Array;
  /** Laid out from the replayed market (values: last × volume), not the edge's live summary. */
  replay: boolean;
}
export const TILE = { x: 0, y: 1, width: 2, height: 3, changePct: 4 } as const;
export const TILE_WIDTH = 5;

export type VolumeCategory = 'high' | 'medium' | 'low';
export type VolumeSortKey = 'symbol' | 'relativeVolume' | 'volume' | 'priceVolumeCorrelation';

export interface VolumeRow {
  symbol: string;
  volume: number;
  relativeVolume: number | null;
  /** The bar's volume over relative volume: the mean of the 20 bars before it. */
  trailingAverage: number | null;
  category: VolumeCategory | null;
  priceVolumeCorrelation: number | null;
  startTimeUs: number;
}

/** Every symbol's newest finished bar's volume figures (GET /api/indicators?tf=), sorted as asked. */
export interface VolumeTableView {
  tf: string;
  analytics: string;
  rows: VolumeRow[];
  counts: Record<VolumeCategory, number>;
  /** While a replay is shown: the bars are those finished by this time (µs), the replay's clock; null: live. */
  asOfUs: number | null;
}

/** A matrix the job wrote (GET /api/correlations): what the Correlation view offers. */
export interface CorrelationCatalogEntry {
  group: string;
  timeframe: number;
  tf: string;
  windowBars: number;
  symbols: number;
}

/** What the visible views need from the edge's HTTP summaries; null: not polled. */
export interface SummaryWants {
  market: boolean;
  movers: { limit: number; tf: string } | null;
  heatmap: { width: number; height: number } | null;
  volume: { tf: string; sort: VolumeSortKey; descending: boolean } | null;
  correlationCatalog: boolean;
}

/** A market event as the dashboard keeps it: /api/events' JSON, and live MarketEvent frames made the same. */
export type MarketEventView = MarketEventJson;

export type AnalyticsStateName = 'Unknown' | 'Online' | 'Offline' | 'NeverRan';

/** Whether the analytics job is alive, as the edge judges it (AnalyticsStatus frames). */
export interface AnalyticsStatusView {
  state: AnalyticsStateName;
  detail: string;
  lagMs: number;
}

/**
 * A correlation matrix: `values` row-major, symbols.length², NaN where no matrix holds the pair;
 * `rgba` the same cells coloured by the palette the main thread gave (4 bytes each), for a texture.
 */
export interface CorrelationView {
  group: string;
  timeframe: number;
  windowBars: number;
  endTimeUs: number;
  symbols: string[];
  values: Float32Array;
  rgba: Uint8Array;
}

/** What to follow: a group ("sector:<name>", "all") or a set of symbols, at a timeframe and window (0: longest). */
export interface CorrelationRequestView {
  group: string;
  symbols: string[];
  timeframe: number;
  windowBars: number;
}

export type ConnectionStatus = 'connecting' | 'live' | 'stale' | 'reconnecting' | 'kafka-down';

export interface Subscription {
  symbols: string[];
  sectors: string[];
}

/** Cumulative counters of one feed since it started; the main thread turns them into rates. */
export interface FeedCounters {
  messages: number;
  wireBytes: number;
  bodyBytes: number;
  deltas: number;
  snapshots: number;
  updates: number;
  /** Symbol updates overwritten in the worker before the main thread took them. */
  conflated: number;
  /** Deltas not applied while waiting for a resync Snapshot. */
  dropped: number;
  gaps: number;
  resyncs: number;
  reconnects: number;
  protocolErrors: number;
  /** Server clock − this clock, µs (from Hello and Pongs). */
  clockOffsetUs: number;
  rttMs: number;
  epoch: number;
  lastSeq: number;
}

export type FeedCommand =
  /** `httpBase`: http://host of the edge's HTTP API (history, summaries, /health); null: none. */
  | { type: 'start'; url: string; httpBase: string | null; subscription: Subscription }
  /** The main thread is ready for the changes since the last `updates`. */
  | { type: 'pull' }
  | { type: 'reconnect' }
  /** Opens a series: its history now, its bars live after. */
  | { type: 'series-open'; spec: SeriesSpec }
  | { type: 'series-close'; id: number }
  /** The volume profile of a series over a time range, kept up to date as its bars change; null bins stops it. */
  | { type: 'series-profile'; id: number; fromUs: number; toUs: number; bins: number }
  | { type: 'summaries'; wants: SummaryWants }
  /** Reads the newest market events from /api/events (at connect, and after a new epoch). */
  | { type: 'load-events'; limit: number }
  /** `palette`: colours (0xRRGGBB) from correlation −1 to +1, evenly spaced, and last the colour of a missing pair. */
  | { type: 'correlations'; request: CorrelationRequestView | null; palette: number[] }
  | { type: 'stop' }
  /** Replay from `fromUs` at `speed` instead of the live market (protocol 4); the views follow it. */
  | { type: 'replay'; fromUs: number; speed: number }
  /** Controls the replay: ReplayAction 0 Play, 1 Pause, 2 Speed, 3 Seek, 4 Step. */
  | { type: 'replay-control'; action: number; speed?: number; toUs?: number; stepUs?: number }
  /** Back to the live market. */
  | { type: 'live' }
  /** Tests: lose the next Delta, as a network gap would. */
  | { type: 'drop-next-delta' };

export type LogKind = 'connection' | 'resync' | 'market' | 'error';

export type ReplayStateName = 'Loading' | 'Playing' | 'Paused' | 'Ended' | 'Stopped';

/** Where the dashboard's replay is (the edge's ReplayStatus); null in the report: live. */
export interface ReplayView {
  state: ReplayStateName;
  clockUs: number;
  speed: number;
  fromUs: number;
  retainedFromUs: number;
  detail: string;
}

export type FeedReport =
  | { type: 'status'; status: ConnectionStatus; detail: string }
  /** A Snapshot replaced the state: names and sectors by id, and every row. */
  | { type: 'universe'; epoch: number; names: string[]; sectors: string[]; rows: Float64Array; counters: FeedCounters }
  /** Rows of the symbols that changed since the last pull. */
  | { type: 'updates'; ids: Uint16Array; rows: Float64Array; counters: FeedCounters }
  /** Bars of a series, SERIES_WIDTH each: the whole of it (`reset`) or the ones that changed. `problem`: why none loaded. */
  | { type: 'series'; id: number; bars: Float64Array; reset: boolean; problem: string }
  | { type: 'profile'; profile: VolumeProfileView }
  | { type: 'market'; status: MarketStatusView }
  | { type: 'movers'; movers: MoversView }
  | { type: 'heatmap'; heatmap: HeatmapView }
  | { type: 'volume-table'; table: VolumeTableView }
  | { type: 'correlation-catalog'; matrices: CorrelationCatalogEntry[]; analytics: string }
  | { type: 'market-event'; event: MarketEventView }
  /** /api/events' answer, newest first. */
  | { type: 'events-history'; events: MarketEventView[] }
  | { type: 'analytics'; status: AnalyticsStatusView }
  | { type: 'correlations'; matrix: CorrelationView }
  | { type: 'log'; kind: LogKind; message: string }
  /** The replay changed (its clock with every window while it plays); null: back to live. */
  | { type: 'replay'; replay: ReplayView | null }
  /** The edge answered AlertList (on every connection): the user's rules may have changed meanwhile. */
  | { type: 'alerts'; rules: number; triggers: number }
  /** A trigger of the signed-in user, pushed by the edge. */
  | { type: 'alert-triggered'; trigger: AlertTriggerFields }
  /** The edge listed the user's orders (protocol 3, every connection): what the app shows may be out of date. */
  | { type: 'orders' }
  /** One of the user's orders changed: placed, cancel requested, or the fill engine's update (a fill…). */
  | { type: 'order-updated'; order: OrderStateFields; update: OrderUpdateFields | null }
  /** The user's portfolio as the fill engine wrote it (null: none opened yet), and the edge's last price of each position. */
  | { type: 'portfolio'; portfolio: PortfolioFields | null; marks: number[] };
