import { describe, expect, it } from 'vitest';
import { ProtocolError } from './protocol-error.js';
import {
  checkEquityCurve,
  checkPortfolio,
  decodeEquityCurve,
  type EquityCurveFields,
  encodeEquityCurve,
  encodePortfolio,
  mergeEquityCurve,
  type PortfolioFields,
} from './trading-codec.js';

const MINUTE = 60_000;
const T0 = 1_797_000_000_000 - (1_797_000_000_000 % MINUTE);

const portfolio: PortfolioFields = {
  user: 'alice',
  cash: 1,
  reservedCash: 0,
  startingCash: 1,
  realizedPnl: 0,
  positions: [],
  equityCurve: [],
  updatedAtMs: T0,
  resetAtMs: T0,
  lastUpdateId: '',
};
const curve = (points: [number, number][], resetAtMs = T0): EquityCurveFields => ({
  user: 'alice',
  resetAtMs,
  points: points.map(([at, equity]) => ({ timeMs: T0 + at, equity })),
});
const merged = (record: EquityCurveFields | null, own: [number, number][], resetAtMs = T0): string[] =>
  mergeEquityCurve(record, { resetAtMs, equityCurve: curve(own).points }).map(
    (point) => `${point.timeMs - T0}=${point.equity}`,
  );

describe('the EquityCurve record of `portfolios`', () => {
  it('round-trips, and is checked apart from a Portfolio', () => {
    const record = curve([
      [0, 100],
      [MINUTE + 5, 101],
    ]);
    const bytes = encodeEquityCurve(record);
    expect(decodeEquityCurve(bytes)).toEqual(record);
    expect(checkEquityCurve(bytes)).toBe('alice');
    expect(checkPortfolio(encodePortfolio(portfolio))).toBe('alice');
    expect(() => checkEquityCurve(bytes.subarray(0, bytes.length - 9))).toThrow(ProtocolError);
  });
});

describe('mergeEquityCurve: the curve record, then the Portfolio’s own points by minute', () => {
  it('replaces the last point with a later change of its minute, adds one of a later minute', () => {
    const record = curve([
      [0, 100],
      [MINUTE, 101],
    ]);
    expect(merged(record, [[MINUTE + 30_000, 105]])).toEqual(['0=100', '90000=105']);
    expect(merged(record, [[3 * MINUTE, 107]])).toEqual(['0=100', '60000=101', '180000=107']);
    // A point the record already has, or an older one, changes nothing.
    expect(merged(record, [[MINUTE, 101]])).toEqual(['0=100', '60000=101']);
    expect(merged(record, [[5_000, 99]])).toEqual(['0=100', '60000=101']);
  });

  it('reads a Portfolio that carries its whole curve (no record) as that curve', () => {
    const own: [number, number][] = [
      [0, 100],
      [MINUTE, 101],
      [5 * MINUTE + 1, 102],
    ];
    expect(merged(null, own)).toEqual(['0=100', '60000=101', '300001=102']);
  });

  it('leaves out a record of another reset than the portfolio’s', () => {
    const before = curve([[0, 100]], T0);
    expect(merged(before, [[2 * MINUTE, 500]], T0 + 2 * MINUTE)).toEqual(['120000=500']);
  });
});
