import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { valuePortfolio } from './portfolio-valuation.js';
import type { PortfolioFields, PositionFields } from './trading-codec.js';

// Properties of the valuation the edge (GET /api/portfolio) and the dashboard (Portfolio tab)
// both use, over portfolios within the bounds of docs/trading.md (quantities ≤ 10^6 shares,
// prices ≤ 10^3 currency units, cash ≤ 10^9): random cases from fast-check, shrunk on failure.

const SYMBOLS = ['AAPL', 'MSFT', 'NVDA', 'XOM', 'JPM', 'KO', 'PFE', 'TSLA'];
const price = fc.integer({ min: 1, max: 10_000_000 });
const position: fc.Arbitrary<PositionFields> = fc.record({
  symbol: fc.constantFrom(...SYMBOLS),
  quantity: fc.integer({ min: 0, max: 1_000_000 }),
  cost: fc.integer({ min: 0, max: 10_000_000_000_000 }),
  realizedPnl: fc.integer({ min: -10_000_000_000_000, max: 10_000_000_000_000 }),
});
const portfolio: fc.Arbitrary<PortfolioFields> = fc.record({
  user: fc.constant('alice'),
  cash: fc.integer({ min: 0, max: 10_000_000_000_000 }),
  reservedCash: fc.integer({ min: 0, max: 1_000_000 }),
  startingCash: fc.constant(1_000_000_000),
  realizedPnl: fc.integer({ min: -1_000_000, max: 1_000_000 }),
  // One position per symbol, as the fill engine keeps them.
  positions: fc.uniqueArray(position, { selector: (p) => p.symbol, maxLength: SYMBOLS.length }),
  equityCurve: fc.constant([]),
  updatedAtMs: fc.constant(0),
  resetAtMs: fc.constant(0),
  lastUpdateId: fc.constant(''),
});
/** A last price per symbol, some unknown. */
const marks = fc.dictionary(fc.constantFrom(...SYMBOLS), price);

