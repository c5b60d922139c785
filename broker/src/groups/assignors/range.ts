import { type AssignmentSpec, type Assignor, addPartition, type TopicPartitions } from './assignor.js';

/**
 * `range`: for each topic, the members subscribed to it, in member-id order, get contiguous
 * ranges of its partitions, the first (partitions % members) of them one more. When every
 * member subscribes to the same topics and the topics have the same partition count, each
 * member gets the same partition numbers of every topic (co-partitioning, for joins).
 */
export const rangeAssignor: Assignor = {
  name: 'range',
  assign(spec: AssignmentSpec): Map<string, TopicPartitions> {
    const result = new Map<string, TopicPartitions>(spec.members.map((m) => [m.memberId, new Map()]));
    for (const [topicId, partitionCount] of spec.partitionCounts) {
      const subscribed = spec.members
        .filter((member) => member.subscribedTopicIds.includes(topicId))
        .map((member) => member.memberId)
        .sort();
      if (subscribed.length === 0) continue;
      const base = Math.floor(partitionCount / subscribed.length);
      const extra = partitionCount % subscribed.length;
      let next = 0;
      subscribed.forEach((memberId, index) => {
        const size = base + (index < extra ? 1 : 0);
        const assignment = result.get(memberId) as TopicPartitions;
        for (let p = next; p < next + size; p++) addPartition(assignment, topicId, p);
        next += size;
      });
    }
    return result;
  },
};
