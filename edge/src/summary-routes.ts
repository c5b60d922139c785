import type { QuoteFields } from '@tickstream/schemas';
import type { Authenticator } from './auth.js';
import { type CandleStore, parseTimeframe, TIMEFRAME_NAMES, type Timeframe } from './candles.js';
import { admitted, type HttpExchange } from './http-exchange.js';
import type { GuardedRoutes } from './http-guard.js';
import type { MarketSessionBook } from './market-session.js';
import {
  type HeatmapSector,
  type Movers,
  Recent,
  type SummarySource,
  sectorHeatmap,
  topMovers,
} from './market-summary.js';
import type { SymbolDirectory } from './symbol-directory.js';

/** What the market summaries read: the symbols, their published quotes and traded value, bars, the session. */
export interface SummaryContext {
  auth: Authenticator;
  directory: SymbolDirectory;
  quote: (id: number) => QuoteFields;
  turnover: (id: number) => number;
  candles: CandleStore;
  session: MarketSessionBook;
  analytics: () => { state: string };
}

/** Summaries are recomputed at most this often, whatever the number of clients polling them. */
const SUMMARY_MAX_AGE_MS = 500;
const MAX_MOVERS = 50;

/** `null` for NaN in JSON, as everywhere in the API; seven significant digits like the job's indicators. */
const finiteOrNull = (value: number): number | null => (Number.isFinite(value) ? Number(value.toPrecision(7)) : null);
const round4 = (value: number): number => Math.round(value * 10_000) / 10_000;

/**
 * GET /api/market (the session and the halted symbols), /api/movers (gainers, losers, most
 * active) and /api/heatmap (traded value and change by sector and symbol): what the dashboard's
 * Overview shows, computed here once for every client (docs/api.md).
 */
export function registerSummaryRoutes(app: GuardedRoutes, context: SummaryContext): void {
  const sourceAt = (timeframe: Timeframe): SummarySource => ({
    names: context.directory.names,
    sectors: context.directory.sectors,
    quote: context.quote,
    turnover: context.turnover,
    relativeVolume: (id) => context.candles.newestFinal(id, timeframe)?.relativeVolume ?? Number.NaN,
  });
  const movers = new Map<Timeframe, Recent<Movers>>();
  const moversAt = (timeframe: Timeframe): Movers => {
    let recent = movers.get(timeframe);
    if (recent === undefined) {
      recent = new Recent(() => topMovers(sourceAt(timeframe), MAX_MOVERS), SUMMARY_MAX_AGE_MS);
      movers.set(timeframe, recent);
    }
    return recent.get();
  };
  // The timeframe does not matter to the heatmap: relative volume is not read.
  const heatmap = new Recent<HeatmapSector[]>(() => sectorHeatmap(sourceAt(1 as Timeframe)), SUMMARY_MAX_AGE_MS);

  app.get('/api/market', (res, req) =>
    admitted(context.auth, res, req, 'viewer', (exchange) => {
      const lastTrade = (symbol: string): number | undefined => {
        const id = context.directory.idOf(symbol);
        return id === undefined ? undefined : context.quote(id).exchangeTimeUs;
      };
      exchange.json(200, {
        session: context.session.session,
        halted: context.session.haltedNow(lastTrade),
        symbols: context.directory.size,
        analytics: context.analytics().state,
      });
    }),
  );

  app.get('/api/movers', (res, req) => {
    const query = { limit: req.getQuery('limit') ?? '10', tf: req.getQuery('tf') ?? '1m' };
    admitted(context.auth, res, req, 'viewer', (exchange) => answerMovers(exchange, query, moversAt, context));
  });

  app.get('/api/heatmap', (res, req) =>
    admitted(context.auth, res, req, 'viewer', (exchange) => {
      const sectors = heatmap.get().map((sector) => ({
        sector: sector.sector,
        value: Math.round(sector.value),
        changePct: round4(sector.changePct),
        symbols: sector.symbols.map((tile) => ({
          symbol: tile.symbol,
          value: Math.round(tile.value),
          changePct: round4(tile.changePct),
        })),
      }));
      exchange.json(200, { sectors });
    }),
  );
}

function answerMovers(
  exchange: HttpExchange,
  query: { limit: string; tf: string },
  moversAt: (timeframe: Timeframe) => Movers,
  context: SummaryContext,
): void {
  if (!/^\d{1,2}$/.test(query.limit) || Number(query.limit) < 1 || Number(query.limit) > MAX_MOVERS) {
    exchange.error(400, `limit must be an integer from 1 to ${MAX_MOVERS}; got ${JSON.stringify(query.limit)}`);
    return;
  }
  const timeframe = parseTimeframe(query.tf);
  if (timeframe === undefined) {
    exchange.error(400, `tf must be one of ${TIMEFRAME_NAMES.join(', ')}; got ${JSON.stringify(query.tf)}`);
    return;
  }
  const limit = Number(query.limit);
  const found = moversAt(timeframe);
  const json = (list: Movers['gainers']) =>
    list.slice(0, limit).map((mover) => ({
      symbol: mover.symbol,
      sector: mover.sector,
      last: mover.last,
      changePct: round4(mover.changePct),
      volume: mover.volume,
      relativeVolume: finiteOrNull(mover.relativeVolume),
    }));
  exchange.json(200, {
    tf: query.tf,
    priceScale: 10_000,
    analytics: context.analytics().state,
    gainers: json(found.gainers),
    losers: json(found.losers),
    active: json(found.active),
  });
}
