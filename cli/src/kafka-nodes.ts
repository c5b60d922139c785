import type { ApacheKafka } from '@tickstream/broker';
import { kafkajsSecurity, kafkaSecurityFromEnv } from '@tickstream/schemas/kafka-security';
import kafkajs, { type Admin } from 'kafkajs';
import type { KafkaNodesTarget } from './process-faults.js';

const { Kafka, logLevel } = kafkajs;

/**
 * The Apache Kafka nodes `up --kafka apache --nodes 3` runs, as `tickstream chaos stop-kafka-node`
 * hurts them (process-faults.ts): which node to stop, stopping and starting it, and the checks
 * after: every partition of the ticks topic fully in sync again, and every acknowledged tick in it.
 */
export class ClusterNodes implements KafkaNodesTarget {
  readonly nodeIds: readonly number[];

  private constructor(
    private readonly cluster: ApacheKafka,
    private readonly topic: string,
    /** The ticks the topic held before the producer started: what it gained since is the producer's. */
    private readonly storedAtStart: number,
    private readonly ackedTicks: () => number,
  ) {
    this.nodeIds = cluster.nodes.map((node) => node.nodeId);
  }

  /** Call before the producer starts: the topic's end offsets then are where its ticks begin. */
  static async beforeProducer(cluster: ApacheKafka, topic: string, ackedTicks: () => number): Promise<ClusterNodes> {
    const stored = await withAdmin(cluster.bootstrap, async (admin) =>
      (await admin.listTopics()).includes(topic) ? sumOfEndOffsets(admin, topic) : 0,
    );
    return new ClusterNodes(cluster, topic, stored, ackedTicks);
  }

  async busiestNode(): Promise<number> {
    const leaders = await withAdmin(this.cluster.bootstrap, async (admin) => {
      const metadata = await admin.fetchTopicMetadata({ topics: [this.topic] });
      return (metadata.topics[0]?.partitions ?? []).map((partition) => partition.leader);
    });
    const led = this.nodeIds.map((nodeId) => ({ nodeId, count: leaders.filter((leader) => leader === nodeId).length }));
    return led.sort((a, b) => b.count - a.count)[0]?.nodeId ?? (this.nodeIds[0] as number);
  }

  kill(nodeId: number): Promise<void> {
    return this.cluster.kill(nodeId);
  }

  restart(nodeId: number): Promise<void> {
    return this.cluster.restart(nodeId);
  }

  inSync(): Promise<boolean> {
    return withAdmin(this.cluster.bootstrap, async (admin) => {
      const metadata = await admin.fetchTopicMetadata({ topics: [this.topic] });
      const partitions = metadata.topics[0]?.partitions ?? [];
      return partitions.length > 0 && partitions.every((partition) => partition.isr.length === this.nodeIds.length);
    });
  }

  async tickCounts(): Promise<{ acked: number; stored: number }> {
    // Acknowledged first: each of those is below the end offsets read after.
    const acked = this.ackedTicks();
    const stored = await withAdmin(this.cluster.bootstrap, (admin) => sumOfEndOffsets(admin, this.topic));
    return { acked, stored: stored - this.storedAtStart };
  }
}

/** A short-lived admin per question: a long-lived one may hold a connection to the node just killed. */
async function withAdmin<T>(bootstrap: string, use: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Kafka({
    clientId: 'tickstream-up-kafka-nodes',
    brokers: bootstrap.split(','),
    ...kafkajsSecurity(kafkaSecurityFromEnv()),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
  }).admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** Every record ever written (retention moves the start offsets, never the ends). */
async function sumOfEndOffsets(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, partition) => sum + Number(partition.high), 0);
}
