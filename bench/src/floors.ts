import { formatValue } from './svg-chart.js';

/**
 * A target a figure must meet, as the issues state them: "≥ 1.5 M ticks/s" is a floor (`least`),
 * "≤ 0.5 µs per frame" a ceiling (`most`). Printed beside the figure with ✔ or ✘; the machine is
 * shared, so a ✘ or ✔ from a loaded run is provisional.
 */
export interface Floor {
  at: 'least' | 'most';
  value: number;
}

export const atLeast = (value: number): Floor => ({ at: 'least', value });
export const atMost = (value: number): Floor => ({ at: 'most', value });

export function floorMet(value: number, floor: Floor): boolean {
  return floor.at === 'least' ? value >= floor.value : value <= floor.value;
}

/** `✔ ≥ 1.5M` / `✘ ≤ 0.5`. */
export function formatFloor(value: number, floor: Floor): string {
  return `${floorMet(value, floor) ? '✔' : '✘'} ${floor.at === 'least' ? '≥' : '≤'} ${formatValue(floor.value)}`;
}
