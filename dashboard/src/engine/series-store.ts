import { TIMEFRAME_US } from './candle-series.js';
import { BAR, type FeedReport, SERIES_WIDTH, type SeriesSpec } from './feed-protocol.js';
import { PackedBars } from './packed-bars.js';

/** A bar as /api/candles writes it (docs/api.md): indicators null where there are none. */
interface BarJson {
  startTimeUs: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  vwap?: number | null;
  trades?: number | null;
  final?: boolean | null;
  sma20?: number | null;
  sma50?: number | null;
  ema20?: number | null;
  ema50?: number | null;
  volatility20?: number | null;
  relativeVolume?: number | null;
  priceVolumeCorrelation?: number | null;
}

export const TIMEFRAME_NAMES = ['1s', '1m', '5m', '15m', '1h', '4h', '1d'] as const;

/** Series other than the one the connection follows are refreshed this often over HTTP. */
const POLL_MS = 2000;
/** A volume profile is recomputed at most this often while its bars change. */
const PROFILE_EVERY_MS = 250;

export interface SeriesStoreOptions {
  fetch: typeof fetch | undefined;
  report: (report: FeedReport, transfer: ArrayBuffer[]) => void;
  /** Follow one (symbol, timeframe) on the connection (CandleSubscribe); null follows none. */
  follow: (chart: { symbol: string; timeframe: number } | null) => void;
  now?: () => number;
}

interface OpenSeries {
  spec: SeriesSpec;
  bars: PackedBars;
  profile: { fromUs: number; toUs: number; bins: number } | null;
  profileDue: boolean;
  lastProfileMs: number;
  profileTimer: ReturnType<typeof setTimeout> | null;
  /** Bumped by every load, so an answer to an older one is dropped. */
  loads: number;
}

function packJson(bars: BarJson[]): Float64Array {
  const packed = new Float64Array(bars.length * SERIES_WIDTH).fill(Number.NaN);
  const value = (v: number | boolean | null | undefined): number =>
    v === null || v === undefined ? Number.NaN : typeof v === 'boolean' ? (v ? 1 : 0) : v;
  bars.forEach((bar, i) => {
    const o = i * SERIES_WIDTH;
    packed[o + BAR.start] = bar.startTimeUs;
    packed[o + BAR.open] = bar.open;
    packed[o + BAR.high] = bar.high;
    packed[o + BAR.low] = bar.low;
    packed[o + BAR.close] = bar.close;
    packed[o + BAR.volume] = bar.volume;
    packed[o + BAR.vwap] = value(bar.vwap);
    packed[o + BAR.trades] = value(bar.trades);
    packed[o + BAR.final] = value(bar.final);
    packed[o + BAR.sma20] = value(bar.sma20);
    packed[o + BAR.sma50] = value(bar.sma50);
    packed[o + BAR.ema20] = value(bar.ema20);
    packed[o + BAR.ema50] = value(bar.ema50);
    packed[o + BAR.volatility20] = value(bar.volatility20);
    packed[o + BAR.relativeVolume] = value(bar.relativeVolume);
    packed[o + BAR.priceVolumeCorrelation] = value(bar.priceVolumeCorrelation);
  });
  return packed;
}

/**
 * The charts' bars, in the decode worker: each open series loads its history from
 * /api/candles (parsed here, off the main thread), then takes the connection's live Candles
 * frames if it is the series the connection follows (the newest opened: one CandleSubscribe per
 * connection), or a refresh over HTTP every 2 s otherwise. It keeps the Bollinger bands and any
 * volume profile asked for up to date, and hands the main thread the bars that changed.
 *
 * While a replay is shown, a chart holds only what had happened by the replay's clock: the
 * history up to the bar the replay loaded its market in (/api/candles with `to`), then the
 * replay's own Candles from that bar on; nothing is refreshed over HTTP (the edge's bars are live
 * ones), so a series the connection does not follow stays at the replay's start. Back to live,
 * every series loads its live history again.
 */
export class SeriesStore {
  private readonly open = new Map<number, OpenSeries>();
  private followed: OpenSeries | null = null;
  private pollTimer: ReturnType<typeof setInterval> | null = null;
  /** While a replay is shown: the event time it loaded its market at (its start or last seek), µs; null: live. */
  private replayAtUs: number | null = null;
  private readonly now: () => number;
  /** http://host of the edge's HTTP API, once started; null: no history. */
  httpBase: string | null = null;

  constructor(private readonly options: SeriesStoreOptions) {
    this.now = options.now ?? Date.now;
  }

  openSeries(spec: SeriesSpec): void {
    this.close(spec.id);
    const series: OpenSeries = {
      spec,
      bars: new PackedBars(),
      profile: null,
      profileDue: false,
      lastProfileMs: 0,
      profileTimer: null,
      loads: 0,
    };
    this.open.set(spec.id, series);
    void this.load(series, spec.limit);
    this.refollow();
    this.pollTimer ??= setInterval(() => this.poll(), POLL_MS);
  }

  close(id: number): void {
    const series = this.open.get(id);
    if (series === undefined) return;
    if (series.profileTimer) clearTimeout(series.profileTimer);
    this.open.delete(id);
    this.refollow();
    if (this.open.size === 0 && this.pollTimer) {
      clearInterval(this.pollTimer);
      this.pollTimer = null;
    }
  }

  stop(): void {
    for (const id of [...this.open.keys()]) this.close(id);
  }

  profile(id: number, fromUs: number, toUs: number, bins: number): void {
    const series = this.open.get(id);
    if (!series) return;
    series.profile = bins > 0 ? { fromUs, toUs, bins } : null;
    series.lastProfileMs = 0;
    series.profileDue = series.profile !== null;
    this.sendProfile(series);
  }

