import type { MarketEventJson } from '@tickstream/schemas';
import { describe, expect, it } from 'vitest';
import { MarketStatus } from './market-status.js';

const event = (kind: string, symbol = '', extra: Partial<MarketEventJson> = {}): MarketEventJson =>
  ({ kind, symbol, sector: 'Tech', source: 'Producer', timeUs: 5, name: '', detail: '', ...extra }) as MarketEventJson;

describe('MarketStatus', () => {
  it('follows the session and halts from live events', () => {
    const status = new MarketStatus();
    expect(status.event(event('SessionChange', '', { name: 'regular', detail: 'open' }))).toBe(true);
    expect(status.phase).toBe('regular');
    expect(status.event(event('Halt', 'AAPL'))).toBe(true);
    expect(status.event(event('HaltDetected', 'MSFT'))).toBe(true);
    expect(status.isHalted('AAPL') && status.isHalted('MSFT')).toBe(true);
    expect(status.event(event('ResumeDetected', 'MSFT'))).toBe(true);
    expect(status.isHalted('MSFT')).toBe(false);
    expect(status.event(event('Breakout', 'AAPL'))).toBe(false);
  });

  it('replays live events of the last seconds over an HTTP answer that may predate them', () => {
    const status = new MarketStatus();
    status.event(event('Halt', 'AAPL'), 1000);
    status.load({ phase: 'regular', sinceUs: 1, detail: '', halted: [] }, 2000);
    expect(status.isHalted('AAPL')).toBe(true);
    status.load({ phase: 'regular', sinceUs: 1, detail: '', halted: [] }, 20_000);
    expect(status.isHalted('AAPL')).toBe(false);
  });
});
