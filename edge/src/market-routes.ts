import { EventSource, MarketEventKind, marketEventJson, type QuoteFields, type Timeframe } from '@tickstream/schemas';
import type { Authenticator } from './auth.js';
import { type Bar, type CandleStore, parseTimeframe, TIMEFRAME_NAMES } from './candles.js';
import { type CorrelationStore, MAX_SET_SYMBOLS } from './correlations.js';
import { EVENTS_KEPT, type EventLog } from './event-log.js';
import { admitted, type HttpExchange } from './http-exchange.js';
import type { GuardedRoutes } from './http-guard.js';
import { registerSummaryRoutes, type SummaryContext } from './summary-routes.js';
import type { SymbolDirectory } from './symbol-directory.js';
import type { HttpRequest } from './uws.js';

/** What the market-data routes read: symbols, bars, correlations, events, the session and the analytics job's state. */
export interface MarketContext extends SummaryContext {
  auth: Authenticator;
  directory: SymbolDirectory;
  quote: (id: number) => QuoteFields;
  candles: CandleStore;
  correlations: CorrelationStore;
  events: EventLog;
  /** What /api/analytics reports: the job's liveness as the edge sees it, and its own figures when scraped. */
  analytics: () => { state: string } & Record<string, unknown>;
}

function badRequest(exchange: HttpExchange, message: string): void {
  exchange.error(400, message);
}

/** Most bars or events one request may ask for (it gets at most what the edge keeps). */
const MAX_LIMIT = 100_000;

/** A `limit` query value: an integer from 1 to `max`, or a sentence saying what is wrong. */
function parseLimit(text: string, max: number): number | string {
  if (!/^\d{1,6}$/.test(text) || Number(text) < 1 || Number(text) > max)
    return `limit must be an integer from 1 to ${max}; got ${JSON.stringify(text)}`;
  return Number(text);
}

/** A time query value: milliseconds since the epoch or an ISO-8601 date; null when absent. */
function parseTimeMs(name: string, text: string | undefined): number | null | string {
  if (text === undefined || text === '') return null;
  const ms = /^\d{1,15}$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms))
    return `${name} must be milliseconds since the epoch or an ISO-8601 date; got ${JSON.stringify(text)}`;
  return ms;
}

/** Indicators are float32 on the edge: seven significant digits are all they hold. NaN → null in JSON. */
const digits7 = (value: number): number | null => (Number.isFinite(value) ? Number(value.toPrecision(7)) : null);

function barJson(bar: Bar): Record<string, number | boolean | null> {
  return {
    startTimeUs: bar.startTimeUs,
    open: bar.open,
    high: bar.high,
    low: bar.low,
    close: bar.close,
    volume: bar.volume,
    vwap: bar.vwap,
    trades: bar.trades,
    final: bar.final,
    ...indicatorsJson(bar),
  };
}

function indicatorsJson(bar: Bar): Record<string, number | null> {
  return {
    sma20: digits7(bar.sma20),
    sma50: digits7(bar.sma50),
    ema20: digits7(bar.ema20),
    ema50: digits7(bar.ema50),
    volatility20: digits7(bar.volatility20),
    relativeVolume: digits7(bar.relativeVolume),
    priceVolumeCorrelation: digits7(bar.priceVolumeCorrelation),
  };
}

function namedMatrices(store: CorrelationStore) {
  return store.list().map((matrix) => ({ ...matrix, tf: TIMEFRAME_NAMES[matrix.timeframe] }));
}

/**
 * GET /api/symbols, /api/candles, /api/indicators, /api/correlations, /api/events, /api/analytics,
 * and the summaries /api/market, /api/movers, /api/heatmap (docs/api.md): viewer role when auth is on.
 */
export function registerMarketRoutes(app: GuardedRoutes, context: MarketContext): void {
  app.get('/api/symbols', (res, req) =>
    admitted(context.auth, res, req, 'viewer', (exchange) => symbols(exchange, context)),
  );

  // Query values are read here, while uWS's request object is valid; admission may await.
  app.get('/api/candles', (res, req) => {
    const query = barQueryOf(req);
    admitted(context.auth, res, req, 'viewer', (exchange) => candles(exchange, context, query));
  });

  app.get('/api/indicators', (res, req) => {
    const query = barQueryOf(req);
    admitted(context.auth, res, req, 'viewer', (exchange) =>
      query.symbol === '' ? indicatorsOfEverySymbol(exchange, context, query) : indicators(exchange, context, query),
    );
  });

  app.get('/api/correlations', (res, req) => {
    const query = {
      group: req.getQuery('group') ?? '',
      symbols: req.getQuery('symbols') ?? '',
      tf: req.getQuery('tf') ?? '1m',
      window: req.getQuery('window') ?? '0',
    };
    admitted(context.auth, res, req, 'viewer', (exchange) => correlations(exchange, context, query));
  });

  app.get('/api/events', (res, req) => {
    const query = {
      limit: req.getQuery('limit') ?? '200',
      since: req.getQuery('since'),
      kind: req.getQuery('kind') ?? '',
      source: req.getQuery('source') ?? '',
      symbol: req.getQuery('symbol') ?? '',
    };
    admitted(context.auth, res, req, 'viewer', (exchange) => events(exchange, context, query));
  });

  app.get('/api/analytics', (res, req) =>
    admitted(context.auth, res, req, 'viewer', (exchange) => exchange.json(200, context.analytics())),
  );

  registerSummaryRoutes(app, context);
}

