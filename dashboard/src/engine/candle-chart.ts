import { Application, Graphics, Text } from 'pixi.js';
import { type Bar, type CandleSeries, TIMEFRAME_US } from './candle-series.js';
import type { Engine } from './engine.js';
import { formatCompact, formatPrice } from './format.js';

export interface ChartColors {
  background: number;
  grid: number;
  text: number;
  up: number;
  down: number;
  crosshair: number;
  /** SMA/EMA lines and neutral event markers. */
  overlay: number;
}

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
const VOLUME_SHARE = 0.22;
const PRICE_LABELS = 6;
const TIME_LABELS = 6;

/**
 * Candlesticks and volume for one CandleSeries, with a crosshair, wheel zoom and drag pan.
 * Drawn with Pixi Graphics on dirty frames only, like the grid.
 */
export class CandleChart {
  readonly canvas: HTMLCanvasElement;
  series: CandleSeries | null = null;
  /** Bars across the plot (zoom) and bars hidden at the right (pan). */
  visibleBars = 120;
  offsetBars = 0;
  onHover: ((bar: Bar | null) => void) | null = null;
  /** The marks of the last draw (kind and time), oldest first: tests and the readout read them. */
  markers: { kind: string; timeUs: number }[] = [];
  /** Whether the analytics job's SMA 20 / EMA 20 lines are drawn. */
  showAverages = true;
  private drawnEvents = -1;
  private readonly bars = new Graphics();
  private readonly overlay = new Graphics();
  private readonly priceLabels: Text[] = [];
  private readonly timeLabels: Text[] = [];
  private drawnVersion = -1;
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
    this.removeRenderer = engine.addRenderer(() => this.render());
    const canvas = this.canvas;
    canvas.addEventListener('pointermove', (event) => {
      this.pointer = { x: event.offsetX, y: event.offsetY };
      if (event.buttons === 1) this.pan(event.movementX);
      this.engine.invalidate();
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
      this.engine.invalidate();
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
    const app = new Application();
    await app.init({
      preference: 'webgl',
      width,
      height,
      resolution: Math.min(2, globalThis.devicePixelRatio || 1),
      autoDensity: true,
      autoStart: false,
      antialias: true,
      background: colors.background,
    });
    app.ticker.stop();
    const chart = new CandleChart(app, engine, colors);
    chart.resize(width, height);
    return chart;
  }

  setSeries(series: CandleSeries | null): void {
    this.series = series;
    this.offsetBars = 0;
    this.drawnVersion = -1;
    this.engine.invalidate();
  }

  setColors(colors: ChartColors): void {
    this.colors = colors;
    this.app.renderer.background.color = colors.background;
    for (const label of [...this.priceLabels, ...this.timeLabels]) label.style.fill = colors.text;
    this.drawnVersion = -1;
    this.engine.invalidate();
  }

  /** The price (× PRICE_SCALE) at a y of the plot, or null outside it or before any bar is drawn. */
  priceAt(y: number): number | null {
    const scale = this.scale;
    if (scale === null || y < 0 || y > scale.plotH) return null;
    return scale.high - (y / scale.plotH) * (scale.high - scale.low);
  }

  setAlertLevels(levels: number[]): void {
    this.levels = levels;
    this.drawnVersion = -1;
    this.engine.invalidate();
  }

  setAlertTriggers(triggers: { timeUs: number; price: number }[]): void {
    this.triggers = triggers;
    this.drawnVersion = -1;
    this.engine.invalidate();
  }

  resize(width: number, height: number): void {
    this.width = Math.max(1, Math.floor(width));
    this.height = Math.max(1, Math.floor(height));
    this.app.renderer.resize(this.width, this.height);
    this.drawnVersion = -1;
    this.engine.invalidate();
  }

  zoom(factor: number): void {
    this.visibleBars = Math.max(10, Math.min(1000, Math.round(this.visibleBars * factor)));
    this.drawnVersion = -1;
    this.engine.invalidate();
  }

  pan(pixels: number): void {
    const step = (this.width - AXIS_WIDTH) / this.visibleBars;
    const total = this.series?.bars.length ?? 0;
    this.offsetBars = Math.max(0, Math.min(total - 5, this.offsetBars + pixels / step));
    this.drawnVersion = -1;
  }

  destroy(): void {
    this.removeRenderer();
    this.app.destroy({ removeView: true }, { children: true });
  }

  private window(): { bars: Bar[]; from: number } {
    const all = this.series?.bars ?? [];
    const end = Math.max(0, all.length - Math.round(this.offsetBars));
    const from = Math.max(0, end - this.visibleBars);
    return { bars: all.slice(from, end), from };
  }

  private render(): boolean {
    const version = this.series?.version ?? 0;
    const events = this.engine.events.version;
    if (version !== this.drawnVersion || events !== this.drawnEvents) {
      this.drawnVersion = version;
      this.drawnEvents = events;
      this.drawBars();
    }
    this.drawCrosshair();
    this.app.render();
    return true;
  }

  private drawBars(): void {
    const g = this.bars;
    const colors = this.colors;
    g.clear();
    const { bars } = this.window();
    const plotW = this.width - AXIS_WIDTH;
    const plotH = (this.height - TIME_AXIS_HEIGHT) * (1 - VOLUME_SHARE);
    const volumeTop = plotH + 4;
    const volumeH = this.height - TIME_AXIS_HEIGHT - volumeTop;
    for (const label of [...this.priceLabels, ...this.timeLabels]) label.text = '';
    this.scale = null;
    if (bars.length === 0) return;
    let low = Number.POSITIVE_INFINITY;
    let high = Number.NEGATIVE_INFINITY;
    let maxVolume = 1;
    for (const bar of bars) {
      low = Math.min(low, bar.low);
      high = Math.max(high, bar.high);
      maxVolume = Math.max(maxVolume, bar.volume);
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

    for (let i = 0; i < bars.length; i++) {
      const bar = bars[i] as Bar;
      const cx = x0 + (i + 0.5) * step;
      const color = bar.close >= bar.open ? colors.up : colors.down;
      const top = y(Math.max(bar.open, bar.close));
      const bottom = y(Math.min(bar.open, bar.close));
      g.rect(Math.round(cx) - 0.5, y(bar.high), 1, Math.max(1, y(bar.low) - y(bar.high))).fill(color);
      g.rect(cx - body / 2, top, body, Math.max(1, bottom - top)).fill(color);
      const vh = (bar.volume / maxVolume) * volumeH;
      g.rect(cx - body / 2, volumeTop + volumeH - vh, body, vh).fill({ color, alpha: 0.45 });
    }

    if (this.showAverages) {
      this.drawLine(g, bars, 'sma20', x0, step, y, colors.overlay);
      this.drawLine(g, bars, 'ema20', x0, step, y, colors.up);
    }
    // Alert levels inside the visible range, dashed.
    for (const level of this.levels) {
      if (level < low || level > high) continue;
      const py = Math.round(y(level)) + 0.5;
      for (let x = 0; x < plotW; x += 8) g.moveTo(x, py).lineTo(Math.min(plotW, x + 4), py);
    }
    g.stroke({ color: colors.crosshair, width: 1, alpha: 0.9 });
    this.drawMarks(g, bars, x0, step, (price) => y(Math.min(high, Math.max(low, price))));

    // Time labels, evenly spaced over the bars shown.
    // Labels at least 70 px apart: a few bars on a wide plot would otherwise print on top of each other.
    let previousX = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < TIME_LABELS; i++) {
      const index = Math.floor(((i + 0.5) * bars.length) / TIME_LABELS);
      const bar = bars[index];
      const label = this.timeLabels[i] as Text;
      const x = x0 + (index + 0.5) * step;
      if (!bar || x - previousX < 70) continue;
      previousX = x;
      label.text = formatTime(bar.startTimeUs, this.series?.timeframe ?? '1m');
      label.position.set(x0 + (index + 0.5) * step - label.width / 2, this.height - TIME_AXIS_HEIGHT + 4);
    }
    this.volumeLabel = `vol max ${formatCompact(maxVolume)}`;
  }

  /** One indicator of the analytics job as a line through the bars that have it (gaps where NaN). */
  private drawLine(
    g: Graphics,
    bars: Bar[],
    key: 'sma20' | 'ema20',
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
    g.stroke({ color, width: 1.5, alpha: 0.9 });
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
    const pointer = this.pointer;
    const plotW = this.width - AXIS_WIDTH;
    if (!pointer || pointer.x > plotW || pointer.y > this.height - TIME_AXIS_HEIGHT) {
      return;
    }
    g.moveTo(pointer.x + 0.5, 0).lineTo(pointer.x + 0.5, this.height - TIME_AXIS_HEIGHT);
    g.moveTo(0, pointer.y + 0.5).lineTo(plotW, pointer.y + 0.5);
    g.stroke({ color: this.colors.crosshair, width: 1, alpha: 0.8 });
    const { bars } = this.window();
    const step = plotW / this.visibleBars;
    const x0 = plotW - bars.length * step;
    const index = Math.floor((pointer.x - x0) / step);
    this.onHover?.(bars[index] ?? null);
  }
}

export function formatTime(timeUs: number, timeframe: string): string {
  const date = new Date(timeUs / 1000);
  const iso = date.toISOString();
  if (timeframe === '1d') return iso.slice(0, 10);
  if (timeframe === '1s') return iso.slice(11, 19);
  return iso.slice(11, 16);
}

/** A triangle with its tip at (x, tipY), pointing up when `size` > 0 (its body below), down when < 0. */
function triangle(g: Graphics, x: number, tipY: number, size: number, color: number): void {
  const baseY = tipY + size * 1.4;
  g.poly([x, tipY, x - Math.abs(size), baseY, x + Math.abs(size), baseY]).fill(color);
}
