import { Rectangle, Texture } from 'pixi.js';

/** Every character the grid draws; anything else is drawn as '?'. */
const CHARSET = ' 0123456789.,:+-%/&()?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz▲▼◆';

/**
 * A monospace glyph atlas: each character drawn once into one texture, so every cell of the
 * grid is a Particle with a glyph's frame (measured here: ~2× the fps of BitmapText), plus a
 * white block for backgrounds. All glyphs share one source, as a ParticleContainer needs.
 */
export class GlyphAtlas {
  readonly glyphs = new Map<string, Texture>();
  readonly block: Texture;
  readonly fallback: Texture;
  /** Glyph cell size in CSS pixels. */
  readonly width: number;
  readonly height: number;

  constructor(
    fontPx: number,
    resolution: number,
    fontFamily = 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
  ) {
    const canvas = document.createElement('canvas');
    const context = canvas.getContext('2d');
    if (!context) throw new Error('no 2D canvas context to draw the glyph atlas with');
    const font = `${fontPx * resolution}px ${fontFamily}`;
    context.font = font;
    const cellW = Math.ceil(context.measureText('0').width) + 1;
    const cellH = Math.ceil(fontPx * resolution * 1.3);
    const perRow = 32;
    const chars = [...CHARSET, '█'];
    canvas.width = perRow * cellW;
    canvas.height = Math.ceil(chars.length / perRow) * cellH;
    context.font = font;
    context.textBaseline = 'middle';
    context.fillStyle = '#ffffff';
    const frames: [string, Rectangle][] = [];
    chars.forEach((char, i) => {
      const x = (i % perRow) * cellW;
      const y = Math.floor(i / perRow) * cellH;
      if (char === '█') context.fillRect(x, y, cellW, cellH);
      else context.fillText(char, x, y + cellH / 2);
      // Inset the block by a pixel so sampling never bleeds in a neighbour.
      frames.push([
        char,
        char === '█' ? new Rectangle(x + 1, y + 1, cellW - 2, cellH - 2) : new Rectangle(x, y, cellW, cellH),
      ]);
    });
    const source = Texture.from(canvas).source;
    // Glyphs are drawn pixel-aligned at the atlas's resolution: nearest sampling shows the
    // same pixels, and costs SwiftShader less per pixel than linear filtering.
    source.scaleMode = 'nearest';
    for (const [char, frame] of frames) this.glyphs.set(char, new Texture({ source, frame }));
    this.block = this.glyphs.get('█') as Texture;
    this.fallback = this.glyphs.get('?') as Texture;
    this.width = cellW / resolution;
    this.height = cellH / resolution;
  }

  glyph(char: string): Texture {
    return this.glyphs.get(char) ?? this.fallback;
  }

  destroy(): void {
    this.block.source.destroy();
  }
}
