import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FLASH_PEAK, mix } from '../engine/colors.js';

// WCAG AA for both themes, computed from theme.css itself: every text colour on every background
// it is drawn on, the grid's flashed rows at their strongest included.

const css = readFileSync(new URL('./theme.css', import.meta.url), 'utf8');

function themeColors(selector: string): Record<string, number> {
  const start = css.indexOf(selector);
  const block = css.slice(start, css.indexOf('}', start));
  const colors: Record<string, number> = {};
  for (const [, name, hex] of block.matchAll(/--([\w-]+):\s*#([0-9a-f]{6});/gi))
    colors[name as string] = Number.parseInt(hex as string, 16);
  return colors;
}

/** WCAG 2 relative luminance and contrast ratio. */
function luminance(rgb: number): number {
  const linear = (channel: number): number => {
    const c = channel / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * linear((rgb >> 16) & 0xff) + 0.7152 * linear((rgb >> 8) & 0xff) + 0.0722 * linear(rgb & 0xff);
}
function contrast(a: number, b: number): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

const hex = (rgb: number): string => `#${rgb.toString(16).padStart(6, '0')}`;

describe.each([
  ['dark', ':root[data-theme="dark"]'],
  ['light', ':root[data-theme="light"]'],
])('the %s theme', (_name, selector) => {
  const c = themeColors(selector);

  it('is complete', () => {
    for (const name of ['bg', 'surface', 'stripe', 'selection', 'text', 'muted', 'accent', 'up', 'down']) {
      expect(c[name], name).toBeTypeOf('number');
    }
  });

  it('keeps text at 4.5:1 on the page, panels and controls', () => {
    for (const fg of ['text', 'muted', 'accent', 'up', 'down']) {
      for (const bg of ['bg', 'surface']) {
        const ratio = contrast(c[fg] as number, c[bg] as number);
        expect(ratio, `${fg} on ${bg}: ${ratio.toFixed(2)}`).toBeGreaterThanOrEqual(4.5);
      }
    }
    expect(contrast(c.text as number, c.selection as number)).toBeGreaterThanOrEqual(4.5);
  });

  it('keeps every grid colour at 4.5:1 on plain, striped, selected and flashed rows', () => {
    const rows = [c.bg, c.stripe] as number[];
    const backgrounds = [...rows, c.selection as number];
    // The selected row does not flash; the others start a flash at FLASH_PEAK towards up or down.
    for (const row of rows)
      for (const towards of [c.up, c.down] as number[]) backgrounds.push(mix(row, towards, FLASH_PEAK));
    for (const fg of ['text', 'muted', 'up', 'down']) {
      for (const bg of backgrounds) {
        const ratio = contrast(c[fg] as number, bg);
        expect(ratio, `${fg} on ${hex(bg)}: ${ratio.toFixed(2)}`).toBeGreaterThanOrEqual(4.5);
      }
    }
  });
  it('keeps chart lines and volume bars at 3:1 on the chart (WCAG 1.4.11, non-text)', () => {
    for (const fg of ['sma20', 'sma50', 'ema20', 'ema50', 'vwap', 'band', 'vol-high', 'vol-medium', 'vol-low']) {
      const ratio = contrast(c[fg] as number, c.bg as number);
      expect(ratio, `${fg} on bg: ${ratio.toFixed(2)}`).toBeGreaterThanOrEqual(3);
    }
  });

  it('keeps the heatmap labels at 4.5:1 on every tile colour', () => {
    for (let step = 0; step <= 6; step++) {
      const tile = c[`heat-${step}`] as number;
      expect(tile, `heat-${step}`).toBeTypeOf('number');
      const ratio = contrast(c.text as number, tile);
      expect(ratio, `text on heat-${step} ${hex(tile)}: ${ratio.toFixed(2)}`).toBeGreaterThanOrEqual(4.5);
    }
  });
  it('keeps the colours also written as text (overlay names, volume categories) at 4.5:1 where they are written', () => {
    for (const fg of ['sma20', 'sma50', 'ema20', 'ema50', 'vwap', 'band', 'vol-high', 'vol-low']) {
      for (const bg of ['bg', 'surface', 'selection']) {
        const ratio = contrast(c[fg] as number, c[bg] as number);
        expect(ratio, `${fg} on ${bg}: ${ratio.toFixed(2)}`).toBeGreaterThanOrEqual(4.5);
      }
    }
  });
});
