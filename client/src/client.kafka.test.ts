import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { selectedBackend, startTestKafka, type TestKafka, uniqueName } from '../../broker/src/testing/kafka-backend.js';
import { until } from '../../broker/src/testing/until.js';
import type { RunningEdge } from '../../edge/src/edge.js';
import { type ApiSymbol, getJson, startTestEdge, startTestProducer } from '../../edge/src/testing/system.js';
import { ensureUserTopics, type UserTopicNames, userStateKafka } from '../../edge/src/user-state-kafka.js';
import type { RunningProducer } from '../../producer/dist/index.js';
import { FrameReader, MessageType } from './frame-reader.js';
import { ErrorCode, RequestRefused, TickstreamClient } from './index.js';

/** Whether a server frame is a Delta, read as the client reads it. */
function isDelta(frame: ArrayBuffer | Buffer): boolean {
  const reader = new FrameReader();
  reader.read(
    frame instanceof ArrayBuffer
      ? new Uint8Array(frame)
      : new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength),
  );
  return reader.type === MessageType.Delta;
}

// The SDK against a real edge (real broker, real producer): what it promises beyond the examples.
describe(`TickstreamClient (${selectedBackend()} backend)`, () => {
  let kafka: TestKafka;
  let producer: RunningProducer;
  let edge: RunningEdge;
  let url: string;
  const clients: TickstreamClient[] = [];

  beforeAll(async () => {
    kafka = await startTestKafka();
    const topic = uniqueName('client-ticks');
    const userTopics: UserTopicNames = {
      users: uniqueName('users'),
      alerts: uniqueName('alerts'),
      alertEvents: uniqueName('alert-events'),
    };
    const admin = userStateKafka(kafka.brokers, 'client-test').admin();
    await admin.connect();
    await ensureUserTopics(admin, userTopics, ['users', 'alerts', 'alertEvents']);
    await admin.disconnect();
    producer = await startTestProducer(kafka.brokers, topic, 2000, 30);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // Single-user mode: every connection is the local admin, who may keep alert rules.
    edge = await startTestEdge(kafka.brokers, topic, { userTopics });
    url = `ws://127.0.0.1:${edge.port}/ws`;
    await until(
      async () =>
        ((await getJson(`http://127.0.0.1:${edge.port}/health`)).body as { users: { loaded: boolean } }).users.loaded,
      30_000,
      'the edge to load users and alerts',
    );
  }, 240_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await edge?.stop();
    await producer?.stop();
    await kafka?.close();
  }, 60_000);

  it('heals a lost Delta: says so, resyncs from a Snapshot, and ends equal to the edge’s own state', async () => {
    let dropNext = false;
    let dropped = 0;
    const client = new TickstreamClient({
      url,
      createSocket(target) {
        const socket = new WebSocket(target, { perMessageDeflate: false });
        // Loses one Delta on the way in, as a broken proxy would: the next one after the flag is set.
        // Only a Delta: a pong or an event lost instead would leave no gap to see.
        const original = socket.emit.bind(socket);
        socket.emit = ((event: string, ...args: unknown[]) => {
          if (event === 'message' && dropNext && isDelta(args[0] as ArrayBuffer | Buffer)) {
            dropNext = false;
            dropped++;
            return true;
          }
          return original(event, ...args);
        }) as typeof socket.emit;
        return socket;
      },
    });
    clients.push(client);
    const gaps: [number, number][] = [];
    client.on('gap', (_book, expected, got) => gaps.push([expected, got]));
    client.connect();
    await client.whenLive();
    await until(() => client.live.deltas >= 10, 15_000, '10 Deltas');
    const snapshotsBefore = client.live.snapshots;
    dropNext = true;
    await until(() => gaps.length > 0, 15_000, 'a gap');
    expect(dropped).toBe(1);
    const [expected, got] = gaps[0] as [number, number];
    expect(got).toBeGreaterThan(expected);
    await until(() => client.live.snapshots > snapshotsBefore && client.live.deltas > 20, 15_000, 'the resync');
    expect(client.counters.resyncs).toBe(1);

    await producer.stop();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const { body } = await getJson(`http://127.0.0.1:${edge.port}/api/symbols`);
    const symbols = (body as { symbols: ApiSymbol[] }).symbols;
    expect(symbols.length).toBe(30);
    for (const symbol of symbols) {
      const id = client.live.idOf(symbol.name) as number;
      const { id: _, ...quote } = client.live.quote(id);
      expect(quote, symbol.name).toEqual({
        last: symbol.last,
        bid: symbol.bid,
        ask: symbol.ask,
        open: symbol.open,
        high: symbol.high,
        low: symbol.low,
        volume: symbol.volume,
        ticks: symbol.ticks,
        exchangeTimeUs: symbol.exchangeTimeUs,
      });
    }
  }, 60_000);

  it('answers alert requests as promises, and a refusal as a RequestRefused with the edge’s code and sentence', async () => {
    const client = new TickstreamClient({ url, WebSocket, symbols: [] });
    clients.push(client);
    client.connect();
    await until(() => client.state === 'open', 10_000, 'Hello');
    const created = await client.alerts.create({
      symbol: 'AAPL',
      kind: 'price-above',
      value: 100_000,
      windowMs: 0,
      repeat: false,
      cooldownMs: 0,
      expiresAtMs: 0,
    });
    const rule = created.rules.find((r) => r.value === 100_000);
    expect(rule?.symbol).toBe('AAPL');
    expect((await client.alerts.list()).rules.map((r) => r.id)).toContain(rule?.id);
    const refused = await client.alerts
      .create({ ...(rule as NonNullable<typeof rule>), symbol: 'NOPE' })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RequestRefused);
    expect((refused as RequestRefused).code).toBe(ErrorCode.InvalidAlert);
    expect((refused as RequestRefused).message).toContain('NOPE');
    const deleted = await client.alerts.delete(rule?.id as string);
    expect(deleted.rules.map((r) => r.id)).not.toContain(rule?.id);
  }, 30_000);
});
