import { MarketEventKind, marketEventJson } from '@tickstream/schemas';
import { describe, expect, it } from 'vitest';
import { EVENTS_KEPT, EventLog } from './event-log.js';

const event = (i: number, kind = MarketEventKind.Halt, detected = false) => ({
  kind,
  symbol: `S${i % 3}`,
  sector: 'Tech',
  name: 'x',
  detail: '',
  timeUs: i,
  evidence: detected
    ? {
        value: 1,
        mean: Number.NaN,
        deviation: Number.NaN,
        threshold: 0.5,
        windowMs: 1000,
        startTimeUs: 0,
        price: 1,
        startPrice: 2,
      }
    : undefined,
});

describe('EventLog', () => {
  it('keeps the newest events and answers newest first, filtered', () => {
    const log = new EventLog();
    for (let i = 0; i < EVENTS_KEPT * 2 + 123; i++)
      log.add(event(i, i % 2 ? MarketEventKind.FlashCrash : MarketEventKind.Halt, i % 2 === 1));
    expect(log.size).toBe(EVENTS_KEPT);
    const newest = log.query({ limit: EVENTS_KEPT + 10 });
    expect(newest).toHaveLength(EVENTS_KEPT);
    expect(newest[0]?.timeUs).toBe(EVENTS_KEPT * 2 + 122);
    expect(newest.at(-1)?.timeUs).toBe(EVENTS_KEPT + 123);
    const crashes = log.query({
      symbol: 'S1',
      kinds: [MarketEventKind.FlashCrash],
      sinceUs: EVENTS_KEPT * 2,
      limit: 3,
    });
    expect(crashes.map((e) => [e.timeUs % 3, e.kind, e.timeUs >= EVENTS_KEPT * 2])).toEqual([
      [1, MarketEventKind.FlashCrash, true],
      [1, MarketEventKind.FlashCrash, true],
      [1, MarketEventKind.FlashCrash, true],
    ]);
  });

  it('serves a detection with its evidence by name, NaN as null', () => {
    expect(marketEventJson(event(4, MarketEventKind.FlashCrash, true))).toEqual({
      kind: 'FlashCrash',
      source: 'Analytics',
      symbol: 'S1',
      sector: 'Tech',
      name: 'x',
      detail: '',
      timeUs: 4,
      value: 1,
      mean: null,
      deviation: null,
      threshold: 0.5,
      windowMs: 1000,
      startTimeUs: 0,
      price: 1,
      startPrice: 2,
    });
    expect(marketEventJson(event(4))).not.toHaveProperty('value');
  });
});
