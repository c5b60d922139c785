import { type Application, Graphics, Rectangle, Text } from 'pixi.js';
import { type Bar, TIMEFRAME_US } from './candle-series.js';
import type { Engine } from './engine.js';
import { formatCompact, formatPrice } from './format.js';
import { createPixiApp, drawPixi } from './pixi-surface.js';
import type { SeriesHandle } from './series-handle.js';
import { HIGH_AT, LOW_BELOW } from './volume-table.js';

export interface ChartColors {
  background: number;
  grid: number;
  text: number;
  up: number;
  down: number;
  crosshair: number;
  /** Neutral event markers. */
  overlay: number;
  sma20: number;
  sma50: number;
  ema20: number;
  ema50: number;
  vwap: number;
  band: number;
  /** Volume bars by category (Volume view). */
  volumeHigh: number;
  volumeMedium: number;
  volumeLow: number;
}

/** The lines a chart may draw over its candles: the job's averages and VWAP, the worker's Bollinger bands. */
export interface ChartOverlays {
  sma20: boolean;
  sma50: boolean;
  ema20: boolean;
  ema50: boolean;
  vwap: boolean;
  bollinger: boolean;
}

export const DEFAULT_OVERLAYS: ChartOverlays = {
  sma20: true,
  sma50: false,
  ema20: true,
  ema50: false,
  vwap: false,
  bollinger: false,
};

/** Event kinds marked in the down colour (below the bar), and in the up colour; the rest in the overlay colour. */
const BEARISH = new Set(['FlashCrash', 'Halt', 'HaltDetected']);
const BULLISH = new Set(['Breakout', 'Resume', 'ResumeDetected']);
/** The kind of a mark that is one of the user's alert triggers rather than a market event. */
export const ALERT_TRIGGER_MARK = 'AlertTriggered';

/** Something marked at the bar it happened in: a market event, or an alert trigger at the price that fired it. */
interface Mark {
  kind: string;
  timeUs: number;
  /** A trigger's price (× PRICE_SCALE): the marker points at it. Events mark the bar's high, or its low for a fall. */
  pointsAt?: number;
}

const AXIS_WIDTH = 72;
const TIME_AXIS_HEIGHT = 22;
const PRICE_LABELS = 6;
const TIME_LABELS = 6;
/** Bins of a volume profile, and the share of the plot's width its longest bar takes. */
const PROFILE_BINS = 48;
const PROFILE_SHARE = 0.22;
/** Bollinger bands: the mean ± this many standard deviations of the last 20 closes. */
const BAND_DEVIATIONS = 2;

const LINE_KEYS = ['sma20', 'sma50', 'ema20', 'ema50', 'vwap'] as const;

/**
 * Candlesticks and volume for one series, with overlays (the job's SMA/EMA and VWAP, Bollinger
 * bands), event markers, a volume profile, a halt banner, a crosshair, wheel zoom, drag pan and
 * a keyboard cursor. Drawn with Pixi Graphics only on frames where something it shows changed:
 * its bars, the events, the session, its size, colours or the pointer.
 */
