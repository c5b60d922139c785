import { DEFAULT_ASSIGNOR, type TopicPartitions } from './assignors/index.js';
import { isReconciledTo, type MemberAssignment } from './reconciliation.js';

/*
 * One group of the KIP-848 consumer protocol: its epochs, its members and its target
 * assignment. The ConsumerGroupCoordinator changes it; this object only keeps it and answers
 * questions about it.
 *
 * - The group epoch goes up whenever what the group consumes changes: a member joins or
 *   leaves, a subscription changes, a subscribed topic appears or grows.
 * - The target assignment is computed for a group epoch (then the assignment epoch).
 * - Each member's epoch reaches the assignment epoch once it has reconciled (reconciliation.ts).
 */

export type ConsumerGroupState = 'Empty' | 'Assigning' | 'Reconciling' | 'Stable';

export interface ConsumerGroupMember extends MemberAssignment {
  memberId: string;
  instanceId: string | null;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  subscribedTopicNames: readonly string[];
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
}

export class ConsumerGroup {
  groupEpoch = 0;
  assignmentEpoch = 0;
  readonly members = new Map<string, ConsumerGroupMember>();
  /** Static members: group.instance.id -> member id. */
  readonly staticMembers = new Map<string, string>();
  /** The target assignment for `assignmentEpoch`, by member id. */
  target = new Map<string, TopicPartitions>();
  /** The subscribed topics (name, id, partition count) the target was computed for. */
  subscribedTopicsSignature = '';

  constructor(readonly groupId: string) {}

  get state(): ConsumerGroupState {
    if (this.members.size === 0) return 'Empty';
    if (this.groupEpoch > this.assignmentEpoch) return 'Assigning';
    for (const member of this.members.values()) {
      if (!isReconciledTo(member, this.assignmentEpoch)) return 'Reconciling';
    }
    return 'Stable';
  }

  /** The assignor most members ask for, or the default (Apache Kafka's rule). */
  get assignorName(): string {
    const votes = new Map<string, number>();
    for (const member of this.members.values()) {
      if (member.serverAssignor !== null) votes.set(member.serverAssignor, (votes.get(member.serverAssignor) ?? 0) + 1);
    }
    let chosen = DEFAULT_ASSIGNOR;
    let most = 0;
    for (const [name, count] of votes) {
      if (count > most) {
        chosen = name;
        most = count;
      }
    }
    return chosen;
  }

  /**
   * Whether a member other than `memberId` still holds the partition (assigned or being
   * revoked). A static member that left with epoch -2 still holds its partitions until it
   * returns or its session times out.
   */
  heldByAnotherMember(memberId: string, topicId: string, partition: number): boolean {
    for (const member of this.members.values()) {
      if (member.memberId === memberId) continue;
      if (member.assigned.get(topicId)?.has(partition) || member.pendingRevocation.get(topicId)?.has(partition)) {
        return true;
      }
    }
    return false;
  }

  targetOf(memberId: string): TopicPartitions {
    return this.target.get(memberId) ?? new Map();
  }
}
