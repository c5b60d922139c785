import type { TopicPartitions } from './assignors/index.js';

/*
 * How one member of a KIP-848 consumer group moves from the partitions it has to its target
 * assignment (Apache Kafka's CurrentAssignmentBuilder). The rule that makes it safe: a
 * partition is given to a member only once no other member still holds it, so every
 * partition has at most one consumer at a time.
 *
 * - STABLE: the member has its whole target at the target epoch.
 * - UNREVOKED_PARTITIONS: it must first give up `pendingRevocation`; it keeps its old epoch
 *   until a heartbeat's owned partitions no longer list any of them.
 * - UNRELEASED_PARTITIONS: it is at the target epoch, but some target partitions are still
 *   held by other members; they are added when those members release them.
 */

export type MemberState = 'STABLE' | 'UNREVOKED_PARTITIONS' | 'UNRELEASED_PARTITIONS';

export interface MemberAssignment {
  state: MemberState;
  memberEpoch: number;
  previousMemberEpoch: number;
  /** Partitions the member may consume now. */
  assigned: TopicPartitions;
  /** Partitions it still holds and must give up before it moves on. */
  pendingRevocation: TopicPartitions;
}

/** Owned partitions as a heartbeat reports them; null = not sent (unchanged since the last one). */
export type OwnedPartitions = readonly { topicId: string; partitions: readonly number[] }[] | null;

/**
 * The member's next assignment state. `heldElsewhere(topicId, partition)` says whether
 * another member still holds the partition (assigned or pending revocation).
 */
export function reconcile(
  member: MemberAssignment,
  targetEpoch: number,
  target: TopicPartitions,
  heldElsewhere: (topicId: string, partition: number) => boolean,
  owned: OwnedPartitions,
): MemberAssignment {
  switch (member.state) {
    case 'STABLE':
      return member.memberEpoch === targetEpoch ? member : nextAssignment(member, member.memberEpoch);
    case 'UNREVOKED_PARTITIONS':
      if (stillOwnsAny(owned, member.pendingRevocation)) return member;
      return nextAssignment(member, member.memberEpoch + 1);
    case 'UNRELEASED_PARTITIONS':
      return nextAssignment(member, member.memberEpoch);
  }

  function nextAssignment(current: MemberAssignment, epochIfRevoking: number): MemberAssignment {
    const assigned: TopicPartitions = new Map();
    const revoking: TopicPartitions = new Map();
    const adding: TopicPartitions = new Map();
    let unreleased = false;
    for (const topicId of new Set([...target.keys(), ...current.assigned.keys()])) {
      const wanted = target.get(topicId) ?? new Set<number>();
      const had = current.assigned.get(topicId) ?? new Set<number>();
      const keep = new Set([...had].filter((p) => wanted.has(p)));
      const give = new Set([...had].filter((p) => !wanted.has(p)));
      const take = new Set<number>();
      for (const p of wanted) {
        if (keep.has(p)) continue;
        if (heldElsewhere(topicId, p)) unreleased = true;
        else take.add(p);
      }
      if (keep.size > 0) assigned.set(topicId, keep);
      if (give.size > 0) revoking.set(topicId, give);
      if (take.size > 0) adding.set(topicId, take);
    }

    if (revoking.size > 0 && stillOwnsAny(owned, revoking)) {
      // Revoke first, keeping the current epoch, until the member says it let them go.
      return withEpoch(current, epochIfRevoking, {
        state: 'UNREVOKED_PARTITIONS',
        assigned,
        pendingRevocation: revoking,
      });
    }
    for (const [topicId, partitions] of adding) {
      const merged = assigned.get(topicId) ?? new Set<number>();
      for (const p of partitions) merged.add(p);
      assigned.set(topicId, merged);
    }
    return withEpoch(current, targetEpoch, {
      state: unreleased ? 'UNRELEASED_PARTITIONS' : 'STABLE',
      assigned,
      pendingRevocation: new Map(),
    });
  }
}

function withEpoch(
  member: MemberAssignment,
  epoch: number,
  next: Pick<MemberAssignment, 'state' | 'assigned' | 'pendingRevocation'>,
): MemberAssignment {
  return { ...next, memberEpoch: epoch, previousMemberEpoch: member.memberEpoch };
}

/** Whether the member's reported partitions include any of these; unknown (null) counts as yes. */
function stillOwnsAny(owned: OwnedPartitions, partitions: TopicPartitions): boolean {
  if (owned === null) return true;
  return owned.some(({ topicId, partitions: list }) => {
    const revoking = partitions.get(topicId);
    return revoking !== undefined && list.some((p) => revoking.has(p));
  });
}

/** Whether the member is at the target epoch with nothing left to do. */
export function isReconciledTo(member: MemberAssignment, targetEpoch: number): boolean {
  return member.state === 'STABLE' && member.memberEpoch === targetEpoch;
}
