import {
  type Application,
  BufferImageSource,
  Graphics,
  Particle,
  type ParticleContainer,
  Sprite,
  Texture,
} from 'pixi.js';
import type { Engine } from './engine.js';
import type { CorrelationView } from './feed-protocol.js';
import type { GlyphAtlas } from './glyph-atlas.js';
import { createTextSurface, drawPixi, glyphLayer } from './pixi-surface.js';

export interface CorrelationColors {
  background: number;
  text: number;
  outline: number;
}

/** A cell of the matrix: the pair and its correlation (NaN where no matrix of the job holds it). */
export interface CorrelationCell {
  row: number;
  column: number;
  a: string;
  b: string;
  value: number;
  /** Where the cell is on the canvas, CSS pixels. */
  x: number;
  y: number;
  size: number;
}

const FONT_PX = 11;
/** Symbol names are written beside rows and over columns when a cell is at least this tall. */
const LABELLED_CELL_PX = 11;

/**
 * A correlation matrix as a heatmap: the decode worker colours the cells (one RGBA texel each),
 * this view uploads them as one texture drawn with nearest-neighbour scaling (WebGL), writes the
 * symbols along the axes when cells are big enough, and outlines the hovered and the keyboard's
 * cell. Redrawn only when the matrix, the size or a cell changes.
 */
export class CorrelationViewer {
  readonly canvas: HTMLCanvasElement;
  matrix: CorrelationView | null = null;
  /** The keyboard's cell; null until an arrow key is used. */
  cursor: { row: number; column: number } | null = null;
  onHover: ((cell: CorrelationCell | null) => void) | null = null;
  onPick: ((cell: CorrelationCell) => void) | null = null;
  private readonly outline = new Graphics();
  private readonly labels: ParticleContainer;
  private sprite: Sprite | null = null;
  private hovered: { row: number; column: number } | null = null;
  private drawnMatrix: CorrelationView | null = null;
  private needsDraw = true;
  private width = 1;
  private height = 1;
  /** Where the cells are: set with the matrix or the size, not at draw, so that hit-testing and `cell()` agree with
   *  the next frame even before it is drawn. */
  private layout = { x0: 0, y0: 0, cell: 0, labelPx: 0, labelled: false };
  private readonly removeRenderer: () => void;

  private constructor(
    private readonly app: Application,
    private readonly atlas: GlyphAtlas,
    private readonly engine: Engine,
    private colors: CorrelationColors,
  ) {
    this.canvas = app.canvas;
    this.labels = glyphLayer(atlas);
    app.stage.addChild(this.labels, this.outline);
    this.removeRenderer = engine.addRenderer(() => this.render());
    this.canvas.addEventListener('pointermove', (event) => this.hover(this.cellAt(event.offsetX, event.offsetY)));
    this.canvas.addEventListener('pointerleave', () => this.hover(null));
    this.canvas.addEventListener('click', (event) => {
      const at = this.cellAt(event.offsetX, event.offsetY);
      const cell = at && this.cell(at.row, at.column);
      if (cell) this.onPick?.(cell);
    });
  }

  static async create(
    engine: Engine,
    colors: CorrelationColors,
    width: number,
    height: number,
  ): Promise<CorrelationViewer> {
    const { app, atlas } = await createTextSurface(width, height, colors.background, FONT_PX);
    const viewer = new CorrelationViewer(app, atlas, engine, colors);
    viewer.resize(width, height);
    return viewer;
  }

  resize(width: number, height: number): void {
    this.width = Math.max(1, Math.floor(width));
    this.height = Math.max(1, Math.floor(height));
    this.app.renderer.resize(this.width, this.height);
    this.layOut();
    this.drawnMatrix = null;
    this.invalidate();
  }

  setColors(colors: CorrelationColors): void {
    this.colors = colors;
    this.app.renderer.background.color = colors.background;
    this.drawnMatrix = null;
    this.invalidate();
  }

  setMatrix(matrix: CorrelationView | null): void {
    this.matrix = matrix;
    const n = matrix?.symbols.length ?? 0;
    if (this.cursor && (this.cursor.row >= n || this.cursor.column >= n)) this.cursor = null;
    this.layOut();
    this.invalidate();
  }

  /** The pair at a row and column, and where its cell is. */
  cell(row: number, column: number): CorrelationCell | null {
    const matrix = this.matrix;
    const n = matrix?.symbols.length ?? 0;
    if (!matrix || row < 0 || column < 0 || row >= n || column >= n) return null;
    const { x0, y0, cell } = this.layout;
    return {
      row,
      column,
      a: matrix.symbols[row] as string,
      b: matrix.symbols[column] as string,
      value: matrix.values[row * n + column] as number,
      x: x0 + column * cell,
      y: y0 + row * cell,
      size: cell,
    };
  }

  /** Moves the keyboard's cell (arrow keys); it starts at the first pair off the diagonal. */
  moveCursor(rows: number, columns: number): CorrelationCell | null {
    const n = this.matrix?.symbols.length ?? 0;
    if (n === 0) return null;
    const at = this.cursor ?? { row: 0, column: Math.min(1, n - 1) };
    this.cursor = this.cursor
      ? { row: clamp(at.row + rows, n), column: clamp(at.column + columns, n) }
      : { row: at.row, column: at.column };
    this.invalidate();
    const cell = this.cell(this.cursor.row, this.cursor.column);
    this.onHover?.(cell);
    return cell;
  }

