import { type Application, Particle, type ParticleContainer } from 'pixi.js';
import { FLASH_MS, FLASH_PEAK, FLASH_STEP_MS, mix } from './colors.js';
import type { Engine } from './engine.js';
import { ROW } from './feed-protocol.js';
import { formatCompact, formatPercent, formatPrice, formatSigned } from './format.js';
import type { GlyphAtlas } from './glyph-atlas.js';
import { createTextSurface, drawPixi, glyphLayer } from './pixi-surface.js';

export interface GridColors {
  background: number;
  stripe: number;
  text: number;
  muted: number;
  up: number;
  down: number;
  selection: number;
}

export type ColumnKey = 'symbol' | 'sector' | 'last' | 'change' | 'changePct' | 'volume';

interface Column {
  key: ColumnKey;
  chars: number;
  align: 'left' | 'right';
}

const COLUMNS: Column[] = [
  // The last character of the symbol column is the event badge (◆).
  { key: 'symbol', chars: 8, align: 'left' },
  { key: 'sector', chars: 14, align: 'left' },
  { key: 'last', chars: 10, align: 'right' },
  { key: 'change', chars: 9, align: 'right' },
  { key: 'changePct', chars: 9, align: 'right' },
  { key: 'volume', chars: 9, align: 'right' },
];
/**
 * Which columns fit a width, widest set first: all six; without the sector; then symbol, last,
 * change % and volume (a phone). The symbol column always comes first.
 */
const COLUMN_SETS: ColumnKey[][] = [
  ['symbol', 'sector', 'last', 'change', 'changePct', 'volume'],
  ['symbol', 'last', 'change', 'changePct', 'volume'],
  ['symbol', 'last', 'changePct', 'volume'],
];
const GAP_CHARS = 2;
const FONT_PX = 13;

/** Event kinds whose badge is drawn in the down colour, and in the up colour; others in the text colour. */
const BEARISH = new Set(['FlashCrash', 'Halt', 'HaltDetected']);
const BULLISH = new Set(['Breakout', 'Resume', 'ResumeDetected']);

/** One visible row's particles, made once per layout; a frame draws the ones it needs. */
interface RowSprites {
  background: Particle;
  /** One per character cell, at its fixed place. */
  glyphs: Particle[];
}

/**
 * The Market grid: every visible row of the filtered, sorted symbol list drawn as glyph
 * particles. Only the visible rows exist (virtualised), and the canvas is rendered only on
 * frames where data, scroll, selection or a flash changed: the Pixi ticker never runs (without
 * a GPU a per-frame redraw costs ~2 cores).
 *
 * Without a GPU every pixel a frame covers is work for SwiftShader, so a frame draws as few as
 * it can: the canvas is cleared to the background colour, then only rows of another colour
 * (stripes, the selection, flashes) get an opaque background quad (no blending), and only
 * non-blank cells a glyph (pixel-aligned, sampled nearest). Each layer's particle list is
 * rebuilt per frame from particles made once per layout, with no allocation.
 */
export class MarketGrid {
  readonly canvas: HTMLCanvasElement;
  order: Uint16Array = new Uint16Array(0);
  first = 0;
  selected = 0;
  reducedMotion = false;
  /** Symbols drawn with an event badge in the last frame (tests and the screen-reader summary read it). */
  badged: string[] = [];
  /** Symbols drawn as halted in the last frame (tests read it). */
  haltedShown: string[] = [];
  /** The columns drawn at the current width. */
  private shown: Column[] = COLUMNS;
  private rows: RowSprites[] = [];
  /** Row backgrounds (opaque: drawn without blending) and glyphs, drawn in that order. */
  private backgroundLayer: ParticleContainer | null = null;
  private glyphLayer: ParticleContainer | null = null;
  private readonly rowHeight: number;
  private readonly charWidth: number;
  /** The host's size; the canvas is as wide as the columns drawn (drawnWidth), at most this. */
  private width = 0;
  private drawnWidth = 0;
  private height = 0;
  private readonly removeRenderer: () => void;
  private flashTimer: ReturnType<typeof setTimeout> | null = null;

