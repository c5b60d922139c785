import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { type ApacheKafka, startApacheKafka } from '../../broker/src/apache-kafka/index.js';
import { selectedBackend } from '../../broker/src/testing/kafka-backend.js';
import { checkOrderPerSymbol, parseSummary, readAllTicks, runProducerCli } from './testing/read-ticks.js';

// Scale-out on a real distributed Kafka: three Apache Kafka nodes, `ticks` replicated three
// times with min.insync.replicas=2, an acks=all producer at a steady rate; kill -9 the node that
// leads most partitions. Only with KAFKA_BACKEND=apache: the embedded broker is one node.
//
// Not in CI yet (issue #11): it passed three runs in four once the sink sent one request per
// partition (docs/producer.md, "Open"); the other stored a few dozen ticks more or fewer than
// were acknowledged. Run it with
// TICKSTREAM_FAILOVER_TEST=1 KAFKA_BACKEND=apache npx vitest run producer/src/cluster-failover
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const enabled = selectedBackend() === 'apache' && process.env.TICKSTREAM_FAILOVER_TEST === '1';

describe.skipIf(!enabled)('three Apache Kafka nodes, one killed under the producer', () => {
  let cluster: ApacheKafka | undefined;
  let dataDir = '';

  afterAll(async () => {
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

    const run = runProducerCli(
      ['--brokers', cluster.bootstrap, '--rate', '5000', '--duration', '25s', '--symbol-count', '100', '--idempotent'],
      120_000,
    );
    // Watch the stored total while the producer runs: a stall is time with no growth.
    const samples: { at: number; total: number }[] = [];
    const total = async (): Promise<number> =>
      (await admin.fetchTopicOffsets('ticks')).reduce((sum, p) => sum + Number(p.high), 0);
    const watch = (async () => {
      const end = Date.now() + 24_000;
      while (Date.now() < end) {
        samples.push({ at: Date.now(), total: await total().catch(() => Number.NaN) });
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
    const { code, stderr } = await run.done;
    expect(code, stderr).toBe(0);

    // Every partition has all three replicas in sync again.
    let isrFull = false;
    for (let attempt = 0; attempt < 60 && !isrFull; attempt++) {
      const after = await admin.fetchTopicMetadata({ topics: ['ticks'] });
      isrFull = (after.topics[0]?.partitions ?? []).every((p) => p.isr.length === 3);
      if (!isrFull) await sleep(500);
    }
    expect(isrFull).toBe(true);

    // Nothing acknowledged is missing, nothing is doubled, each symbol in order: counted from the topic.
    const summary = parseSummary(stderr);
    expect(summary.dropped).toBe(0);
    expect(summary.acked, `acked vs generated; producer said:\n${stderr}`).toBe(summary.generated);
    const ticks = await readAllTicks(cluster.brokers, 'ticks');
    expect(ticks.length, `stored vs acked; producer said:\n${stderr}`).toBe(summary.acked);
    expect(checkOrderPerSymbol(ticks).problems).toEqual([]);

    // The producer carried on by itself: stored ticks grew again after the kill. Report the stall.
    const afterKill = samples.filter((s) => s.at >= killedAt && Number.isFinite(s.total));
    let longestStallMs = 0;
    for (let i = 1, since = afterKill[0]?.at ?? killedAt; i < afterKill.length; i++) {
      const current = afterKill[i] as { at: number; total: number };
      if (current.total > (afterKill[i - 1] as { total: number }).total) since = current.at;
      longestStallMs = Math.max(longestStallMs, current.at - since);
    }
    // Partitions led elsewhere keep growing, so this is the stall of the total, not of a partition.
    process.stderr.write(
      `failover: node ${victim} killed; stored total stalled ${(longestStallMs / 1000).toFixed(1)} s\n`,
    );
    expect((afterKill.at(-1)?.total ?? 0) > (afterKill[0]?.total ?? 0)).toBe(true);
    await admin.disconnect();
  }, 240_000);
});
