import { type MarketEventFields, MarketEventKind } from '@tickstream/schemas';
import { describe, expect, it } from 'vitest';
import { MarketSessionBook } from './market-session.js';

const event = (kind: MarketEventKind, symbol: string, timeUs: number, detected = false): MarketEventFields => ({
  kind,
  symbol,
  sector: symbol ? 'Tech' : '',
  name: kind === MarketEventKind.SessionChange ? 'regular' : 'halt',
  detail: kind === MarketEventKind.SessionChange ? 'regular since Mon 09:30 ET, until Mon 16:00 ET' : '',
  timeUs,
  ...(detected
    ? {
        evidence: {
          value: 30,
          mean: Number.NaN,
          deviation: Number.NaN,
          threshold: 20,
          windowMs: 30_000,
          startTimeUs: timeUs,
          price: 0,
          startPrice: 0,
        },
      }
    : {}),
});

describe('MarketSessionBook', () => {
  it('takes the session from the newest SessionChange; none read yet is an empty phase', () => {
    const book = new MarketSessionBook();
    expect(book.session.phase).toBe('');
    book.add(event(MarketEventKind.SessionChange, '', 5));
    expect(book.session).toEqual({
      phase: 'regular',
      sinceUs: 5,
      detail: 'regular since Mon 09:30 ET, until Mon 16:00 ET',
    });
  });

  it('marks halts announced and detected, clears them on resume, and on a trade after the halt began', () => {
    const book = new MarketSessionBook();
    book.add(event(MarketEventKind.Halt, 'AAPL', 100));
    book.add(event(MarketEventKind.HaltDetected, 'MSFT', 200, true));
    book.add(event(MarketEventKind.Halt, 'XOM', 300));
    book.add(event(MarketEventKind.FlashCrash, 'TSLA', 300, true));
    const noTrades = () => undefined;
    expect(book.haltedNow(noTrades).map((h) => [h.symbol, h.source, h.sinceUs])).toEqual([
      ['AAPL', 'Producer', 100],
      ['MSFT', 'Analytics', 200],
      ['XOM', 'Producer', 300],
    ]);
    book.add(event(MarketEventKind.ResumeDetected, 'MSFT', 400, true));
    // XOM traded at 301: it trades again though no Resume came (a producer stopped mid-halt).
    expect(book.haltedNow((symbol) => (symbol === 'XOM' ? 301 : 50)).map((h) => h.symbol)).toEqual(['AAPL']);
    book.add(event(MarketEventKind.Resume, 'AAPL', 500));
    expect(book.haltedNow(noTrades)).toEqual([]);
  });
});