function symbols(exchange: HttpExchange, context: MarketContext): void {
  const { directory } = context;
  const symbols = directory.names.map((name, id) => {
    const q = context.quote(id);
    return {
      id,
      name,
      sector: directory.sectors[id],
      last: q.last,
      bid: q.bid,
      ask: q.ask,
      open: q.open,
      high: q.high,
      low: q.low,
      volume: q.volume,
      ticks: q.ticks,
      exchangeTimeUs: q.exchangeTimeUs,
    };
  });
  exchange.json(200, { priceScale: 10_000, symbols });
}

/** The query of /api/candles and /api/indicators. */
interface BarQuery {
  symbol: string;
  tf: string;
  limit: string;
  from: string | undefined;
  to: string | undefined;
}

function barQueryOf(req: HttpRequest): BarQuery {
  return {
    symbol: req.getQuery('symbol') ?? '',
    tf: req.getQuery('tf') ?? '1m',
    limit: req.getQuery('limit') ?? '500',
    from: req.getQuery('from'),
    to: req.getQuery('to'),
  };
}

/** The symbol, timeframe and bars a candles or indicators request asks for, or null with a 400 sent. */
function barsFor(
  exchange: HttpExchange,
  context: MarketContext,
  query: BarQuery,
  route: string,
): { symbol: string; tf: string; timeframe: Timeframe; bars: Bar[] } | null {
  const { symbol, tf } = query;
  if (symbol === '') {
    badRequest(exchange, `symbol is required, e.g. ${route}?symbol=AAPL&tf=1m&limit=500`);
    return null;
  }
  const id = context.directory.idOf(symbol);
  if (id === undefined) {
    badRequest(exchange, `unknown symbol ${JSON.stringify(symbol)}`);
    return null;
  }
  const timeframe = parseTimeframe(tf);
  if (timeframe === undefined) {
    badRequest(exchange, `tf must be one of ${TIMEFRAME_NAMES.join(', ')}; got ${JSON.stringify(tf)}`);
    return null;
  }
  const limit = parseLimit(query.limit, MAX_LIMIT);
  const from = parseTimeMs('from', query.from);
  const to = parseTimeMs('to', query.to);
  for (const value of [limit, from, to]) {
    if (typeof value === 'string') {
      badRequest(exchange, value);
      return null;
    }
  }
  if (typeof limit === 'string' || typeof from === 'string' || typeof to === 'string') return null; // narrowed above
  const bars =
    from === null && to === null
      ? context.candles.bars(id, timeframe, limit)
      : context.candles.between(
          id,
          timeframe,
          (from ?? 0) * 1000,
          to === null ? Number.POSITIVE_INFINITY : to * 1000,
          limit,
        );
  return { symbol, tf, timeframe, bars };
}

function candles(exchange: HttpExchange, context: MarketContext, query: BarQuery): void {
  const found = barsFor(exchange, context, query, '/api/candles');
  if (found === null) return;
  const { symbol, tf, timeframe, bars } = found;
  exchange.json(200, {
    symbol,
    tf,
    priceScale: 10_000,
    kept: context.candles.barsKept[timeframe],
    analytics: context.analytics().state,
    bars: bars.map(barJson),
  });
}

function indicators(exchange: HttpExchange, context: MarketContext, query: BarQuery): void {
  const found = barsFor(exchange, context, query, '/api/indicators');
  if (found === null) return;
  const { symbol, tf, bars } = found;
  const indicators = bars.map((bar) => ({
    startTimeUs: bar.startTimeUs,
    final: bar.final,
    vwap: bar.vwap,
    trades: bar.trades,
    ...indicatorsJson(bar),
  }));
  exchange.json(200, { symbol, tf, priceScale: 10_000, analytics: context.analytics().state, indicators });
}

/**
 * Every symbol's newest finished bar's indicators at one timeframe: a market-wide table (relative
 * volume…); with `to`, of the bars that started before it (the table as it was then: a replay's).
 */
