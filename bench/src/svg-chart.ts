/**
 * Horizontal bar charts as standalone SVG, for docs/img/: no dependency, readable on GitHub's
 * light and dark backgrounds (own white panel), one chart per benchmark.
 */
export interface Bar {
  label: string;
  value: number;
  /** Printed after the value, e.g. "ticks/s". */
  unit: string;
  /** Drawn in the accent colour: the figure the chart is about (e.g. tickstream vs a baseline). */
  highlight?: boolean;
}

const PLOT_WIDTH = 340;
const VALUE_WIDTH = 150;
/** Width of a character at 13 px in a system sans-serif, generously: labels must never be clipped. */
const CHAR_WIDTH = 7.2;
const BAR_HEIGHT = 22;
const GAP = 8;
const TOP = 44;

const escapeXml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 10) return value.toFixed(1);
  if (Math.abs(value) >= 0.1 || value === 0) return value.toFixed(2);
  return value.toPrecision(2); // 0.0054, not 0.00
}

export function barChart(title: string, subtitle: string, bars: readonly Bar[]): string {
  const max = Math.max(...bars.map((bar) => (Number.isFinite(bar.value) ? bar.value : 0)), 1e-9);
  // The label column fits the longest label, so long ones are never cut at the left edge.
  const labelWidth = Math.ceil(20 + CHAR_WIDTH * Math.max(10, ...bars.map((bar) => bar.label.length)));
  const width = labelWidth + PLOT_WIDTH + VALUE_WIDTH + 20;
  const height = TOP + bars.length * (BAR_HEIGHT + GAP) + 16;
  const rows = bars.map((bar, index) => {
    const y = TOP + index * (BAR_HEIGHT + GAP);
    const barWidth = Number.isFinite(bar.value) ? Math.max(1, (bar.value / max) * PLOT_WIDTH) : 0;
    const fill = bar.highlight ? '#2563eb' : '#94a3b8';
    return [
      `<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end">${escapeXml(bar.label)}</text>`,
      `<rect x="${labelWidth}" y="${y}" width="${barWidth.toFixed(1)}" height="${BAR_HEIGHT}" rx="3" fill="${fill}"/>`,
      `<text x="${(labelWidth + barWidth + 6).toFixed(1)}" y="${y + 15}">${escapeXml(`${formatValue(bar.value)} ${bar.unit}`)}</text>`,
    ].join('');
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="13" fill="#0f172a">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="12" y="20" font-size="15" font-weight="600">${escapeXml(title)}</text>`,
    `<text x="12" y="36" font-size="11" fill="#475569">${escapeXml(subtitle)}</text>`,
    ...rows,
    '</svg>',
    '',
  ].join('\n');
}
