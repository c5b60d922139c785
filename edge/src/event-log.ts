import { EventSource, type MarketEventFields, type MarketEventKind } from '@tickstream/schemas';

/** Market events an edge keeps for /api/events (oldest dropped first): ~200 bytes each. */
export const EVENTS_KEPT = 5000;

export interface EventQuery {
  symbol?: string;
  /** MarketEventKind names, e.g. FlashCrash. */
  kinds?: readonly MarketEventKind[];
  source?: EventSource;
  /** Only events at or after this time (µs). */
  sinceUs?: number;
  limit: number;
}

/**
 * The most recent market events (the producer's announcements and the analytics job's
 * detections), read back from `market_events` at start and kept as they arrive, newest last,
 * in a bounded ring: what a dashboard that just connected needs for its Events view, its row
 * badges and its chart markers.
 */
export class EventLog {
  private readonly events: MarketEventFields[] = [];

  add(event: MarketEventFields): void {
    this.events.push(event);
    // Trimmed a batch at a time: one copy per EVENTS_KEPT events, not one per event (a day of
    // history read at start may hold far more than are kept).
    if (this.events.length >= EVENTS_KEPT * 2) this.events.splice(0, this.events.length - EVENTS_KEPT);
  }

  get size(): number {
    return Math.min(this.events.length, EVENTS_KEPT);
  }

  /** Matching events among the newest EVENTS_KEPT, newest first. */
  query(query: EventQuery): MarketEventFields[] {
    const found: MarketEventFields[] = [];
    const oldest = Math.max(0, this.events.length - EVENTS_KEPT);
    for (let i = this.events.length - 1; i >= oldest && found.length < query.limit; i--) {
      const event = this.events[i] as MarketEventFields;
      if (query.symbol !== undefined && event.symbol !== query.symbol) continue;
      if (query.kinds !== undefined && !query.kinds.includes(event.kind)) continue;
      if (query.source !== undefined && sourceOf(event) !== query.source) continue;
      if (query.sinceUs !== undefined && event.timeUs < query.sinceUs) continue;
      found.push(event);
    }
    return found;
  }
}

export function sourceOf(event: MarketEventFields): EventSource {
  return event.evidence === undefined ? EventSource.Producer : EventSource.Analytics;
}