  /**
   * A Candles frame (`width` values per bar, oldest first) of the followed symbol and timeframe:
   * live, or the replay's while one is shown, of which only the bars from the replay's start on
   * are taken (the history before it is the edge's, with the job's indicators).
   */
  candles(symbol: string, timeframe: number, bars: Float64Array, width: number): void {
    for (const series of this.open.values()) {
      if (series.spec.symbol !== symbol || series.spec.timeframe !== timeframe) continue;
      const fromUs = this.replayBarUs(series);
      let o = 0;
      while (o < bars.length && (bars[o + BAR.start] as number) < fromUs) o += width;
      this.apply(series, o === 0 ? bars : bars.subarray(o), width);
    }
  }

  /**
   * A replay loaded its market at `atUs` (its start or a seek): every series starts again from
   * the history before it. Called when the edge says so (ReplayStatus Loading), so the Candles of
   * the market before a seek, sent before that status, are already in.
   */
  replayAt(atUs: number): void {
    this.replayAtUs = atUs;
    this.reloadAll();
  }

  /** The live market again: every series loads its live history. */
  live(): void {
    if (this.replayAtUs === null) return;
    this.replayAtUs = null;
    this.reloadAll();
  }

  /** A new epoch (a restarted edge, or another): every series reloads its history. */
  epoch(): void {
    for (const series of this.open.values()) void this.load(series, series.spec.limit);
  }

  /** The newest series is followed on the connection: it is the one on screen most recently asked for. */
  private refollow(): void {
    const newest = [...this.open.values()].at(-1) ?? null;
    if (newest === this.followed) return;
    this.followed = newest;
    this.options.follow(newest === null ? null : { symbol: newest.spec.symbol, timeframe: newest.spec.timeframe });
  }

  /** Start of the bar the replay's market was loaded in, µs (−∞ live): history ends before it, the replay's bars begin there. */
  private replayBarUs(series: OpenSeries): number {
    if (this.replayAtUs === null) return Number.NEGATIVE_INFINITY;
    const length = TIMEFRAME_US[TIMEFRAME_NAMES[series.spec.timeframe] ?? '1m'];
    return Math.floor(this.replayAtUs / length) * length;
  }

  /** Every series is emptied at once (no bar of the other market stays drawn) and loads its history again. */
  private reloadAll(): void {
    for (const series of this.open.values()) {
      series.bars.clear();
      this.sendBars(series, 0, true, '');
      void this.load(series, series.spec.limit);
    }
  }

  private poll(): void {
    if (this.replayAtUs !== null) return;
    for (const series of this.open.values()) {
      if (series !== this.followed && series.bars.count > 0) void this.load(series, 3);
    }
  }

  private async load(series: OpenSeries, limit: number): Promise<void> {
    const { httpBase } = this;
    const fetcher = this.options.fetch;
    if (httpBase === null || fetcher === undefined) return;
    const load = ++series.loads;
    const { symbol, timeframe, id } = series.spec;
    const tf = TIMEFRAME_NAMES[timeframe] ?? '1m';
    const replayBarUs = this.replayBarUs(series);
    const before = Number.isFinite(replayBarUs) ? `&to=${replayBarUs / 1000}` : '';
    const url = `${httpBase}/api/candles?symbol=${encodeURIComponent(symbol)}&tf=${tf}&limit=${limit}${before}`;
    try {
      const response = await fetcher(url, { cache: 'no-store' });
      if (!response.ok) throw new Error(`${response.status} ${(await response.text()).trim()}`);
      const body = (await response.json()) as { bars: BarJson[] };
      if (this.open.get(id) !== series || load !== series.loads) return;
      const whole = limit === series.spec.limit;
      const changed = series.bars.merge(packJson(body.bars), SERIES_WIDTH);
      this.sendBars(series, whole ? 0 : changed, whole, '');
    } catch (error) {
      if (this.open.get(id) !== series) return;
      const problem = `candles for ${symbol} ${tf} did not load: ${(error as Error).message}`;
      this.options.report({ type: 'series', id, bars: new Float64Array(0), reset: false, problem }, []);
    }
  }

  private apply(series: OpenSeries, bars: Float64Array, width: number): void {
    const changed = series.bars.merge(bars, width);
    this.sendBars(series, changed, false, '');
  }

  private sendBars(series: OpenSeries, from: number, reset: boolean, problem: string): void {
    if (!reset && from >= series.bars.count) return;
    const bars = reset ? series.bars.all() : series.bars.from(from);
    this.options.report({ type: 'series', id: series.spec.id, bars, reset, problem }, [bars.buffer as ArrayBuffer]);
    if (series.profile !== null) {
      series.profileDue = true;
      this.sendProfile(series);
    }
  }

  private sendProfile(series: OpenSeries): void {
    const wanted = series.profile;
    if (wanted === null || !series.profileDue) return;
    const now = this.now();
    const wait = series.lastProfileMs + PROFILE_EVERY_MS - now;
    if (wait > 0) {
      series.profileTimer ??= setTimeout(() => {
        series.profileTimer = null;
        if (this.open.get(series.spec.id) === series) this.sendProfile(series);
      }, wait);
      return;
    }
    series.lastProfileMs = now;
    series.profileDue = false;
    const { low, high, volumes } = series.bars.volumeProfile(wanted.fromUs, wanted.toUs, wanted.bins);
    this.options.report(
      {
        type: 'profile',
        profile: { id: series.spec.id, fromUs: wanted.fromUs, toUs: wanted.toUs, low, high, volumes },
      },
      [volumes.buffer as ArrayBuffer],
    );
  }
}
