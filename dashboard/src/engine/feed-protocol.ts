import type { AlertTriggerFields, MarketEventJson } from '@tickstream/schemas';

// What the decode worker and the main thread say to each other. Bulk data travels as
// transferable typed arrays; everything else is small and rare.

/** Values per symbol row, in this order (prices × Hello.price_scale, times in µs). */
export const ROW = { last: 0, bid: 1, ask: 2, open: 3, high: 4, low: 5, volume: 6, ticks: 7, timeUs: 8 } as const;
export const ROW_WIDTH = 9;
/**
 * Values per candle bar: start time µs, open, high, low, close, volume, then (protocol 2) VWAP,
 * trades, final (1 when the analytics job wrote the bar, else 0) and its seven indicators
 * (sma20, sma50, ema20, ema50, volatility20, relativeVolume, priceVolumeCorrelation; NaN when none).
 */
export const BAR_WIDTH = 16;

/** A market event as the dashboard keeps it: /api/events' JSON, and live MarketEvent frames made the same. */
export type MarketEventView = MarketEventJson;

export type AnalyticsStateName = 'Unknown' | 'Online' | 'Offline' | 'NeverRan';

/** Whether the analytics job is alive, as the edge judges it (AnalyticsStatus frames). */
export interface AnalyticsStatusView {
  state: AnalyticsStateName;
  detail: string;
  lagMs: number;
}

/** A correlation matrix: `values` row-major, symbols.length², NaN where no matrix holds the pair. */
export interface CorrelationView {
  group: string;
  timeframe: number;
  windowBars: number;
  endTimeUs: number;
  symbols: string[];
  values: Float32Array;
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
  | { type: 'start'; url: string; healthUrl: string | null; subscription: Subscription }
  /** The main thread is ready for the changes since the last `updates`. */
  | { type: 'pull' }
  | { type: 'reconnect' }
  | { type: 'candles'; symbol: string | null; timeframe: number }
  | { type: 'correlations'; request: CorrelationRequestView | null }
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
  | { type: 'candles'; symbol: string; timeframe: number; bars: Float64Array }
  | { type: 'market-event'; event: MarketEventView }
  | { type: 'analytics'; status: AnalyticsStatusView }
  | { type: 'correlations'; matrix: CorrelationView }
  | { type: 'log'; kind: LogKind; message: string }
  /** The replay changed (its clock with every window while it plays); null: back to live. */
  | { type: 'replay'; replay: ReplayView | null }
  /** The edge answered AlertList (on every connection): the user's rules may have changed meanwhile. */
  | { type: 'alerts'; rules: number; triggers: number }
  /** A trigger of the signed-in user, pushed by the edge. */
  | { type: 'alert-triggered'; trigger: AlertTriggerFields };
