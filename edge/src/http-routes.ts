import { EventSource, MarketEventKind, type QuoteFields, type Timeframe } from '@tickstream/schemas';
import { type Bar, type CandleStore, parseTimeframe, TIMEFRAME_NAMES } from './candles.js';
import { type CorrelationStore, MAX_SET_SYMBOLS } from './correlations.js';
import { EVENTS_KEPT, type EventLog, eventRecord } from './event-log.js';
import type { EdgeMetrics } from './metrics.js';
import type { StaticFile } from './static-files.js';
import type { SymbolDirectory } from './symbol-directory.js';
import type { HttpRequest, HttpResponse, TemplatedApp } from './uws.js';

export interface HttpContext {
  directory: SymbolDirectory;
  quote: (id: number) => QuoteFields;
  candles: CandleStore;
  correlations: CorrelationStore;
  events: EventLog;
  metrics: EdgeMetrics;
  staticFiles: Map<string, StaticFile>;
  /** What /api/analytics reports: the job's liveness as the edge sees it, and its own figures when scraped. */
  analytics: () => { state: string } & Record<string, unknown>;
  /** What /health reports; `ok` false answers 503. */
  health: () => { ok: boolean } & Record<string, unknown>;
}

const JSON_TYPE = 'application/json';

function reply(res: HttpResponse, status: string, type: string, body: string | Buffer): void {
  res.cork(() => {
    res.writeStatus(status).writeHeader('Content-Type', type).writeHeader('Cache-Control', 'no-store').end(body);
  });
}

