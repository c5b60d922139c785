import { EventSource, MarketEventKind, type QuoteFields, type Timeframe } from '@tickstream/schemas';
import type { AlertService } from './alert-service.js';
import { type Admission, type Authenticator, tokenCookie } from './auth.js';
import { createToken, type Principal, type Role } from './auth-token.js';
import { type Bar, type CandleStore, parseTimeframe, TIMEFRAME_NAMES } from './candles.js';
import { type CorrelationStore, MAX_SET_SYMBOLS } from './correlations.js';
import { EVENTS_KEPT, type EventLog, eventRecord } from './event-log.js';
import { HttpExchange, headersOf, JSON_TYPE, type RequestHeaders } from './http-exchange.js';
import type { EdgeMetrics } from './metrics.js';
import type { StaticFile } from './static-files.js';
import type { SymbolDirectory } from './symbol-directory.js';
import type { UserState } from './user-state.js';
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
  auth: Authenticator;
  /** /health and /metrics need a token too (`--protect health,metrics`); /api/* always does. */
  protect: { health: boolean; metrics: boolean };
  /** Signing in with a local account: the HS256 secret tokens are signed with (null: no sign-in here). */
  login: { secret: string | null; tokenTtlS: number; secureCookies: boolean };
  users: UserState;
  alerts: AlertService;
}

const MAX_BODY_BYTES = 16 * 1024;

function reply(res: HttpResponse, status: string, type: string, body: string | Buffer): void {
  res.cork(() => {
    res.writeStatus(status).writeHeader('Content-Type', type).writeHeader('Cache-Control', 'no-store').end(body);
  });
}

function badRequest(exchange: HttpExchange, message: string): void {
  exchange.error(400, message);
}

/**
 * Answers a request once its token admits it with at least `needed` (every /api/* route, and
 * /health and /metrics when protected): 401 without a valid token, 403 for a role too low, each
 * with a JSON `{"error"}` that says why. Headers are read before the first await, while uWS's
 * request object is valid.
 */
function admitted(
  context: HttpContext,
  res: HttpResponse,
  req: HttpRequest,
  needed: Role,
  handle: (exchange: HttpExchange, principal: Principal, headers: RequestHeaders) => void | Promise<void>,
  exchange = new HttpExchange(res),
): void {
  const headers = headersOf(req);
  context.auth.admit({ authorization: headers.authorization, cookie: headers.cookie, query: '' }, needed).then(
    (admission: Admission) => {
      if (!admission.ok) return exchange.error(admission.status, admission.message, wwwAuthenticate(admission));
      // A handler that fails answers 500 with why, rather than leaving the request hanging.
      return Promise.resolve(handle(exchange, admission.principal, headers)).catch((error: Error) =>
        exchange.error(500, `${error.message}`),
      );
    },
    (error: Error) => exchange.error(500, `authentication failed: ${error.message}`),
  );
}

