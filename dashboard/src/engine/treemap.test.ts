import { describe, expect, it } from 'vitest';
import { TILE, TILE_WIDTH } from './feed-protocol.js';
import { layoutHeatmap, type Rect, squarify } from './treemap.js';

const at = (values: ArrayLike<number>, i: number): number => values[i] as number;

describe('squarify', () => {
  it('tiles the rectangle with areas in proportion to the values, none overlapping', () => {
    const values = [6, 6, 4, 3, 2, 2, 1];
    const rects = squarify(values, { x: 0, y: 0, width: 600, height: 400 });
    const total = values.reduce((s, v) => s + v, 0);
    rects.forEach((r, i) => {
      expect(r.width * r.height).toBeCloseTo(((values[i] as number) / total) * 600 * 400, 6);
      expect(r.x).toBeGreaterThanOrEqual(-1e-9);
      expect(r.y + r.height).toBeLessThanOrEqual(400 + 1e-9);
    });
    for (let a = 0; a < rects.length; a++)
      for (let b = a + 1; b < rects.length; b++) {
        const p = rects[a] as Rect;
        const q = rects[b] as Rect;
        const overlapW = Math.min(p.x + p.width, q.x + q.width) - Math.max(p.x, q.x);
        const overlapH = Math.min(p.y + p.height, q.y + q.height) - Math.max(p.y, q.y);
        expect(overlapW > 1e-6 && overlapH > 1e-6, `${a} and ${b} overlap`).toBe(false);
      }
  });

  it('keeps tiles near square (the paper’s example: no side over 3× the other)', () => {
    const rects = squarify([6, 6, 4, 3, 2, 2, 1], { x: 0, y: 0, width: 600, height: 400 });
    for (const r of rects) expect(Math.max(r.width / r.height, r.height / r.width)).toBeLessThan(3);
  });

  it('gives zero and negative values empty rectangles', () => {
    const rects = squarify([0, 5, -1], { x: 0, y: 0, width: 10, height: 10 });
    expect((rects[0] as Rect).width * (rects[0] as Rect).height).toBe(0);
    expect((rects[1] as Rect).width * (rects[1] as Rect).height).toBeCloseTo(100, 9);
    expect((rects[2] as Rect).width * (rects[2] as Rect).height).toBe(0);
  });
});

describe('layoutHeatmap', () => {
  it('puts each symbol inside its sector, coloured by its own change, sectors without value left out', () => {
    const view = layoutHeatmap(
      {
        sectors: [
          {
            sector: 'Tech',
            value: 300,
            changePct: 1,
            symbols: [
              { symbol: 'AAPL', value: 200, changePct: 2 },
              { symbol: 'MSFT', value: 100, changePct: -1 },
            ],
          },
          { sector: 'Energy', value: 100, changePct: -3, symbols: [{ symbol: 'XOM', value: 100, changePct: -3 }] },
          { sector: 'Idle', value: 0, changePct: 0, symbols: [] },
        ],
      },
      400,
      300,
    );
    expect(view.sectors).toEqual(['Tech', 'Energy']);
    expect(view.symbols).toEqual(['AAPL', 'MSFT', 'XOM']);
    expect(view.tiles[1 * TILE_WIDTH + TILE.changePct]).toBe(-1);
    const tech = {
      x: at(view.sectorTiles, 0),
      y: at(view.sectorTiles, 1),
      w: at(view.sectorTiles, 2),
      h: at(view.sectorTiles, 3),
    };
    for (const i of [0, 1]) {
      const o = i * TILE_WIDTH;
      expect(at(view.tiles, o)).toBeGreaterThanOrEqual(tech.x);
      expect(at(view.tiles, o) + at(view.tiles, o + 2)).toBeLessThanOrEqual(tech.x + tech.w + 1e-3);
      expect(at(view.tiles, o + 1) + at(view.tiles, o + 3)).toBeLessThanOrEqual(tech.y + tech.h + 1e-3);
    }
    expect(tech.w * tech.h).toBeCloseTo(0.75 * 400 * 300, 0);
  });
});