function indicatorsOfEverySymbol(exchange: HttpExchange, context: MarketContext, query: BarQuery): void {
  const { tf } = query;
  const timeframe = parseTimeframe(tf);
  if (timeframe === undefined) {
    badRequest(exchange, `tf must be one of ${TIMEFRAME_NAMES.join(', ')}; got ${JSON.stringify(tf)}`);
    return;
  }
  const to = parseTimeMs('to', query.to);
  if (typeof to === 'string') {
    badRequest(exchange, to);
    return;
  }
  const beforeUs = to === null ? Number.POSITIVE_INFINITY : to * 1000;
  const symbols = [];
  for (const [id, symbol] of context.directory.names.entries()) {
    const bar = context.candles.newestFinal(id, timeframe, beforeUs);
    if (bar === undefined) continue;
    symbols.push({
      symbol,
      startTimeUs: bar.startTimeUs,
      vwap: bar.vwap,
      trades: bar.trades,
      volume: bar.volume,
      ...indicatorsJson(bar),
    });
  }
  exchange.json(200, { tf, priceScale: 10_000, analytics: context.analytics().state, symbols });
}

function correlations(
  exchange: HttpExchange,
  context: MarketContext,
  query: { group: string; symbols: string; tf: string; window: string },
): void {
  const { group, tf } = query;
  const analytics = context.analytics().state;
  if (group === '' && query.symbols === '') {
    exchange.json(200, { analytics, matrices: namedMatrices(context.correlations) });
    return;
  }
  if (group !== '' && query.symbols !== '') {
    badRequest(exchange, 'give group or symbols, not both');
    return;
  }
  const timeframe = parseTimeframe(tf);
  if (timeframe === undefined) {
    badRequest(exchange, `tf must be one of ${TIMEFRAME_NAMES.join(', ')}; got ${JSON.stringify(tf)}`);
    return;
  }
  if (!/^\d{1,5}$/.test(query.window) || Number(query.window) > 65_535) {
    badRequest(
      exchange,
      `window must be a number of bars from 0 (the longest) to 65535; got ${JSON.stringify(query.window)}`,
    );
    return;
  }
  const symbols = query.symbols === '' ? [] : query.symbols.split(',').map((symbol) => symbol.trim());
  if (symbols.length > MAX_SET_SYMBOLS) {
    badRequest(exchange, `at most ${MAX_SET_SYMBOLS} symbols; got ${symbols.length}`);
    return;
  }
  const unknown = symbols.filter((symbol) => context.directory.idOf(symbol) === undefined);
  if (unknown.length > 0) {
    badRequest(exchange, `unknown symbol ${JSON.stringify(unknown[0])}`);
    return;
  }
  const matrix = context.correlations.resolve({ group, symbols, timeframe, windowBars: Number(query.window) });
  if (matrix === undefined) {
    exchange.json(404, {
      error: `no correlation matrix of ${group || symbols.join(',')} at ${tf} from the analytics job yet`,
      analytics,
    });
    return;
  }
  const n = matrix.symbols.length;
  const rows = Array.from({ length: n }, (_, i) =>
    Array.from(matrix.values.subarray(i * n, (i + 1) * n), (value) => digits7(value)),
  );
  exchange.json(200, {
    group: matrix.group,
    tf: TIMEFRAME_NAMES[matrix.timeframe],
    windowBars: matrix.windowBars,
    endTimeUs: matrix.endTimeUs,
    analytics,
    symbols: matrix.symbols,
    values: rows,
  });
}

function events(
  exchange: HttpExchange,
  context: MarketContext,
  query: { limit: string; since: string | undefined; kind: string; source: string; symbol: string },
): void {
  const limit = parseLimit(query.limit, EVENTS_KEPT);
  if (typeof limit === 'string') {
    badRequest(exchange, limit);
    return;
  }
  const since = parseTimeMs('since', query.since);
  if (typeof since === 'string') {
    badRequest(exchange, since);
    return;
  }
  const kinds: MarketEventKind[] = [];
  for (const name of query.kind === '' ? [] : query.kind.split(',')) {
    const kind = MarketEventKind[name.trim() as keyof typeof MarketEventKind];
    if (kind === undefined) {
      badRequest(
        exchange,
        `unknown kind ${JSON.stringify(name)}; kinds are ${Object.keys(MarketEventKind)
          .filter((k) => Number.isNaN(Number(k)))
          .join(', ')}`,
      );
      return;
    }
    kinds.push(kind);
  }
  const source = query.source.toLowerCase();
  if (source !== '' && source !== 'producer' && source !== 'analytics') {
    badRequest(exchange, `source must be producer or analytics; got ${JSON.stringify(source)}`);
    return;
  }
  const found = context.events.query({
    symbol: query.symbol === '' ? undefined : query.symbol,
    kinds: kinds.length === 0 ? undefined : kinds,
    source: source === '' ? undefined : source === 'producer' ? EventSource.Producer : EventSource.Analytics,
    sinceUs: since === null ? undefined : since * 1000,
    limit,
  });
  exchange.json(200, { analytics: context.analytics().state, events: found.map(marketEventJson) });
}
