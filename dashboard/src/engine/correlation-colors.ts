/**
 * Colours each cell of a correlation matrix for a texture: `palette` holds colours (0xRRGGBB)
 * for correlations from −1 to +1 in even steps, then the colour of a pair no matrix holds (NaN).
 * A cell takes the colour of the step nearest its value: discrete steps keep the legend exact.
 */
export function correlationRgba(values: Float32Array, palette: readonly number[]): Uint8Array {
  const rgba = new Uint8Array(values.length * 4);
  const steps = palette.length - 1;
  if (steps < 2) return rgba;
  const missing = palette[steps] as number;
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as number;
    const color = Number.isFinite(value)
      ? (palette[Math.round(((Math.max(-1, Math.min(1, value)) + 1) / 2) * (steps - 1))] as number)
      : missing;
    rgba[i * 4] = (color >> 16) & 0xff;
    rgba[i * 4 + 1] = (color >> 8) & 0xff;
    rgba[i * 4 + 2] = color & 0xff;
    rgba[i * 4 + 3] = 0xff;
  }
  return rgba;
}
