import type { QuoteBook } from '@tickstream/client';
import { TIMEFRAME_US, type TimeframeName } from './candle-series.js';
import type {
  CorrelationCatalogEntry,
  FeedReport,
  MarketEventView,
  MarketStatusView,
  MoversView,
  SummaryWants,
} from './feed-protocol.js';
import { replayHeatmap, replayMovers } from './replay-summaries.js';
import { type HeatmapJson, layoutHeatmap } from './treemap.js';
import { type IndicatorJson, volumeTable } from './volume-table.js';

export interface SummaryPollerOptions {
  fetch: typeof fetch | undefined;
  report: (report: FeedReport, transfer: ArrayBuffer[]) => void;
  log: (message: string) => void;
}

type Kind = 'market' | 'movers' | 'heatmap' | 'volume' | 'correlationCatalog';

/** How often each summary is asked for while a view shows it (the edge recomputes at most twice a second). */
const PERIOD_MS: Record<Kind, number> = {
  market: 5000,
  movers: 1000,
  heatmap: 2000,
  volume: 5000,
  correlationCatalog: 10_000,
};
const CHECK_MS = 250;

/** What follows a replay: computed from its book instead of asked of the edge, which knows only live. */
const REPLAYED: ReadonlySet<Kind> = new Set<Kind>(['movers', 'heatmap']);

/** /api/indicators' market-wide answer, and the replay's clock it was asked as of (null: live). */
interface IndicatorsAsOf {
  tf: string;
  analytics: string;
  symbols: IndicatorJson[];
  asOfUs: number | null;
}

const NOTHING: SummaryWants = { market: false, movers: null, heatmap: null, volume: null, correlationCatalog: false };

/**
 * The edge's HTTP summaries in the decode worker: asks for what the visible views want
 * (GET /api/market, /api/movers, /api/heatmap, /api/indicators, /api/correlations) at its own
 * pace, parses the JSON here, lays the heatmap out and sorts the volume table here, and hands
 * the main thread views ready to draw. A failed request is logged once until one succeeds.
 * While a replay is shown, the movers and the heatmap come from the replay's book instead
 * (replay-summaries.ts) at the same pace, and the edge is not asked for them; the volume table
 * is asked for as it was at the replay's clock (/api/indicators with `to`).
 */
export class SummaryPoller {
  private wants: SummaryWants = NOTHING;
  private readonly lastMs = new Map<Kind, number>();
  private readonly inFlight = new Set<Kind>();
  private readonly failing = new Set<Kind>();
  private heatmapJson: HeatmapJson | null = null;
  /** The replay's book while a replay is shown; null: live. */
  private replayBook: QuoteBook | null = null;
  /** The shown replay's clock (µs) once a ReplayStatus said it; null: live, or not said yet. */
  private replayClockUs: number | null = null;
  private indicatorsJson: IndicatorsAsOf | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  /** http://host of the edge's HTTP API, once started; null: nothing is asked. */
  httpBase: string | null = null;

  constructor(private readonly options: SummaryPollerOptions) {}

  want(wants: SummaryWants): void {
    const before = this.wants;
    this.wants = wants;
    // A new size or order is answered from what is held, without waiting for the next poll.
    if (
      wants.heatmap &&
      this.heatmapJson &&
      (wants.heatmap.width !== before.heatmap?.width || wants.heatmap.height !== before.heatmap?.height)
    )
      this.sendHeatmap();
    if (wants.volume && this.indicatorsJson && wants.volume.tf === before.volume?.tf) this.sendVolume();
    // Something newly wanted is asked for now.
    for (const kind of this.kinds()) if (!this.wanted(kind, before)) this.lastMs.delete(kind);
    if (wants.volume && wants.volume.tf !== before.volume?.tf) {
      this.indicatorsJson = null;
      this.lastMs.delete('volume');
    }
    this.timer ??= setInterval(() => this.check(), CHECK_MS);
    this.check();
  }

