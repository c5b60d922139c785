import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  selectedBackend,
  startTestKafka,
  type TestKafka,
  uniqueName,
} from '../../../broker/src/testing/kafka-backend.js';
import type { RunningEdge } from '../../../edge/src/edge.js';
import { type ApiSymbol, getJson, startTestEdge, startTestProducer } from '../../../edge/src/testing/system.js';
import type { RunningProducer } from '../../../producer/dist/index.js';
import { TcpProxy } from '../testing/tcp-proxy.js';
import { Engine } from './engine.js';
import type { SocketConstructor } from './feed-connection.js';
import type { ConnectionStatus } from './feed-protocol.js';
import { ROW, ROW_WIDTH } from './feed-protocol.js';
import { localFeed } from './local-feed.js';

const until = async (what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

// The engine exactly as the browser runs it, minus the Worker: a real broker, the real
// producer and a real edge; `ws` stands in for the browser's WebSocket.
describe(`dashboard engine against a real edge (${selectedBackend()} backend)`, () => {
  let kafka: TestKafka;
  let producer: RunningProducer;
  let edge: RunningEdge;
  let topic: string;
  let port: number;
  let proxy: TcpProxy;
  let engine: Engine;
  const statuses: ConnectionStatus[] = [];
  const logs: string[] = [];

  beforeAll(async () => {
    kafka = await startTestKafka();
    topic = uniqueName('dashboard-ticks');
    producer = await startTestProducer(kafka.brokers, topic, 3000, 60);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    edge = await startTestEdge(kafka.brokers, topic);
    // The engine talks to a fixed address, so the edge behind it can die and come back.
    proxy = new TcpProxy(edge.port);
    port = await proxy.listen();
    engine = new Engine({
      url: `ws://127.0.0.1:${port}/ws`,
      httpBase: `http://127.0.0.1:${port}`,
      createFeed: localFeed(WebSocket as unknown as SocketConstructor, { reconnectBaseMs: 100, reconnectMaxMs: 500 }),
      requestFrame: (callback) => setTimeout(callback, 16),
    });
    engine.on('status', (status) => statuses.push(status));
    engine.on('log', (entry) => logs.push(`${entry.kind}: ${entry.message}`));
    engine.start();
  }, 240_000);

  afterAll(async () => {
    engine?.stop();
    await proxy?.close();
    await edge?.stop();
    await producer?.stop();
    await kafka?.close();
  }, 60_000);

  it('goes live with every symbol from the Snapshot, then applies Deltas each frame', async () => {
    await until('live', () => engine.status === 'live' && engine.book.size === 60);
    expect(statuses[0]).toBe('connecting');
    const applied = engine.meter.appliedUpdates;
    await until('100 more applied updates', () => engine.meter.appliedUpdates >= applied + 100);
    const aapl = engine.book.idOf('AAPL');
    expect(aapl).toBeDefined();
    const row = engine.book.rows.subarray((aapl as number) * ROW_WIDTH, ((aapl as number) + 1) * ROW_WIDTH);
    expect(row[ROW.bid]).toBeLessThan(row[ROW.ask] as number);
    expect(row[ROW.ticks]).toBeGreaterThan(0);
    expect(engine.counters?.deltas).toBeGreaterThan(0);
    expect(engine.counters?.protocolErrors).toBe(0);
  });

  it('measures rates, compression and tick-to-render latency once a second', async () => {
    const samples: number[] = [];
    const off = engine.on('sample', (sample) => {
      samples.push(sample.updatesPerS);
      // Small Deltas (under 128 bytes) go out uncompressed: the ratio is about 1 for 60 symbols.
      expect(sample.compressionRatio).toBeGreaterThan(0.9);
      expect(sample.latencyP50Ms).toBeGreaterThan(0);
      expect(sample.latencyP50Ms).toBeLessThan(1000);
    });
    await until('two samples', () => samples.length >= 2, 5000);
    off();
    expect(Math.max(...samples)).toBeGreaterThan(100);
  });

  it('resyncs after a lost Delta: a gap, a Resync, a Snapshot, and live again', async () => {
    const before = engine.counters?.resyncs ?? 0;
    engine.dropNextDelta();
    await until('a resync', () => (engine.counters?.resyncs ?? 0) > before);
    await until('the resync Snapshot', () => logs.some((line) => line.startsWith('resync: resynced')));
    expect(logs.some((line) => line.startsWith('resync: gap'))).toBe(true);
    const deltas = engine.counters?.deltas ?? 0;
    await until('Deltas after the resync', () => (engine.counters?.deltas ?? 0) > deltas + 5);
    expect(engine.status).toBe('live');
  });

  it('follows one symbol’s candles: history from /api/candles, then live bars', async () => {
    const handle = engine.openSeries('AAPL', '1s');
    const series = handle.series;
    await until('history', () => series.bars.length > 0);
    expect(handle.problem).toBe('');
    const first = series.bars.length;
    for (const bar of series.bars) {
      expect(bar.low).toBeLessThanOrEqual(Math.min(bar.open, bar.close));
      expect(bar.high).toBeGreaterThanOrEqual(Math.max(bar.open, bar.close));
    }
    await until('a new live 1s bar', () => series.bars.length > first, 5000);
    const starts = series.bars.map((bar) => bar.startTimeUs);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    expect(new Set(starts).size).toBe(starts.length);
    handle.close();
  });

  it('keeps a volume profile of the bars asked for, summing their volume', async () => {
    const handle = engine.openSeries('MSFT', '1s');
    await until('history', () => handle.series.bars.length >= 3);
    const bars = handle.series.bars;
    const fromUs = (bars[0] as { startTimeUs: number }).startTimeUs;
    const toUs = (bars.at(-1) as { startTimeUs: number }).startTimeUs + 1e6;
    handle.requestProfile(fromUs, toUs, 24);
    await until('a profile', () => handle.profile !== null);
    const profile = handle.profile as NonNullable<typeof handle.profile>;
    expect(profile.volumes.length).toBe(24);
    const inRange = handle.series.bars.filter((bar) => bar.startTimeUs >= fromUs && bar.startTimeUs < toUs);
    const lows = Math.min(...inRange.map((bar) => bar.low));
    expect(profile.low).toBe(lows);
    const total = profile.volumes.reduce((sum, v) => sum + v, 0);
    // The profile was computed from the bars the worker held then; the last may have grown since.
    expect(total).toBeGreaterThan(0);
    expect(total).toBeLessThanOrEqual(inRange.reduce((sum, bar) => sum + bar.volume, 0) + 1e-6);
    handle.close();
  });

  it('reconnects on request (Ctrl+R) without losing its place', async () => {
    const before = engine.counters?.reconnects ?? 0;
    engine.reconnect();
    await until('a reconnect', () => (engine.counters?.reconnects ?? 0) > before);
    await until('live', () => engine.status === 'live');
  });

  it('says reconnecting while the edge is gone and recovers on a new epoch when it returns', async () => {
    const epoch = engine.book.epoch;
    statuses.length = 0;
    await edge.stop();
    proxy.dropConnections();
    const stoppedAt = Date.now();
    await until('reconnecting', () => engine.status === 'reconnecting');
    await new Promise((resolve) => setTimeout(resolve, 700));
    edge = await startTestEdge(kafka.brokers, topic);
    proxy.targetPort = edge.port;
    await until('live again', () => engine.status === 'live' && engine.book.epoch !== epoch, 20_000);
    console.log(`edge back after ${Date.now() - stoppedAt} ms`);
    expect(statuses).toContain('reconnecting');
    expect(logs.some((line) => line.includes('new epoch'))).toBe(true);
  });

  it('ends up with exactly the edge’s state once the market is quiet', async () => {
    const deltas = engine.counters?.deltas ?? 0;
    await until('Deltas on the new edge', () => (engine.counters?.deltas ?? 0) > deltas + 10);
    await producer.stop();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const { body } = await getJson(`http://127.0.0.1:${port}/api/symbols`);
    const symbols = (body as { symbols: ApiSymbol[] }).symbols;
    expect(symbols.length).toBe(60);
    for (const symbol of symbols) {
      const o = symbol.id * ROW_WIDTH;
      const rows = engine.book.rows;
      expect(engine.book.names[symbol.id]).toBe(symbol.name);
      expect([
        rows[o + ROW.last],
        rows[o + ROW.bid],
        rows[o + ROW.ask],
        rows[o + ROW.volume],
        rows[o + ROW.ticks],
      ]).toEqual([symbol.last, symbol.bid, symbol.ask, symbol.volume, symbol.ticks]);
    }
  });
});
