import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBroker } from '@tickstream/broker';
import { type EdgeGroup, haproxyVersion, startEdgeGroup } from '@tickstream/edge';
import { ErrorCode } from '@tickstream/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../broker/src/testing/until.js';
import { type ApiSymbol, getJson, quiet, startTestProducer } from '../../edge/src/testing/system.js';
import type { TestClient } from '../../edge/src/testing/test-client.js';
import type { RunningProducer } from '../../producer/dist/index.js';
import { MovingClient } from './testing/moving-client.js';

// The real entry point, as `up --edges N` runs each edge (built by `npm install`'s prepare step).
const bin = fileURLToPath(new URL('../bin/tickstream.js', import.meta.url));
const haproxy = haproxyVersion();
const CLIENTS = 200;
const SYMBOLS = 120;
const log = process.env.TICKSTREAM_TEST_LOG === '1' ? (line: string) => process.stderr.write(`${line}\n`) : quiet;

if (haproxy === null)
  process.stderr.write('scale-out test skipped: haproxy is not installed (apt-get install haproxy)\n');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
type ErrorFrame = Extract<TestClient['frames'][number], { type: 'error' }>;

function errorsSince(client: TestClient, from: number, message: RegExp): ErrorFrame[] {
  return client.frames
    .slice(from)
    .filter((frame): frame is ErrorFrame => frame.type === 'error' && message.test(frame.message));
}

async function balancerStatus(port: number): Promise<Record<string, string>> {
  const csv = await (await fetch(`http://127.0.0.1:${port}/haproxy/stats;csv`)).text();
  const status: Record<string, string> = {};
  for (const line of csv.split('\n')) {
    const [proxy, server, ...fields] = line.split(',');
    if (proxy === 'edges' && server && server !== 'BACKEND') status[server] = fields[15] ?? '';
  }
  return status;
}

