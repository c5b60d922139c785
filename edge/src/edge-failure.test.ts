import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startBroker } from '@tickstream/broker';
import { ErrorCode } from '@tickstream/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../broker/src/testing/broker-process.js';
import type { RunningProducer } from '../../producer/dist/index.js';
import { type RunningEdge, startEdge } from './edge.js';
import {
  collectingLogger,
  getJson,
  quiet,
  startTestEdge,
  startTestProducer,
  testEdgeOptions,
} from './testing/system.js';
import { TestClient } from './testing/test-client.js';
import { loadNativeUws } from './uws.js';

type RunningBroker = Awaited<ReturnType<typeof startBroker>>;
type ErrorFrame = Extract<TestClient['frames'][number], { type: 'error' }>;

/** The first Error frame received at or after frame `from` whose message matches. */
async function nextErrorAfter(client: TestClient, from: number, message: RegExp, timeoutMs: number) {
  let found: ErrorFrame | undefined;
  await client.until(
    () => {
      found = client.frames
        .slice(from)
        .find((frame): frame is ErrorFrame => frame.type === 'error' && message.test(frame.message));
      return found !== undefined;
    },
    timeoutMs,
    `an Error frame matching ${message}`,
  );
  return found as ErrorFrame;
}

// Failures that need control of the broker process: the embedded broker, stopped and restarted
// on the same port and log.
describe('edge when Kafka goes away and clients misbehave', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tickstream-edge-failure-'));
  let broker: RunningBroker;
  let port: number;
  let producer: RunningProducer;
  let edge: RunningEdge;
  let http: string;

  beforeAll(async () => {
    broker = await startBroker({ port: 0, dataDir, log: quiet });
    port = Number(broker.bootstrap.split(':')[1]);
    producer = await startTestProducer([broker.bootstrap], 'ticks', 4000, 300);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    edge = await startTestEdge([broker.bootstrap], 'ticks', {
      softBufferBytes: 64 * 1024,
      hardBufferBytes: 256 * 1024,
      slowClientTimeoutMs: 3000,
    });
    http = `http://127.0.0.1:${edge.port}`;
  }, 60_000);

  afterAll(async () => {
    await edge?.stop();
    await producer?.stop();
    await broker?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('reports Kafka lost (/health and /readyz 503, /livez 200, Error 7 to clients) and recovers without a restart', async () => {
    const client = await TestClient.connect(`ws://127.0.0.1:${edge.port}/ws`);
    await client.next('hello');
    client.send({ type: 'subscribe', symbols: ['AAPL', 'MSFT'], sectors: [] });
    await client.next('snapshot');
    await client.until(() => client.deltasApplied > 5, 10_000, 'Deltas');
    await expect.poll(async () => (await getJson(`${http}/health`)).status, { timeout: 20_000 }).toBe(200);

    // Only what the edge says from here on counts: an earlier hiccup may have queued its own Errors.
    const from = client.frames.length;
    await broker.close();
    try {
      const lost = await nextErrorAfter(client, from, /Kafka unavailable/, 15_000);
      expect(lost.code).toBe(ErrorCode.KafkaUnavailable);
      const health = await getJson(`${http}/health`);
      expect(health.status).toBe(503);
      expect(health.body).toMatchObject({ status: 'kafka-unavailable', kafka: { up: false } });
      // Unready (the balancer sends it no new clients) but alive: a restart would not bring Kafka back.
      const readiness = await getJson(`${http}/readyz`);
      expect(readiness.status).toBe(503);
      expect((readiness.body as { reasons: string[] }).reasons).toEqual([expect.stringMatching(/^Kafka: /)]);
      expect((await getJson(`${http}/livez`)).status).toBe(200);
    } finally {
      broker = await startBroker({ port, dataDir, log: quiet });
    }
    const back = await nextErrorAfter(client, from, /Kafka is back/, 30_000);
    expect(back.code).toBe(ErrorCode.KafkaUnavailable);
    const applied = client.deltasApplied;
    await client.until(() => client.deltasApplied > applied + 5, 20_000, 'Deltas after Kafka returned');
    // On a loaded machine the consumer's rejoin after the restart can fall silent past the health
    // threshold once more (and the edge says so): what must hold is that it comes back by itself.
    await expect.poll(async () => (await getJson(`${http}/health`)).status, { timeout: 20_000 }).toBe(200);
    expect(client.resyncs).toBe(0);
    client.close();
  }, 90_000);

  it('closes a client that never reads (4008) while its buffer stays under the hard limit; others are served', async () => {
    const reader = await TestClient.connect(`ws://127.0.0.1:${edge.port}/ws`);
    reader.send({ type: 'subscribe', symbols: ['*'], sectors: [] });
    await reader.next('snapshot');
    const stuck = await TestClient.connect(`ws://127.0.0.1:${edge.port}/ws`);
    stuck.send({ type: 'subscribe', symbols: ['*'], sectors: [] });
    await stuck.next('snapshot');
    // Stop reading, and keep asking for 300-symbol Snapshots so the edge has plenty to send.
    stuck.socket.pause();
    const flood = setInterval(() => stuck.send({ type: 'resync', lastSeq: 0 }), 25);
    try {
      await stuck.until(() => stuck.closeCode !== null, 30_000, 'the slow client to be closed');
    } finally {
      clearInterval(flood);
    }
    // The close frame (4008) sits behind the unread data, so the client itself only sees the TCP
    // connection end; the edge's count says why it closed it.
    const metrics = await (await fetch(`${http}/metrics`)).text();
    expect(metrics).toMatch(/tickstream_edge_slow_client_closes_total 1/);
    const applied = reader.deltasApplied;
    await reader.until(() => reader.deltasApplied > applied + 5, 10_000, 'Deltas for the client that reads');
    reader.close();
  }, 60_000);

  it('skips Deltas for a client over the soft limit, then sends it Error 8, a Snapshot and Deltas again once it reads', async () => {
    const skipped = async (): Promise<number> => {
      const metrics = await (await fetch(`${http}/metrics`)).text();
      return Number(/^tickstream_edge_deltas_skipped_total (\d+)/m.exec(metrics)?.[1] ?? Number.NaN);
    };
    const lagging = await TestClient.connect(`ws://127.0.0.1:${edge.port}/ws`);
    lagging.send({ type: 'subscribe', symbols: ['*'], sectors: [] });
    await lagging.next('snapshot');
    await lagging.until(() => lagging.deltasApplied > 5, 10_000, 'Deltas');
    const gaps = lagging.resyncs;
    const skippedBefore = await skipped();
    // Stop reading and ask for Snapshots until the edge finds the socket over the soft limit and
    // skips its Deltas (it then sends no Snapshot either, so the hard limit is not reached).
    lagging.socket.pause();
    const flood = setInterval(() => lagging.send({ type: 'resync', lastSeq: 0 }), 25);
    try {
      await expect.poll(skipped, { timeout: 30_000, interval: 50 }).toBeGreaterThan(skippedBefore);
    } finally {
      clearInterval(flood);
    }
    // Read again well within the 3 s the edge allows over the soft limit.
    const from = lagging.frames.length;
    lagging.socket.resume();
    const behind = await nextErrorAfter(lagging, from, /fell behind/, 10_000);
    expect(behind.code).toBe(ErrorCode.SlowConsumer);
    const at = lagging.frames.indexOf(behind);
    await lagging.until(
      () => lagging.frames.slice(at).some((frame) => frame.type === 'snapshot'),
      10_000,
      'a Snapshot after Error 8',
    );
    const applied = lagging.deltasApplied;
    await lagging.until(() => lagging.deltasApplied > applied + 5, 10_000, 'Deltas after the Snapshot');
    // The Snapshot resynced it: the client never saw a seq jump it had to ask about.
    expect(lagging.resyncs).toBe(gaps);
    expect(lagging.closeCode).toBeNull();
    lagging.close();
  }, 60_000);

  it('refuses to run on the pure-JS fallback of uWebSockets.js', () => {
    // A copy of the package without its native binaries, as on a platform it has none for.
    const root = mkdtempSync(join(tmpdir(), 'tickstream-uws-'));
    const real = resolve(import.meta.dirname, '../../node_modules/uWebSockets.js');
    const copy = join(root, 'node_modules/uWebSockets.js');
    mkdirSync(join(copy, 'dist'), { recursive: true });
    cpSync(join(real, 'package.json'), join(copy, 'package.json'));
    cpSync(join(real, 'src'), join(copy, 'src'), { recursive: true });
    for (const file of readdirSync(join(real, 'dist'))) {
      if (file.endsWith('.js')) cpSync(join(real, 'dist', file), join(copy, 'dist', file));
    }
    symlinkSync(resolve(import.meta.dirname, '../../node_modules/ws'), join(root, 'node_modules/ws'));
    try {
      expect(() => loadNativeUws(pathToFileURL(join(root, 'entry.js')).href)).toThrow(
        /fell back to pure JS; the edge refuses to run on it/,
      );
      process.env.UWS_USE_FALLBACK = '1';
      expect(() => loadNativeUws()).toThrow(/UWS_USE_FALLBACK/);
    } finally {
      delete process.env.UWS_USE_FALLBACK;
      rmSync(root, { recursive: true, force: true });
    }
    expect(() => loadNativeUws()).not.toThrow();
  });
});

describe('edge started before Kafka', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tickstream-edge-early-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('says at once that Kafka is unreachable (log and /health), then serves once Kafka and ticks arrive', async () => {
    const port = await freePort();
    const lines: string[] = [];
    // Not startTestEdge: that waits for history, which needs the Kafka this test starts later.
    const edge = await startEdge(
      testEdgeOptions([`127.0.0.1:${port}`], 'ticks', { edgeId: 'early-edge', logger: collectingLogger(lines) }),
    );
    const http = `http://127.0.0.1:${edge.port}`;
    let broker: RunningBroker | undefined;
    let producer: RunningProducer | undefined;
    try {
      // Within seconds, not after kafkajs' own retries have run out (they once kept it unsaid for 20 s).
      await expect
        .poll(() => lines.find((line) => line.includes('unreachable')) ?? '', { timeout: 5_000 })
        .toMatch(new RegExp(`Kafka at 127\\.0\\.0\\.1:${port} unreachable \\(.*ECONNREFUSED.*\\); retrying`));
      const waiting = await getJson(`${http}/health`);
      expect(waiting.status).toBe(503);
      expect(waiting.body).toMatchObject({
        status: 'loading',
        kafka: { up: false, detail: expect.stringMatching(/unreachable .*ECONNREFUSED/) },
      });

      broker = await startBroker({ port, dataDir, log: quiet });
      producer = await startTestProducer([broker.bootstrap], 'ticks', 2000, 60);
      await edge.ready;
      await expect.poll(async () => (await getJson(`${http}/health`)).status, { timeout: 20_000 }).toBe(200);
      expect((await getJson(`${http}/health`)).body).toMatchObject({ kafka: { up: true } });
    } finally {
      await edge.stop();
      await producer?.stop();
      await broker?.close();
    }
  }, 60_000);
});
