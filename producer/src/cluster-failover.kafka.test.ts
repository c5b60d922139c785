import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { type ApacheKafka, startApacheKafka } from '../../broker/src/apache-kafka/index.js';
import { selectedBackend } from '../../broker/src/testing/kafka-backend.js';
import type { RunningEdge } from '../../edge/src/edge.js';
import { type ApiSymbol, getJson, startTestEdge } from '../../edge/src/testing/system.js';
import { TestClient } from '../../edge/src/testing/test-client.js';
import { checkOrderPerSymbol, parseSummary, readAllTicks, runProducerCli } from './testing/read-ticks.js';

// Scale-out on a real distributed Kafka: three Apache Kafka nodes, `ticks` replicated three
// times with min.insync.replicas=2, an acks=all producer at a steady rate and one edge with 100
// WebSocket clients; kill -9 the node that leads most partitions. Only with KAFKA_BACKEND=apache
// (the embedded broker is one node):
// KAFKA_BACKEND=apache npx vitest run producer/src/cluster-failover
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const CLIENTS = 100;

const enabled = selectedBackend() === 'apache';

/** The longest time any one series stayed flat after `from`: how long a partition or the edge stalled. */
function longestStallMs(samples: { at: number; values: number[] }[], from: number): number[] {
  const after = samples.filter((s) => s.at >= from && s.values.every(Number.isFinite));
  const width = after[0]?.values.length ?? 0;
  return Array.from({ length: width }, (_, i) => {
    let longest = 0;
    let since = after[0]?.at ?? from;
    for (let k = 1; k < after.length; k++) {
      const current = after[k] as { at: number; values: number[] };
      if ((current.values[i] as number) > ((after[k - 1] as { values: number[] }).values[i] as number))
        since = current.at;
      longest = Math.max(longest, current.at - since);
    }
    return longest;
  });
}

