import type { ChartColors } from '../engine/candle-chart.js';
import { mix } from '../engine/colors.js';
import type { HeatmapColors } from '../engine/heatmap-view.js';

export type ThemeName = 'dark' | 'light';
const KEY = 'tickstream.theme';

/** Dark or light: follows prefers-color-scheme until the user picks one, then remembers it. */
class Theme {
  current = $state<ThemeName>(document.documentElement.dataset.theme === 'light' ? 'light' : 'dark');

  toggle(): void {
    this.set(this.current === 'dark' ? 'light' : 'dark');
  }

  set(name: ThemeName): void {
    this.current = name;
    document.documentElement.dataset.theme = name;
    try {
      localStorage.setItem(KEY, name);
    } catch {
      // Private mode without storage: the choice lasts for this page only.
    }
  }
}

export const theme = new Theme();

/** A CSS custom property of the current theme as a 0xRRGGBB number, for Pixi. */
export function cssColor(name: string): number {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  const hex = /^#([0-9a-f]{6})$/i.exec(value);
  return hex ? Number.parseInt(hex[1] as string, 16) : 0x808080;
}

export const prefersReducedMotion = (): boolean => matchMedia('(prefers-reduced-motion: reduce)').matches;

/** The candle chart's colours in the current theme. */
export function chartColors(): ChartColors {
  return {
    background: cssColor('--bg'),
    grid: cssColor('--grid-line'),
    text: cssColor('--muted'),
    up: cssColor('--up'),
    down: cssColor('--down'),
    crosshair: cssColor('--muted'),
    overlay: cssColor('--accent'),
    sma20: cssColor('--sma20'),
    sma50: cssColor('--sma50'),
    ema20: cssColor('--ema20'),
    ema50: cssColor('--ema50'),
    vwap: cssColor('--vwap'),
    band: cssColor('--band'),
    volumeHigh: cssColor('--vol-high'),
    volumeMedium: cssColor('--vol-medium'),
    volumeLow: cssColor('--vol-low'),
  };
}

/** The heatmap's seven steps, fall to rise, with the text written on them. */
export function heatmapColors(): HeatmapColors {
  return {
    background: cssColor('--bg'),
    steps: [0, 1, 2, 3, 4, 5, 6].map((step) => cssColor(`--heat-${step}`)),
    text: cssColor('--text'),
    outline: cssColor('--text'),
  };
}

/** Correlation cell colours from −1 to +1 in CORRELATION_STEPS even steps, then the colour of a missing pair. */
export const CORRELATION_STEPS = 21;
export function correlationPalette(): number[] {
  const negative = cssColor('--corr-neg');
  const zero = cssColor('--corr-zero');
  const positive = cssColor('--corr-pos');
  const middle = (CORRELATION_STEPS - 1) / 2;
  const palette: number[] = [];
  for (let k = 0; k < CORRELATION_STEPS; k++) {
    const t = (k - middle) / middle;
    palette.push(t < 0 ? mix(zero, negative, -t) : mix(zero, positive, t));
  }
  palette.push(cssColor('--corr-missing'));
  return palette;
}
