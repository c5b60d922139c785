import { EventSource, type MarketEventFields, MarketEventKind } from '@tickstream/schemas';
import { sourceOf } from './event-log.js';

/** A symbol that does not trade: since when, and who said so (the producer's Halt, or the job's HaltDetected). */
export interface HaltedSymbol {
  symbol: string;
  sector: string;
  sinceUs: number;
  source: 'Producer' | 'Analytics';
  detail: string;
}

/** The trading session as the producer last announced it (SessionChange); phase '' until one is read. */
export interface SessionState {
  /** `pre-market`, `regular`, `after-hours` or `closed` (the producer's names); '' when never announced. */
  phase: string;
  sinceUs: number;
  detail: string;
}

/**
 * The market's session and its halted symbols, as market_events say: the newest SessionChange
 * gives the phase; Halt and HaltDetected mark a symbol halted, Resume and ResumeDetected clear
 * it. Fed the events history at start and every live event after, in arrival order.
 */
export class MarketSessionBook {
  session: SessionState = { phase: '', sinceUs: 0, detail: '' };
  private readonly halted = new Map<string, HaltedSymbol>();

  add(event: MarketEventFields): void {
    switch (event.kind) {
      case MarketEventKind.SessionChange:
        this.session = { phase: event.name, sinceUs: event.timeUs, detail: event.detail };
        break;
      case MarketEventKind.Halt:
      case MarketEventKind.HaltDetected:
        if (event.symbol === '') break;
        this.halted.set(event.symbol, {
          symbol: event.symbol,
          sector: event.sector,
          sinceUs: event.timeUs,
          source: sourceOf(event) === EventSource.Producer ? 'Producer' : 'Analytics',
          detail: event.detail,
        });
        break;
      case MarketEventKind.Resume:
      case MarketEventKind.ResumeDetected:
        this.halted.delete(event.symbol);
        break;
      default:
        break;
    }
  }

  /**
   * The symbols halted now, by name. `lastTradeUs` is the exchange time of a symbol's newest tick
   * (undefined if unknown): one that traded after its halt began has resumed even if its Resume
   * was never written (a producer stopped mid-halt), so it is dropped here.
   */
  haltedNow(lastTradeUs: (symbol: string) => number | undefined): HaltedSymbol[] {
    const halted: HaltedSymbol[] = [];
    for (const [symbol, halt] of this.halted) {
      const traded = lastTradeUs(symbol);
      if (traded !== undefined && traded > halt.sinceUs) this.halted.delete(symbol);
      else halted.push(halt);
    }
    return halted.sort((a, b) => a.symbol.localeCompare(b.symbol));
  }
}
