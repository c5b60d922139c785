import { describe, expect, it } from 'vitest';
import type { TopicPartitions } from './assignors/index.js';
import { isReconciledTo, type MemberAssignment, reconcile } from './reconciliation.js';

const T = 'c'.repeat(32);
const parts = (...ps: number[]): TopicPartitions => new Map(ps.length ? [[T, new Set(ps)]] : []);
const list = (a: TopicPartitions): number[] => [...(a.get(T) ?? [])].sort((x, y) => x - y);
const owned = (...ps: number[]) => [{ topicId: T, partitions: ps }];
const nobodyElse = () => false;

function member(
  epoch: number,
  assigned: TopicPartitions,
  state: MemberAssignment['state'] = 'STABLE',
): MemberAssignment {
  return { state, memberEpoch: epoch, previousMemberEpoch: epoch - 1, assigned, pendingRevocation: new Map() };
}

describe('member reconciliation (KIP-848)', () => {
  it('a new member takes free partitions at once and moves to the target epoch', () => {
    const next = reconcile(member(0, parts()), 1, parts(0, 1), nobodyElse, owned());
    expect(next).toMatchObject({ state: 'STABLE', memberEpoch: 1, previousMemberEpoch: 0 });
    expect(list(next.assigned)).toEqual([0, 1]);
    expect(isReconciledTo(next, 1)).toBe(true);
  });

  it('revokes before anything else: keeps its epoch until the owned partitions no longer list the revoked ones', () => {
    const start = member(3, parts(0, 1, 2, 3));
    const revoking = reconcile(start, 4, parts(2, 3), nobodyElse, owned(0, 1, 2, 3));
    expect(revoking.state).toBe('UNREVOKED_PARTITIONS');
    expect(revoking.memberEpoch).toBe(3);
    expect(list(revoking.assigned)).toEqual([2, 3]);
    expect(list(revoking.pendingRevocation)).toEqual([0, 1]);

    const stillHolding = reconcile(revoking, 4, parts(2, 3), nobodyElse, owned(0, 2, 3));
    expect(stillHolding).toBe(revoking);
    const unknown = reconcile(revoking, 4, parts(2, 3), nobodyElse, null);
    expect(unknown).toBe(revoking);

    const done = reconcile(revoking, 4, parts(2, 3), nobodyElse, owned(2, 3));
    expect(done).toMatchObject({ state: 'STABLE', memberEpoch: 4 });
    expect(list(done.assigned)).toEqual([2, 3]);
    expect(done.pendingRevocation.size).toBe(0);
  });

  it('a member that already dropped the partitions to revoke moves straight on', () => {
    const next = reconcile(member(3, parts(0, 1)), 4, parts(1), nobodyElse, owned(1));
    expect(next).toMatchObject({ state: 'STABLE', memberEpoch: 4 });
    expect(list(next.assigned)).toEqual([1]);
  });

  it('never gives a partition another member still holds: UNRELEASED until it is let go', () => {
    let heldByOther = true;
    const waiting = reconcile(member(1, parts()), 2, parts(0, 1), (_t, p) => heldByOther && p === 1, owned());
    expect(waiting).toMatchObject({ state: 'UNRELEASED_PARTITIONS', memberEpoch: 2 });
    expect(list(waiting.assigned)).toEqual([0]);
    heldByOther = false;
    const released = reconcile(waiting, 2, parts(0, 1), () => heldByOther, owned(0));
    expect(released).toMatchObject({ state: 'STABLE', memberEpoch: 2 });
    expect(list(released.assigned)).toEqual([0, 1]);
  });

  it('a stable member at the target epoch is left as it is', () => {
    const stable = member(5, parts(0));
    expect(reconcile(stable, 5, parts(0, 1), nobodyElse, owned(0))).toBe(stable);
  });
});