export class CandleChart {
  readonly canvas: HTMLCanvasElement;
  handle: SeriesHandle | null = null;
  /** Bars across the plot (zoom) and bars hidden at the right (pan). */
  visibleBars = 120;
  offsetBars = 0;
  onHover: ((bar: Bar | null) => void) | null = null;
  /** Called when the bars in view change (pan, zoom, new bars): the first and last shown. */
  onView: ((first: Bar | null, last: Bar | null) => void) | null = null;
  /** The marks of the last draw (kind and time), oldest first: tests and the readout read them. */
  markers: { kind: string; timeUs: number }[] = [];
  /** Whether the last draw showed the symbol as halted (tests read it). */
  halted = false;
  overlays: ChartOverlays = { ...DEFAULT_OVERLAYS };
  /** Share of the height below the candles for volume. */
  volumeShare = 0.22;
  /** Volume bars coloured by relative volume category, with the trailing average as a line (Volume view). */
  volumeByCategory = false;
  /** Draws the volume at price of the bars in view (asked of the worker). */
  showProfile = false;
  /** A bar picked from the keyboard (index from the left of the view), shown like a hovered one; null: none. */
  cursor: number | null = null;
  private drawnEvents = -1;
  private drawnMarket = -1;
  private drawnProfile = -1;
  private readonly bars = new Graphics();
  private readonly overlay = new Graphics();
  private readonly priceLabels: Text[] = [];
  private readonly timeLabels: Text[] = [];
  private readonly banner: Text;
  private drawnVersion = -1;
  private needsDraw = true;
  private pointer: { x: number; y: number } | null = null;
  private width = 1;
  private height = 1;
  private readonly removeRenderer: () => void;
  /** The price scale of the last drawing, for turning a click into a price. */
  private scale: { low: number; high: number; plotH: number } | null = null;
  /** Active alert levels (prices × PRICE_SCALE), drawn as dashed lines. */
  private levels: number[] = [];
  /** Triggered alerts: marked at the bar holding `timeUs`, pointing at `price` (× PRICE_SCALE). */
  private triggers: { timeUs: number; price: number }[] = [];
  private pressedAt: { x: number; y: number } | null = null;
  private profileAsked = '';
  private viewKey = '';
  /** A click (not a drag) on the plot at this price (× PRICE_SCALE): e.g. to place an alert there. */
  onPick: ((price: number) => void) | null = null;

  private constructor(
    private readonly app: Application,
    private readonly engine: Engine,
    private colors: ChartColors,
  ) {
    this.canvas = app.canvas;
    app.stage.addChild(this.bars, this.overlay);
    const style = { fontFamily: 'ui-monospace, "DejaVu Sans Mono", monospace', fontSize: 11, fill: colors.text };
    for (let i = 0; i < PRICE_LABELS; i++) this.priceLabels.push(app.stage.addChild(new Text({ text: '', style })));
    for (let i = 0; i < TIME_LABELS; i++) this.timeLabels.push(app.stage.addChild(new Text({ text: '', style })));
    this.banner = app.stage.addChild(
      new Text({ text: '', style: { ...style, fontSize: 13, fontWeight: 'bold', fill: colors.down } }),
    );
    this.banner.position.set(8, 6);
    this.removeRenderer = engine.addRenderer(() => this.render());
    const canvas = this.canvas;
    canvas.addEventListener('pointermove', (event) => {
      this.pointer = { x: event.offsetX, y: event.offsetY };
      if (event.buttons === 1) this.pan(event.movementX);
      this.invalidate();
    });
    canvas.addEventListener('pointerdown', (event) => {
      this.pressedAt = { x: event.offsetX, y: event.offsetY };
    });
    canvas.addEventListener('pointerup', (event) => {
      const pressed = this.pressedAt;
      this.pressedAt = null;
      if (!pressed || Math.abs(event.offsetX - pressed.x) + Math.abs(event.offsetY - pressed.y) > 4) return;
      const price = this.priceAt(event.offsetY);
      if (price !== null && event.offsetX <= this.width - AXIS_WIDTH) this.onPick?.(price);
    });
    canvas.addEventListener('pointerleave', () => {
      this.pointer = null;
      this.onHover?.(null);
      this.invalidate();
    });
    canvas.addEventListener(
      'wheel',
      (event) => {
        event.preventDefault();
        this.zoom(event.deltaY > 0 ? 1.15 : 1 / 1.15);
      },
      { passive: false },
    );
  }

  static async create(engine: Engine, colors: ChartColors, width: number, height: number): Promise<CandleChart> {
    const app = await createPixiApp(width, height, colors.background, { antialias: true });
    const chart = new CandleChart(app, engine, colors);
    chart.resize(width, height);
    return chart;
  }

  get series() {
    return this.handle?.series ?? null;
  }

  setHandle(handle: SeriesHandle | null): void {
    this.handle = handle;
    this.offsetBars = 0;
    this.cursor = null;
    this.profileAsked = '';
    this.viewKey = '';
    this.redraw();
  }

