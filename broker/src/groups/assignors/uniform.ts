import { type AssignmentSpec, type Assignor, addPartition, type TopicPartitions } from './assignor.js';

/**
 * `uniform`, Apache Kafka's default server assignor: spreads every subscribed partition over
 * the members subscribed to its topic so that counts differ by as little as the subscriptions
 * allow, and keeps each partition where the current target assignment put it unless that
 * would leave the counts unbalanced (sticky: fewer partitions move in a rebalance).
 *
 * 1. Each partition stays with its current owner if the owner still subscribes to its topic.
 * 2. Partitions with no owner go to the eligible member with the fewest partitions.
 * 3. While a member has at least two more partitions than another member subscribed to one
 *    of their topics, one such partition moves there, taken from the member with the most.
 *    Each move lowers the sum of squared counts, so this ends; for members with the same
 *    subscriptions it ends with counts within one.
 */
export const uniformAssignor: Assignor = {
  name: 'uniform',
  assign(spec: AssignmentSpec): Map<string, TopicPartitions> {
    const members = [...spec.members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
    const subscribers = new Map<string, string[]>();
    for (const member of members) {
      for (const topicId of member.subscribedTopicIds) {
        if (!spec.partitionCounts.has(topicId)) continue;
        subscribers.set(topicId, [...(subscribers.get(topicId) ?? []), member.memberId]);
      }
    }
    const owner = new Map<string, string>(); // "topicId:partition" -> member id
    const counts = new Map<string, number>(members.map((m) => [m.memberId, 0]));
    const give = (key: string, memberId: string): void => {
      const previous = owner.get(key);
      if (previous !== undefined) counts.set(previous, (counts.get(previous) ?? 0) - 1);
      owner.set(key, memberId);
      counts.set(memberId, (counts.get(memberId) ?? 0) + 1);
    };

    const partitions = [...subscribers.keys()]
      .sort()
      .flatMap((topicId) => Array.from({ length: spec.partitionCounts.get(topicId) ?? 0 }, (_, p) => ({ topicId, p })));
    for (const member of members) {
      for (const [topicId, owned] of member.current) {
        if (!member.subscribedTopicIds.includes(topicId)) continue;
        const count = spec.partitionCounts.get(topicId) ?? 0;
        for (const p of owned) if (p < count) give(`${topicId}:${p}`, member.memberId);
      }
    }
    const leastLoaded = (candidates: readonly string[]): string =>
      candidates.reduce((best, id) => ((counts.get(id) ?? 0) < (counts.get(best) ?? 0) ? id : best));
    for (const { topicId, p } of partitions) {
      const key = `${topicId}:${p}`;
      if (!owner.has(key)) give(key, leastLoaded(subscribers.get(topicId) ?? []));
    }
    // Rebalance from the richest member down, so that members at their share keep all they have.
    const ownedBy = (memberId: string) =>
      partitions.filter(({ topicId, p }) => owner.get(`${topicId}:${p}`) === memberId);
    for (let moved = true; moved; ) {
      moved = false;
      const donors = [...counts.keys()].sort((a, b) => (counts.get(b) ?? 0) - (counts.get(a) ?? 0) || (a < b ? -1 : 1));
      for (const donor of donors) {
        for (const { topicId, p } of ownedBy(donor)) {
          const to = leastLoaded(subscribers.get(topicId) ?? []);
          if ((counts.get(donor) ?? 0) - (counts.get(to) ?? 0) >= 2) {
            give(`${topicId}:${p}`, to);
            moved = true;
            break;
          }
        }
        if (moved) break;
      }
    }

    const result = new Map<string, TopicPartitions>(members.map((m) => [m.memberId, new Map()]));
    for (const { topicId, p } of partitions) {
      addPartition(result.get(owner.get(`${topicId}:${p}`) as string) as TopicPartitions, topicId, p);
    }
    return result;
  },
};
