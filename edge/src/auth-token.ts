import { readFile } from 'node:fs/promises';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  jwtVerify,
  SignJWT,
} from 'jose';

/**
 * Identities are JWTs (RFC 7519) handled by `jose`: HS256 signed with the edge's `--auth-secret`
 * (tokens of `tickstream token` and of POST /api/login), and/or RS256/ES256 from an identity
 * provider whose keys are a JWKS file or URL (`--auth-jwks`). Claims: `sub` (the user) and
 * `role`. Stateless, so every edge that shares the secret or the JWKS accepts the same tokens.
 */
export const ROLES = ['viewer', 'trader', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who is asking: from a verified token, or the single local user when auth is off. */
export interface Principal {
  user: string;
  role: Role;
  /** When the token stops being valid (ms since the epoch); Infinity in single-user mode. */
  expiresAtMs: number;
}

export type TokenCheck = { ok: true; principal: Principal } | { ok: false; reason: string };

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Whether `role` may do what needs `needed` (viewer < trader < admin). */
export function roleAllows(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

export interface TokenRequest {
  secret: string;
  user: string;
  role: Role;
  ttlSeconds: number;
  nowMs?: number;
}

/** An HS256 JWT `{ sub, role, iat, exp }` signed with `secret`. */
export function createToken(request: TokenRequest): Promise<string> {
  const nowS = Math.floor((request.nowMs ?? Date.now()) / 1000);
  return new SignJWT({ role: request.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(request.user)
    .setIssuedAt(nowS)
    .setExpirationTime(nowS + request.ttlSeconds)
    .sign(new TextEncoder().encode(request.secret));
}

export interface VerifierOptions {
  /** HS256 key; null: HS256 tokens are refused. */
  secret: string | null;
  /** A JWKS file path or http(s) URL for RS256/ES256; null: none. */
  jwks: string | null;
  /** Required `iss` / `aud` claims, when the identity provider sets them. */
  issuer?: string;
  audience?: string;
  /** The clock tokens are checked against (tests). */
  now?: () => number;
}

/** A verified token is trusted again without verifying its signature for this long (until it expires). */
export const VERIFIED_TOKEN_REUSE_MS = 60_000;
/** Verified tokens remembered at most; the oldest is forgotten first. */
const VERIFIED_TOKENS_KEPT = 10_000;

/**
 * Verifies tokens against the secret and/or the JWKS; answers a principal or a reason a person can
 * act on. A token that verified is remembered for VERIFIED_TOKEN_REUSE_MS (never past its `exp`):
 * its signature was checked, and the same bytes verify the same way; verifying cost a WebCrypto
 * key import and HMAC per request, a quarter of the edge's CPU at 3,000 orders/s
 * (docs/trading.md, "Measured"). A JWKS key withdrawn meanwhile is honoured within that minute.
 */
export class TokenVerifier {
  private readonly verified = new Map<string, { principal: Principal; verifiedAtMs: number }>();

  private constructor(
    private readonly secretKey: Uint8Array | null,
    private readonly jwks: JWTVerifyGetKey | null,
    private readonly claims: JWTVerifyOptions,
    private readonly now: () => number,
  ) {}

  static async create(options: VerifierOptions): Promise<TokenVerifier> {
    const secretKey = options.secret === null ? null : new TextEncoder().encode(options.secret);
    let jwks: JWTVerifyGetKey | null = null;
    if (options.jwks !== null) {
      if (/^https?:\/\//.test(options.jwks)) jwks = createRemoteJWKSet(new URL(options.jwks));
      else {
        let parsed: unknown;
        try {
          parsed = JSON.parse(await readFile(options.jwks, 'utf8'));
        } catch (error) {
          throw new Error(`--auth-jwks ${options.jwks}: not a readable JSON file (${(error as Error).message})`);
        }
        const keys = (parsed as { keys?: unknown }).keys;
        if (!Array.isArray(keys))
          throw new Error(`--auth-jwks ${options.jwks}: not a JWKS (no "keys" array; RFC 7517 section 5)`);
        jwks = createLocalJWKSet(parsed as Parameters<typeof createLocalJWKSet>[0]);
      }
    }
    const claims: JWTVerifyOptions = {
      ...(options.issuer ? { issuer: options.issuer } : {}),
      ...(options.audience ? { audience: options.audience } : {}),
    };
    return new TokenVerifier(secretKey, jwks, claims, options.now ?? Date.now);
  }

  async verify(token: string): Promise<TokenCheck> {
    const nowMs = this.now();
    const known = this.verified.get(token);
    if (known !== undefined) {
      if (nowMs < known.principal.expiresAtMs && nowMs - known.verifiedAtMs < VERIFIED_TOKEN_REUSE_MS)
        return { ok: true, principal: known.principal };
      this.verified.delete(token);
    }
    const check = await this.verifySignature(token, nowMs);
    if (check.ok) {
      if (this.verified.size >= VERIFIED_TOKENS_KEPT) this.verified.delete(this.verified.keys().next().value as string);
      this.verified.set(token, { principal: check.principal, verifiedAtMs: nowMs });
    }
    return check;
  }

  private async verifySignature(token: string, nowMs: number): Promise<TokenCheck> {
    const claims: JWTVerifyOptions = { ...this.claims, currentDate: new Date(nowMs) };
    const alg = algorithmOf(token);
    if (alg === null) return { ok: false, reason: 'token is not a JWT (header.payload.signature, base64url)' };
    try {
      let payload: Record<string, unknown>;
      if (alg === 'HS256') {
        if (this.secretKey === null)
          return { ok: false, reason: 'HS256 tokens are not accepted here: this edge has no --auth-secret' };
        ({ payload } = await jwtVerify(token, this.secretKey, { ...claims, algorithms: ['HS256'] }));
      } else if (alg === 'RS256' || alg === 'ES256') {
        if (this.jwks === null)
          return { ok: false, reason: `${alg} tokens are not accepted here: this edge has no --auth-jwks` };
        ({ payload } = await jwtVerify(token, this.jwks, { ...claims, algorithms: ['RS256', 'ES256'] }));
      } else
        return {
          ok: false,
          reason: `token algorithm ${JSON.stringify(alg)} is not accepted: only HS256, RS256, ES256`,
        };
      const { sub, role, exp } = payload;
      if (typeof sub !== 'string' || sub === '') return { ok: false, reason: 'token has no sub (user) claim' };
      if (typeof exp !== 'number') return { ok: false, reason: 'token has no exp claim: tokens must expire' };
      // A token of an identity provider without our role claim reads as the least privilege.
      const resolved = role === undefined ? 'viewer' : role;
      if (!isRole(resolved))
        return { ok: false, reason: `token role ${JSON.stringify(role)} is not one of ${ROLES.join(', ')}` };
      return { ok: true, principal: { user: sub, role: resolved, expiresAtMs: exp * 1000 } };
    } catch (error) {
      return { ok: false, reason: explain(error) };
    }
  }
}

function algorithmOf(token: string): string | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const header = JSON.parse(Buffer.from(parts[0] as string, 'base64url').toString('utf8')) as { alg?: unknown };
    return typeof header.alg === 'string' ? header.alg : null;
  } catch {
    return null;
  }
}

function explain(error: unknown): string {
  if (error instanceof errors.JWTExpired) {
    const exp = (error.payload as { exp?: number }).exp;
    return `token expired${exp === undefined ? '' : ` at ${new Date(exp * 1000).toISOString()}`}: sign in again`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return 'token signature does not verify with this edge’s key (forged, or signed with another secret)';
  if (error instanceof errors.JWKSNoMatchingKey) return 'token was signed by a key that is not in this edge’s JWKS';
  if (error instanceof errors.JOSEAlgNotAllowed) return `token algorithm is not accepted: ${error.message}`;
  if (error instanceof errors.JWTClaimValidationFailed)
    return `token claim ${error.claim} is invalid: ${error.message}`;
  if (error instanceof errors.JOSEError) return `token refused: ${error.message}`;
  return `token refused: ${(error as Error).message}`;
}
