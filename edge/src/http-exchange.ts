import type { Admission, Authenticator } from './auth.js';
import type { Principal, Role } from './auth-token.js';
import { answered } from './request-log.js';
import type { HttpRequest, HttpResponse } from './uws.js';

export const JSON_TYPE = 'application/json';

/** Largest request body read (POST /api/login, /api/alerts, /api/orders). */
export const MAX_BODY_BYTES = 16 * 1024;

export const STATUS_TEXT: Record<number, string> = {
  200: '200 OK',
  201: '201 Created',
  202: '202 Accepted',
  400: '400 Bad Request',
  401: '401 Unauthorized',
  403: '403 Forbidden',
  404: '404 Not Found',
  409: '409 Conflict',
  413: '413 Payload Too Large',
  415: '415 Unsupported Media Type',
  500: '500 Internal Server Error',
  503: '503 Service Unavailable',
};

/** Responses to a page of an allowed origin, and that origin: they carry the CORS headers (http-guard.ts). */
const corsOrigins = new WeakMap<HttpResponse, string>();

/** Lets the page of `origin` read the answer to this request (it passed --allowed-origins). */
export function allowCors(res: HttpResponse, origin: string): void {
  corsOrigins.set(res, origin);
}

/**
 * writeStatus, plus the CORS headers when the request came from an allowed origin's page, and
 * X-Request-Id when it was named (request-log.ts).
 */
export function writeStatus(res: HttpResponse, status: string): HttpResponse {
  res.writeStatus(status);
  answered(res, status);
  const origin = corsOrigins.get(res);
  if (origin !== undefined) res.writeHeader('Access-Control-Allow-Origin', origin).writeHeader('Vary', 'Origin');
  return res;
}

/** The request headers an answer may depend on, read while uWS's request object is still valid. */
export interface RequestHeaders {
  authorization: string;
  cookie: string;
  forwardedProto: string;
  contentType: string;
}

export function headersOf(req: HttpRequest): RequestHeaders {
  return {
    authorization: req.getHeader('authorization'),
    cookie: req.getHeader('cookie'),
    forwardedProto: req.getHeader('x-forwarded-proto'),
    contentType: req.getHeader('content-type'),
  };
}

/**
 * One HTTP request answered asynchronously (uWebSockets.js `examples/AsyncFunction.js`): the
 * response may be aborted by the client meanwhile, and every write after an await is corked.
 */
export class HttpExchange {
  private aborted = false;
  private done = false;

  constructor(private readonly res: HttpResponse) {
    res.onAborted(() => {
      this.aborted = true;
    });
  }

  reply(status: number, type: string, body: string | Buffer, headers: [string, string][] = []): void {
    if (this.aborted || this.done) return;
    this.done = true;
    this.res.cork(() => {
      writeStatus(this.res, STATUS_TEXT[status] ?? `${status}`).writeHeader('Content-Type', type);
      this.res.writeHeader('Cache-Control', 'no-store');
      for (const [name, value] of headers) this.res.writeHeader(name, value);
      this.res.end(body);
    });
  }

  json(status: number, body: unknown, headers: [string, string][] = []): void {
    this.reply(status, JSON_TYPE, JSON.stringify(body), headers);
  }

  error(status: number, message: string, headers: [string, string][] = []): void {
    this.json(status, { error: message }, headers);
  }

  /**
   * The request body as JSON, at most `limit` bytes. Must be called before the handler returns
   * (uWS hands the body only to a reader attached synchronously). Resolves with the value, or an
   * error message (too large, not JSON) for a 400/413.
   */
  readJson(limit: number): Promise<{ ok: true; value: unknown } | { ok: false; status: 400 | 413; message: string }> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let over = false;
      this.res.onData((chunk, isLast) => {
        if (!over) {
          size += chunk.byteLength;
          if (size > limit) over = true;
          // uWS reuses the chunk's memory after this callback: copy it.
          else chunks.push(Buffer.from(chunk.slice(0)));
        }
        if (!isLast) return;
        if (over) return resolve({ ok: false, status: 413, message: `request body above ${limit} bytes` });
        const text = Buffer.concat(chunks).toString('utf8');
        if (text.trim() === '') return resolve({ ok: false, status: 400, message: 'request body is empty: send JSON' });
        try {
          resolve({ ok: true, value: JSON.parse(text) });
        } catch (error) {
          resolve({ ok: false, status: 400, message: `request body is not JSON: ${(error as Error).message}` });
        }
      });
    });
  }
}

/**
 * Answers a request once its token admits it with at least `needed` (every /api/* route, and
 * /health and /metrics when protected): 401 without a valid token, 403 for a role too low, each
 * with a JSON `{"error"}` that says why. Headers are read before the first await, while uWS's
 * request object is valid.
 */
export function admitted(
  auth: Authenticator,
  res: HttpResponse,
  req: HttpRequest,
  needed: Role,
  handle: (exchange: HttpExchange, principal: Principal, headers: RequestHeaders) => void | Promise<void>,
  exchange = new HttpExchange(res),
): void {
  const headers = headersOf(req);
  auth.admit({ authorization: headers.authorization, cookie: headers.cookie, query: '' }, needed).then(
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
