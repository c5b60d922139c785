import type { AlertService } from './alert-service.js';
import { tokenCookie } from './auth.js';
import { createToken } from './auth-token.js';
import { type ChaosContext, registerChaosRoutes } from './chaos-routes.js';
import {
  admitted,
  HttpExchange,
  headersOf,
  JSON_TYPE,
  MAX_BODY_BYTES,
  type RequestHeaders,
  writeStatus,
} from './http-exchange.js';
import { corsPreflight, type GuardedRoutes, guardedRoutes, type RequestPolicy } from './http-guard.js';
import { registerTradingRoutes } from './http-trading-routes.js';
import { type MarketContext, registerMarketRoutes } from './market-routes.js';
import type { EdgeMetrics } from './metrics.js';
import { type PipelineContext, registerPipelineRoutes } from './pipeline-routes.js';
import type { StaticFile } from './static-files.js';
import type { TradingService } from './trading-service.js';
import type { UserState } from './user-state.js';
import type { HttpRequest, HttpResponse, TemplatedApp } from './uws.js';

export interface HttpContext extends MarketContext, PipelineContext, ChaosContext, RequestPolicy {
  metrics: EdgeMetrics;
  staticFiles: Map<string, StaticFile>;
  /** What /health reports; `ok` false answers 503. */
  health: () => { ok: boolean } & Record<string, unknown>;
  /** What /readyz reports: ready to take clients (Kafka reachable, history loaded, not draining). */
  readiness: () => { ok: boolean; reasons: string[] } & Record<string, unknown>;
  /** /health and /metrics need a token too (`--protect health,metrics`); /api/* always does. */
  protect: { health: boolean; metrics: boolean };
  /** Signing in with a local account: the HS256 secret tokens are signed with (null: no sign-in here). */
  login: { secret: string | null; tokenTtlS: number; secureCookies: boolean };
  users: UserState;
  alerts: AlertService;
  trading: TradingService;
}

function reply(res: HttpResponse, status: string, type: string, body: string | Buffer): void {
  res.cork(() => {
    writeStatus(res, status).writeHeader('Content-Type', type).writeHeader('Cache-Control', 'no-store').end(body);
  });
}

/**
 * GET /livez, /readyz, /health, /metrics, /api/* (docs/api.md: sign-in, alerts; market data in
 * market-routes.ts, trading in http-trading-routes.ts) and the dashboard's files. Every /api/*
 * request and file passes the per-address limit and the Origin policy first (http-guard.ts).
 */
export function registerHttpRoutes(app: TemplatedApp, context: HttpContext): void {
  // Probes: never limited (balancers and kubelets poll them from one address), never behind a token.
  app.get('/livez', (res) => reply(res, '200 OK', JSON_TYPE, '{"ok":true,"status":"alive"}'));

  app.get('/readyz', (res) => {
    const readiness = context.readiness();
    reply(res, readiness.ok ? '200 OK' : '503 Service Unavailable', JSON_TYPE, JSON.stringify(readiness));
  });

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
    admitted(context.auth, res, req, 'viewer', health);
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
    admitted(context.auth, res, req, 'viewer', metrics);
  });

  app.options('/api/*', corsPreflight(context));
  const guarded = guardedRoutes(app, context);
  registerSessionRoutes(guarded, context);
  registerAlertRoutes(guarded, context);
  registerTradingRoutes(guarded, context.auth, context.trading);

  registerMarketRoutes(guarded, context);
  registerPipelineRoutes(guarded, context);
  registerChaosRoutes(guarded, context);

  guarded.any('/api/*', (res, req) => {
    const what = `${req.getMethod().toUpperCase()} ${req.getUrl()}`;
    admitted(context.auth, res, req, 'viewer', (exchange) => exchange.error(404, `no such API: ${what} (docs/api.md)`));
  });

  guarded.get('/*', (res, req) => serveStatic(res, req, context.staticFiles));
}

/** POST /api/login, POST /api/logout, GET /api/session (who am I; the dashboard's first question). */
function registerSessionRoutes(app: GuardedRoutes, context: HttpContext): void {
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
    admitted(context.auth, res, req, 'viewer', (exchange, principal) =>
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

/** Secure cookies over TLS: the edge's own (--tls-cert: secureCookies) or a proxy's that says so (X-Forwarded-Proto). */
function secureCookie(context: HttpContext, headers: RequestHeaders): boolean {
  return context.login.secureCookies || headers.forwardedProto.toLowerCase() === 'https';
}

/** GET/POST /api/alerts, PUT/DELETE /api/alerts/{id}: the caller's own rules only. */
function registerAlertRoutes(app: GuardedRoutes, context: HttpContext): void {
  const { alerts } = context;
  app.get('/api/alerts', (res, req) =>
    admitted(context.auth, res, req, 'viewer', (exchange, principal) =>
      exchange.json(200, alerts.json(principal.user)),
    ),
  );

  app.post('/api/alerts', (res, req) => {
    const exchange = new HttpExchange(res);
    const body = exchange.readJson(MAX_BODY_BYTES);
    admitted(
      context.auth,
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
      context.auth,
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
    admitted(context.auth, res, req, 'trader', async (exchange, principal) => {
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
    writeStatus(res, '200 OK').writeHeader('Content-Type', file.type);
    res.writeHeader('Cache-Control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    if (encoding) res.writeHeader('Content-Encoding', encoding).writeHeader('Vary', 'Accept-Encoding');
    res.end(body);
  });
}