  setColors(colors: ChartColors): void {
    this.colors = colors;
    this.app.renderer.background.color = colors.background;
    for (const label of [...this.priceLabels, ...this.timeLabels]) label.style.fill = colors.text;
    this.banner.style.fill = colors.down;
    this.redraw();
  }

  setOverlays(overlays: ChartOverlays): void {
    this.overlays = { ...overlays };
    this.redraw();
  }

  /** The price (× PRICE_SCALE) at a y of the plot, or null outside it or before any bar is drawn. */
  priceAt(y: number): number | null {
    const scale = this.scale;
    if (scale === null || y < 0 || y > scale.plotH) return null;
    return scale.high - (y / scale.plotH) * (scale.high - scale.low);
  }

  setAlertLevels(levels: number[]): void {
    this.levels = levels;
    this.redraw();
  }

  setAlertTriggers(triggers: { timeUs: number; price: number }[]): void {
    this.triggers = triggers;
    this.redraw();
  }

  resize(width: number, height: number): void {
    this.width = Math.max(1, Math.floor(width));
    this.height = Math.max(1, Math.floor(height));
    this.app.renderer.resize(this.width, this.height);
    this.redraw();
  }

  zoom(factor: number): void {
    this.visibleBars = Math.max(10, Math.min(2000, Math.round(this.visibleBars * factor)));
    this.redraw();
  }

  /** Pans by pixels (drag: positive shows older bars). */
  pan(pixels: number): void {
    this.panBars(pixels / ((this.width - AXIS_WIDTH) / this.visibleBars));
  }

  /** Pans by bars: positive shows older ones. */
  panBars(bars: number): void {
    const total = this.series?.bars.length ?? 0;
    this.offsetBars = Math.max(0, Math.min(Math.max(0, total - 5), this.offsetBars + bars));
    this.redraw();
  }

  /** Back to the newest bars. */
  toNewest(): void {
    this.offsetBars = 0;
    this.redraw();
  }

  /** To the oldest bars held. */
  toOldest(): void {
    this.panBars(Number.POSITIVE_INFINITY);
  }

  /** Pans so the bar holding `timeUs` (or the nearest) is in the middle of the view; returns whether one was found. */
  goToTime(timeUs: number): boolean {
    const series = this.series;
    if (!series || series.bars.length === 0) return false;
    const index = Math.min(series.bars.length - 1, series.indexAt(timeUs));
    const total = series.bars.length;
    this.offsetBars = Math.max(0, Math.min(total - 5, total - 1 - index - Math.floor(this.visibleBars / 2)));
    this.cursor = null;
    this.redraw();
    return true;
  }

  /** Moves the keyboard cursor by `delta` bars, panning when it leaves the view. */
  moveCursor(delta: number): void {
    const { bars } = this.window();
    if (bars.length === 0) return;
    const next = (this.cursor ?? bars.length - 1) + delta;
    if (next < 0) {
      this.panBars(-next);
      this.cursor = 0;
    } else if (next >= bars.length) {
      this.panBars(bars.length - 1 - next);
      this.cursor = Math.min(bars.length - 1, next);
    } else this.cursor = next;
    this.onHover?.(this.window().bars[this.cursor] ?? null);
    this.invalidate();
  }

  clearCursor(): void {
    this.cursor = null;
    this.onHover?.(null);
    this.invalidate();
  }

  /** The bars in view, oldest first (CSV export). */
  visibleBarList(): Bar[] {
    return this.window().bars;
  }

  /** The chart as drawn, as a PNG. */
  async toPng(): Promise<Blob> {
    this.draw();
    const canvas = this.app.renderer.extract.canvas({
      target: this.app.stage,
      frame: new Rectangle(0, 0, this.width, this.height),
      clearColor: this.colors.background,
    }) as HTMLCanvasElement;
    return new Promise((resolve, reject) =>
      canvas.toBlob(
        (blob) => (blob ? resolve(blob) : reject(new Error('the chart did not encode as PNG'))),
        'image/png',
      ),
    );
  }

