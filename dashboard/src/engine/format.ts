// Number formats shared by the Pixi views and the DOM (prices arrive × PRICE_SCALE).
export const PRICE_SCALE = 10_000;

export const formatPrice = (scaled: number): string => (scaled / PRICE_SCALE).toFixed(2);

export const formatSigned = (scaled: number): string => {
  const value = scaled / PRICE_SCALE;
  return `${value > 0 ? '+' : ''}${value.toFixed(2)}`;
};

export const formatPercent = (percent: number): string => `${percent > 0 ? '+' : ''}${percent.toFixed(2)}%`;

export function formatCompact(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${(value / 1e9).toFixed(2)}B`;
  if (abs >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (abs >= 1e3) return `${(value / 1e3).toFixed(1)}K`;
  return value.toFixed(0);
}

export function formatBytes(value: number): string {
  if (value >= 1 << 20) return `${(value / (1 << 20)).toFixed(2)} MB`;
  if (value >= 1 << 10) return `${(value / (1 << 10)).toFixed(1)} KB`;
  return `${value.toFixed(0)} B`;
}
