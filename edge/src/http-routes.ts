import type { CandleFields, QuoteFields } from '@tickstream/schemas';
import { type CandleStore, parseTimeframe, TIMEFRAME_NAMES } from './candles.js';
import type { ClientLimits } from './client-limits.js';
import type { EdgeMetrics } from './metrics.js';
import type { StaticFile } from './static-files.js';
import type { SymbolDirectory } from './symbol-directory.js';
import type { HttpRequest, HttpResponse, TemplatedApp } from './uws.js';

export interface HttpContext {
  directory: SymbolDirectory;
  quote: (id: number) => QuoteFields;
  candles: CandleStore;
  metrics: EdgeMetrics;
  staticFiles: Map<string, StaticFile>;
  maxBars: number;
  /** What /health reports; `ok` false answers 503. */
  health: () => { ok: boolean } & Record<string, unknown>;
  /** What /readyz reports: ready to take clients (Kafka reachable, history loaded, not draining). */
  readiness: () => { ok: boolean; reasons: string[] } & Record<string, unknown>;
  /** Per-address request limit of /api/* and the dashboard's files. */
  limits: ClientLimits;
  /** Origins whose pages may call /api/* (CORS); null: no cross-origin caller is served. */
  allowedOrigins: string[] | null;
}

const JSON_TYPE = 'application/json';

/** Responses to a page of an allowed origin, and that origin: they carry the CORS headers. */
const corsOrigins = new WeakMap<HttpResponse, string>();

/** writeStatus, plus the CORS headers when the request came from an allowed origin's page. */
function writeStatus(res: HttpResponse, status: string): HttpResponse {
  res.writeStatus(status);
  const origin = corsOrigins.get(res);
  if (origin !== undefined) res.writeHeader('Access-Control-Allow-Origin', origin).writeHeader('Vary', 'Origin');
  return res;
}

function reply(res: HttpResponse, status: string, type: string, body: string | Buffer): void {
  res.cork(() => {
    writeStatus(res, status).writeHeader('Content-Type', type).writeHeader('Cache-Control', 'no-store').end(body);
  });
}

function badRequest(res: HttpResponse, message: string): void {
  reply(res, '400 Bad Request', JSON_TYPE, JSON.stringify({ error: message }));
}

type Handler = (res: HttpResponse, req: HttpRequest) => void;

/**
 * What every /api/* and static request passes first (docs/security.md): the per-address request
 * limit (429), and the Origin policy: a page of an origin outside --allowed-origins gets 403; one
 * inside gets the CORS headers that let its scripts read the answer. Without --allowed-origins no
 * CORS header is sent, so browsers let only the edge's own pages read /api/*. Requests without an
 * Origin header (same-origin GETs, curl) are not cross-origin and pass.
 */
function guarded(context: HttpContext, handler: Handler): Handler {
  return (res, req) => {
    const address = context.limits.clientAddress(
      Buffer.from(res.getRemoteAddressAsText()).toString(),
      req.getHeader('x-forwarded-for'),
    );
    if (!context.limits.request(address)) {
      res.cork(() =>
        res
          .writeStatus('429 Too Many Requests')
          .writeHeader('Retry-After', '1')
          .writeHeader('Content-Type', JSON_TYPE)
          .end(JSON.stringify({ error: `too many requests from ${address} (--max-requests-per-ip)` })),
      );
      return;
    }
    const origin = req.getHeader('origin');
    if (origin !== '' && context.allowedOrigins !== null) {
      if (!context.allowedOrigins.includes(origin)) {
        reply(res, '403 Forbidden', JSON_TYPE, JSON.stringify({ error: `origin ${origin} is not allowed` }));
        return;
      }
      corsOrigins.set(res, origin);
    }
    handler(res, req);
  };
}

/** GET /livez, /readyz, /health, /metrics, /api/symbols, /api/candles and the dashboard's files. */
export function registerHttpRoutes(app: TemplatedApp, context: HttpContext): void {
  // Probes: never limited (balancers and kubelets poll them from one address), no body to parse.
  app.get('/livez', (res) => reply(res, '200 OK', JSON_TYPE, '{"ok":true,"status":"alive"}'));

  app.get('/readyz', (res) => {
    const readiness = context.readiness();
    reply(res, readiness.ok ? '200 OK' : '503 Service Unavailable', JSON_TYPE, JSON.stringify(readiness));
  });

  app.options('/api/*', (res, req) => {
    const origin = req.getHeader('origin');
    if (context.allowedOrigins === null || !context.allowedOrigins.includes(origin)) {
      reply(res, '403 Forbidden', JSON_TYPE, JSON.stringify({ error: `origin ${origin || '(none)'} is not allowed` }));
      return;
    }
    res.cork(() =>
      res
        .writeStatus('204 No Content')
        .writeHeader('Access-Control-Allow-Origin', origin)
        .writeHeader('Access-Control-Allow-Methods', 'GET, POST, PUT, DELETE, OPTIONS')
        .writeHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type')
        .writeHeader('Access-Control-Max-Age', '600')
        .writeHeader('Vary', 'Origin')
        .end(),
    );
  });

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

  app.get(
    '/api/symbols',
    guarded(context, (res) => {
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
    }),
  );

  app.get(
    '/api/candles',
    guarded(context, (res, req) => {
      const symbol = req.getQuery('symbol') ?? '';
      const tfName = req.getQuery('tf') ?? '1m';
      const limitText = req.getQuery('limit') ?? '500';
      if (symbol === '') return badRequest(res, 'symbol is required, e.g. /api/candles?symbol=AAPL&tf=1m&limit=500');
      const id = context.directory.idOf(symbol);
      if (id === undefined) return badRequest(res, `unknown symbol ${JSON.stringify(symbol)}`);
      const timeframe = parseTimeframe(tfName);
      if (timeframe === undefined)
        return badRequest(res, `tf must be one of ${TIMEFRAME_NAMES.join(', ')}; got ${JSON.stringify(tfName)}`);
      if (!/^\d{1,6}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > context.maxBars) {
        return badRequest(
          res,
          `limit must be an integer from 1 to ${context.maxBars}; got ${JSON.stringify(limitText)}`,
        );
      }
      const bars: CandleFields[] = context.candles.bars(id, timeframe, Number(limitText));
      reply(res, '200 OK', JSON_TYPE, JSON.stringify({ symbol, tf: tfName, priceScale: 10_000, bars }));
    }),
  );

  app.get(
    '/*',
    guarded(context, (res, req) => serveStatic(res, req, context.staticFiles)),
  );
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
    writeStatus(res, '200 OK').writeHeader('Content-Type', file.type);
    res.writeHeader('Cache-Control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    if (encoding) res.writeHeader('Content-Encoding', encoding).writeHeader('Vary', 'Accept-Encoding');
    res.end(body);
  });
}
