import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Client tokens for an edge started with `--auth-secret`: `base64url(claims).base64url(HMAC-SHA256)`
 * with claims `{ sub, exp }` (exp in seconds since the epoch). Stateless, so every edge sharing
 * the secret accepts the same tokens.
 */
export interface TokenClaims {
  sub: string;
  exp: number;
}

export type TokenCheck = { ok: true; claims: TokenClaims } | { ok: false; reason: string };

function sign(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

export function createToken(secret: string, ttlSeconds: number, subject = 'dashboard', nowMs = Date.now()): string {
  const claims: TokenClaims = { sub: subject, exp: Math.floor(nowMs / 1000) + ttlSeconds };
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${payload}.${sign(payload, secret)}`;
}

export function verifyToken(token: string, secret: string, nowMs = Date.now()): TokenCheck {
  const dot = token.indexOf('.');
  if (dot <= 0) return { ok: false, reason: 'token is not of the form claims.signature' };
  const payload = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), 'base64url');
  const expected = Buffer.from(sign(payload, secret), 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'token signature does not match this edge’s secret' };
  }
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'token claims are not JSON' };
  }
  const { sub, exp } = claims as Partial<TokenClaims>;
  if (typeof exp !== 'number' || typeof sub !== 'string') return { ok: false, reason: 'token claims lack sub or exp' };
  if (exp * 1000 <= nowMs) return { ok: false, reason: `token expired at ${new Date(exp * 1000).toISOString()}` };
  return { ok: true, claims: { sub, exp } };
}
