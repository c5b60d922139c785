import type { Logger } from '@tickstream/schemas/logger';
import type { ClientLimits } from './client-limits.js';
import { allowCors, JSON_TYPE, writeStatus } from './http-exchange.js';
import { beginRequest } from './request-log.js';
import type { HttpRequest, HttpResponse, TemplatedApp } from './uws.js';

/** Who may call /api/* and fetch the dashboard's files (docs/security.md). */
export interface RequestPolicy {
  /** Per-address request limit. */
  limits: ClientLimits;
  /** Origins whose pages may call /api/* (CORS); null: no cross-origin caller is served. */
  allowedOrigins: string[] | null;
  /** Each /api/* request logs through a child carrying its request id. */
  logger: Logger;
}

type Handler = (res: HttpResponse, req: HttpRequest) => void | Promise<void>;

/** The route methods /api/* and the dashboard's files are registered with, each handler guarded. */
export type GuardedRoutes = Pick<TemplatedApp, 'get' | 'post' | 'put' | 'del' | 'any'>;

function refuse(res: HttpResponse, status: string, message: string, headers: [string, string][] = []): void {
  res.cork(() => {
    writeStatus(res, status).writeHeader('Content-Type', JSON_TYPE).writeHeader('Cache-Control', 'no-store');
    for (const [name, value] of headers) res.writeHeader(name, value);
    res.end(JSON.stringify({ error: message }));
  });
}

/**
 * What every /api/* and static request passes first: the per-address request limit (429), and
 * the Origin policy: a page of an origin outside --allowed-origins gets 403; one inside gets the
 * CORS headers that let its scripts read the answer. Without --allowed-origins no CORS header is
 * sent, so browsers let only the edge's own pages read /api/*. Requests without an Origin header
 * (same-origin GETs, curl) are not cross-origin and pass.
 */
export function guarded(policy: RequestPolicy, handler: Handler): Handler {
  return (res, req) => {
    if (req.getUrl().startsWith('/api/')) beginRequest(res, req, policy.logger);
    const address = policy.limits.clientAddress(
      Buffer.from(res.getRemoteAddressAsText()).toString(),
      req.getHeader('x-forwarded-for'),
    );
    if (!policy.limits.request(address))
      return refuse(res, '429 Too Many Requests', `too many requests from ${address} (--max-requests-per-ip)`, [
        ['Retry-After', '1'],
      ]);
    const origin = req.getHeader('origin');
    if (origin !== '' && policy.allowedOrigins !== null) {
      if (!policy.allowedOrigins.includes(origin))
        return refuse(res, '403 Forbidden', `origin ${origin} is not allowed`);
      allowCors(res, origin);
    }
    return handler(res, req);
  };
}

/** `app`'s route methods with every handler guarded: the routes modules register through it. */
export function guardedRoutes(app: TemplatedApp, policy: RequestPolicy): GuardedRoutes {
  return {
    get: (pattern, handler) => app.get(pattern, guarded(policy, handler)),
    post: (pattern, handler) => app.post(pattern, guarded(policy, handler)),
    put: (pattern, handler) => app.put(pattern, guarded(policy, handler)),
    del: (pattern, handler) => app.del(pattern, guarded(policy, handler)),
    any: (pattern, handler) => app.any(pattern, guarded(policy, handler)),
  };
}

/** OPTIONS /api/*: the CORS preflight, 204 for a page of an allowed origin, else 403. */
export function corsPreflight(policy: RequestPolicy): Handler {
  return (res, req) => {
    const origin = req.getHeader('origin');
    if (policy.allowedOrigins === null || !policy.allowedOrigins.includes(origin))
      return refuse(res, '403 Forbidden', `origin ${origin || '(none)'} is not allowed`);
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
  };
}
