import type { ApacheKafka } from '@tickstream/broker';
import type { KafkaNodesTarget } from './process-faults.js';
import { withAdmin } from './tick-ledger.js';

/**
 * The Apache Kafka nodes `up --kafka apache --nodes 3` runs, as `tickstream chaos stop-kafka-node`
 * hurts them (process-faults.ts): which node to stop, stopping and starting it, and the check
 * after: every partition of the ticks topic fully in sync again (the lost-tick check after every
 * fault is tick-ledger.ts's).
 */
export class ClusterNodes implements KafkaNodesTarget {
  readonly nodeIds: readonly number[];

  constructor(
    private readonly cluster: ApacheKafka,
    private readonly topic: string,
  ) {
    this.nodeIds = cluster.nodes.map((node) => node.nodeId);
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
}
