import { type Application, Graphics, Particle, type ParticleContainer } from 'pixi.js';
import type { Engine } from './engine.js';
import { type HeatmapView, TILE, TILE_WIDTH } from './feed-protocol.js';
import type { GlyphAtlas } from './glyph-atlas.js';
import { createTextSurface, drawPixi, glyphLayer } from './pixi-surface.js';

/**
 * Tile colours by change, strongest fall first: seven steps, the middle one flat. Label text is
 * drawn on every step, so each must hold 4.5:1 against it (theme-contrast.test.ts).
 */
export interface HeatmapColors {
  background: number;
  steps: readonly number[];
  text: number;
  outline: number;
}

/** Upper bounds of the falling steps, in %: below −2.5 the strongest, then −1, then −0.25; the mirror for rises. */
const STEP_BOUNDS = [2.5, 1, 0.25];

/** The colour step (0 … 6) of a change in %. */
export function heatStep(changePct: number): number {
  const size = Math.abs(changePct);
  let strength = 0;
  for (const [k, bound] of STEP_BOUNDS.entries()) {
    if (size >= bound) {
      strength = STEP_BOUNDS.length - k;
      break;
    }
  }
  return 3 + Math.sign(changePct) * strength;
}

const FONT_PX = 11;
/** A tile gets its symbol written in it when it is at least this big; its change too when taller. */
const LABEL_MIN_W = 34;
const LABEL_MIN_H = 15;

export interface HeatmapTileInfo {
  symbol: string;
  changePct: number;
  value: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The market heatmap: a treemap of sectors and their symbols (laid out in the decode worker from
 * GET /api/heatmap), sized by traded value and coloured by change, drawn with Pixi (WebGL):
 * tiles as one Graphics, labels as glyph particles. Redrawn only when the layout, the selection,
 * the hovered tile or the colours change.
 */
export class HeatmapViewer {
  readonly canvas: HTMLCanvasElement;
  view: HeatmapView | null = null;
  selected = '';
  /** Called with the tile under the pointer (null when none), and where it is. */
  onHover: ((tile: HeatmapTileInfo | null) => void) | null = null;
  onSelect: ((symbol: string) => void) | null = null;
  /** Labels drawn in the last frame (tests read them). */
  labels = 0;
  private readonly tiles = new Graphics();
  private readonly outline = new Graphics();
  private readonly text: ParticleContainer;
  private hovered = -1;
  private drawn: HeatmapView | null = null;
  private needsDraw = true;
  private width = 1;
  private height = 1;
  private readonly removeRenderer: () => void;

  private constructor(
    private readonly app: Application,
    private readonly atlas: GlyphAtlas,
    private readonly engine: Engine,
    private colors: HeatmapColors,
  ) {
    this.canvas = app.canvas;
    this.text = glyphLayer(atlas);
    app.stage.addChild(this.tiles, this.text, this.outline);
    this.removeRenderer = engine.addRenderer(() => this.render());
    this.canvas.addEventListener('pointermove', (event) => this.hover(this.tileAt(event.offsetX, event.offsetY)));
    this.canvas.addEventListener('pointerleave', () => this.hover(-1));
    this.canvas.addEventListener('click', (event) => {
      const index = this.tileAt(event.offsetX, event.offsetY);
      const symbol = this.view?.symbols[index];
      if (symbol !== undefined) this.onSelect?.(symbol);
    });
  }

  static async create(engine: Engine, colors: HeatmapColors, width: number, height: number): Promise<HeatmapViewer> {
    const { app, atlas } = await createTextSurface(width, height, colors.background, FONT_PX);
    const viewer = new HeatmapViewer(app, atlas, engine, colors);
    viewer.resize(width, height);
    return viewer;
  }

  resize(width: number, height: number): void {
    this.width = Math.max(1, Math.floor(width));
    this.height = Math.max(1, Math.floor(height));
    this.app.renderer.resize(this.width, this.height);
    this.invalidate();
  }

  setColors(colors: HeatmapColors): void {
    this.colors = colors;
    this.app.renderer.background.color = colors.background;
    this.drawn = null;
    this.invalidate();
  }

  setView(view: HeatmapView | null): void {
    this.view = view;
    this.hovered = -1;
    this.invalidate();
  }

  setSelected(symbol: string): void {
    if (symbol === this.selected) return;
    this.selected = symbol;
    this.invalidate();
  }

  /** Every tile drawn, with its place (tests click them; the keyboard walks them). */
  tileList(): HeatmapTileInfo[] {
    const view = this.view;
    if (!view) return [];
    return view.symbols.map((_, index) => this.info(view, index));
  }

  /** Moves the selection to the nearest tile in a direction (arrow keys); the first tile when none is selected. */
  moveSelection(dx: number, dy: number): string {
    const view = this.view;
    if (!view || view.symbols.length === 0) return this.selected;
    const from = view.symbols.indexOf(this.selected);
    if (from < 0) return view.symbols[0] as string;
    const [cx, cy] = this.centre(view, from);
    let best = -1;
    let bestScore = Number.POSITIVE_INFINITY;
    for (let i = 0; i < view.symbols.length; i++) {
      if (i === from) continue;
      const [x, y] = this.centre(view, i);
      const along = (x - cx) * dx + (y - cy) * dy;
      if (along <= 0) continue;
      const across = Math.abs((x - cx) * dy) + Math.abs((y - cy) * dx);
      const score = along + 2 * across;
      if (score < bestScore) {
        bestScore = score;
        best = i;
      }
    }
    return best < 0 ? this.selected : (view.symbols[best] as string);
  }

