import type { PortfolioFields } from '@tickstream/schemas';
import { describe, expect, it } from 'vitest';
import { ROW_WIDTH } from './feed-protocol.js';
import { MarketBook } from './market-book.js';
import { allocationBySector, equityChart, markPortfolio } from './portfolio-view.js';

function book(prices: Record<string, [number, string]>): MarketBook {
  const names = Object.keys(prices);
  const rows = new Float64Array(names.length * ROW_WIDTH);
  names.forEach((name, id) => {
    rows[id * ROW_WIDTH] = (prices[name] as [number, string])[0];
  });
  const market = new MarketBook();
  market.replace(
    1,
    names,
    names.map((name) => (prices[name] as [number, string])[1]),
    rows,
  );
  return market;
}

const portfolio: PortfolioFields = {
  user: 'alice',
  cash: 5_000_000,
  reservedCash: 0,
  startingCash: 10_000_000,
  realizedPnl: 0,
  positions: [
    { symbol: 'AAPL', quantity: 10, cost: 1_900_000, realizedPnl: 0 },
    { symbol: 'MSFT', quantity: 5, cost: 2_100_000, realizedPnl: 0 },
    { symbol: 'XOM', quantity: 1, cost: 1_000_000, realizedPnl: 0 },
    { symbol: 'GONE', quantity: 0, cost: 0, realizedPnl: 300 },
  ],
  equityCurve: [],
  updatedAtMs: 0,
  resetAtMs: 0,
  lastUpdateId: '',
};

describe('the Portfolio tab’s numbers', () => {
  it('marks at the page’s last prices, and at the edge’s marks for symbols the page does not follow', () => {
    const prices = book({ AAPL: [200_000, 'Technology'], MSFT: [400_000, 'Technology'] });
    const valued = markPortfolio(portfolio, prices, [0, 0, 1_200_000, 0]);
    expect(valued.positions.map((p) => [p.symbol, p.mark, p.priced])).toEqual([
      ['AAPL', 200_000, true],
      ['MSFT', 400_000, true],
      ['XOM', 1_200_000, true],
      ['GONE', 0, false],
    ]);
    expect(valued.equity).toBe(5_000_000 + 2_000_000 + 2_000_000 + 1_200_000);
    // A page price of 0 (no trade yet) falls back to the edge's mark; no mark at all: the average cost.
    expect(markPortfolio(portfolio, book({ AAPL: [0, 'Technology'] }), [190_500, 0, 0, 0]).positions[0]?.mark).toBe(
      190_500,
    );
    expect(markPortfolio(portfolio, prices, []).positions[2]).toMatchObject({ priced: false, unrealizedPnl: 0 });
  });

  it('splits the equity by sector and cash, largest first, shares adding up to 1', () => {
    const prices = book({ AAPL: [200_000, 'Technology'], MSFT: [400_000, 'Technology'], XOM: [1_000_000, 'Energy'] });
    const slices = allocationBySector(markPortfolio(portfolio, prices, []), prices);
    expect(slices.map((slice) => [slice.name, slice.value])).toEqual([
      ['Cash', 5_000_000],
      ['Technology', 4_000_000],
      ['Energy', 1_000_000],
    ]);
    expect(slices.reduce((sum, slice) => sum + slice.share, 0)).toBeCloseTo(1, 12);
    expect(allocationBySector(markPortfolio({ ...portfolio, cash: 0, positions: [] }, prices, []), prices)).toEqual([]);
  });

  it('draws the equity curve across the whole box, oldest on the left, and a flat curve in the middle', () => {
    const chart = equityChart(
      [
        { timeMs: 1000, equity: 100 },
        { timeMs: 2000, equity: 300 },
        { timeMs: 3000, equity: 200 },
      ],
      100,
      50,
    );
    expect(chart).toEqual({ path: 'M0.0,50.0 L50.0,0.0 L100.0,25.0', min: 100, max: 300, fromMs: 1000, toMs: 3000 });
    expect(
      equityChart(
        [
          { timeMs: 0, equity: 500 },
          { timeMs: 10, equity: 500 },
        ],
        100,
        50,
      )?.path,
    ).toBe('M0.0,25.0 L100.0,25.0');
    expect(equityChart([{ timeMs: 0, equity: 1 }], 100, 50)).toBeNull();
  });
});
