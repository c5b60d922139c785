import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectedBackend, startTestKafka, type TestKafka, uniqueName } from '../../broker/src/testing/kafka-backend.js';
import type { RunningProducer } from '../../producer/dist/index.js';
import type { RunningEdge } from './edge.js';
import type { EdgeOptions } from './options.js';
import { startTestEdge, startTestProducer } from './testing/system.js';
import { TestClient } from './testing/test-client.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** An edge under test, with what the tests read of it. */
interface PacedEdge {
  edge: RunningEdge;
  /** Fetches of ticks the edge's Kafka answered so far (tickstream_edge_tick_fetches_total). */
  fetches(): Promise<number>;
  /** A client following every symbol, once its first Delta is in (performance.now() then). */
  follower(): Promise<{ client: TestClient; firstDeltaAt: number }>;
}

// How the edge paces its tick Fetches (docs/edge.md, "Reading Kafka"), seen from outside: a real
// broker, the real producer (1,000 ticks/s, ~84 B each on the wire, in a round every 5 ms: a
// prompt Fetch is answered once per round, up to 200 times a second), a real edge and real WebSockets.
describe(`edge Fetch pace (${selectedBackend()} backend)`, () => {
  let kafka: TestKafka;
  let producer: RunningProducer;
  let topic: string;
  const clients: TestClient[] = [];
  const edges: RunningEdge[] = [];

  beforeAll(async () => {
    kafka = await startTestKafka();
    topic = uniqueName('pace-ticks');
    producer = await startTestProducer(kafka.brokers, topic, 1000);
    await sleep(1000);
  }, 240_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    for (const edge of edges) await edge.stop();
    await producer?.stop();
    await kafka?.close();
  }, 60_000);

  const startEdge = async (overrides: Partial<EdgeOptions>): Promise<PacedEdge> => {
    const edge = await startTestEdge(kafka.brokers, topic, { historyMs: 5_000, ...overrides });
    edges.push(edge);
    const fetches = async (): Promise<number> => {
      const text = await (await fetch(`http://127.0.0.1:${edge.port}/metrics`)).text();
      const found = /^tickstream_edge_tick_fetches_total (\d+)$/m.exec(text);
      if (found === null) throw new Error('no tickstream_edge_tick_fetches_total in /metrics');
      return Number(found[1]);
    };
    const follower = async (): Promise<{ client: TestClient; firstDeltaAt: number }> => {
      const client = await TestClient.connect(`ws://127.0.0.1:${edge.port}/ws`);
      clients.push(client);
      await client.next('hello');
      client.send({ type: 'subscribe', symbols: ['*'], sectors: [] });
      await client.until(() => client.deltasApplied > 0, 10_000, 'the first Delta');
      return { client, firstDeltaAt: performance.now() };
    };
    return { edge, fetches, follower };
  };

  /** Fetches answered per second over `ms`. */
  const fetchRate = async (edge: PacedEdge, ms: number): Promise<number> => {
    const before = await edge.fetches();
    const started = performance.now();
    await sleep(ms);
    return ((await edge.fetches()) - before) / ((performance.now() - started) / 1000);
  };

  it('asks Kafka twice a second with no client, and about once a window with one, not once per round produced', async () => {
    // Windows of 100 ms: 10 a second, each ~8 KB of ticks (under the 16 KB that answer at
    // once), far fewer than the producer's rounds even on a busy machine, where a prompt reader
    // still got ~35 answers a second (load average 24).
    const paced = await startEdge({ windowMs: 100 });
    await sleep(1000);
    const idle = await fetchRate(paced, 2000);
    expect(idle).toBeLessThanOrEqual(4);

    const { client } = await paced.follower();
    const deltasBefore = client.deltasApplied;
    const following = await fetchRate(paced, 3000);
    expect(following).toBeGreaterThanOrEqual(4);
    expect(following).toBeLessThanOrEqual(15);
    // Every window still has its ticks: ~30 Deltas in 3 s.
    expect(client.deltasApplied - deltasBefore).toBeGreaterThanOrEqual(20);
    client.close();
  }, 60_000);

  it('a client arriving at an idle edge gets its first Delta before the idle Fetch held then would have been answered', async () => {
    const paced = await startEdge({});
    const waits: number[] = [];
    for (let trial = 0; trial < 3; trial++) {
      // No client for a while, then one right after a Fetch answer: the Fetch then asked is held
      // (unhurried: 1 MB is far off at 1,000 ticks/s) until 500 ms from now unless cut short.
      await sleep(700);
      const before = await paced.fetches();
      while ((await paced.fetches()) === before) await sleep(5);
      const asked = performance.now();
      const { client, firstDeltaAt } = await paced.follower();
      waits.push(firstDeltaAt - asked);
      client.close();
    }
    expect(
      Math.max(...waits),
      `first Delta ${waits.map(Math.round).join(', ')} ms after the Fetch was asked`,
    ).toBeLessThan(400);
  }, 60_000);
});