  private constructor(
    private readonly app: Application,
    private readonly atlas: GlyphAtlas,
    private readonly engine: Engine,
    private colors: GridColors,
  ) {
    this.canvas = app.canvas;
    this.rowHeight = Math.round(atlas.height + 6);
    this.charWidth = atlas.width;
    this.removeRenderer = engine.addRenderer((now, changed) => this.render(now, changed));
  }

  static async create(engine: Engine, colors: GridColors, width: number, height: number): Promise<MarketGrid> {
    const { app, atlas } = await createTextSurface(width, height, colors.background, FONT_PX);
    const grid = new MarketGrid(app, atlas, engine, colors);
    grid.resize(width, height);
    return grid;
  }

  /** Where each column starts and how wide it is, in CSS pixels (the DOM header uses it). */
  columns(): { key: ColumnKey; x: number; width: number; align: 'left' | 'right' }[] {
    return this.layoutOf(this.shown);
  }

  private layoutOf(columns: Column[]): { key: ColumnKey; x: number; width: number; align: 'left' | 'right' }[] {
    let x = this.charWidth;
    return columns.map((column) => {
      const layout = { key: column.key, x, width: column.chars * this.charWidth, align: column.align };
      x += (column.chars + GAP_CHARS) * this.charWidth;
      return layout;
    });
  }

  get visibleRows(): number {
    return Math.max(1, Math.floor(this.height / this.rowHeight));
  }

  resize(width: number, height: number): void {
    this.width = Math.max(1, Math.floor(width));
    this.height = Math.max(1, Math.floor(height));
    // The widest set of columns that fits: fewer columns on a narrow panel or a phone.
    const fits = (keys: ColumnKey[]): boolean => {
      const last = this.layoutOf(COLUMNS.filter((column) => keys.includes(column.key))).at(-1);
      return last !== undefined && last.x + last.width <= this.width;
    };
    const keys = COLUMN_SETS.find(fits) ?? (COLUMN_SETS.at(-1) as ColumnKey[]);
    this.shown = COLUMNS.filter((column) => keys.includes(column.key));
    // The canvas ends after the last column: every pixel of a changed canvas is composited
    // again (in SwiftShader, without a GPU), and to its right there is only background.
    const last = this.layoutOf(this.shown).at(-1);
    this.drawnWidth = Math.min(
      this.width,
      last === undefined ? this.width : Math.ceil(last.x + last.width + this.charWidth),
    );
    this.app.renderer.resize(this.drawnWidth, this.height);
    // Taller: more rows fit, so the first row shown may move up (no empty rows below the last).
    this.first = Math.max(0, Math.min(this.first, this.order.length - this.visibleRows));
    this.build();
    this.engine.invalidate();
  }

  setColors(colors: GridColors): void {
    this.colors = colors;
    this.app.renderer.background.color = colors.background;
    this.engine.invalidate();
  }

  setOrder(order: Uint16Array): void {
    this.order = order;
    this.first = Math.max(0, Math.min(this.first, order.length - this.visibleRows));
    this.selected = Math.min(this.selected, Math.max(0, order.length - 1));
    this.engine.invalidate();
  }

  scrollBy(rows: number): void {
    this.scrollTo(this.first + rows);
  }

  scrollTo(first: number): void {
    const next = Math.max(0, Math.min(Math.round(first), this.order.length - this.visibleRows));
    if (next !== this.first) {
      this.first = next;
      this.engine.invalidate();
    }
  }