describe.skipIf(!enabled)('three Apache Kafka nodes, one killed under the producer', () => {
  let cluster: ApacheKafka | undefined;
  let edge: RunningEdge | undefined;
  const clients: TestClient[] = [];
  let dataDir = '';

  afterAll(async () => {
    for (const client of clients) client.close();
    await edge?.stop();
    await cluster?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('loses no acknowledged tick, carries on after leader election, and gets its ISR back', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tickstream-failover-'));
    cluster = await startApacheKafka({ nodes: 3, port: 0, dataDir });
    const kafka = new Kafka({ brokers: cluster.brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        {
          topic: 'ticks',
          numPartitions: 6,
          replicationFactor: 3,
          configEntries: [{ name: 'min.insync.replicas', value: '2' }],
        },
      ],
      waitForLeaders: true,
    });

    // The edge reads every partition from the start (history) and serves 100 clients of every symbol.
    edge = await startTestEdge(cluster.brokers, 'ticks', { historyMs: 10 * 60_000, maxSymbolsPerSubscription: 1000 });
    const http = `http://127.0.0.1:${edge.port}`;
    const run = runProducerCli(
      ['--brokers', cluster.bootstrap, '--rate', '5000', '--duration', '25s', '--symbol-count', '100', '--idempotent'],
      120_000,
    );
    for (let i = 0; i < CLIENTS; i++) {
      const client = await TestClient.connect(`ws://127.0.0.1:${edge.port}/ws`);
      clients.push(client);
      client.send({ type: 'subscribe', symbols: ['*'], sectors: [] });
    }
    await Promise.all(clients.map((client) => client.next('snapshot', 20_000)));

    // Watch each partition's end offset and the edge's applied ticks while the producer runs.
    const samples: { at: number; values: number[] }[] = [];
    const sample = async (): Promise<number[]> => {
      const offsets = (await admin.fetchTopicOffsets('ticks')).sort((a, b) => a.partition - b.partition);
      const health = await getJson(`${http}/health`);
      return [...offsets.map((p) => Number(p.high)), (health.body as { ticks: number }).ticks];
    };
    const watch = (async () => {
      const end = Date.now() + 24_000;
      while (Date.now() < end) {
        samples.push({ at: Date.now(), values: await sample().catch(() => [Number.NaN]) });
        await sleep(250);
      }
    })();

    await sleep(6000);
    const metadata = await admin.fetchTopicMetadata({ topics: ['ticks'] });
    const leads = new Map<number, number>();
    for (const partition of metadata.topics[0]?.partitions ?? []) {
      leads.set(partition.leader, (leads.get(partition.leader) ?? 0) + 1);
    }
    const [victim] = [...leads.entries()].sort((a, b) => b[1] - a[1])[0] ?? [1];
    const killedAt = Date.now();
    await cluster.kill(victim);

    await sleep(6000);
    await cluster.restart(victim);
    await watch;
    const { code, output } = await run.done;
    expect(code, output).toBe(0);

    // Every partition has all three replicas in sync again.
    let isrFull = false;
    for (let attempt = 0; attempt < 60 && !isrFull; attempt++) {
      const after = await admin.fetchTopicMetadata({ topics: ['ticks'] });
      isrFull = (after.topics[0]?.partitions ?? []).every((p) => p.isr.length === 3);
      if (!isrFull) await sleep(500);
    }
    expect(isrFull).toBe(true);

    // Nothing acknowledged is missing, nothing is doubled, each symbol in order: counted from the topic.
    const summary = parseSummary(output);
    expect(summary.dropped).toBe(0);
    expect(summary.acked, `acked vs generated; producer said:\n${output}`).toBe(summary.generated);
    const ticks = await readAllTicks(cluster.brokers, 'ticks');
    expect(ticks.length, `stored vs acked; producer said:\n${output}`).toBe(summary.acked);
    expect(checkOrderPerSymbol(ticks).problems).toEqual([]);

    // The producer and the edge carried on by themselves. Their stall: the longest time the
    // victim's partitions (the producer) and the edge's applied ticks stayed flat after the kill.
    const stalls = longestStallMs(samples, killedAt);
    const edgeStall = stalls.pop() ?? Number.NaN;
    const producerStall = Math.max(...stalls);
    process.stderr.write(
      `failover: node ${victim} killed; longest partition stall ${(producerStall / 1000).toFixed(1)} s, edge stall ${(edgeStall / 1000).toFixed(1)} s\n`,
    );
    expect(producerStall).toBeLessThan(15_000);
    expect(edgeStall).toBeLessThan(15_000);

    // The edge applied every stored tick once, and every client holds what a fresh Snapshot holds.
    let applied = 0;
    for (let attempt = 0; attempt < 60 && applied !== ticks.length; attempt++) {
      applied = ((await getJson(`${http}/health`)).body as { ticks: number }).ticks;
      if (applied !== ticks.length) await sleep(500);
    }
    expect(applied).toBe(ticks.length);
    await sleep(500); // the last window goes out
    const fresh = await TestClient.connect(`ws://127.0.0.1:${edge.port}/ws`);
    clients.push(fresh);
    fresh.send({ type: 'subscribe', symbols: ['*'], sectors: [] });
    await fresh.next('snapshot');
    const { body } = await getJson(`${http}/api/symbols`);
    const ids = (body as { symbols: ApiSymbol[] }).symbols.map((symbol) => symbol.id);
    expect(ids.length).toBe(100);
    let resyncs = 0;
    for (const client of clients) {
      await client.until(() => !client.awaitingSnapshot, 10_000, 'a pending resync');
      for (const id of ids) expect(client.table.row(id)).toEqual(fresh.table.row(id));
      resyncs += client.resyncs;
    }
    process.stderr.write(`failover: ${CLIENTS} clients equal to a fresh Snapshot (${resyncs} resyncs)\n`);
    await admin.disconnect();
  }, 240_000);
});
