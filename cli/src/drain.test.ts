import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBroker } from '@tickstream/broker';
import { type EdgeGroup, haproxyVersion, startEdgeGroup } from '@tickstream/edge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestCertificates, type TestCertificates } from '../../broker/src/testing/certificates.js';
import { until } from '../../broker/src/testing/until.js';
import { getJson, quiet, startTestProducer } from '../../edge/src/testing/system.js';
import type { RunningProducer } from '../../producer/dist/index.js';
import { MovingClient } from './testing/moving-client.js';

// SIGTERM on one of two edges behind HAProxy, as `up --edges 2 --tls-cert … --tls-key …` runs
// them (TLS ends at HAProxy): the edge turns unready, HAProxy stops sending it clients, and its
// clients are told 1012 and move to the other edge through the balancer without one refused
// connection, resyncing from a Snapshot of the new epoch (docs/operations.md, "Health and drain").
const bin = fileURLToPath(new URL('../bin/tickstream.js', import.meta.url));
const haproxy = haproxyVersion();
const CLIENTS = 100;
const SYMBOLS = 60;
const DRAIN_DELAY_MS = 1000;
const DRAIN_TIME_MS = 2000;
const log = process.env.TICKSTREAM_TEST_LOG === '1' ? (line: string) => process.stderr.write(`${line}\n`) : quiet;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

if (haproxy === null) process.stderr.write('drain test skipped: haproxy is not installed (apt-get install haproxy)\n');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** GET over TLS trusting only the test CA (fetch has no per-request CA). */
function httpsText(url: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request(url, { ca }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve(body));
    })
      .on('error', reject)
      .end();
  });
}