  /**
   * A replay is shown (its book) or live again (null): what follows the replay is recomputed or
   * asked for at once, and what was held is dropped so the other market's is never drawn.
   */
  replay(book: QuoteBook | null): void {
    if (book === this.replayBook) return;
    this.replayBook = book;
    this.replayClockUs = null;
    this.heatmapJson = null;
    this.indicatorsJson = null;
    for (const kind of [...REPLAYED, 'volume' as const]) this.lastMs.delete(kind);
    this.check();
  }

  /** The shown replay's clock, from each ReplayStatus: the volume table is asked for again at once when it went back (a seek). */
  replayClock(clockUs: number): void {
    if (this.replayBook === null) return;
    const back = this.replayClockUs === null || clockUs < this.replayClockUs;
    this.replayClockUs = clockUs;
    if (back) {
      this.lastMs.delete('volume');
      this.check();
    }
  }

  /** A new epoch: everything wanted is asked for again at once. */
  epoch(): void {
    this.lastMs.clear();
    this.check();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.wants = NOTHING;
  }

  /** The newest market events from /api/events, once (the engine asks at connect and after a new epoch). */
  async loadEvents(limit: number): Promise<void> {
    const fetcher = this.options.fetch;
    if (this.httpBase === null || fetcher === undefined) return;
    try {
      const response = await fetcher(`${this.httpBase}/api/events?limit=${limit}`, { cache: 'no-store' });
      if (!response.ok) throw new Error(`${response.status} ${(await response.text()).trim()}`);
      const body = (await response.json()) as { events: MarketEventView[] };
      this.options.report({ type: 'events-history', events: body.events }, []);
    } catch (error) {
      this.options.log(`market events did not load: ${(error as Error).message}`);
    }
  }

  private kinds(): Kind[] {
    return ['market', 'movers', 'heatmap', 'volume', 'correlationCatalog'];
  }

  private wanted(kind: Kind, wants: SummaryWants = this.wants): boolean {
    return kind === 'market' || kind === 'correlationCatalog' ? wants[kind] : wants[kind] !== null;
  }

  private check(): void {
    const now = Date.now();
    for (const kind of this.kinds()) {
      if (!this.wanted(kind) || this.inFlight.has(kind)) continue;
      if (now - (this.lastMs.get(kind) ?? Number.NEGATIVE_INFINITY) < PERIOD_MS[kind]) continue;
      const replayed = this.replayBook !== null && REPLAYED.has(kind);
      // Until the replay's Snapshot the book holds an earlier replay's market, or none: not drawn.
      if (replayed && this.replayBook?.awaitingSnapshot) continue;
      // The volume table of a replayed time needs the replay's clock.
      if (kind === 'volume' && this.replayBook !== null && this.replayClockUs === null) continue;
      this.lastMs.set(kind, now);
      if (replayed) this.computeReplayed(kind, this.replayBook as QuoteBook);
      else void this.fetchOne(kind);
    }
  }

  private url(kind: Kind): string {
    const w = this.wants;
    switch (kind) {
      case 'market':
        return '/api/market';
      case 'movers':
        return `/api/movers?limit=${w.movers?.limit ?? 10}&tf=${w.movers?.tf ?? '1m'}`;
      case 'heatmap':
        return '/api/heatmap';
      case 'volume': {
        const tf = w.volume?.tf ?? '1m';
        const asOfUs = this.volumeAsOfUs();
        if (asOfUs === null) return `/api/indicators?tf=${tf}`;
        // Bars that started before the one holding the clock: those finished by then.
        const length = TIMEFRAME_US[tf as TimeframeName] ?? TIMEFRAME_US['1m'];
        return `/api/indicators?tf=${tf}&to=${(Math.floor(asOfUs / length) * length) / 1000}`;
      }
      case 'correlationCatalog':
        return '/api/correlations';
    }
  }

