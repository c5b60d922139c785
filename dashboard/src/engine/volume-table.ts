import type { VolumeCategory, VolumeRow, VolumeSortKey, VolumeTableView } from './feed-protocol.js';

/** Relative volume at or above this is high, below LOW_BELOW low, between them medium (docs/dashboard.md). */
export const HIGH_AT = 1.5;
export const LOW_BELOW = 0.75;

export function volumeCategory(relativeVolume: number | null): VolumeCategory | null {
  if (relativeVolume === null || !Number.isFinite(relativeVolume)) return null;
  return relativeVolume >= HIGH_AT ? 'high' : relativeVolume < LOW_BELOW ? 'low' : 'medium';
}

/** One symbol of /api/indicators without a symbol (docs/api.md). */
export interface IndicatorJson {
  symbol: string;
  startTimeUs: number;
  volume: number;
  relativeVolume: number | null;
  priceVolumeCorrelation: number | null;
}

/**
 * The Volume view's table from every symbol's newest finished bar: the job's relative volume
 * and price-volume correlation as they are, the trailing average they imply (volume ÷ relative
 * volume: the mean of the 20 bars before), a category, sorted as asked with symbols lacking
 * the figure last.
 */
export function volumeTable(
  json: { tf: string; analytics: string; symbols: IndicatorJson[] },
  sort: VolumeSortKey,
  descending: boolean,
  asOfUs: number | null = null,
): VolumeTableView {
  const counts: Record<VolumeCategory, number> = { high: 0, medium: 0, low: 0 };
  const rows: VolumeRow[] = json.symbols.map((entry) => {
    const relative = entry.relativeVolume;
    const category = volumeCategory(relative);
    if (category !== null) counts[category]++;
    return {
      symbol: entry.symbol,
      volume: entry.volume,
      relativeVolume: relative,
      trailingAverage: relative !== null && relative > 0 ? entry.volume / relative : null,
      category,
      priceVolumeCorrelation: entry.priceVolumeCorrelation,
      startTimeUs: entry.startTimeUs,
    };
  });
  const direction = descending ? -1 : 1;
  rows.sort((a, b) => {
    if (sort === 'symbol') return a.symbol.localeCompare(b.symbol) * direction;
    const x = a[sort];
    const y = b[sort];
    if (x === null || y === null) return x === y ? a.symbol.localeCompare(b.symbol) : x === null ? 1 : -1;
    return (x - y) * direction || a.symbol.localeCompare(b.symbol);
  });
  return { tf: json.tf, analytics: json.analytics, rows, counts, asOfUs };
}