  /** Selects a row of the current order and scrolls it into view. */
  /** Selects a row; `reveal`: scroll it into view (not when a reorder only follows the symbol). */
  select(index: number, reveal = true): void {
    this.selected = Math.max(0, Math.min(index, this.order.length - 1));
    if (reveal && this.selected < this.first) this.scrollTo(this.selected);
    else if (reveal && this.selected >= this.first + this.visibleRows)
      this.scrollTo(this.selected - this.visibleRows + 1);
    this.engine.invalidate();
  }

  selectedId(): number | undefined {
    return this.order[this.selected];
  }

  /** Selects a symbol's row if the current order holds it; returns whether it does. */
  selectSymbol(name: string, reveal = true): boolean {
    const id = this.engine.book.idOf(name);
    if (id === undefined) return false;
    const index = this.order.indexOf(id);
    if (index < 0) return false;
    this.select(index, reveal);
    return true;
  }

  /** The row index of the current order under a point of the canvas, if any. */
  rowAt(y: number): number | undefined {
    const index = this.first + Math.floor(y / this.rowHeight);
    return index < this.order.length ? index : undefined;
  }

  destroy(): void {
    if (this.flashTimer !== null) clearTimeout(this.flashTimer);
    this.removeRenderer();
    this.app.destroy({ removeView: true }, { children: true });
    this.atlas.destroy();
  }

  private build(): void {
    this.backgroundLayer?.destroy({ children: true });
    this.glyphLayer?.destroy({ children: true });
    const atlas = this.atlas;
    const backgroundLayer = glyphLayer(atlas, { movable: false });
    backgroundLayer.blendMode = 'none';
    const glyphs = glyphLayer(atlas, { movable: false });
    const rows: RowSprites[] = [];
    const count = this.visibleRows + 1;
    const scaleX = this.drawnWidth / (atlas.block.frame.width / atlas.block.source.resolution);
    const scaleY = this.rowHeight / (atlas.block.frame.height / atlas.block.source.resolution);
    const layout = this.columns();
    const textTop = Math.round((this.rowHeight - atlas.height) / 2);
    for (let r = 0; r < count; r++) {
      const y = r * this.rowHeight;
      const background = new Particle({ texture: atlas.block, x: 0, y, scaleX, scaleY, tint: this.colors.background });
      const cells: Particle[] = [];
      for (const column of layout) {
        const chars = Math.round(column.width / this.charWidth);
        for (let c = 0; c < chars; c++) {
          cells.push(
            new Particle({
              texture: atlas.glyph(' '),
              x: Math.round(column.x + c * this.charWidth),
              y: y + textTop,
              tint: this.colors.text,
            }),
          );
        }
      }
      rows.push({ background, glyphs: cells });
    }
    this.rows = rows;
    this.backgroundLayer = backgroundLayer;
    this.glyphLayer = glyphs;
    this.app.stage.removeChildren();
    this.app.stage.addChild(backgroundLayer, glyphs);
  }