  destroy(): void {
    this.removeRenderer();
    this.app.destroy({ removeView: true }, { children: true });
  }

  private redraw(): void {
    this.drawnVersion = -1;
    this.invalidate();
  }

  private invalidate(): void {
    this.needsDraw = true;
    this.engine.invalidate();
  }

  private window(): { bars: Bar[]; from: number } {
    const all = this.series?.bars ?? [];
    const end = Math.max(0, all.length - Math.round(this.offsetBars));
    const from = Math.max(0, end - this.visibleBars);
    return { bars: all.slice(from, end), from };
  }

  /** Draws only when something shown changed: its bars, events, session, profile, size or the pointer. */
  private render(): boolean {
    const version = this.series?.version ?? 0;
    const changed =
      version !== this.drawnVersion ||
      this.engine.events.version !== this.drawnEvents ||
      this.engine.market.version !== this.drawnMarket ||
      (this.showProfile && (this.handle?.profileVersion ?? 0) !== this.drawnProfile);
    if (!changed && !this.needsDraw) return false;
    this.draw();
    return true;
  }

  private draw(): void {
    const version = this.series?.version ?? 0;
    if (
      version !== this.drawnVersion ||
      this.engine.events.version !== this.drawnEvents ||
      this.engine.market.version !== this.drawnMarket ||
      (this.showProfile && (this.handle?.profileVersion ?? 0) !== this.drawnProfile)
    ) {
      this.drawnVersion = version;
      this.drawnEvents = this.engine.events.version;
      this.drawnMarket = this.engine.market.version;
      this.drawnProfile = this.handle?.profileVersion ?? 0;
      this.drawBars();
    }
    this.drawCrosshair();
    this.needsDraw = false;
    drawPixi(this.app);
  }