  private async fetchOne(kind: Kind): Promise<void> {
    const { httpBase } = this;
    const fetcher = this.options.fetch;
    if (httpBase === null || fetcher === undefined) return;
    this.inFlight.add(kind);
    const path = this.url(kind);
    const shown = this.replayBook;
    const asOfUs = kind === 'volume' ? this.volumeAsOfUs() : null;
    try {
      const response = await fetcher(`${httpBase}${path}`, { cache: 'no-store' });
      if (!response.ok) throw new Error(`${response.status} ${(await response.text()).trim()}`);
      const body = (await response.json()) as unknown;
      this.failing.delete(kind);
      if (this.current(kind, shown, asOfUs)) this.receive(kind, body, asOfUs);
    } catch (error) {
      if (!this.failing.has(kind)) this.options.log(`${path} did not answer: ${(error as Error).message}`);
      this.failing.add(kind);
    } finally {
      this.inFlight.delete(kind);
    }
  }

  private receive(kind: Kind, body: unknown, asOfUs: number | null): void {
    switch (kind) {
      case 'market': {
        const market = body as {
          session: { phase: string; sinceUs: number; detail: string };
          halted: MarketStatusView['halted'];
        };
        this.options.report({ type: 'market', status: { ...market.session, halted: market.halted } }, []);
        break;
      }
      case 'movers':
        this.options.report({ type: 'movers', movers: { ...(body as MoversView), replay: false } }, []);
        break;
      case 'heatmap':
        this.heatmapJson = body as HeatmapJson;
        this.sendHeatmap();
        break;
      case 'volume': {
        const json = body as { tf: string; analytics: string; symbols: IndicatorJson[] };
        if (json.tf !== this.wants.volume?.tf) return;
        this.indicatorsJson = { ...json, asOfUs };
        this.sendVolume();
        break;
      }
      case 'correlationCatalog': {
        const catalog = body as { analytics: string; matrices: CorrelationCatalogEntry[] };
        this.options.report(
          { type: 'correlation-catalog', matrices: catalog.matrices, analytics: catalog.analytics },
          [],
        );
        break;
      }
    }
  }

  private computeReplayed(kind: Kind, book: QuoteBook): void {
    if (kind === 'movers') {
      this.options.report({ type: 'movers', movers: replayMovers(book, this.wants.movers?.limit ?? 10) }, []);
    } else if (kind === 'heatmap') {
      this.heatmapJson = replayHeatmap(book);
      this.sendHeatmap();
    }
  }

  /** Whether an answer asked for while `shown` was shown (as of `asOfUs`) is still of the market shown. */
  private current(kind: Kind, shown: QuoteBook | null, asOfUs: number | null): boolean {
    // A replay began or ended meanwhile: the answer is of the other market.
    if (!this.wanted(kind) || this.replayBook !== shown) return false;
    // The replay's movers and heatmap are computed here, never taken from the edge.
    if (shown !== null && REPLAYED.has(kind)) return false;
    // Asked as of a time the replay has since sought back before: it would show bars after the clock.
    return asOfUs === null || this.replayClockUs === null || asOfUs <= this.replayClockUs;
  }

  /** The time the volume table is asked as of: the shown replay's clock; null: live. */
  private volumeAsOfUs(): number | null {
    return this.replayBook === null ? null : this.replayClockUs;
  }

  private sendHeatmap(): void {
    const size = this.wants.heatmap;
    if (!size || !this.heatmapJson) return;
    const heatmap = layoutHeatmap(this.heatmapJson, size.width, size.height, this.replayBook !== null);
    this.options.report({ type: 'heatmap', heatmap }, [
      heatmap.tiles.buffer as ArrayBuffer,
      heatmap.sectorTiles.buffer as ArrayBuffer,
      heatmap.values.buffer as ArrayBuffer,
      heatmap.sectorValues.buffer as ArrayBuffer,
    ]);
  }

  private sendVolume(): void {
    const wanted = this.wants.volume;
    if (!wanted || !this.indicatorsJson) return;
    this.options.report(
      {
        type: 'volume-table',
        table: volumeTable(this.indicatorsJson, wanted.sort, wanted.descending, this.indicatorsJson.asOfUs),
      },
      [],
    );
  }
}
