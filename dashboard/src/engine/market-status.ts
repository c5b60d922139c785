import type { MarketEventView, MarketStatusView } from './feed-protocol.js';

type Halt = MarketStatusView['halted'][number];

/** Live events replayed over an HTTP answer that may have left the edge before them. */
const REPLAY_MS = 10_000;

/**
 * The trading session and the halted symbols on the main thread: GET /api/market (polled by
 * the worker), and between answers every live MarketEvent (SessionChange, Halt, Resume, and the
 * job's HaltDetected and ResumeDetected), so a halt shows on the next frame after its event
 * arrives. Nothing reactive: views read `version`.
 */
export class MarketStatus {
  phase = '';
  sinceUs = 0;
  detail = '';
  readonly halted = new Map<string, Halt>();
  version = 0;
  private recent: { event: MarketEventView; atMs: number }[] = [];

  isHalted(symbol: string): boolean {
    return this.halted.has(symbol);
  }

  /** An answer of /api/market replaces the state; live events of the last seconds are applied again over it. */
  load(status: MarketStatusView, nowMs = Date.now()): void {
    this.phase = status.phase;
    this.sinceUs = status.sinceUs;
    this.detail = status.detail;
    this.halted.clear();
    for (const halt of status.halted) this.halted.set(halt.symbol, halt);
    this.recent = this.recent.filter((entry) => nowMs - entry.atMs < REPLAY_MS);
    for (const { event } of this.recent) this.apply(event);
    this.version++;
  }

  /** A live MarketEvent; returns whether it changed the session or a halt. */
  event(event: MarketEventView, nowMs = Date.now()): boolean {
    const changed = this.apply(event);
    if (changed) {
      this.recent.push({ event, atMs: nowMs });
      this.version++;
    }
    return changed;
  }

  private apply(event: MarketEventView): boolean {
    switch (event.kind) {
      case 'SessionChange':
        this.phase = event.name;
        this.sinceUs = event.timeUs;
        this.detail = event.detail;
        return true;
      case 'Halt':
      case 'HaltDetected':
        if (event.symbol === '') return false;
        this.halted.set(event.symbol, {
          symbol: event.symbol,
          sector: event.sector,
          sinceUs: event.timeUs,
          source: event.source,
          detail: event.detail,
        });
        return true;
      case 'Resume':
      case 'ResumeDetected':
        return this.halted.delete(event.symbol);
      default:
        return false;
    }
  }
}

/** How the header names a phase. */
export const PHASE_LABEL: Record<string, string> = {
  'pre-market': 'pre-market',
  regular: 'market open',
  'after-hours': 'after hours',
  closed: 'market closed',
  '': 'session unknown',
};