async function healthStatus(port: number): Promise<number> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/health`)).status;
  } catch {
    return 0;
  }
}

// `up --edges 2` as the library runs it: two edge processes behind HAProxy, on the embedded broker.
describe.skipIf(haproxy === null)('scale-out: edges behind HAProxy', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tickstream-scale-out-'));
  let broker: Awaited<ReturnType<typeof startBroker>>;
  let brokerPort: number;
  let producer: RunningProducer;
  let group: EdgeGroup;
  let url: string;
  const clients: MovingClient[] = [];

  beforeAll(async () => {
    broker = await startBroker({ port: 0, dataDir: join(dataDir, 'broker'), log: quiet });
    brokerPort = Number(broker.bootstrap.split(':')[1]);
    producer = await startTestProducer([broker.bootstrap], 'ticks', 2000, SYMBOLS);
    group = await startEdgeGroup({
      edges: 2,
      host: '127.0.0.1',
      port: await freePort(),
      edgePort: () => 0,
      edgeId: (index) => `test-edge-${index + 1}`,
      // The whole topic as history, so an edge restarted mid-test holds what the others hold.
      edgeCommand: [process.execPath, bin, 'edge', '--brokers', broker.bootstrap, '--history', '1h'],
      dataDir: join(dataDir, 'haproxy'),
      checkIntervalMs: 250,
      maxConnections: 2000,
      log,
    });
    await group.healthy(30_000);
    await until(
      async () => Object.values(await balancerStatus(group.port)).every((status) => status === 'UP'),
      10_000,
      'HAProxy to see both edges up',
    );
    // An edge is healthy once its history is loaded, which may be before the producer's rarer
    // symbols have ticked once: the tests below want every symbol known to both.
    await until(
      async () =>
        (
          await Promise.all(
            group.edges.map(
              async (edge) =>
                ((await getJson(`http://127.0.0.1:${edge.port}/health`)).body as { symbols: number }).symbols,
            ),
          )
        ).every((symbols) => symbols === SYMBOLS),
      15_000,
      `both edges to know all ${SYMBOLS} symbols`,
    );
    url = `ws://127.0.0.1:${group.port}/ws`;
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await group?.stop();
    await producer?.stop();
    await broker?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('moves every client of a killed edge to the other within 2 s; each sees the new epoch and resyncs', async () => {
    const { body } = await getJson(`http://127.0.0.1:${group.port}/api/symbols`);
    const names = (body as { symbols: ApiSymbol[] }).symbols.map((symbol) => symbol.name).sort();
    expect(names.length).toBe(SYMBOLS);
    // '*' and four pages of 30: shared channels, as dashboards subscribe.
    const pages = [['*'], ...[0, 1, 2, 3].map((page) => names.slice(page * 30, page * 30 + 30))];
    for (let i = 0; i < CLIENTS; i++) clients.push(new MovingClient(url, pages[i % pages.length] as string[]));
    for (let i = 0; i < CLIENTS; i += 50) await Promise.all(clients.slice(i, i + 50).map((client) => client.open()));

    const [first, second] = group.edges;
    if (!first || !second) throw new Error('two edges expected');
    const onFirst = clients.filter((client) => client.edgeId === first.id);
    const onSecond = clients.filter((client) => client.edgeId === second.id);
    expect(onFirst.length + onSecond.length).toBe(CLIENTS);
    // leastconn spreads them; both edges must have a real share.
    expect(Math.min(onFirst.length, onSecond.length)).toBeGreaterThan(CLIENTS / 4);
    const secondSockets = new Map(onSecond.map((client) => [client, client.client]));

    const killedAt = Date.now();
    await group.kill(0);
    await until(
      () => onFirst.every((client) => client.edgeId === second.id && client.syncedAtMs > killedAt),
      5_000,
      `${onFirst.length} clients to resync on ${second.id}`,
    );
    const slowest = Math.max(...onFirst.map((client) => client.syncedAtMs)) - killedAt;
    process.stderr.write(`scale-out: ${onFirst.length} clients moved and resynced in ${slowest} ms\n`);
    expect(slowest).toBeLessThan(2000);
    for (const client of onFirst) {
      expect(client.epochs.length).toBe(2);
      expect(client.epochs[1]).not.toBe(client.epochs[0]);
    }
    // The others never noticed.
    for (const client of onSecond) expect(client.client).toBe(secondSockets.get(client));

    // Back on its port with a new epoch; the balancer takes it in again once /health says 200.
    await group.restart(0);
    await group.healthy(30_000);
    await until(
      async () => (await balancerStatus(group.port))[first.id] === 'UP',
      10_000,
      'HAProxy to take the restarted edge back',
    );
  }, 60_000);

  it('tells every client when Kafka goes away and comes back; edges answer 503, then recover by themselves', async () => {
    expect(clients.length).toBe(CLIENTS);
    const from = new Map(clients.map((client) => [client, client.client.frames.length]));
    const sockets = new Map(clients.map((client) => [client, client.client]));
    await broker.close();
    try {
      await until(
        async () => (await Promise.all(group.edges.map((edge) => healthStatus(edge.port)))).every((s) => s === 503),
        15_000,
        'every edge to answer /health 503',
      );
      await until(
        () => clients.every((client) => errorsSince(client.client, from.get(client) ?? 0, /Kafka unavailable/).length),
        10_000,
        'every client to be told Kafka is unavailable',
      );
      // The balancer has taken them out: no new client is sent to an edge without Kafka.
      await until(
        async () => Object.values(await balancerStatus(group.port)).every((status) => status.startsWith('DOWN')),
        5_000,
        'HAProxy to mark both edges down',
      );
    } finally {
      broker = await startBroker({ port: brokerPort, dataDir: join(dataDir, 'broker'), log: quiet });
    }
    await until(
      () => clients.every((client) => errorsSince(client.client, from.get(client) ?? 0, /Kafka is back/).length),
      30_000,
      'every client to be told Kafka is back',
    );
    for (const client of clients) {
      const errors = errorsSince(client.client, from.get(client) ?? 0, /Kafka/);
      expect(errors.every((error) => error.code === ErrorCode.KafkaUnavailable)).toBe(true);
      // Told on the connection it had: the outage moved nobody.
      expect(client.client).toBe(sockets.get(client));
    }
    await group.healthy(30_000);
  }, 90_000);

  it('ends with every client, moved or not, holding what a fresh Snapshot holds', async () => {
    expect(clients.length).toBe(CLIENTS);
    await producer.stop();
    // Quiet: both edges have applied the same ticks and stopped counting.
    let previous = '';
    await until(
      async () => {
        const ticks = await Promise.all(
          group.edges.map(
            async (edge) => ((await getJson(`http://127.0.0.1:${edge.port}/health`)).body as { ticks: number }).ticks,
          ),
        );
        const now = ticks.join(',');
        const settled = now === previous && ticks.every((count) => count === ticks[0]);
        previous = now;
        if (!settled) await sleep(250);
        return settled;
      },
      20_000,
      'both edges to apply the same ticks and go quiet',
    );
    await sleep(200); // the last window's Deltas
    const fresh = await Promise.all(
      group.edges.map(async (edge) => {
        const reference = new MovingClient(`ws://127.0.0.1:${edge.port}/ws`, ['*']);
        await reference.open();
        reference.close();
        return reference.quotes();
      }),
    );
    expect(fresh[0]?.size).toBe(SYMBOLS);
    expect(fresh[1]).toEqual(fresh[0]);
    const reference = fresh[0] ?? new Map();
    let compared = 0;
    for (const client of clients) {
      await client.client.until(() => !client.client.awaitingSnapshot, 5_000, 'a pending resync');
      const quotes = client.quotes();
      expect(quotes.size).toBe(client.symbols[0] === '*' ? 120 : 30);
      for (const [name, quote] of quotes) {
        expect(quote, `${name} at a client of ${client.edgeId}`).toEqual(reference.get(name));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(CLIENTS * 30);
    const resyncs = clients.reduce((sum, client) => sum + client.client.resyncs, 0);
    process.stderr.write(
      `scale-out: ${CLIENTS} clients, ${compared} quotes equal to a fresh Snapshot, ${resyncs} gap resyncs\n`,
    );
  }, 60_000);
});