function wwwAuthenticate(admission: Admission): [string, string][] {
  return !admission.ok && admission.status === 401 ? [['WWW-Authenticate', 'Bearer realm="tickstream"']] : [];
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

/** GET /health, /metrics, /api/* (docs/api.md: sign-in, alerts, market data, analytics) and the dashboard's files. */
export function registerHttpRoutes(app: TemplatedApp, context: HttpContext): void {
  const health = (exchange: HttpExchange): void => {
    const status = context.health();
    exchange.json(status.ok ? 200 : 503, status);
  };
  app.get('/health', (res, req) => {
    // Open by default, answered synchronously: a balancer polls it often.
    if (!context.protect.health || !context.auth.enabled) {
      const status = context.health();
      return reply(res, status.ok ? '200 OK' : '503 Service Unavailable', JSON_TYPE, JSON.stringify(status));
    }
    admitted(context, res, req, 'viewer', health);
  });

  app.get('/metrics', (res, req) => {
    // prom-client renders asynchronously: the exchange corks the write when it finally comes.
    const metrics = (exchange: HttpExchange): void => {
      context.metrics.registry.metrics().then(
        (text) => exchange.reply(200, context.metrics.registry.contentType, text),
        (error: Error) => exchange.reply(500, 'text/plain', `metrics failed: ${error.message}`),
      );
    };
    if (!context.protect.metrics || !context.auth.enabled) return metrics(new HttpExchange(res));
    admitted(context, res, req, 'viewer', metrics);
  });

  registerSessionRoutes(app, context);
  registerAlertRoutes(app, context);

  app.get('/api/symbols', (res, req) =>
    admitted(context, res, req, 'viewer', (exchange) => symbols(exchange, context)),
  );

  // Query values are read here, while uWS's request object is valid; admission may await.
  app.get('/api/candles', (res, req) => {
    const query = barQueryOf(req);
    admitted(context, res, req, 'viewer', (exchange) => candles(exchange, context, query));
  });

  app.get('/api/indicators', (res, req) => {
    const query = barQueryOf(req);
    admitted(context, res, req, 'viewer', (exchange) =>
      query.symbol === '' ? indicatorsOfEverySymbol(exchange, context, query.tf) : indicators(exchange, context, query),
    );
  });

  app.get('/api/correlations', (res, req) => {
    const query = {
      group: req.getQuery('group') ?? '',
      symbols: req.getQuery('symbols') ?? '',
      tf: req.getQuery('tf') ?? '1m',
      window: req.getQuery('window') ?? '0',
    };
    admitted(context, res, req, 'viewer', (exchange) => correlations(exchange, context, query));
  });

  app.get('/api/events', (res, req) => {
    const query = {
      limit: req.getQuery('limit') ?? '200',
      since: req.getQuery('since'),
      kind: req.getQuery('kind') ?? '',
      source: req.getQuery('source') ?? '',
      symbol: req.getQuery('symbol') ?? '',
    };
    admitted(context, res, req, 'viewer', (exchange) => events(exchange, context, query));
  });

  app.get('/api/analytics', (res, req) =>
    admitted(context, res, req, 'viewer', (exchange) => exchange.json(200, context.analytics())),
  );

  app.any('/api/*', (res, req) => {
    const what = `${req.getMethod().toUpperCase()} ${req.getUrl()}`;
    admitted(context, res, req, 'viewer', (exchange) => exchange.error(404, `no such API: ${what} (docs/api.md)`));
  });

  app.get('/*', (res, req) => serveStatic(res, req, context.staticFiles));
}

function symbols(exchange: HttpExchange, context: HttpContext): void {
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
  context: HttpContext,
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

function candles(exchange: HttpExchange, context: HttpContext, query: BarQuery): void {
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

function indicators(exchange: HttpExchange, context: HttpContext, query: BarQuery): void {
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

/** Every symbol's newest finished bar's indicators at one timeframe: a market-wide table (relative volume…). */
function indicatorsOfEverySymbol(exchange: HttpExchange, context: HttpContext, tf: string): void {
  const timeframe = parseTimeframe(tf);
  if (timeframe === undefined) {
    badRequest(exchange, `tf must be one of ${TIMEFRAME_NAMES.join(', ')}; got ${JSON.stringify(tf)}`);
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
  exchange.json(200, { tf, priceScale: 10_000, analytics: context.analytics().state, symbols });
}

function correlations(
  exchange: HttpExchange,
  context: HttpContext,
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
  context: HttpContext,
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
  exchange.json(200, { analytics: context.analytics().state, events: found.map(eventRecord) });
}

/** POST /api/login, POST /api/logout, GET /api/session (who am I; the dashboard's first question). */
function registerSessionRoutes(app: TemplatedApp, context: HttpContext): void {
  app.post('/api/login', (res, req) => {
    const exchange = new HttpExchange(res);
    const headers = headersOf(req);
    const body = exchange.readJson(MAX_BODY_BYTES);
    login(exchange, context, headers, body).catch((error: Error) =>
      exchange.error(500, `sign-in failed: ${error.message}`),
    );
  });

  app.post('/api/logout', (res, req) => {
    const secure = secureCookie(context, headersOf(req));
    new HttpExchange(res).json(200, { ok: true }, [['Set-Cookie', tokenCookie('', 0, secure)]]);
  });

  app.get('/api/session', (res, req) =>
    admitted(context, res, req, 'viewer', (exchange, principal) =>
      exchange.json(200, {
        user: principal.user,
        role: principal.role,
        auth: context.auth.enabled,
        signIn: context.login.secret !== null,
        ...(Number.isFinite(principal.expiresAtMs) ? { expiresAt: principal.expiresAtMs } : {}),
      }),
    ),
  );
}

async function login(
  exchange: HttpExchange,
  context: HttpContext,
  headers: RequestHeaders,
  bodyRead: ReturnType<HttpExchange['readJson']>,
): Promise<void> {
  const body = await bodyRead;
  const { secret, tokenTtlS } = context.login;
  if (!context.auth.enabled)
    return exchange.error(400, 'this edge runs in single-user mode (no --auth-secret): no sign-in needed');
  if (secret === null)
    return exchange.error(
      400,
      'this edge signs no tokens (it has --auth-jwks but no --auth-secret): sign in with your identity provider',
    );
  if (!body.ok) return exchange.error(body.status, body.message);
  const { user, password } = (body.value ?? {}) as { user?: unknown; password?: unknown };
  if (typeof user !== 'string' || typeof password !== 'string' || user === '')
    return exchange.error(400, 'send {"user":"NAME","password":"…"}');
  if (!context.users.ready) return exchange.error(503, 'edge is loading users from Kafka; retry shortly');
  const account = await context.users.checkPassword(user, password);
  if (account === null) return exchange.error(401, 'wrong user name or password');
  const token = await createToken({ secret, user: account.name, role: account.role, ttlSeconds: tokenTtlS });
  exchange.json(200, { token, user: account.name, role: account.role, expiresAt: Date.now() + tokenTtlS * 1000 }, [
    ['Set-Cookie', tokenCookie(token, tokenTtlS, secureCookie(context, headers))],
  ]);
}

/** Secure cookies over TLS: the edge itself speaks HTTP, so TLS means a proxy that says so (X-Forwarded-Proto). */
function secureCookie(context: HttpContext, headers: RequestHeaders): boolean {
  return context.login.secureCookies || headers.forwardedProto.toLowerCase() === 'https';
}

/** GET/POST /api/alerts, PUT/DELETE /api/alerts/{id}: the caller's own rules only. */
function registerAlertRoutes(app: TemplatedApp, context: HttpContext): void {
  const { alerts } = context;
  app.get('/api/alerts', (res, req) =>
    admitted(context, res, req, 'viewer', (exchange, principal) => exchange.json(200, alerts.json(principal.user))),
  );

  app.post('/api/alerts', (res, req) => {
    const exchange = new HttpExchange(res);
    const body = exchange.readJson(MAX_BODY_BYTES);
    admitted(
      context,
      res,
      req,
      'trader',
      async (_, principal) => {
        const read = await body;
        if (!read.ok) return exchange.error(read.status, read.message);
        const outcome = await alerts.create(principal.user, read.value);
        if (!outcome.ok) return exchange.error(outcome.status, outcome.message);
        exchange.json(201, alerts.ruleJson(outcome.rule));
      },
      exchange,
    );
  });

  app.put('/api/alerts/:id', (res, req) => {
    const exchange = new HttpExchange(res);
    const id = req.getParameter(0) ?? '';
    const body = exchange.readJson(MAX_BODY_BYTES);
    admitted(
      context,
      res,
      req,
      'trader',
      async (_, principal) => {
        const read = await body;
        if (!read.ok) return exchange.error(read.status, read.message);
        const outcome = await alerts.update(principal.user, decodeURIComponent(id), read.value);
        if (!outcome.ok) return exchange.error(outcome.status, outcome.message);
        exchange.json(200, alerts.ruleJson(outcome.rule));
      },
      exchange,
    );
  });

  app.del('/api/alerts/:id', (res, req) => {
    const id = req.getParameter(0) ?? '';
    admitted(context, res, req, 'trader', async (exchange, principal) => {
      const outcome = await alerts.remove(principal.user, decodeURIComponent(id));
      if (!outcome.ok) return exchange.error(outcome.status, outcome.message);
      exchange.json(200, { deleted: outcome.rule.id });
    });
  });
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