describe('portfolio valuation (cash + Σ quantity × price)', () => {
  it('equals the same sums done exactly in BigInt, position by position and in total', () => {
    fc.assert(
      fc.property(portfolio, marks, (p, known) => {
        const valued = valuePortfolio(p, (symbol) => known[symbol]);
        let value = 0n;
        let unrealized = 0n;
        for (const [i, held] of p.positions.entries()) {
          const mark = known[held.symbol];
          const worth = mark === undefined ? BigInt(held.cost) : BigInt(held.quantity) * BigInt(mark);
          value += worth;
          unrealized += worth - BigInt(held.cost);
          expect(valued.positions[i]).toMatchObject({
            symbol: held.symbol,
            marketValue: Number(worth),
            unrealizedPnl: Number(worth - BigInt(held.cost)),
            priced: mark !== undefined,
          });
        }
        expect(valued.marketValue).toBe(Number(value));
        expect(valued.unrealizedPnl).toBe(Number(unrealized));
        expect(valued.equity).toBe(Number(BigInt(p.cash) + value));
        expect(valued.equity).toBe(valued.cash + valued.marketValue);
        // Cash, reserved cash and realized P&L are the record's: marking moves none of them.
        expect([valued.cash, valued.reservedCash, valued.realizedPnl]).toEqual([p.cash, p.reservedCash, p.realizedPnl]);
      }),
      { numRuns: 2000 },
    );
  });

  it('does not depend on the order of the positions', () => {
    fc.assert(
      fc.property(portfolio, marks, fc.integer(), (p, known, seed) => {
        const shuffled = [...p.positions].sort(
          (a, b) => ((a.symbol.charCodeAt(0) * seed) % 7) - ((b.symbol.charCodeAt(0) * seed) % 7),
        );
        const a = valuePortfolio(p, (symbol) => known[symbol]);
        const b = valuePortfolio({ ...p, positions: shuffled }, (symbol) => known[symbol]);
        expect([b.equity, b.marketValue, b.unrealizedPnl]).toEqual([a.equity, a.marketValue, a.unrealizedPnl]);
      }),
    );
  });

  it('moves equity and unrealized P&L by exactly quantity × Δ when one price moves by Δ', () => {
    fc.assert(
      fc.property(portfolio, marks, fc.integer({ min: -1_000_000, max: 1_000_000 }), (p, known, delta) => {
        fc.pre(p.positions.length > 0);
        const moved = p.positions[0] as PositionFields;
        const before = known[moved.symbol] ?? 1_000_000;
        fc.pre(before + delta > 0);
        const at = (mark: number) => valuePortfolio(p, (symbol) => (symbol === moved.symbol ? mark : known[symbol]));
        const was = at(before);
        const now = at(before + delta);
        // `+ 0` folds -0 into 0: a zero quantity times a negative Δ is -0, a difference of equal values +0.
        expect(now.equity - was.equity + 0).toBe(moved.quantity * delta + 0);
        expect(now.unrealizedPnl - was.unrealizedPnl + 0).toBe(moved.quantity * delta + 0);
        expect(now.cash).toBe(was.cash);
      }),
    );
  });

  it('conserves cash + position value across a fill, when marked at the fill price', () => {
    // The accounting of a fill (docs/trading.md): a buy of q at p pays q × p and adds q shares
    // costing q × p; a sell of q ≤ held receives q × p and takes the average cost of q shares
    // out. Marked at p, the portfolio is worth the same before and after: a fill only moves value
    // between cash and the position.
    fc.assert(
      fc.property(
        portfolio,
        marks,
        fc.boolean(),
        fc.integer({ min: 1, max: 1_000_000 }),
        price,
        (p, known, buy, wanted, fillPrice) => {
          fc.pre(p.positions.length > 0);
          const held = p.positions[0] as PositionFields;
          const quantity = buy ? wanted : Math.min(wanted, held.quantity);
          fc.pre(quantity > 0);
          const removedCost = buy ? 0 : Number((BigInt(held.cost) * BigInt(quantity)) / BigInt(held.quantity));
          const after: PortfolioFields = {
            ...p,
            cash: p.cash + (buy ? -1 : 1) * quantity * fillPrice,
            positions: p.positions.map((position) =>
              position === held
                ? {
                    ...held,
                    quantity: held.quantity + (buy ? quantity : -quantity),
                    cost: buy ? held.cost + quantity * fillPrice : held.cost - removedCost,
                    realizedPnl: buy ? held.realizedPnl : held.realizedPnl + quantity * fillPrice - removedCost,
                  }
                : position,
            ),
          };
          const markOf = (symbol: string) => (symbol === held.symbol ? fillPrice : known[symbol]);
          expect(valuePortfolio(after, markOf).equity).toBe(valuePortfolio(p, markOf).equity);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('marks a position without a known price at its average cost: no unrealized P&L, not "free"', () => {
    const valued = valuePortfolio(
      {
        user: 'alice',
        cash: 1_000_000,
        reservedCash: 0,
        startingCash: 2_000_000,
        realizedPnl: 0,
        positions: [
          { symbol: 'AAPL', quantity: 3, cost: 1_000_000, realizedPnl: 0 },
          { symbol: 'MSFT', quantity: 0, cost: 0, realizedPnl: 500 },
        ],
        equityCurve: [],
        updatedAtMs: 0,
        resetAtMs: 0,
        lastUpdateId: '',
      },
      () => undefined,
    );
    expect(valued.positions[0]).toMatchObject({ priced: false, marketValue: 1_000_000, unrealizedPnl: 0 });
    expect(valued.positions[0]?.mark).toBeCloseTo(333_333.333, 3);
    expect(valued.positions[1]).toMatchObject({ priced: false, marketValue: 0, unrealizedPnl: 0, mark: 0 });
    expect(valued.equity).toBe(2_000_000);
  });
});
