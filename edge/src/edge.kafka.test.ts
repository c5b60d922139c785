import { ErrorCode, encodeFrame, Timeframe } from '@tickstream/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectedBackend, startTestKafka, type TestKafka, uniqueName } from '../../broker/src/testing/kafka-backend.js';
import type { RunningProducer } from '../../producer/dist/index.js';
import { createToken } from './auth-token.js';
import type { RunningEdge } from './edge.js';
import { type ApiSymbol, getJson, startTestEdge, startTestProducer } from './testing/system.js';
import { frameOptions, TestClient } from './testing/test-client.js';

// A real broker, the real producer and a real edge; clients are real WebSockets.
describe(`edge (${selectedBackend()} backend)`, () => {
  let kafka: TestKafka;
  let producer: RunningProducer;
  let edge: RunningEdge;
  let topic: string;
  let url: string;
  let http: string;
  const clients: TestClient[] = [];
  const connect = async (query = ''): Promise<TestClient> => {
    const client = await TestClient.connect(`${url}${query}`);
    clients.push(client);
    await client.next('hello');
    return client;
  };

  beforeAll(async () => {
    kafka = await startTestKafka();
    topic = uniqueName('edge-ticks');
    producer = await startTestProducer(kafka.brokers, topic);
    // Let the producer write some history first: the edge must load it before serving.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    edge = await startTestEdge(kafka.brokers, topic, { maxSymbolsPerSubscription: 40 });
    url = `ws://127.0.0.1:${edge.port}/ws`;
    http = `http://127.0.0.1:${edge.port}`;
  }, 240_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await edge?.stop();
    await producer?.stop();
    await kafka?.close();
  }, 60_000);

  it('loads history before serving: the first Snapshot already has prices, and candles exist', async () => {
    const client = await connect();
    client.send({ type: 'subscribe', symbols: ['AAPL', 'MSFT'], sectors: [] });
    const snapshot = await client.next('snapshot');
    expect(snapshot.symbols.map((s) => s.name).sort()).toEqual(['AAPL', 'MSFT']);
    for (const quote of snapshot.quotes) {
      expect(quote.ticks).toBeGreaterThan(0);
      expect(quote.bid).toBeLessThan(quote.ask);
      expect(quote.low).toBeLessThanOrEqual(quote.last);
      expect(quote.high).toBeGreaterThanOrEqual(quote.last);
    }
    const candles = await getJson(`${http}/api/candles?symbol=AAPL&tf=1s&limit=5`);
    expect(candles.status).toBe(200);
    expect((candles.body as { bars: unknown[] }).bars.length).toBeGreaterThan(0);
  });

  it('sends a Snapshot then Deltas whose application equals the edge’s own state', async () => {
    const client = await connect();
    client.send({ type: 'subscribe', symbols: [], sectors: ['Technology'] });
    await client.next('snapshot');
    await client.until(() => client.deltasApplied >= 20, 15_000, '20 Deltas');
    // Compare at a quiet moment: stop the ticks, let the last window go out, then read the edge.
    await producer.stop();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const { body } = await getJson(`${http}/api/symbols`);
    const symbols = (body as { symbols: ApiSymbol[] }).symbols.filter((s) => s.sector === 'Technology');
    expect(symbols.length).toBeGreaterThan(0);
    for (const symbol of symbols) {
      expect(client.names.get(symbol.id)).toBe(symbol.name);
      const mine = client.table.row(symbol.id);
      expect({ ...mine, id: symbol.id }).toEqual({
        id: symbol.id,
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
    expect(client.resyncs).toBe(0);
    producer = await startTestProducer(kafka.brokers, topic);
  }, 30_000);

  it('resyncs a client that missed a Delta: the gap is seen and a fresh Snapshot replaces its state', async () => {
    const client = await connect();
    client.send({ type: 'subscribe', symbols: ['*'], sectors: [] });
    // `*` covers more than this edge's limit of 40: refused, and the client keeps its (empty) subscription.
    const refusal = await client.next('error');
    expect(refusal.code).toBe(ErrorCode.TooManySymbols);
    client.send({ type: 'subscribe', symbols: ['AAPL', 'GOOGL', 'AMZN', 'TSLA', 'MSFT'], sectors: [] });
    await client.next('snapshot');
    await client.until(() => client.deltasApplied >= 3, 10_000, 'Deltas');
    const snapshotsBefore = client.frames.filter((f) => f.type === 'snapshot').length;
    client.dropNextDelta();
    await client.until(() => client.resyncs === 1, 10_000, 'a resync');
    await client.until(
      () => client.frames.filter((f) => f.type === 'snapshot').length === snapshotsBefore + 1,
      10_000,
      'the Snapshot answering Resync',
    );
    const applied = client.deltasApplied;
    await client.until(() => client.deltasApplied > applied + 3, 10_000, 'Deltas after the resync');
    expect(client.resyncs).toBe(1);
  });

  it('answers every kind of malformed input with its error code and keeps the socket open', async () => {
    const client = await connect();
    const cases: { send: Uint8Array | string; code: ErrorCode }[] = [
      { send: 'subscribe AAPL', code: ErrorCode.MalformedFrame },
      { send: new Uint8Array([]), code: ErrorCode.MalformedFrame },
      { send: new Uint8Array([0x20, 1, 2, 3]), code: ErrorCode.MalformedFrame },
      { send: new Uint8Array([0x13, 1, 2, 3]), code: ErrorCode.MalformedFrame },
      { send: new Uint8Array([0x11, 0xff, 0xff, 0xff, 0x7f, 1]), code: ErrorCode.MalformedFrame },
      { send: encodeFrame(new Uint8Array([12, 0, 0, 0, 0, 0]), frameOptions), code: ErrorCode.MalformedFrame },
      { send: new Uint8Array(20_000).fill(0x10, 0, 1), code: ErrorCode.MalformedFrame },
      { send: encodeFrame(unknownUnionClientFrame(), frameOptions), code: ErrorCode.UnknownMessage },
    ];
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The probe sends nothing unasked (no Ping of its own): the only Pong below is the one for 42.
    expect(client.frames.filter((frame) => frame.type === 'pong')).toEqual([]);
    client.skipReceived();
    for (const { send, code } of cases) {
      client.sendRaw(send);
      const error = await client.next('error');
      expect(error.code, `${error.message} (for ${typeof send === 'string' ? send : `${send.length} bytes`})`).toBe(
        code,
      );
      expect(error.message.length).toBeGreaterThan(10);
    }
    client.send({ type: 'subscribe', symbols: ['NOPE'], sectors: [] });
    expect((await client.next('error')).code).toBe(ErrorCode.UnknownSymbol);
    client.send({ type: 'subscribe', symbols: [], sectors: ['Astrology'] });
    expect((await client.next('error')).code).toBe(ErrorCode.UnknownSymbol);
    client.send({ type: 'candle-subscribe', symbol: 'NOPE', timeframe: Timeframe.M1, limit: 10 });
    expect((await client.next('error')).code).toBe(ErrorCode.UnknownSymbol);
    client.send({ type: 'ping', clientTimeUs: 42 });
    const pong = await client.next('pong');
    expect(pong.clientTimeUs).toBe(42);
    expect(client.closeCode).toBeNull();
  });

  it('sends candle history, then the newest bars as they change', async () => {
    const client = await connect();
    client.send({ type: 'subscribe', symbols: ['AAPL'], sectors: [] });
    const snapshot = await client.next('snapshot');
    const aaplId = snapshot.symbols[0]?.id;
    client.send({ type: 'candle-subscribe', symbol: 'AAPL', timeframe: Timeframe.S1, limit: 50 });
    const history = await client.next('candles');
    expect(history.symbolId).toBe(aaplId);
    expect(history.bars.length).toBeGreaterThan(0);
    for (let i = 1; i < history.bars.length; i++) {
      expect(history.bars[i]?.startTimeUs).toBeGreaterThan(history.bars[i - 1]?.startTimeUs as number);
    }
    client.skipReceived();
    const update = await client.next('candles');
    expect(update.bars.length).toBeGreaterThanOrEqual(1);
    expect(update.bars.length).toBeLessThanOrEqual(2);
    const bar = update.bars.at(-1);
    expect(bar && bar.low <= bar.open && bar.open <= bar.high && bar.low <= bar.close && bar.close <= bar.high).toBe(
      true,
    );
  });

  it('rate-limits a flooding client with Error 5, then closes it when the flood goes on', async () => {
    const client = await connect();
    for (let i = 0; i < 150; i++) client.send({ type: 'ping', clientTimeUs: i });
    await client.until(() => client.errors().some((e) => e.code === ErrorCode.RateLimited), 5000, 'Error 5');
    for (let i = 0; i < 400; i++) client.send({ type: 'ping', clientTimeUs: i });
    await client.until(() => client.closeCode !== null, 5000, 'the close');
    expect(client.closeCode).toBe(4029);
  });

  it('answers bad HTTP input with 400 and a message; /health, /metrics and /api/symbols answer', async () => {
    for (const query of [
      '',
      '?symbol=NOPE',
      '?symbol=AAPL&tf=7m',
      '?symbol=AAPL&tf=1m&limit=0',
      '?symbol=AAPL&tf=1m&limit=abc',
    ]) {
      const { status, body } = await getJson(`${http}/api/candles${query}`);
      expect(status, query).toBe(400);
      expect((body as { error: string }).error.length).toBeGreaterThan(10);
    }
    const health = await getJson(`${http}/health`);
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', kafka: { up: true } });
    const metrics = await (await fetch(`${http}/metrics`)).text();
    for (const name of [
      'tickstream_edge_connections',
      'tickstream_edge_frames_sent_total',
      'tickstream_edge_ticks_consumed_total',
      'tickstream_edge_consumer_lag',
      'tickstream_edge_window_seconds_bucket',
      'tickstream_edge_tick_to_send_seconds_bucket',
    ]) {
      expect(metrics).toContain(name);
    }
    const symbols = await getJson(`${http}/api/symbols`);
    expect((symbols.body as { symbols: ApiSymbol[] }).symbols.length).toBe(60);
  });

  describe('with --auth-secret and --allowed-origins', () => {
    let secured: RunningEdge;
    beforeAll(async () => {
      secured = await startTestEdge(kafka.brokers, topic, {
        authSecret: 's3cret',
        allowedOrigins: ['https://dash.example'],
        historyMs: 0,
      });
    }, 60_000);
    afterAll(() => secured?.stop());

    it('accepts a valid token and refuses missing, forged and expired ones, and other origins', async () => {
      const base = `ws://127.0.0.1:${secured.port}/ws`;
      await expect(TestClient.connect(base)).rejects.toThrow(/401: this edge needs a token/);
      const forged = await createToken({ secret: 'wrong', user: 'x', role: 'viewer', ttlSeconds: 60 });
      await expect(TestClient.connect(`${base}?token=${forged}`)).rejects.toThrow(/401: token signature/);
      const expired = await createToken({
        secret: 's3cret',
        user: 'x',
        role: 'viewer',
        ttlSeconds: 60,
        nowMs: Date.now() - 120_000,
      });
      await expect(TestClient.connect(`${base}?token=${expired}`)).rejects.toThrow(/401: token expired/);
      const good = `${base}?token=${await createToken({ secret: 's3cret', user: 'x', role: 'viewer', ttlSeconds: 60 })}`;
      await expect(TestClient.connect(good, { Origin: 'https://evil.example' })).rejects.toThrow(/403: origin/);
      const client = await TestClient.connect(good, { Origin: 'https://dash.example' });
      clients.push(client);
      expect((await client.next('hello')).type).toBe('hello');
    });
  });

  // Last: it stops the producer. With clients connected, a quiet market costs no window (and no timer).
  it('runs no window while nothing changes, and windows again once ticks come', async () => {
    const windows = async (): Promise<number> => {
      const text = await (await fetch(`${http}/metrics`)).text();
      return Number(/^tickstream_edge_window_seconds_count (\d+)$/m.exec(text)?.[1] ?? Number.NaN);
    };
    const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
    await connect();
    await producer.stop();
    await sleep(1500); // the last ticks read and published
    const quiet = await windows();
    await sleep(1000);
    expect(await windows()).toBe(quiet);
    const again = await startTestProducer(kafka.brokers, topic);
    try {
      await sleep(1500);
      expect(await windows()).toBeGreaterThan(quiet + 5);
    } finally {
      await again.stop();
    }
  });
});

/** A ClientFrame whose union type (99) no edge knows. */
function unknownUnionClientFrame(): Uint8Array {
  // root → table at 12; vtable: 8 bytes, table 10 bytes, slot 0 (type) at +9, slot 1 (value) at +4.
  return new Uint8Array([
    12, 0, 0, 0, 8, 0, 10, 0, 9, 0, 4, 0, 8, 0, 0, 0, 12, 0, 0, 0, 0, 99, 6, 0, 8, 0, 4, 0, 6, 0, 0, 0, 0, 0, 0, 0,
  ]);
}