  private drawBars(): void {
    const g = this.bars;
    const colors = this.colors;
    g.clear();
    const { bars } = this.window();
    const plotW = this.width - AXIS_WIDTH;
    const plotH = (this.height - TIME_AXIS_HEIGHT) * (1 - this.volumeShare);
    const volumeTop = plotH + 4;
    const volumeH = this.height - TIME_AXIS_HEIGHT - volumeTop;
    for (const label of [...this.priceLabels, ...this.timeLabels]) label.text = '';
    this.scale = null;
    this.drawBanner();
    this.reportView(bars);
    if (bars.length === 0) {
      this.markers = [];
      return;
    }
    let low = Number.POSITIVE_INFINITY;
    let high = Number.NEGATIVE_INFINITY;
    let maxVolume = 1;
    const bands = this.overlays.bollinger;
    for (const bar of bars) {
      low = Math.min(low, bar.low);
      high = Math.max(high, bar.high);
      maxVolume = Math.max(maxVolume, bar.volume);
      if (bands && Number.isFinite(bar.mean20) && Number.isFinite(bar.stdev20)) {
        const spread = BAND_DEVIATIONS * (bar.stdev20 as number);
        low = Math.min(low, (bar.mean20 as number) - spread);
        high = Math.max(high, (bar.mean20 as number) + spread);
      }
    }
    const pad = (high - low) * 0.08 || high * 0.001 || 1;
    low -= pad;
    high += pad;
    this.scale = { low, high, plotH };
    const y = (price: number): number => ((high - price) / (high - low)) * plotH;
    const step = plotW / this.visibleBars;
    const body = Math.max(1, step * 0.7);
    const x0 = plotW - bars.length * step;

    // Grid lines and price labels.
    for (let i = 0; i < PRICE_LABELS; i++) {
      const price = low + ((high - low) * (i + 0.5)) / PRICE_LABELS;
      const py = Math.round(y(price)) + 0.5;
      g.moveTo(0, py).lineTo(plotW, py);
      const label = this.priceLabels[i] as Text;
      label.text = formatPrice(price);
      label.position.set(plotW + 6, py - 7);
    }
    g.stroke({ color: colors.grid, width: 1 });

    if (this.showProfile) this.drawProfile(g, plotW, y);
    if (bands) this.drawBands(g, bars, x0, step, y);

    for (let i = 0; i < bars.length; i++) {
      const bar = bars[i] as Bar;
      const cx = x0 + (i + 0.5) * step;
      const color = bar.close >= bar.open ? colors.up : colors.down;
      const top = y(Math.max(bar.open, bar.close));
      const bottom = y(Math.min(bar.open, bar.close));
      g.rect(Math.round(cx) - 0.5, y(bar.high), 1, Math.max(1, y(bar.low) - y(bar.high))).fill(color);
      g.rect(cx - body / 2, top, body, Math.max(1, bottom - top)).fill(color);
      const vh = (bar.volume / maxVolume) * volumeH;
      g.rect(cx - body / 2, volumeTop + volumeH - vh, body, vh).fill({
        color: this.volumeByCategory ? this.categoryColor(bar.relativeVolume) : color,
        alpha: this.volumeByCategory ? 0.85 : 0.45,
      });
    }
    if (this.volumeByCategory)
      this.drawTrailingAverage(g, bars, x0, step, (v) => volumeTop + volumeH - (v / maxVolume) * volumeH);

    for (const key of LINE_KEYS) if (this.overlays[key]) this.drawLine(g, bars, key, x0, step, y, colors[key]);
    // Alert levels inside the visible range, dashed.
    for (const level of this.levels) {
      if (level < low || level > high) continue;
      const py = Math.round(y(level)) + 0.5;
      for (let x = 0; x < plotW; x += 8) g.moveTo(x, py).lineTo(Math.min(plotW, x + 4), py);
    }
    g.stroke({ color: colors.crosshair, width: 1, alpha: 0.9 });
    this.drawMarks(g, bars, x0, step, (price) => y(Math.min(high, Math.max(low, price))));

    // Time labels, evenly spaced over the bars shown, at least 70 px apart.
    let previousX = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < TIME_LABELS; i++) {
      const index = Math.floor(((i + 0.5) * bars.length) / TIME_LABELS);
      const bar = bars[index];
      const label = this.timeLabels[i] as Text;
      const x = x0 + (index + 0.5) * step;
      if (!bar || x - previousX < 70) continue;
      previousX = x;
      label.text = formatTime(bar.startTimeUs, this.series?.timeframe ?? '1m');
      label.position.set(x - label.width / 2, this.height - TIME_AXIS_HEIGHT + 4);
    }
    this.volumeLabel = `vol max ${formatCompact(maxVolume)}`;
  }

  /** "HALTED since 14:31:05 UTC" over the plot while the symbol is halted (a halt event, announced or detected). */
  private drawBanner(): void {
    const symbol = this.series?.symbol ?? '';
    const halt = this.engine.haltOf(symbol);
    this.halted = halt !== undefined;
    this.banner.text = halt ? `HALTED since ${formatTime(halt.sinceUs, '1s')} UTC` : '';
  }

  private reportView(bars: Bar[]): void {
    const first = bars[0] ?? null;
    const last = bars[bars.length - 1] ?? null;
    const key = `${first?.startTimeUs}-${last?.startTimeUs}`;
    if (key === this.viewKey) return;
    this.viewKey = key;
    this.onView?.(first, last);
    // The volume profile follows the bars in view.
    if (this.showProfile && this.handle && first && last) {
      const toUs = last.startTimeUs + TIMEFRAME_US[this.handle.timeframe];
      const asked = `${first.startTimeUs}-${toUs}`;
      if (asked !== this.profileAsked) {
        this.profileAsked = asked;
        this.handle.requestProfile(first.startTimeUs, toUs, PROFILE_BINS);
      }
    }
  }

  private categoryColor(relativeVolume: number | undefined): number {
    if (relativeVolume === undefined || !Number.isFinite(relativeVolume)) return this.colors.grid;
    return relativeVolume >= HIGH_AT
      ? this.colors.volumeHigh
      : relativeVolume < LOW_BELOW
        ? this.colors.volumeLow
        : this.colors.volumeMedium;
  }

  /** The trailing average the job's relative volume compares with: volume ÷ relative volume. */
  private drawTrailingAverage(g: Graphics, bars: Bar[], x0: number, step: number, y: (volume: number) => number): void {
    let drawing = false;
    for (let i = 0; i < bars.length; i++) {
      const bar = bars[i] as Bar;
      const relative = bar.relativeVolume;
      if (relative === undefined || !(relative > 0)) {
        drawing = false;
        continue;
      }
      const x = x0 + (i + 0.5) * step;
      const average = bar.volume / relative;
      if (drawing) g.lineTo(x, y(average));
      else g.moveTo(x, y(average));
      drawing = true;
    }
    g.stroke({ color: this.colors.text, width: 1.5, alpha: 0.9 });
  }

  /** Volume at price of the bars in view, as bars from the right edge of the plot. */
  private drawProfile(g: Graphics, plotW: number, y: (price: number) => number): void {
    const profile = this.handle?.profile;
    if (!profile || profile.volumes.length === 0 || !(profile.high > profile.low)) return;
    let max = 0;
    for (const v of profile.volumes) max = Math.max(max, v);
    if (!(max > 0)) return;
    const bins = profile.volumes.length;
    const stepPrice = (profile.high - profile.low) / bins;
    for (let k = 0; k < bins; k++) {
      const v = profile.volumes[k] as number;
      if (!(v > 0)) continue;
      const top = y(profile.low + (k + 1) * stepPrice);
      const bottom = y(profile.low + k * stepPrice);
      const w = (v / max) * plotW * PROFILE_SHARE;
      g.rect(plotW - w, top + 0.5, w, Math.max(1, bottom - top - 1)).fill({ color: this.colors.overlay, alpha: 0.28 });
    }
  }

  /** Bollinger bands: the mean of the last 20 closes ± 2 standard deviations, a line each and a faint fill between. */
  private drawBands(g: Graphics, bars: Bar[], x0: number, step: number, y: (price: number) => number): void {
    const upper: number[] = [];
    const lower: number[] = [];
    const flush = (): void => {
      if (upper.length >= 4) {
        g.poly([...upper, ...pairsReversed(lower)]).fill({ color: this.colors.band, alpha: 0.08 });
        g.poly(upper, false).stroke({ color: this.colors.band, width: 1, alpha: 0.9 });
        g.poly(lower, false).stroke({ color: this.colors.band, width: 1, alpha: 0.9 });
      }
      upper.length = 0;
      lower.length = 0;
    };
    for (let i = 0; i < bars.length; i++) {
      const bar = bars[i] as Bar;
      if (!Number.isFinite(bar.mean20) || !Number.isFinite(bar.stdev20)) {
        flush();
        continue;
      }
      const x = x0 + (i + 0.5) * step;
      const spread = BAND_DEVIATIONS * (bar.stdev20 as number);
      upper.push(x, y((bar.mean20 as number) + spread));
      lower.push(x, y((bar.mean20 as number) - spread));
    }
    flush();
  }

  /** One indicator as a line through the bars that have it (gaps where NaN). */
  private drawLine(
    g: Graphics,
    bars: Bar[],
    key: (typeof LINE_KEYS)[number],
    x0: number,
    step: number,
    y: (price: number) => number,
    color: number,
  ): void {
    let drawing = false;
    for (let i = 0; i < bars.length; i++) {
      const value = bars[i]?.[key];
      if (value === undefined || !Number.isFinite(value)) {
        drawing = false;
        continue;
      }
      const x = x0 + (i + 0.5) * step;
      if (drawing) g.lineTo(x, y(value));
      else g.moveTo(x, y(value));
      drawing = true;
    }
    g.stroke({ color, width: 1.5, alpha: 0.95 });
  }

  /**
   * A triangle per mark at the bar it happened in: the market events of this symbol above the bar
   * (below it, pointing up, for a fall) and the user's alert triggers pointing at their price.
   */
  private drawMarks(g: Graphics, bars: Bar[], x0: number, step: number, y: (price: number) => number): void {
    const series = this.series;
    const first = bars[0];
    const last = bars[bars.length - 1];
    this.markers = [];
    if (!series || !first || !last) return;
    const from = first.startTimeUs;
    // While replaying, nothing after the replay's clock has happened yet.
    const to = Math.min(last.startTimeUs + TIMEFRAME_US[series.timeframe], this.engine.marketNowUs());
    const marks: Mark[] = this.engine.events
      .between(series.symbol, from, to)
      .map((event): Mark => ({ kind: event.kind, timeUs: event.timeUs }));
    for (const trigger of this.triggers)
      if (trigger.timeUs >= from && trigger.timeUs < to)
        marks.push({ kind: ALERT_TRIGGER_MARK, timeUs: trigger.timeUs, pointsAt: trigger.price });
    marks.sort((a, b) => a.timeUs - b.timeUs);
    const size = Math.max(4, Math.min(8, step * 0.6));
    const colors = this.colors;
    let i = 0;
    for (const mark of marks) {
      while (i < bars.length - 1 && (bars[i + 1] as Bar).startTimeUs <= mark.timeUs) i++;
      const bar = bars[i] as Bar;
      const x = x0 + (i + 0.5) * step;
      if (mark.pointsAt !== undefined) triangle(g, x, Math.max(size * 1.4, y(mark.pointsAt)), -size, colors.crosshair);
      else if (BEARISH.has(mark.kind)) triangle(g, x, y(bar.low) + 4, size, colors.down);
      else triangle(g, x, y(bar.high) - 4, -size, BULLISH.has(mark.kind) ? colors.up : colors.overlay);
      this.markers.push({ kind: mark.kind, timeUs: mark.timeUs });
    }
  }

  /** Shown in the readout when no bar is hovered. */
  volumeLabel = '';

  private drawCrosshair(): void {
    const g = this.overlay;
    g.clear();
    const plotW = this.width - AXIS_WIDTH;
    const { bars } = this.window();
    const step = plotW / this.visibleBars;
    const x0 = plotW - bars.length * step;
    let pointer = this.pointer;
    if (pointer === null && this.cursor !== null && bars[this.cursor]) {
      // The keyboard cursor: a vertical line through its bar, a horizontal one at its close.
      const bar = bars[this.cursor] as Bar;
      const scale = this.scale;
      const y = scale ? ((scale.high - bar.close) / (scale.high - scale.low)) * scale.plotH : 0;
      pointer = { x: x0 + (this.cursor + 0.5) * step, y };
    }
    if (!pointer || pointer.x > plotW || pointer.y > this.height - TIME_AXIS_HEIGHT) return;
    g.moveTo(pointer.x + 0.5, 0).lineTo(pointer.x + 0.5, this.height - TIME_AXIS_HEIGHT);
    g.moveTo(0, pointer.y + 0.5).lineTo(plotW, pointer.y + 0.5);
    g.stroke({ color: this.colors.crosshair, width: 1, alpha: 0.8 });
    if (this.pointer !== null) this.onHover?.(bars[Math.floor((pointer.x - x0) / step)] ?? null);
  }
}

/** [x0, y0, x1, y1, …] with its points in reverse order. */
function pairsReversed(points: number[]): number[] {
  const out: number[] = [];
  for (let i = points.length - 2; i >= 0; i -= 2) out.push(points[i] as number, points[i + 1] as number);
  return out;
}

export function formatTime(timeUs: number, timeframe: string): string {
  const date = new Date(timeUs / 1000);
  const iso = date.toISOString();
  if (timeframe === '1d') return iso.slice(0, 10);
  if (timeframe === '1s') return iso.slice(11, 19);
  if (timeframe === '4h' || timeframe === '1h') return `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
  return iso.slice(11, 16);
}

/** A triangle with its tip at (x, tipY), pointing up when `size` > 0 (its body below), down when < 0. */
function triangle(g: Graphics, x: number, tipY: number, size: number, color: number): void {
  const baseY = tipY + size * 1.4;
  g.poly([x, tipY, x - Math.abs(size), baseY, x + Math.abs(size), baseY]).fill(color);
}