  destroy(): void {
    this.removeRenderer();
    this.app.destroy({ removeView: true }, { children: true });
    this.atlas.destroy();
  }

  private invalidate(): void {
    this.needsDraw = true;
    this.engine.invalidate();
  }

  private info(view: HeatmapView, index: number): HeatmapTileInfo {
    const o = index * TILE_WIDTH;
    return {
      symbol: view.symbols[index] as string,
      changePct: view.tiles[o + TILE.changePct] as number,
      value: view.values[index] as number,
      x: view.tiles[o + TILE.x] as number,
      y: view.tiles[o + TILE.y] as number,
      width: view.tiles[o + TILE.width] as number,
      height: view.tiles[o + TILE.height] as number,
    };
  }

  private centre(view: HeatmapView, index: number): [number, number] {
    const o = index * TILE_WIDTH;
    return [
      (view.tiles[o + TILE.x] as number) + (view.tiles[o + TILE.width] as number) / 2,
      (view.tiles[o + TILE.y] as number) + (view.tiles[o + TILE.height] as number) / 2,
    ];
  }

  private tileAt(x: number, y: number): number {
    const view = this.view;
    if (!view) return -1;
    const t = view.tiles;
    for (let i = 0; i < view.symbols.length; i++) {
      const o = i * TILE_WIDTH;
      const tx = t[o + TILE.x] as number;
      const ty = t[o + TILE.y] as number;
      if (x >= tx && y >= ty && x < tx + (t[o + TILE.width] as number) && y < ty + (t[o + TILE.height] as number))
        return i;
    }
    return -1;
  }

  private hover(index: number): void {
    if (index === this.hovered) return;
    this.hovered = index;
    this.onHover?.(index >= 0 && this.view ? this.info(this.view, index) : null);
    this.invalidate();
  }

  private render(): boolean {
    if (!this.needsDraw) return false;
    this.needsDraw = false;
    if (this.drawn !== this.view) this.drawTiles();
    this.drawOutline();
    drawPixi(this.app);
    return true;
  }

  private drawTiles(): void {
    const view = this.view;
    this.drawn = view;
    const g = this.tiles;
    g.clear();
    this.text.removeParticles();
    this.labels = 0;
    if (!view) return;
    const t = view.tiles;
    for (let i = 0; i < view.symbols.length; i++) {
      const o = i * TILE_WIDTH;
      const x = t[o + TILE.x] as number;
      const y = t[o + TILE.y] as number;
      const w = t[o + TILE.width] as number;
      const h = t[o + TILE.height] as number;
      const change = t[o + TILE.changePct] as number;
      g.rect(x + 0.5, y + 0.5, Math.max(0, w - 1), Math.max(0, h - 1)).fill(this.colors.steps[heatStep(change)] ?? 0);
      if (w >= LABEL_MIN_W && h >= LABEL_MIN_H) {
        const lineH = this.atlas.height;
        const twoLines = h >= lineH * 2 + 4;
        const top = y + (h - (twoLines ? 2 : 1) * lineH) / 2;
        this.label(view.symbols[i] as string, x, top, w);
        if (twoLines) this.label(`${change > 0 ? '+' : ''}${change.toFixed(2)}%`, x, top + lineH, w);
        this.labels++;
      }
    }
    // Sector names in the band over each sector that has one.
    const s = view.sectorTiles;
    for (let k = 0; k < view.sectors.length; k++) {
      const o = k * TILE_WIDTH;
      const w = s[o + TILE.width] as number;
      const h = s[o + TILE.height] as number;
      if (h > 48 && w > 40) {
        const x = s[o + TILE.x] as number;
        const y = s[o + TILE.y] as number;
        g.rect(x + 0.5, y + 0.5, w - 1, 15).fill(this.colors.background);
        this.label((view.sectors[k] as string).toUpperCase(), x + 2, y + 2, w - 4, 'left');
      }
    }
  }

  /** A line of glyphs, centred in `width` (or from its left), clipped to it. */
  private label(text: string, x: number, y: number, width: number, align: 'centre' | 'left' = 'centre'): void {
    const chars = Math.min(text.length, Math.floor(width / this.atlas.width) - 1);
    if (chars <= 0) return;
    const shown = text.slice(0, chars);
    const left = align === 'left' ? x : x + (width - chars * this.atlas.width) / 2;
    for (let c = 0; c < shown.length; c++) {
      this.text.addParticle(
        new Particle({
          texture: this.atlas.glyph(shown[c] as string),
          x: left + c * this.atlas.width,
          y,
          tint: this.colors.text,
        }),
      );
    }
  }

  private drawOutline(): void {
    const g = this.outline;
    g.clear();
    const view = this.view;
    if (!view) return;
    for (const [index, width] of [
      [view.symbols.indexOf(this.selected), 3],
      [this.hovered, 1.5],
    ] as const) {
      if (index < 0) continue;
      const tile = this.info(view, index);
      g.rect(tile.x + width / 2, tile.y + width / 2, tile.width - width, tile.height - width).stroke({
        color: this.colors.outline,
        width,
      });
    }
  }
}
