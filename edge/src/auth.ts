import { type Principal, type Role, roleAllows, type TokenVerifier } from './auth-token.js';

/** The cookie POST /api/login sets: HttpOnly, SameSite=Strict, Path=/ (Secure over TLS). */
export const TOKEN_COOKIE = 'tickstream_token';

/** The one user of an edge without --auth-secret or --auth-jwks (single-user mode, like Grafana's anonymous access). */
export const LOCAL_PRINCIPAL: Principal = { user: 'local', role: 'admin', expiresAtMs: Number.POSITIVE_INFINITY };

/** Where a request may carry its token. */
export interface TokenSources {
  authorization: string;
  cookie: string;
  /** `?token=` on /ws only (kept for clients older than the cookie); '' elsewhere. */
  query: string;
}

export type Admission = { ok: true; principal: Principal } | { ok: false; status: 401 | 403; message: string };

/**
 * Decides who a request is, from its Bearer header, its cookie or (on /ws) `?token=`, in that
 * order. With no verifier (single-user mode) everyone is the local admin.
 */
export class Authenticator {
  constructor(private readonly verifier: TokenVerifier | null) {}

  get enabled(): boolean {
    return this.verifier !== null;
  }

  async admit(sources: TokenSources, needed: Role = 'viewer'): Promise<Admission> {
    if (this.verifier === null) return { ok: true, principal: LOCAL_PRINCIPAL };
    const token = tokenOf(sources);
    if (token === '')
      return {
        ok: false,
        status: 401,
        message:
          'this edge needs a token: sign in (POST /api/login), or send Authorization: Bearer <jwt> (tickstream token)',
      };
    const check = await this.verifier.verify(token);
    if (!check.ok) return { ok: false, status: 401, message: check.reason };
    return permit(check.principal, needed);
  }
}

/** A principal allowed `needed`, or a 403 that says what role it lacks. */
export function permit(principal: Principal, needed: Role): Admission {
  if (!roleAllows(principal.role, needed))
    return {
      ok: false,
      status: 403,
      message: `user ${principal.user} has role ${principal.role}; this needs ${needed}${needed === 'admin' ? '' : ' or admin'}`,
    };
  return { ok: true, principal };
}

function tokenOf(sources: TokenSources): string {
  const bearer = /^Bearer\s+(\S+)$/i.exec(sources.authorization.trim());
  if (bearer) return bearer[1] as string;
  const cookie = cookieValue(sources.cookie, TOKEN_COOKIE);
  if (cookie !== '') return cookie;
  return sources.query;
}

export function cookieValue(header: string, name: string): string {
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return '';
}

/** The Set-Cookie of a login (`maxAgeS` > 0) or a logout (0: the browser drops it). */
export function tokenCookie(token: string, maxAgeS: number, secure: boolean): string {
  return `${TOKEN_COOKIE}=${token}; Path=/; Max-Age=${maxAgeS}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}
