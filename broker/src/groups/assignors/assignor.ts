/*
 * Server-side partition assignors of the KIP-848 consumer-group protocol. The coordinator
 * hands one a snapshot of the group (who subscribes to what, and the current target
 * assignment) and gets back the next target assignment. An assignor is a pure function of
 * that snapshot: the same input always gives the same output.
 */

/** Partitions per topic id (32 hex digits). */
export type TopicPartitions = Map<string, Set<number>>;

export interface AssignmentSpec {
  members: readonly {
    memberId: string;
    /** Ids of the existing topics the member subscribes to. */
    subscribedTopicIds: readonly string[];
    /** Its share of the current target assignment, which sticky assignors try to keep. */
    current: TopicPartitions;
  }[];
  /** Partition count of every subscribed topic, by topic id. */
  partitionCounts: ReadonlyMap<string, number>;
}

export interface Assignor {
  /** The name members ask for in ConsumerGroupHeartbeat's ServerAssignor. */
  readonly name: string;
  /** The target assignment: every member id of the spec maps to its partitions (maybe none). */
  assign(spec: AssignmentSpec): Map<string, TopicPartitions>;
}

export function addPartition(assignment: TopicPartitions, topicId: string, partition: number): void {
  let partitions = assignment.get(topicId);
  if (partitions === undefined) {
    partitions = new Set();
    assignment.set(topicId, partitions);
  }
  partitions.add(partition);
}

export function countPartitions(assignment: TopicPartitions): number {
  let count = 0;
  for (const partitions of assignment.values()) count += partitions.size;
  return count;
}
