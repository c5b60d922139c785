import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKafka, type TestKafka, uniqueName } from '../../broker/src/testing/kafka-backend.js';
import { until } from '../../broker/src/testing/until.js';
import type { RunningProducer } from '../../producer/dist/index.js';
import { type RunningEdge, startEdge } from './edge.js';
import { startTestProducer, testEdgeOptions } from './testing/system.js';
import { TestClient } from './testing/test-client.js';

// Liveness versus readiness, the drain, and the per-address limits and Origin policy of one
// edge, on a real broker (both backends): docs/operations.md "Health and drain", docs/security.md.

const status = async (url: string, init?: RequestInit): Promise<number> => (await fetch(url, init)).status;

describe('edge readiness, drain and client limits', () => {
  let kafka: TestKafka;
  let producer: RunningProducer | undefined;
  let edge: RunningEdge;
  let base: string;
  let topic: string;

  beforeAll(async () => {
    kafka = await startTestKafka();
    topic = uniqueName('readiness');
    // Started before its topic exists, so it cannot load history until the producer has written.
    edge = await startEdge(
      testEdgeOptions(kafka.brokers, topic, {
        drainDelayMs: 1500,
        drainWindowMs: 500,
        maxConnectionsPerIp: 3,
        maxRequestsPerIpPerSecond: 5,
        trustedProxies: ['127.0.0.1'],
        allowedOrigins: ['https://dash.example'],
      }),
    );
    base = `http://127.0.0.1:${edge.port}`;
  }, 60_000);

  afterAll(async () => {
    await edge?.stop();
    await producer?.stop();
    await kafka?.close();
  }, 60_000);

  it('is live at once, ready (/readyz 200) only once history is loaded', async () => {
    expect(await status(`${base}/livez`)).toBe(200);
    const loading = await fetch(`${base}/readyz`);
    expect(loading.status).toBe(503);
    const body = (await loading.json()) as { ok: boolean; reasons: string[] };
    expect(body.ok).toBe(false);
    expect(body.reasons).toContain('loading history from Kafka');
    expect(await status(`${base}/health`)).toBe(503);
    await expect(TestClient.connect(`ws://127.0.0.1:${edge.port}/ws`)).rejects.toThrow(/503: edge is loading history/);

    producer = await startTestProducer(kafka.brokers, topic, 2000, 30);
    await edge.ready;
    await until(async () => (await status(`${base}/readyz`)) === 200, 20_000, '/readyz to answer 200');
    expect(await (await fetch(`${base}/readyz`)).json()).toMatchObject({ ok: true, reasons: [] });
    expect(await status(`${base}/health`)).toBe(200);
  }, 60_000);

  it('limits WebSockets per client address, the address taken from a trusted proxy’s X-Forwarded-For', async () => {
    const url = `ws://127.0.0.1:${edge.port}/ws`;
    const from = (address: string) => ({ 'X-Forwarded-For': `10.9.9.9, ${address}` });
    const held = await Promise.all([1, 2, 3].map(() => TestClient.connect(url, from('198.51.100.7'))));
    try {
      await expect(TestClient.connect(url, from('198.51.100.7'))).rejects.toThrow(
        /429: 198\.51\.100\.7 holds 3 connections/,
      );
      // Another address, and loopback itself, are not held back.
      const other = await TestClient.connect(url, from('198.51.100.8'));
      other.close();
      const local = await Promise.all([1, 2, 3, 4].map(() => TestClient.connect(url)));
      for (const client of local) client.close();
      // A closed connection frees its slot.
      held[0]?.close();
      await until(
        async () => {
          try {
            const again = await TestClient.connect(url, from('198.51.100.7'));
            held.push(again);
            return true;
          } catch {
            return false;
          }
        },
        5_000,
        'a freed slot to be taken again',
      );
    } finally {
      for (const client of held) client.close();
    }
  });

  it('limits HTTP requests per address (429), never the probes; /api answers only allowed Origins', async () => {
    const from = { 'X-Forwarded-For': '203.0.113.9' };
    const statuses: number[] = [];
    for (let i = 0; i < 14; i++) statuses.push(await status(`${base}/api/symbols`, { headers: from }));
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses).toContain(429);
    for (let i = 0; i < 20; i++) expect(await status(`${base}/readyz`, { headers: from })).toBe(200);

    const evil = await fetch(`${base}/api/symbols`, { headers: { Origin: 'https://evil.example' } });
    expect(evil.status).toBe(403);
    const allowed = await fetch(`${base}/api/symbols`, { headers: { Origin: 'https://dash.example' } });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://dash.example');
    const preflight = await fetch(`${base}/api/candles`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://dash.example', 'Access-Control-Request-Method': 'GET' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('GET');
    // Without an Origin (same-origin GETs, curl): no CORS header, answered.
    const plain = await fetch(`${base}/api/symbols`);
    expect(plain.status).toBe(200);
    expect(plain.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('guards sign-in, alerts, trading and unknown /api routes the same way: Origin policy, CORS, per-address limit', async () => {
    for (const [method, path] of [
      ['POST', '/api/login'],
      ['GET', '/api/alerts'],
      ['POST', '/api/orders'],
      ['GET', '/api/portfolio'],
      ['GET', '/api/nothing-here'],
    ] as const) {
      const evil = await fetch(`${base}${path}`, { method, headers: { Origin: 'https://evil.example' } });
      expect(evil.status, `${method} ${path}`).toBe(403);
      expect(await evil.json()).toEqual({ error: 'origin https://evil.example is not allowed' });
      const allowed = await fetch(`${base}${path}`, { method, headers: { Origin: 'https://dash.example' } });
      expect(allowed.status, `${method} ${path}`).not.toBe(403);
      expect(allowed.headers.get('access-control-allow-origin'), `${method} ${path}`).toBe('https://dash.example');
    }
    const from = { 'X-Forwarded-For': '203.0.113.10' };
    const statuses: number[] = [];
    for (let i = 0; i < 14; i++) statuses.push(await status(`${base}/api/orders`, { headers: from }));
    expect(statuses.slice(0, 5)).not.toContain(429);
    expect(statuses).toContain(429);
  });

  it('drains: /readyz 503 and new clients refused at once, data until each client is told 1012, then it stops', async () => {
    const url = `ws://127.0.0.1:${edge.port}/ws`;
    const clients = await Promise.all([1, 2, 3, 4, 5].map(() => TestClient.connect(url)));
    for (const client of clients) client.send({ type: 'subscribe', symbols: ['*'], sectors: [] });
    for (const client of clients) await client.next('snapshot');
    const started = Date.now();
    const drained = edge.drain();
    await until(async () => (await status(`${base}/readyz`)) === 503, 2_000, '/readyz to answer 503');
    const readiness = (await (await fetch(`${base}/readyz`)).json()) as { reasons: string[] };
    expect(readiness.reasons).toEqual(['draining: shutting down']);
    expect(await status(`${base}/livez`)).toBe(200);
    expect(await status(`${base}/health`)).toBe(503);
    await expect(TestClient.connect(url)).rejects.toThrow(/503: edge is draining/);

    // Still served during the delay: Deltas keep coming to the clients it has.
    for (const client of clients) client.skipReceived();
    for (const client of clients) await client.next('delta', 1_400);
    await drained;
    const tookMs = Date.now() - started;
    for (const client of clients) {
      await client.until(() => client.closeCode !== null, 2_000, 'the close');
      expect(client.closeCode).toBe(1012);
      expect(client.closeReason).toBe('edge draining: reconnect');
    }
    // Bounded by the delay and the window (plus the Kafka consumer's stop).
    expect(tookMs).toBeGreaterThanOrEqual(1500);
    expect(tookMs).toBeLessThan(1500 + 500 + 3500);
    // The listening socket is closed: a new connection is refused.
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect(edge.port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  }, 30_000);
});
