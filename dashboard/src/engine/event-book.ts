import type { MarketEventView } from './feed-protocol.js';

/** Events kept in the browser (the edge keeps 5,000; /api/events gives any of them). */
const KEPT = 2000;
/** A symbol's row carries a badge this long after its newest event. */
export const BADGE_US = 15 * 60_000_000;

/**
 * The market events the dashboard knows: read from /api/events at connect, then each live
 * MarketEvent frame, newest first. It answers what the views ask: the Events list, whether a
 * row gets a badge, which markers a chart draws. Nothing reactive: views read `version`, or
 * `events`, a new array on every change.
 */
export class EventBook {
  events: MarketEventView[] = [];
  version = 0;
  private readonly newestBySymbol = new Map<string, MarketEventView>();

  /** Replaces everything with events read from the edge (newest first). */
  load(events: MarketEventView[]): void {
    const live = this.events;
    this.events = [];
    this.newestBySymbol.clear();
    // Oldest first, so that live events that came in meanwhile stay in front.
    for (const event of [...events].reverse()) this.add(event, false);
    for (const event of [...live].reverse()) if (!events.some((known) => same(known, event))) this.add(event, false);
    this.version++;
  }

  add(event: MarketEventView, bump = true): void {
    // A new array, not unshift: views compare the reference (events are rare; 2,000 copies are cheap).
    this.events = [event, ...this.events.slice(0, KEPT - 1)];
    const newest = this.newestBySymbol.get(event.symbol);
    if (event.symbol !== '' && (newest === undefined || event.timeUs >= newest.timeUs))
      this.newestBySymbol.set(event.symbol, event);
    if (bump) this.version++;
  }

  /** The symbol's newest event if it is recent (within BADGE_US of `nowUs`), for its row badge. */
  recent(symbol: string, nowUs: number): MarketEventView | undefined {
    const newest = this.newestBySymbol.get(symbol);
    return newest !== undefined && nowUs - newest.timeUs < BADGE_US ? newest : undefined;
  }

  /** The symbol's events in [fromUs, toUs), oldest first: a chart's markers. */
  between(symbol: string, fromUs: number, toUs: number): MarketEventView[] {
    return this.events
      .filter((event) => event.symbol === symbol && event.timeUs >= fromUs && event.timeUs < toUs)
      .reverse();
  }
}

const same = (a: MarketEventView, b: MarketEventView): boolean =>
  a.timeUs === b.timeUs && a.kind === b.kind && a.symbol === b.symbol && a.name === b.name;
