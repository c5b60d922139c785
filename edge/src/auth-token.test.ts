import { describe, expect, it } from 'vitest';
import { createToken, TokenVerifier, VERIFIED_TOKEN_REUSE_MS } from './auth-token.js';

// A verified token is reused without checking its signature again, but never past its exp, never
// longer than a minute, and a refused token is never remembered.
describe('token verification', () => {
  const SECRET = 'unit-test-secret';
  const T0 = 1_797_000_000_000;

  it('reuses a verified token for a minute at most, and refuses it once it expires', async () => {
    let now = T0;
    const verifier = await TokenVerifier.create({ secret: SECRET, jwks: null, now: () => now });
    const token = await createToken({ secret: SECRET, user: 'alice', role: 'trader', ttlSeconds: 120, nowMs: T0 });
    expect(await verifier.verify(token)).toEqual({
      ok: true,
      principal: { user: 'alice', role: 'trader', expiresAtMs: T0 + 120_000 },
    });
    now = T0 + VERIFIED_TOKEN_REUSE_MS - 1;
    expect((await verifier.verify(token)).ok).toBe(true);
    now = T0 + VERIFIED_TOKEN_REUSE_MS; // verified again, against the clock
    expect((await verifier.verify(token)).ok).toBe(true);
    now = T0 + 120_000; // exp reached: refused although verified 60 s ago
    expect(await verifier.verify(token)).toEqual({
      ok: false,
      reason: `token expired at ${new Date(T0 + 120_000).toISOString()}: sign in again`,
    });
  });

  it('never remembers a refusal: a forged token stays refused, and the genuine one still passes', async () => {
    const verifier = await TokenVerifier.create({ secret: SECRET, jwks: null, now: () => T0 });
    const forged = await createToken({ secret: 'other', user: 'alice', role: 'admin', ttlSeconds: 60, nowMs: T0 });
    for (let i = 0; i < 2; i++) expect((await verifier.verify(forged)).ok).toBe(false);
    const genuine = await createToken({ secret: SECRET, user: 'alice', role: 'admin', ttlSeconds: 60, nowMs: T0 });
    expect((await verifier.verify(genuine)).ok).toBe(true);
  });
});
