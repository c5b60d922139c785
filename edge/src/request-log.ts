import { randomUUID } from 'node:crypto';
import type { Logger } from '@tickstream/schemas/logger';
import type { HttpRequest, HttpResponse } from './uws.js';

/** One /api request as the log sees it: its id (echoed as X-Request-Id) and the logger that carries it. */
export interface RequestLog {
  id: string;
  logger: Logger;
  startedMs: number;
}

/** A caller's own X-Request-Id is kept when it is a plain token of reasonable length; else one is made. */
const CALLER_ID = /^[\w.:@/+=-]{1,128}$/;

const requests = new WeakMap<HttpResponse, RequestLog>();

/**
 * Names the request answered through `res` (a WeakMap, as the CORS origin is kept): the
 * caller's X-Request-Id or a new UUID. Read while uWS's request object is valid.
 */
export function beginRequest(res: HttpResponse, req: HttpRequest, logger: Logger): RequestLog {
  const incoming = req.getHeader('x-request-id');
  const id = CALLER_ID.test(incoming) ? incoming : randomUUID();
  const request: RequestLog = {
    id,
    logger: logger.child({ req: id, method: req.getMethod().toUpperCase(), path: req.getUrl() }),
    startedMs: performance.now(),
  };
  requests.set(res, request);
  return request;
}

/** The request answered through `res`, when it was named (every /api/* request). */
export function requestOf(res: HttpResponse): RequestLog | undefined {
  return requests.get(res);
}

/**
 * Called as the status is written: echoes X-Request-Id and logs the answer once: refusals (4xx)
 * at info, failures (5xx) at error, the rest at debug (a dashboard polls /api/* often).
 */
export function answered(res: HttpResponse, status: string): void {
  const request = requests.get(res);
  if (request === undefined) return;
  requests.delete(res);
  res.writeHeader('X-Request-Id', request.id);
  const code = Number.parseInt(status, 10);
  const ms = Math.round((performance.now() - request.startedMs) * 10) / 10;
  if (code >= 500) request.logger.error({ status: code, ms }, `answered ${status}`);
  else if (code >= 400) request.logger.info({ status: code, ms }, `answered ${status}`);
  else if (request.logger.isLevelEnabled('debug')) request.logger.debug({ status: code, ms }, `answered ${status}`);
}
