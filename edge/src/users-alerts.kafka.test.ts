import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, encodeUserAccount } from '@tickstream/schemas';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectedBackend, startTestKafka, type TestKafka, uniqueName } from '../../broker/src/testing/kafka-backend.js';
import { until } from '../../broker/src/testing/until.js';
import type { RunningProducer } from '../../producer/dist/index.js';
import type { RuleJson, TriggerJson } from './alert-rules.js';
import { createToken } from './auth-token.js';
import type { RunningEdge } from './edge.js';
import type { EdgeOptions } from './options.js';
import { hashPassword } from './password.js';
import { triggerOf, writeTriggerAsEvaluatorWould } from './testing/alert-evaluator-stand-in.js';
import { startTestEdge, startTestProducer } from './testing/system.js';
import { TestClient } from './testing/test-client.js';
import { ensureUserTopics, UserStateWriter, type UserTopicNames, userStateKafka } from './user-state-kafka.js';

const SECRET = 'test-secret-of-the-edge';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

async function call(
  base: string,
  method: string,
  path: string,
  options: { token?: string; cookie?: string; body?: unknown } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  if (options.cookie) headers.Cookie = options.cookie;
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(options.body === undefined
      ? {}
      : { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
    headers: response.headers,
  };
}

// Identities, sign-in and per-user alert state through a real broker, real edges and real
// WebSockets. Triggers come from the stand-in of the Flink evaluator (part B of issue 20).
describe(`users and alerts (${selectedBackend()} backend)`, () => {
  let kafka: TestKafka;
  let producer: RunningProducer;
  let topic: string;
  let userTopics: UserTopicNames;
  let edge: RunningEdge;
  let base: string;
  let ws: string;
  const edges: RunningEdge[] = [];
  const clients: TestClient[] = [];
  const token = (user: string, role: 'viewer' | 'trader' | 'admin', ttlSeconds = 600, nowMs?: number) =>
    createToken({ secret: SECRET, user, role, ttlSeconds, ...(nowMs ? { nowMs } : {}) });

  const startEdge = async (overrides: Partial<EdgeOptions> = {}): Promise<RunningEdge> => {
    const started = await startTestEdge(kafka.brokers, topic, {
      authSecret: SECRET,
      userTopics,
      maxAlertsPerUser: 3,
      historyMs: 60_000,
      ...overrides,
    });
    edges.push(started);
    // Users and rules are read from Kafka after the ticks' history: wait for them too.
    await until(
      async () => {
        const health = (await (await fetch(`http://127.0.0.1:${started.port}/health`)).json()) as {
          users: { loaded: boolean };
        };
        return health.users.loaded;
      },
      30_000,
      'the edge to load users and alerts',
    );
    return started;
  };

  const connect = async (headers: Record<string, string>, url = ws): Promise<TestClient> => {
    const client = await TestClient.connect(url, headers);
    clients.push(client);
    await client.next('hello');
    return client;
  };

  beforeAll(async () => {
    kafka = await startTestKafka();
    topic = uniqueName('users-ticks');
    userTopics = { users: uniqueName('users'), alerts: uniqueName('alerts'), alertEvents: uniqueName('alert-events') };
    producer = await startTestProducer(kafka.brokers, topic, 500, 20);
    await sleep(1000);
    // Local accounts as `tickstream users add` writes them (cli/src/users.kafka.test.ts drives the CLI itself).
    const client = userStateKafka(kafka.brokers, 'test-users');
    const admin = client.admin();
    await admin.connect();
    await ensureUserTopics(admin, userTopics, ['users', 'alerts', 'alertEvents']);
    await admin.disconnect();
    const writer = new UserStateWriter(client);
    for (const [name, role] of [
      ['alice', 'trader'],
      ['bob', 'trader'],
      ['vic', 'viewer'],
    ] as const) {
      const passwordHash = await hashPassword(`${name}-password`);
      await writer.write(
        userTopics.users,
        name,
        encodeUserAccount({ name, role, passwordHash, updatedAtMs: Date.now() }),
      );
    }
    await writer.stop();
    edge = await startEdge();
    base = `http://127.0.0.1:${edge.port}`;
    ws = `ws://127.0.0.1:${edge.port}/ws`;
  }, 240_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    for (const started of edges) await started.stop();
    await producer?.stop();
    await kafka?.close();
  }, 60_000);

  describe('identities', () => {
    it('answers 401 without a token on /ws and every /api/* route, with a message saying what to do', async () => {
      await expect(TestClient.connect(ws)).rejects.toThrow(/^401: this edge needs a token: sign in/);
      for (const [method, path] of [
        ['GET', '/api/symbols'],
        ['GET', '/api/candles?symbol=AAPL'],
        ['GET', '/api/indicators?symbol=AAPL'],
        ['GET', '/api/indicators?tf=1m'],
        ['GET', '/api/correlations'],
        ['GET', '/api/events'],
        ['GET', '/api/analytics'],
        ['GET', '/api/alerts'],
        ['POST', '/api/alerts'],
        ['DELETE', '/api/alerts/a1'],
        ['GET', '/api/session'],
        ['GET', '/api/nothing-here'],
      ]) {
        const answer = await call(base, method as string, path as string);
        expect(answer.status, `${method} ${path}`).toBe(401);
        expect(answer.body.error).toMatch(/this edge needs a token/);
        expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="tickstream"');
      }
      // Open by default, for balancers and Prometheus.
      // (/health may say 503 kafka-unavailable on a busy machine: what matters is that it answers without a token.)
      expect([200, 503]).toContain((await fetch(`${base}/health`)).status);
      expect((await fetch(`${base}/metrics`)).status).toBe(200);
    });

    it('refuses expired, forged and wrong-role tokens with clear messages', async () => {
      const expired = await token('alice', 'trader', 60, Date.now() - 3_600_000);
      const forged = await createToken({ secret: 'not-the-secret', user: 'alice', role: 'admin', ttlSeconds: 600 });
      const alg = (await token('alice', 'trader')).split('.');
      // The same claims re-signed with alg "none": never accepted.
      const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${alg[1]}.`;
      for (const [bad, message] of [
        [expired, /^token expired at .*: sign in again$/],
        [forged, /^token signature does not verify/],
        [unsigned, /^token algorithm "none" is not accepted/],
        ['not-a-jwt', /^token is not a JWT/],
      ] as const) {
        const answer = await call(base, 'GET', '/api/alerts', { token: bad });
        expect(answer.status).toBe(401);
        expect(answer.body.error).toMatch(message);
        await expect(TestClient.connect(ws, { Authorization: `Bearer ${bad}` })).rejects.toThrow(/^401: token/);
      }
      await expect(TestClient.connect(`${ws}?token=${expired}`)).rejects.toThrow(/^401: token expired/);
      const viewer = await token('vic', 'viewer');
      const refused = await call(base, 'POST', '/api/alerts', {
        token: viewer,
        body: { symbol: 'AAPL', kind: 'price-above', value: 1 },
      });
      expect(refused).toMatchObject({
        status: 403,
        body: { error: 'user vic has role viewer; this needs trader or admin' },
      });
      expect((await call(base, 'GET', '/api/alerts', { token: viewer })).status).toBe(200);
    });

    it('signs local users in with a cookie that works on /api and /ws, and signs them out', async () => {
      const wrong = await call(base, 'POST', '/api/login', { body: { user: 'alice', password: 'nope-nope' } });
      expect(wrong).toMatchObject({ status: 401, body: { error: 'wrong user name or password' } });
      const unknown = await call(base, 'POST', '/api/login', { body: { user: 'mallory', password: 'alice-password' } });
      expect(unknown).toMatchObject({ status: 401, body: { error: 'wrong user name or password' } });
      expect((await call(base, 'POST', '/api/login', { body: '{"user":' })).status).toBe(400);

      const login = await call(base, 'POST', '/api/login', { body: { user: 'alice', password: 'alice-password' } });
      expect(login.status).toBe(200);
      expect(login.body).toMatchObject({ user: 'alice', role: 'trader' });
      const cookie = login.headers.get('set-cookie') ?? '';
      expect(cookie).toMatch(
        /^tickstream_token=[\w-]+\.[\w-]+\.[\w-]+; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict$/,
      );
      const pair = cookie.split(';')[0] as string;
      expect(pair).toBe(`tickstream_token=${login.body.token}`);
      const session = await call(base, 'GET', '/api/session', { cookie: pair });
      expect(session.body).toMatchObject({ user: 'alice', role: 'trader', auth: true, signIn: true });
      // The market-data and analytics routes the dashboard calls answer the signed-in user.
      for (const path of ['/api/candles?symbol=AAPL&tf=1m', '/api/indicators?tf=1m', '/api/events', '/api/analytics']) {
        const answer = await call(base, 'GET', path, { cookie: pair });
        expect(answer.status, path).toBe(200);
        expect(answer.body, path).toHaveProperty(path === '/api/analytics' ? 'state' : 'analytics');
      }
      const client = await connect({ Cookie: pair });
      client.send({ type: 'subscribe', symbols: ['AAPL'], sectors: [] });
      expect((await client.next('snapshot')).symbols[0]?.name).toBe('AAPL');

      // Behind a TLS proxy the cookie is Secure.
      const overTls = await fetch(`${base}/api/login`, {
        method: 'POST',
        headers: { 'X-Forwarded-Proto': 'https' },
        body: JSON.stringify({ user: 'alice', password: 'alice-password' }),
      });
      expect(overTls.headers.get('set-cookie')).toMatch(/; Secure$/);

      const logout = await call(base, 'POST', '/api/logout');
      expect(logout.headers.get('set-cookie')).toBe('tickstream_token=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict');
    });

    it('accepts RS256 tokens of an identity provider from a JWKS file, and refuses keys not in it', async () => {
      const { publicKey, privateKey } = await generateKeyPair('RS256');
      const other = await generateKeyPair('RS256');
      const jwks = join(tmpdir(), `${uniqueName('jwks')}.json`);
      await writeFile(
        jwks,
        JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'RS256' }] }),
      );
      const idpEdge = await startEdge({ authSecret: null, authJwks: jwks, authIssuer: 'https://idp.example' });
      const sign = (key: typeof privateKey, issuer = 'https://idp.example') =>
        new SignJWT({ role: 'trader' })
          .setProtectedHeader({ alg: 'RS256', kid: 'idp-1' })
          .setSubject('carol')
          .setIssuer(issuer)
          .setExpirationTime('10m')
          .sign(key);
      const idpBase = `http://127.0.0.1:${idpEdge.port}`;
      const good = await call(idpBase, 'GET', '/api/session', { token: await sign(privateKey) });
      expect(good.body).toMatchObject({ user: 'carol', role: 'trader', signIn: false });
      const otherKey = await call(idpBase, 'GET', '/api/session', { token: await sign(other.privateKey) });
      expect(otherKey.status).toBe(401);
      expect(otherKey.body.error).toMatch(/signature does not verify/);
      const wrongIssuer = await call(idpBase, 'GET', '/api/session', { token: await sign(privateKey, 'https://evil') });
      expect(wrongIssuer.body.error).toMatch(/^token claim iss is invalid/);
      const hs = await call(idpBase, 'GET', '/api/session', { token: await token('alice', 'admin') });
      expect(hs.body.error).toBe('HS256 tokens are not accepted here: this edge has no --auth-secret');
      const login = await call(idpBase, 'POST', '/api/login', { body: { user: 'alice', password: 'alice-password' } });
      expect(login.body.error).toMatch(/signs no tokens/);
    });

    it('serves one local admin in single-user mode (no --auth-secret)', async () => {
      const open = await startEdge({ authSecret: null });
      const openBase = `http://127.0.0.1:${open.port}`;
      expect((await call(openBase, 'GET', '/api/session')).body).toEqual({
        user: 'local',
        role: 'admin',
        auth: false,
        signIn: false,
      });
      const created = await call(openBase, 'POST', '/api/alerts', {
        body: { symbol: 'MSFT', kind: 'price-below', value: 1 },
      });
      expect(created.status).toBe(201);
      const login = await call(openBase, 'POST', '/api/login', { body: { user: 'alice', password: 'alice-password' } });
      expect(login.body.error).toMatch(/single-user mode/);
      await call(openBase, 'DELETE', `/api/alerts/${created.body.id}`);
    });
  });

  describe('alert rules', () => {
    let alice: string;
    let bob: string;
    beforeAll(async () => {
      alice = await token('alice', 'trader');
      bob = await token('bob', 'trader');
    });

    it('creates, lists, edits and deletes rules over HTTP; bob cannot see or touch alice’s', async () => {
      const created = await call(base, 'POST', '/api/alerts', {
        token: alice,
        body: { symbol: 'AAPL', kind: 'change-pct', value: -3, window: '5m', repeat: true, cooldownMs: 30_000 },
      });
      expect(created.status).toBe(201);
      const rule = created.body as unknown as RuleJson;
      expect(rule).toMatchObject({
        symbol: 'AAPL',
        kind: 'change-pct',
        value: -3,
        window: '5m',
        repeat: true,
        cooldownMs: 30_000,
        status: 'active',
      });
      expect(rule.id).toMatch(/^a[0-9a-f]{16}$/);

      const mine = await call(base, 'GET', '/api/alerts', { token: alice });
      expect((mine.body.rules as RuleJson[]).map((r) => r.id)).toContain(rule.id);
      const bobs = await call(base, 'GET', '/api/alerts', { token: bob });
      expect(bobs.body).toEqual({ rules: [], triggers: [] });
      expect(await call(base, 'DELETE', `/api/alerts/${rule.id}`, { token: bob })).toMatchObject({
        status: 404,
        body: { error: `no alert rule "${rule.id}" of user bob` },
      });
      expect(
        (
          await call(base, 'PUT', `/api/alerts/${rule.id}`, {
            token: bob,
            body: { symbol: 'AAPL', kind: 'price-above', value: 1 },
          })
        ).status,
      ).toBe(404);

      const edited = await call(base, 'PUT', `/api/alerts/${rule.id}`, {
        token: alice,
        body: { symbol: 'AAPL', kind: 'change-pct', value: -4, window: 600_000 },
      });
      expect(edited.body).toMatchObject({
        id: rule.id,
        value: -4,
        window: '10m',
        repeat: false,
        createdAt: rule.createdAt,
      });
      expect((edited.body as unknown as RuleJson).armedAt).toBeGreaterThan(rule.armedAt);

      expect(await call(base, 'DELETE', `/api/alerts/${rule.id}`, { token: alice })).toMatchObject({
        status: 200,
        body: { deleted: rule.id },
      });
      expect(
        ((await call(base, 'GET', '/api/alerts', { token: alice })).body.rules as RuleJson[]).map((r) => r.id),
      ).not.toContain(rule.id);
    });

    it('refuses bad rules with a precise 400 and touches nothing', async () => {
      const before = await call(base, 'GET', '/api/alerts', { token: alice });
      const cases: [unknown, string][] = [
        [{ symbol: 'NOPE', kind: 'price-above', value: 10 }, 'unknown symbol "NOPE"'],
        [
          { symbol: 'AAPL', kind: 'price-sideways', value: 10 },
          'kind must be one of price-above, price-below, change-pct, volume-above, relative-volume, indicator-cross, event; got "price-sideways"',
        ],
        [
          { symbol: 'AAPL', kind: 'price-above', value: 0 },
          'value of price-above must be a price above 0 (currency units); got 0',
        ],
        [{ symbol: 'AAPL', kind: 'price-above', value: 'high' }, 'value is required and must be a number (got "high")'],
        [
          { symbol: 'AAPL', kind: 'change-pct', value: -100, window: '5m' },
          'value of change-pct must be a percent change other than 0, above -100 and at most 10000 (e.g. 5 or -3); got -100',
        ],
        [{ symbol: 'AAPL', kind: 'change-pct', value: 5 }, 'change-pct needs a window, e.g. "5m"'],
        [{ symbol: 'AAPL', kind: 'price-above', value: 10, window: '5m' }, 'price-above takes no window'],
        [
          { symbol: 'AAPL', kind: 'relative-volume', value: 3, window: '2w' },
          'window must be a duration such as "30s", "5m" or "1h"; got "2w"',
        ],
        [
          { symbol: 'AAPL', kind: 'indicator-cross', value: 50.5 },
          'value of indicator-cross must be the SMA period in bars, a whole number from 2 to 200 (e.g. 50); got 50.5',
        ],
        [
          { symbol: 'AAPL', kind: 'volume-above', value: 100, cooldownMs: 5 },
          'cooldownMs applies only to repeating rules ("repeat": true)',
        ],
        [
          { symbol: 'AAPL', kind: 'price-below', value: 10, expiresAt: 1000 },
          'expiresAt 1970-01-01T00:00:01.000Z is not in the future',
        ],
        [{ symbol: 'sector:Nowhere', kind: 'event' }, 'unknown sector "Nowhere"'],
        [
          { symbol: 'sector:Technology', kind: 'price-above', value: 1 },
          'only event rules may name a sector; price-above needs a symbol',
        ],
        [
          { symbol: 'AAPL', kind: 'price-above', value: 1, colour: 'red' },
          'unknown field "colour"; a rule has symbol, kind, value, window, repeat, cooldownMs, expiresAt',
        ],
        ['[1,2]', 'a rule is a JSON object: {"symbol","kind","value","window?","repeat?","cooldownMs?","expiresAt?"}'],
      ];
      for (const [body, error] of cases) {
        const answer = await call(base, 'POST', '/api/alerts', { token: alice, body });
        expect(answer, JSON.stringify(body)).toMatchObject({ status: 400, body: { error } });
      }
      expect(await call(base, 'POST', '/api/alerts', { token: alice, body: '{"symbol": "AAPL",' })).toMatchObject({
        status: 400,
      });
      expect((await call(base, 'GET', '/api/alerts', { token: alice })).body).toEqual(before.body);
    });

    it('stops at the per-user limit with a message naming it', async () => {
      const created: string[] = [];
      for (let i = 0; i < 3; i++) {
        const answer = await call(base, 'POST', '/api/alerts', {
          token: bob,
          body: { symbol: 'MSFT', kind: 'price-above', value: 1000 + i },
        });
        expect(answer.status).toBe(201);
        created.push(answer.body.id as string);
      }
      const over = await call(base, 'POST', '/api/alerts', {
        token: bob,
        body: { symbol: 'MSFT', kind: 'price-above', value: 2000 },
      });
      expect(over).toMatchObject({
        status: 400,
        body: {
          error: 'user bob has 3 alert rules, the most this edge allows (--max-alerts-per-user 3): delete one first',
        },
      });
      for (const id of created) await call(base, 'DELETE', `/api/alerts/${id}`, { token: bob });
    });

    it('does the same over the WebSocket (protocol 2), answering each request by its id', async () => {
      const client = await connect({ Authorization: `Bearer ${alice}` });
      // Protocol 3 (trading) keeps everything of 2.
      expect((client.frames[0] as { protocolVersion: number }).protocolVersion).toBeGreaterThanOrEqual(2);
      client.send({ type: 'alert-list', requestId: 7 });
      expect(await client.next('alerts')).toMatchObject({ requestId: 7, ruleId: '' });
      const rule = {
        id: '',
        user: '',
        symbol: 'AAPL',
        kind: 'volume-above' as const,
        value: 5000,
        windowMs: 60_000,
        repeat: false,
        cooldownMs: 0,
        expiresAtMs: 0,
        createdAtMs: 0,
        armedAtMs: 0,
      };
      client.send({ type: 'alert-create', requestId: 8, rule });
      const created = await client.next('alerts');
      expect(created.requestId).toBe(8);
      const saved = created.rules.find((r) => r.id === created.ruleId);
      expect(saved).toMatchObject({
        user: 'alice',
        symbol: 'AAPL',
        kind: 'volume-above',
        value: 5000,
        windowMs: 60_000,
      });

      client.send({ type: 'alert-create', requestId: 9, rule: { ...rule, symbol: 'NOPE' } });
      await client.until(() => client.errors().some((e) => e.requestId === 9), 10_000, 'the error of request 9');
      expect(client.errors().find((e) => e.requestId === 9)).toMatchObject({
        code: ErrorCode.InvalidAlert,
        message: 'unknown symbol "NOPE"',
      });

      const viewer = await connect({ Authorization: `Bearer ${await token('vic', 'viewer')}` });
      viewer.send({ type: 'alert-create', requestId: 3, rule });
      await viewer.until(() => viewer.errors().length > 0, 10_000, 'a refusal');
      expect(viewer.errors()[0]).toMatchObject({ code: ErrorCode.Forbidden, requestId: 3 });

      const bobClient = await connect({ Authorization: `Bearer ${bob}` });
      bobClient.send({ type: 'alert-delete', requestId: 4, id: created.ruleId });
      await bobClient.until(() => bobClient.errors().length > 0, 10_000, 'a refusal');
      expect(bobClient.errors()[0]).toMatchObject({ code: ErrorCode.NotFound, requestId: 4 });

      client.send({ type: 'alert-delete', requestId: 10, id: created.ruleId });
      const deleted = await client.next('alerts');
      expect(deleted.requestId).toBe(10);
      expect(deleted.rules.map((r) => r.id)).not.toContain(created.ruleId);
    });
  });

  describe('state in Kafka', () => {
    it('keeps rules and triggers across an edge restart and on a second edge; a deleted rule stays gone', async () => {
      const alice = await token('alice', 'trader');
      const kept = await call(base, 'POST', '/api/alerts', {
        token: alice,
        body: { symbol: 'AAPL', kind: 'price-above', value: 150 },
      });
      const gone = await call(base, 'POST', '/api/alerts', {
        token: alice,
        body: { symbol: 'AAPL', kind: 'price-below', value: 50 },
      });
      await call(base, 'DELETE', `/api/alerts/${gone.body.id}`, { token: alice });
      const rule = kept.body as unknown as RuleJson;
      await writeTriggerAsEvaluatorWould(
        kafka.brokers,
        userTopics.alertEvents,
        triggerOf({ ...rule, user: 'alice' }, 150.25, 41),
      );

      const second = await startEdge();
      const listing = (await call(`http://127.0.0.1:${second.port}`, 'GET', '/api/alerts', { token: alice })).body as {
        rules: RuleJson[];
        triggers: TriggerJson[];
      };
      const ids = listing.rules.map((r) => r.id);
      expect(ids).toContain(rule.id);
      expect(ids).not.toContain(gone.body.id);
      expect(listing.rules.find((r) => r.id === rule.id)?.status).toBe('triggered');
      expect(listing.triggers.at(-1)).toEqual({
        id: `${rule.id}-${rule.armedAt}-41`,
        ruleId: rule.id,
        symbol: 'AAPL',
        kind: 'price-above',
        value: 150.25,
        price: 150.25,
        time: expect.any(Number),
      });
      // Login on the second edge, which read the same users topic.
      expect(
        (
          await call(`http://127.0.0.1:${second.port}`, 'POST', '/api/login', {
            body: { user: 'bob', password: 'bob-password' },
          })
        ).status,
      ).toBe(200);
      // Re-arming a triggered one-shot rule makes it active again.
      const rearmed = await call(`http://127.0.0.1:${second.port}`, 'PUT', `/api/alerts/${rule.id}`, {
        token: alice,
        body: { symbol: 'AAPL', kind: 'price-above', value: 150 },
      });
      expect(rearmed.body.status).toBe('active');
      await call(base, 'DELETE', `/api/alerts/${rule.id}`, { token: alice });
    });

    it('pushes a trigger to its user’s connections only, and keeps those that fired while away', async () => {
      const aliceToken = await token('alice', 'trader');
      const rule = (
        await call(base, 'POST', '/api/alerts', {
          token: aliceToken,
          body: { symbol: 'MSFT', kind: 'price-above', value: 300 },
        })
      ).body as unknown as RuleJson;
      const alice = await connect({ Authorization: `Bearer ${aliceToken}` });
      const bob = await connect({ Authorization: `Bearer ${await token('bob', 'trader')}` });
      alice.send({ type: 'alert-list', requestId: 1 });
      bob.send({ type: 'alert-list', requestId: 1 });
      await alice.next('alerts');
      await bob.next('alerts');

      const fired = triggerOf({ ...rule, user: 'alice' }, 300.5, 77);
      await writeTriggerAsEvaluatorWould(kafka.brokers, userTopics.alertEvents, fired);
      const pushed = await alice.next('alert-triggered', 15_000);
      expect(pushed).toMatchObject({ id: fired.id, ruleId: rule.id, symbol: 'MSFT', price: 300.5, user: 'alice' });
      // The same record read twice (an evaluator writes at least once) is pushed once.
      await writeTriggerAsEvaluatorWould(kafka.brokers, userTopics.alertEvents, fired);
      await sleep(1500);
      expect(alice.frames.filter((f) => f.type === 'alert-triggered')).toHaveLength(1);
      expect(bob.frames.filter((f) => f.type === 'alert-triggered')).toHaveLength(0);
      expect(
        ((await call(base, 'GET', '/api/alerts', { token: await token('bob', 'trader') })).body.triggers as unknown[])
          .length,
      ).toBe(0);

      // Away: alice's connections are closed when this one fires.
      alice.close();
      const whileAway = triggerOf({ ...rule, user: 'alice' }, 301, 78);
      await writeTriggerAsEvaluatorWould(kafka.brokers, userTopics.alertEvents, whileAway);
      await sleep(1000);
      const back = await connect({ Authorization: `Bearer ${aliceToken}` });
      back.send({ type: 'alert-list', requestId: 2 });
      const listing = await back.next('alerts');
      expect(listing.triggers.map((t) => t.id)).toEqual(expect.arrayContaining([fired.id, whileAway.id]));
      await call(base, 'DELETE', `/api/alerts/${rule.id}`, { token: aliceToken });
    });
  });
});
