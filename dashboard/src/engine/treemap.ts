import { type HeatmapView, TILE_WIDTH } from './feed-protocol.js';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The worst aspect ratio in a row of areas summing to `sum`, laid along a side of length `side`. */
function worst(sum: number, smallest: number, largest: number, side: number): number {
  const s2 = sum * sum;
  const w2 = side * side;
  return Math.max((w2 * largest) / s2, s2 / (w2 * smallest));
}

/**
 * A squarified treemap (Bruls, Huizing and van Wijk, 2000): rectangles with areas in proportion
 * to `values` (largest first gives the squarest tiles) that tile `rect`, in the order of `values`.
 * Rows are added to while that does not make their worst aspect ratio worse, then laid along the
 * shorter side of what is left. Zero or negative values get empty rectangles.
 */
export function squarify(values: readonly number[], rect: Rect): Rect[] {
  const total = values.reduce((sum, v) => sum + Math.max(0, v), 0);
  const out: Rect[] = values.map(() => ({ x: rect.x, y: rect.y, width: 0, height: 0 }));
  if (!(total > 0) || rect.width <= 0 || rect.height <= 0) return out;
  const scale = (rect.width * rect.height) / total;
  const indices = values.map((_, i) => i).filter((i) => (values[i] as number) > 0);
  let { x, y, width, height } = rect;
  let i = 0;
  while (i < indices.length) {
    const side = Math.min(width, height);
    const row = [indices[i] as number];
    let sum = (values[indices[i] as number] as number) * scale;
    let smallest = sum;
    let largest = sum;
    i++;
    while (i < indices.length) {
      const area = (values[indices[i] as number] as number) * scale;
      const next = worst(sum + area, Math.min(smallest, area), Math.max(largest, area), side);
      if (next > worst(sum, smallest, largest, side)) break;
      row.push(indices[i] as number);
      sum += area;
      smallest = Math.min(smallest, area);
      largest = Math.max(largest, area);
      i++;
    }
    const last = i >= indices.length;
    if (width >= height) {
      // A column at the left, as wide as the row's area needs; the last row takes what is left.
      const columnWidth = last ? width : sum / height;
      let top = y;
      for (const [k, index] of row.entries()) {
        const h = k === row.length - 1 ? y + height - top : ((values[index] as number) * scale) / columnWidth;
        out[index] = { x, y: top, width: columnWidth, height: h };
        top += h;
      }
      x += columnWidth;
      width -= columnWidth;
    } else {
      const rowHeight = last ? height : sum / width;
      let left = x;
      for (const [k, index] of row.entries()) {
        const w = k === row.length - 1 ? x + width - left : ((values[index] as number) * scale) / rowHeight;
        out[index] = { x: left, y, width: w, height: rowHeight };
        left += w;
      }
      y += rowHeight;
      height -= rowHeight;
    }
  }
  return out;
}

/** /api/heatmap's answer (docs/api.md). */
export interface HeatmapJson {
  sectors: {
    sector: string;
    value: number;
    changePct: number;
    symbols: { symbol: string; value: number; changePct: number }[];
  }[];
}

/** Height of a sector's name band, when the sector is tall enough to spare it. */
export const SECTOR_HEADER_PX = 16;
/** Space between sectors. */
const SECTOR_GAP_PX = 2;

/**
 * The market heatmap laid out for a size: sectors by traded value, each sector's symbols by
 * theirs inside it, under a band for its name where the sector has room.
 */
export function layoutHeatmap(json: HeatmapJson, width: number, height: number, replay = false): HeatmapView {
  const sectors = json.sectors.filter((sector) => sector.value > 0);
  const sectorRects = squarify(
    sectors.map((sector) => sector.value),
    { x: 0, y: 0, width, height },
  );
  const symbols: string[] = [];
  const tiles: number[] = [];
  const values: number[] = [];
  const sectorTiles = new Float32Array(sectors.length * TILE_WIDTH);
  for (const [s, sector] of sectors.entries()) {
    const r = sectorRects[s] as Rect;
    sectorTiles.set([r.x, r.y, r.width, r.height, sector.changePct], s * TILE_WIDTH);
    const header = r.height > SECTOR_HEADER_PX * 3 && r.width > 40 ? SECTOR_HEADER_PX : 0;
    const inner: Rect = {
      x: r.x + SECTOR_GAP_PX / 2,
      y: r.y + header + SECTOR_GAP_PX / 2,
      width: Math.max(0, r.width - SECTOR_GAP_PX),
      height: Math.max(0, r.height - header - SECTOR_GAP_PX),
    };
    const rects = squarify(
      sector.symbols.map((tile) => tile.value),
      inner,
    );
    for (const [k, tile] of sector.symbols.entries()) {
      const t = rects[k] as Rect;
      if (t.width <= 0 || t.height <= 0) continue;
      symbols.push(tile.symbol);
      tiles.push(t.x, t.y, t.width, t.height, tile.changePct);
      values.push(tile.value);
    }
  }
  return {
    width,
    height,
    symbols,
    tiles: Float32Array.from(tiles),
    sectors: sectors.map((sector) => sector.sector),
    sectorTiles,
    values: Float64Array.from(values),
    sectorValues: Float64Array.from(sectors.map((sector) => sector.value)),
    replay,
  };
}