describe.skipIf(haproxy === null)('drain on SIGTERM behind HAProxy (TLS at the balancer)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tickstream-drain-'));
  let certificates: TestCertificates;
  let ca: string;
  let broker: Awaited<ReturnType<typeof startBroker>>;
  let producer: RunningProducer;
  let group: EdgeGroup;
  const clients: MovingClient[] = [];

  const balancerStatus = async (): Promise<Record<string, string>> => {
    const csv = await httpsText(`https://127.0.0.1:${group.port}/haproxy/stats;csv`, ca);
    const status: Record<string, string> = {};
    for (const line of csv.split('\n')) {
      const [proxy, server, ...fields] = line.split(',');
      if (proxy === 'edges' && server && server !== 'BACKEND') status[server] = fields[15] ?? '';
    }
    return status;
  };

  beforeAll(async () => {
    certificates = makeTestCertificates();
    ca = readFileSync(certificates.caFile, 'utf8');
    broker = await startBroker({ port: 0, dataDir: join(dataDir, 'broker'), log: quiet });
    producer = await startTestProducer([broker.bootstrap], 'ticks', 2000, SYMBOLS);
    group = await startEdgeGroup({
      edges: 2,
      host: '127.0.0.1',
      port: await freePort(),
      edgePort: () => 0,
      edgeId: (index) => `drain-edge-${index + 1}`,
      edgeCommand: [process.execPath, bin, 'edge', '--brokers', broker.bootstrap, '--history', '1h'].concat([
        '--drain-delay',
        `${DRAIN_DELAY_MS}ms`,
        '--drain-time',
        `${DRAIN_TIME_MS}ms`,
      ]),
      dataDir: join(dataDir, 'haproxy'),
      tls: { certFile: certificates.certFile, keyFile: certificates.keyFile },
      checkIntervalMs: 250,
      maxConnections: 1000,
      log,
    });
    await group.healthy(30_000);
    await until(
      async () => Object.values(await balancerStatus()).every((status) => status === 'UP'),
      10_000,
      'HAProxy to see both edges up',
    );
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
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await group?.stop();
    await producer?.stop();
    await broker?.close();
    certificates?.remove();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('moves every client of the draining edge to the other, none refused, each resynced on the new epoch', async () => {
    const url = `wss://127.0.0.1:${group.port}/ws`;
    for (let i = 0; i < CLIENTS; i++) clients.push(new MovingClient(url, i % 2 ? ['*'] : ['AAPL', 'MSFT'], ca));
    for (let i = 0; i < CLIENTS; i += 25) await Promise.all(clients.slice(i, i + 25).map((client) => client.open()));
    const [first, second] = group.edges;
    if (!first || !second) throw new Error('two edges expected');
    const onFirst = clients.filter((client) => client.edgeId === first.id);
    const onSecond = clients.filter((client) => client.edgeId === second.id);
    expect(Math.min(onFirst.length, onSecond.length)).toBeGreaterThan(CLIENTS / 4);
    const secondSockets = new Map(onSecond.map((client) => [client, client.client]));
    for (const client of clients) expect(client.failedAttempts).toBe(0);

    const termAt = Date.now();
    const stopped = group.kill(0, 'SIGTERM');
    // Unready at once: HAProxy takes it out within two checks, while its clients are still on it.
    await until(
      async () => (await balancerStatus())[first.id]?.startsWith('DOWN') ?? false,
      2_000,
      'HAProxy to mark it down',
    );
    const markedDownMs = Date.now() - termAt;
    expect(onFirst.every((client) => client.moves.length === 0)).toBe(true);
    await stopped;
    const exitedMs = Date.now() - termAt;
    await until(
      () => onFirst.every((client) => client.edgeId === second.id && (client.moves.at(-1)?.syncedAtMs ?? 0) > 0),
      5_000,
      `${onFirst.length} clients to resync on ${second.id}`,
    );

    const moves = onFirst.map((client) => client.moves.at(-1) ?? { lostAtMs: 0, syncedAtMs: 0, closeCode: 0 });
    const gaps = moves.map((move) => move.syncedAtMs - move.lostAtMs).sort((a, b) => a - b);
    const firstClose = Math.min(...moves.map((move) => move.lostAtMs)) - termAt;
    const lastClose = Math.max(...moves.map((move) => move.lostAtMs)) - termAt;
    process.stderr.write(
      `drain: marked down after ${markedDownMs} ms; ${onFirst.length} clients closed from ${firstClose} to ${lastClose} ms, ` +
        `each back with a Snapshot in p50 ${gaps[Math.floor(gaps.length / 2)]} ms, max ${gaps.at(-1)} ms; edge exited after ${exitedMs} ms\n`,
    );
    for (const client of onFirst) {
      expect(client.moves.map((move) => move.closeCode)).toEqual([1012]);
      expect(client.failedAttempts).toBe(0); // no refusal, no retry: HAProxy never sent it to the draining edge
      expect(client.epochs.length).toBe(2);
      expect(client.epochs[1]).not.toBe(client.epochs[0]);
    }
    // Told only after the delay, spread over the window, and the process bounded by both.
    expect(firstClose).toBeGreaterThanOrEqual(DRAIN_DELAY_MS);
    expect(lastClose - firstClose).toBeGreaterThan(DRAIN_TIME_MS / 2);
    expect(exitedMs).toBeLessThan(DRAIN_DELAY_MS + DRAIN_TIME_MS + 4_000);
    expect(gaps.at(-1)).toBeLessThan(1_500);
    for (const client of onSecond) expect(client.client).toBe(secondSockets.get(client));

    // No data lost in the move: once the market is quiet, every client holds a fresh Snapshot's state.
    await producer.stop();
    let previous = '';
    await until(
      async () => {
        const now = JSON.stringify((await getJson(`http://127.0.0.1:${second.port}/health`)).body);
        const ticks = /"ticks":(\d+)/.exec(now)?.[1] ?? '';
        const settled = ticks === previous;
        previous = ticks;
        if (!settled) await sleep(250);
        return settled;
      },
      20_000,
      'the remaining edge to go quiet',
    );
    await sleep(200);
    const reference = new MovingClient(`wss://127.0.0.1:${group.port}/ws`, ['*'], ca);
    await reference.open();
    const fresh = reference.quotes();
    reference.close();
    expect(fresh.size).toBe(SYMBOLS);
    for (const client of clients) {
      await client.client.until(() => !client.client.awaitingSnapshot, 5_000, 'a pending resync');
      for (const [name, quote] of client.quotes()) expect(quote, name).toEqual(fresh.get(name));
    }
  }, 90_000);
});