  private render(now: number, _dataChanged: boolean): boolean {
    const book = this.engine.book;
    const colors = this.colors;
    let animating = false;
    // Badges are for recent events of the market shown: of the replay's time while replaying.
    const nowUs = this.engine.marketNowUs();
    const badged: string[] = [];
    const haltedShown: string[] = [];
    const columns = this.shown;
    // Flashes fade on a shared clock of FLASH_STEP_MS steps (colors.ts).
    const flashClock = Math.floor(now / FLASH_STEP_MS) * FLASH_STEP_MS;
    const backgroundLayer = this.backgroundLayer;
    const glyphLayer = this.glyphLayer;
    if (backgroundLayer === null || glyphLayer === null) return false;
    const backgrounds = backgroundLayer.particleChildren;
    const drawn = glyphLayer.particleChildren;
    let backgroundCount = 0;
    let glyphCount = 0;
    for (let r = 0; r < this.rows.length; r++) {
      const sprites = this.rows[r] as RowSprites;
      const index = this.first + r;
      const id = this.order[index];
      const base = index === this.selected ? colors.selection : index % 2 ? colors.stripe : colors.background;
      let tint = base;
      if (id === undefined || id >= book.size) {
        if (tint !== colors.background) {
          sprites.background.tint = tint;
          backgrounds[backgroundCount++] = sprites.background;
        }
        continue;
      }
      const change = book.change(id);
      const changeColor = change > 0 ? colors.up : change < 0 ? colors.down : colors.muted;
      const changedAt = book.changedAtMs[id] as number;
      const age = Math.max(0, flashClock - changedAt);
      if (!this.reducedMotion && index !== this.selected && age < FLASH_MS && changedAt !== 0) {
        const flash = (book.direction[id] as number) > 0 ? colors.up : colors.down;
        tint = mix(base, flash, FLASH_PEAK * (1 - age / FLASH_MS));
        animating = true;
      }
      // The canvas is cleared to the background colour: a plain row needs no quad.
      if (tint !== colors.background) {
        sprites.background.tint = tint;
        backgrounds[backgroundCount++] = sprites.background;
      }
      let g = 0;
      const direction = book.direction[id] as number;
      const name = book.names[id] ?? '';
      // A halted symbol says so where its change would be (and its change % stands still).
      const halted = this.engine.haltOf(name) !== undefined;
      if (halted) haltedShown.push(name);
      // A recent market event on this symbol: a badge in the symbol column's last cell.
      const event = this.engine.events.recent(name, nowUs);
      if (event !== undefined) badged.push(name);
      for (const column of columns) {
        let text: string;
        let color = colors.text;
        switch (column.key) {
          case 'symbol':
            text = name;
            break;
          case 'sector':
            text = book.sectors[id] ?? '';
            color = colors.muted;
            break;
          case 'last':
            text = `${direction > 0 ? '▲' : direction < 0 ? '▼' : ' '}${formatPrice(book.value(id, ROW.last))}`;
            break;
          case 'change':
            text = halted ? 'HALTED' : formatSigned(change);
            color = halted ? colors.down : changeColor;
            break;
          case 'changePct':
            text = formatPercent(book.changePercent(id));
            color = changeColor;
            break;
          case 'volume':
            text = formatCompact(book.value(id, ROW.volume));
            color = colors.muted;
            break;
        }
        const clipped = text.length > column.chars ? text.slice(0, column.chars) : text;
        const pad = column.align === 'right' ? column.chars - clipped.length : 0;
        for (let k = 0; k < column.chars; k++) {
          const glyph = sprites.glyphs[g++] as Particle;
          if (event !== undefined && column.key === 'symbol' && k === column.chars - 1) {
            drawn[glyphCount++] = glyph;
            glyph.texture = this.atlas.glyph('◆');
            glyph.tint = BEARISH.has(event.kind) ? colors.down : BULLISH.has(event.kind) ? colors.up : colors.text;
            continue;
          }
          const char = clipped[k - pad] ?? ' ';
          if (char === ' ') continue;
          drawn[glyphCount++] = glyph;
          glyph.texture = this.atlas.glyph(char);
          glyph.tint =
            column.key === 'last' && k === pad
              ? direction > 0
                ? colors.up
                : direction < 0
                  ? colors.down
                  : color
              : color;
        }
      }
    }
    backgrounds.length = backgroundCount;
    drawn.length = glyphCount;
    this.badged = badged;
    this.haltedShown = haltedShown;
    // Both lists changed: positions (static properties) are uploaded again with the rest.
    backgroundLayer.update();
    glyphLayer.update();
    drawPixi(this.app);
    if (animating) this.redrawAtNextFlashStep(now);
    return true;
  }

  /** A flash is fading: draw again when the shared flash clock next steps. */
  private redrawAtNextFlashStep(now: number): void {
    if (this.flashTimer !== null) return;
    this.flashTimer = setTimeout(
      () => {
        this.flashTimer = null;
        this.engine.invalidate();
      },
      FLASH_STEP_MS - (now % FLASH_STEP_MS),
    );
  }
}