  destroy(): void {
    this.removeRenderer();
    this.sprite?.texture.destroy(true);
    this.app.destroy({ removeView: true }, { children: true });
    this.atlas.destroy();
  }

  private invalidate(): void {
    this.needsDraw = true;
    this.engine.invalidate();
  }

  private cellAt(x: number, y: number): { row: number; column: number } | null {
    const n = this.matrix?.symbols.length ?? 0;
    const { x0, y0, cell } = this.layout;
    if (n === 0 || cell <= 0) return null;
    const column = Math.floor((x - x0) / cell);
    const row = Math.floor((y - y0) / cell);
    return row >= 0 && column >= 0 && row < n && column < n ? { row, column } : null;
  }

  private hover(at: { row: number; column: number } | null): void {
    if (at?.row === this.hovered?.row && at?.column === this.hovered?.column) return;
    this.hovered = at;
    this.onHover?.(at ? this.cell(at.row, at.column) : null);
    this.invalidate();
  }

  private layOut(): void {
    const matrix = this.matrix;
    const n = matrix?.symbols.length ?? 0;
    if (!matrix || n === 0) {
      this.layout = { x0: 0, y0: 0, cell: 0, labelPx: 0, labelled: false };
      return;
    }
    const longest = Math.max(...matrix.symbols.map((symbol) => symbol.length));
    const labelPx = (longest + 1) * this.atlas.width;
    // Labels only when each row is tall enough to read: otherwise the cells take the space.
    const fit = (margin: number) => Math.floor(Math.min(this.width - margin, this.height - margin) / n);
    let cell = fit(labelPx);
    const labelled = cell >= LABELLED_CELL_PX;
    if (!labelled) cell = Math.max(1, fit(0));
    const x0 = labelled ? labelPx : 0;
    this.layout = { x0, y0: x0, cell, labelPx, labelled };
  }

  private render(): boolean {
    if (!this.needsDraw) return false;
    this.needsDraw = false;
    if (this.drawnMatrix !== this.matrix) this.drawMatrix();
    this.drawOutline();
    drawPixi(this.app);
    return true;
  }

  private drawMatrix(): void {
    const matrix = this.matrix;
    this.drawnMatrix = matrix;
    this.labels.removeParticles();
    if (this.sprite) {
      this.sprite.texture.destroy(true);
      this.sprite.destroy();
      this.sprite = null;
    }
    const n = matrix?.symbols.length ?? 0;
    if (!matrix || n === 0 || matrix.rgba.length < n * n * 4) return;
    const { x0, y0, cell, labelPx, labelled } = this.layout;
    const source = new BufferImageSource({
      resource: matrix.rgba,
      width: n,
      height: n,
      format: 'rgba8unorm',
      scaleMode: 'nearest',
    });
    const sprite = new Sprite(new Texture({ source }));
    sprite.position.set(x0, y0);
    sprite.width = n * cell;
    sprite.height = n * cell;
    this.sprite = sprite;
    this.app.stage.addChildAt(sprite, 0);
    if (!labelled) return;
    for (const [i, symbol] of matrix.symbols.entries()) {
      const middle = (cell - this.atlas.height) / 2;
      // Rows: the name right-aligned before the row; columns: the name written downwards, one glyph per line would be
      // unreadable, so columns carry it rotated by writing it over the column from the top margin.
      this.write(symbol, labelPx - (symbol.length + 1) * this.atlas.width, y0 + i * cell + middle);
      this.writeVertical(symbol, x0 + i * cell + (cell - this.atlas.width) / 2, labelPx);
    }
  }

  private write(text: string, x: number, y: number): void {
    for (let c = 0; c < text.length; c++)
      this.labels.addParticle(
        new Particle({
          texture: this.atlas.glyph(text[c] as string),
          x: x + c * this.atlas.width,
          y,
          tint: this.colors.text,
        }),
      );
  }

  /** A column's name upwards from the matrix's top edge, one glyph above the other (its last letter nearest the cells). */
  private writeVertical(text: string, x: number, bottom: number): void {
    const lineH = this.atlas.height * 0.8;
    for (let c = 0; c < text.length; c++)
      this.labels.addParticle(
        new Particle({
          texture: this.atlas.glyph(text[c] as string),
          x,
          y: bottom - (text.length - c) * lineH - 2,
          tint: this.colors.text,
        }),
      );
  }

  private drawOutline(): void {
    const g = this.outline;
    g.clear();
    for (const [at, width] of [
      [this.cursor, 2.5],
      [this.hovered, 1.5],
    ] as const) {
      const cell = at && this.cell(at.row, at.column);
      if (!cell) continue;
      const size = Math.max(3, cell.size);
      g.rect(cell.x, cell.y, size, size).stroke({ color: this.colors.outline, width });
    }
  }
}

const clamp = (value: number, n: number): number => Math.max(0, Math.min(n - 1, value));
