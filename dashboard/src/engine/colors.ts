/** How long a changed row's background flashes, and how far at most it moves towards up/down. */
export const FLASH_MS = 600;
/**
 * A flash fades in steps of a clock shared by every row, so all fading rows change on the same
 * frames: ~10 redraws a second while only flashes change, not one every vsync. Without a GPU
 * each drawn frame costs the GPU process ~20 ms whatever it holds (measured: a frame drawing one
 * row of the grid cost 22 ms of SwiftShader against 40 ms for the full grid).
 */
export const FLASH_STEP_MS = 100;
/**
 * Kept low enough that every text colour stays at WCAG AA (4.5:1) on a flashed row in both
 * themes (theme-contrast.test.ts checks it); the selected row does not flash.
 */
export const FLASH_PEAK = 0.15;

/** `from` moved towards `to` by `amount` (0-1), per channel: flashes are tints, not blending. */
export function mix(from: number, to: number, amount: number): number {
  const channel = (shift: number): number => {
    const a = (from >> shift) & 0xff;
    const b = (to >> shift) & 0xff;
    return Math.round(a + (b - a) * amount) << shift;
  };
  return channel(16) | channel(8) | channel(0);
}