function badRequest(res: HttpResponse, message: string): void {
  reply(res, '400 Bad Request', JSON_TYPE, JSON.stringify({ error: message }));
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

/** GET /health, /metrics, /api/* (docs/api.md) and the dashboard's files. */
export function registerHttpRoutes(app: TemplatedApp, context: HttpContext): void {
  app.get('/health', (res) => {
    const health = context.health();
    reply(res, health.ok ? '200 OK' : '503 Service Unavailable', JSON_TYPE, JSON.stringify(health));
  });

  app.get('/metrics', (res) => {
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    // prom-client renders asynchronously: the response must be corked when it is finally written.
    context.metrics.registry.metrics().then(
      (text) => {
        if (!aborted) reply(res, '200 OK', context.metrics.registry.contentType, text);
      },
      (error: Error) => {
        if (!aborted) reply(res, '500 Internal Server Error', 'text/plain', `metrics failed: ${error.message}`);
      },
    );
  });

  app.get('/api/symbols', (res) => {
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
    reply(res, '200 OK', JSON_TYPE, JSON.stringify({ priceScale: 10_000, symbols }));
  });

  /** The symbol, timeframe and bars a candles or indicators request asks for, or a 400 sent. */
  const barsFor = (
    res: HttpResponse,
    req: HttpRequest,
    route: string,
  ): { symbol: string; tf: string; bars: Bar[] } | null => {
    const symbol = req.getQuery('symbol') ?? '';
    const tfName = req.getQuery('tf') ?? '1m';
    if (symbol === '') {
      badRequest(res, `symbol is required, e.g. ${route}?symbol=AAPL&tf=1m&limit=500`);
      return null;
    }
    const id = context.directory.idOf(symbol);
    if (id === undefined) {
      badRequest(res, `unknown symbol ${JSON.stringify(symbol)}`);
      return null;
    }
    const timeframe = parseTimeframe(tfName);
    if (timeframe === undefined) {
      badRequest(res, `tf must be one of ${TIMEFRAME_NAMES.join(', ')}; got ${JSON.stringify(tfName)}`);
      return null;
    }
    const limit = parseLimit(req.getQuery('limit') ?? '500', MAX_LIMIT);
    const from = parseTimeMs('from', req.getQuery('from'));
    const to = parseTimeMs('to', req.getQuery('to'));
    for (const value of [limit, from, to]) {
      if (typeof value === 'string') {
        badRequest(res, value);
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
    return { symbol, tf: tfName, bars };
  };

  app.get('/api/candles', (res, req) => {
    const found = barsFor(res, req, '/api/candles');
    if (found === null) return;
    const { symbol, tf, bars } = found;
    const kept = context.candles.barsKept[parseTimeframe(tf) as Timeframe];
    const analytics = context.analytics().state;
    reply(
      res,
      '200 OK',
      JSON_TYPE,
      JSON.stringify({ symbol, tf, priceScale: 10_000, kept, analytics, bars: bars.map(barJson) }),
    );
  });

  app.get('/api/indicators', (res, req) => {
    if ((req.getQuery('symbol') ?? '') === '') return indicatorsOfEverySymbol(res, req);
    const found = barsFor(res, req, '/api/indicators');
    if (found === null) return;
    const { symbol, tf, bars } = found;
    const indicators = bars.map((bar) => ({
      startTimeUs: bar.startTimeUs,
      final: bar.final,
      vwap: bar.vwap,
      trades: bar.trades,
      ...indicatorsJson(bar),
    }));
    reply(
      res,
      '200 OK',
      JSON_TYPE,
      JSON.stringify({ symbol, tf, priceScale: 10_000, analytics: context.analytics().state, indicators }),
    );
  });

  /** Every symbol's newest finished bar's indicators at one timeframe: a market-wide table (relative volume…). */
  const indicatorsOfEverySymbol = (res: HttpResponse, req: HttpRequest): void => {
    const tfName = req.getQuery('tf') ?? '1m';
    const timeframe = parseTimeframe(tfName);
    if (timeframe === undefined) {
      badRequest(res, `tf must be one of ${TIMEFRAME_NAMES.join(', ')}; got ${JSON.stringify(tfName)}`);
      return;
    }
    const symbols = [];
    for (const [id, symbol] of context.directory.names.entries()) {
      const bar = context.candles.newestFinal(id, timeframe);
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
    reply(
      res,
      '200 OK',
      JSON_TYPE,
      JSON.stringify({ tf: tfName, priceScale: 10_000, analytics: context.analytics().state, symbols }),
    );
  };

  app.get('/api/correlations', (res, req) => {
    const group = req.getQuery('group') ?? '';
    const symbolsText = req.getQuery('symbols') ?? '';
    const tfName = req.getQuery('tf') ?? '1m';
    const windowText = req.getQuery('window') ?? '0';
    const analytics = context.analytics().state;
    if (group === '' && symbolsText === '') {
      reply(res, '200 OK', JSON_TYPE, JSON.stringify({ analytics, matrices: namedMatrices(context.correlations) }));
      return;
    }
    if (group !== '' && symbolsText !== '') return badRequest(res, 'give group or symbols, not both');
    const timeframe = parseTimeframe(tfName);
    if (timeframe === undefined)
      return badRequest(res, `tf must be one of ${TIMEFRAME_NAMES.join(', ')}; got ${JSON.stringify(tfName)}`);
    if (!/^\d{1,5}$/.test(windowText) || Number(windowText) > 65_535)
      return badRequest(
        res,
        `window must be a number of bars from 0 (the longest) to 65535; got ${JSON.stringify(windowText)}`,
      );
    const symbols = symbolsText === '' ? [] : symbolsText.split(',').map((symbol) => symbol.trim());
    if (symbols.length > MAX_SET_SYMBOLS)
      return badRequest(res, `at most ${MAX_SET_SYMBOLS} symbols; got ${symbols.length}`);
    const unknown = symbols.filter((symbol) => context.directory.idOf(symbol) === undefined);
    if (unknown.length > 0) return badRequest(res, `unknown symbol ${JSON.stringify(unknown[0])}`);
    const matrix = context.correlations.resolve({ group, symbols, timeframe, windowBars: Number(windowText) });
    if (matrix === undefined) {
      reply(
        res,
        '404 Not Found',
        JSON_TYPE,
        JSON.stringify({
          error: `no correlation matrix of ${group || symbols.join(',')} at ${tfName} from the analytics job yet`,
          analytics,
        }),
      );
      return;
    }
    const n = matrix.symbols.length;
    const rows = Array.from({ length: n }, (_, i) =>
      Array.from(matrix.values.subarray(i * n, (i + 1) * n), (value) => digits7(value)),
    );
    reply(
      res,
      '200 OK',
      JSON_TYPE,
      JSON.stringify({
        group: matrix.group,
        tf: TIMEFRAME_NAMES[matrix.timeframe],
        windowBars: matrix.windowBars,
        endTimeUs: matrix.endTimeUs,
        analytics,
        symbols: matrix.symbols,
        values: rows,
      }),
    );
  });

  app.get('/api/events', (res, req) => {
    const limit = parseLimit(req.getQuery('limit') ?? '200', EVENTS_KEPT);
    if (typeof limit === 'string') return badRequest(res, limit);
    const since = parseTimeMs('since', req.getQuery('since'));
    if (typeof since === 'string') return badRequest(res, since);
    const kindText = req.getQuery('kind') ?? '';
    const kinds: MarketEventKind[] = [];
    for (const name of kindText === '' ? [] : kindText.split(',')) {
      const kind = MarketEventKind[name.trim() as keyof typeof MarketEventKind];
      if (kind === undefined)
        return badRequest(
          res,
          `unknown kind ${JSON.stringify(name)}; kinds are ${Object.keys(MarketEventKind)
            .filter((k) => Number.isNaN(Number(k)))
            .join(', ')}`,
        );
      kinds.push(kind);
    }
    const sourceText = (req.getQuery('source') ?? '').toLowerCase();
    if (sourceText !== '' && sourceText !== 'producer' && sourceText !== 'analytics')
      return badRequest(res, `source must be producer or analytics; got ${JSON.stringify(sourceText)}`);
    const symbol = req.getQuery('symbol') ?? '';
    const found = context.events.query({
      symbol: symbol === '' ? undefined : symbol,
      kinds: kinds.length === 0 ? undefined : kinds,
      source: sourceText === '' ? undefined : sourceText === 'producer' ? EventSource.Producer : EventSource.Analytics,
      sinceUs: since === null ? undefined : since * 1000,
      limit,
    });
    reply(
      res,
      '200 OK',
      JSON_TYPE,
      JSON.stringify({ analytics: context.analytics().state, events: found.map(eventRecord) }),
    );
  });

  app.get('/api/analytics', (res) => {
    reply(res, '200 OK', JSON_TYPE, JSON.stringify(context.analytics()));
  });

  app.get('/*', (res, req) => serveStatic(res, req, context.staticFiles));
}

function serveStatic(res: HttpResponse, req: HttpRequest, files: Map<string, StaticFile>): void {
  const url = req.getUrl();
  const file = files.get(url === '/' ? '/index.html' : url);
  if (file === undefined) {
    const hint = files.size === 0 ? ' (the dashboard is not built: npm run build -w dashboard)' : '';
    reply(res, '404 Not Found', 'text/plain; charset=utf-8', `not found: ${url}${hint}\n`);
    return;
  }
  const accepts = req.getHeader('accept-encoding');
  const [body, encoding] =
    file.brotli && accepts.includes('br')
      ? [file.brotli, 'br']
      : file.gzip && accepts.includes('gzip')
        ? [file.gzip, 'gzip']
        : [file.body, null];
  res.cork(() => {
    res.writeStatus('200 OK').writeHeader('Content-Type', file.type);
    res.writeHeader('Cache-Control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    if (encoding) res.writeHeader('Content-Encoding', encoding).writeHeader('Vary', 'Accept-Encoding');
    res.end(body);
  });
}
