import { describe, expect, it } from 'vitest';
import { type AssignmentSpec, countPartitions, type TopicPartitions } from './assignor.js';
import { assignors, DEFAULT_ASSIGNOR } from './index.js';
import { rangeAssignor } from './range.js';
import { uniformAssignor } from './uniform.js';

const T1 = 'a'.repeat(32);
const T2 = 'b'.repeat(32);

function spec(
  members: { id: string; topics: string[]; current?: Record<string, number[]> }[],
  partitionCounts: Record<string, number>,
): AssignmentSpec {
  return {
    partitionCounts: new Map(Object.entries(partitionCounts)),
    members: members.map((m) => ({
      memberId: m.id,
      subscribedTopicIds: m.topics,
      current: new Map(Object.entries(m.current ?? {}).map(([t, ps]) => [t, new Set(ps)])),
    })),
  };
}

function plain(assignment: Map<string, TopicPartitions>): Record<string, Record<string, number[]>> {
  const out: Record<string, Record<string, number[]>> = {};
  for (const [member, topics] of assignment) {
    out[member] = {};
    for (const [topic, partitions] of topics)
      (out[member] as Record<string, number[]>)[topic] = [...partitions].sort((a, b) => a - b);
  }
  return out;
}

/** Every partition of every topic assigned exactly once. */
function expectComplete(assignment: Map<string, TopicPartitions>, partitionCounts: Record<string, number>): void {
  for (const [topic, count] of Object.entries(partitionCounts)) {
    const owners = Array.from({ length: count }, (_, p) =>
      [...assignment].filter(([, topics]) => topics.get(topic)?.has(p)).map(([member]) => member),
    );
    expect(
      owners.every((o) => o.length === 1),
      `${topic}: ${JSON.stringify(owners)}`,
    ).toBe(true);
  }
}

describe('server-side assignors', () => {
  it('serves uniform (the default) and range, as Apache Kafka does', () => {
    expect([...assignors.keys()]).toEqual(['uniform', 'range']);
    expect(DEFAULT_ASSIGNOR).toBe('uniform');
  });

  it('uniform: balances one topic across members within one partition', () => {
    const result = uniformAssignor.assign(
      spec(
        [
          { id: 'm1', topics: [T1] },
          { id: 'm2', topics: [T1] },
          { id: 'm3', topics: [T1] },
        ],
        { [T1]: 7 },
      ),
    );
    expectComplete(result, { [T1]: 7 });
    const counts = [...result.values()].map(countPartitions).sort();
    expect(counts).toEqual([2, 2, 3]);
  });

  it('uniform: is sticky: a joining member takes partitions only from those above their share', () => {
    const before = { m1: [0, 1, 2, 3], m2: [4, 5, 6, 7] };
    const result = uniformAssignor.assign(
      spec(
        [
          { id: 'm1', topics: [T1], current: { [T1]: before.m1 } },
          { id: 'm2', topics: [T1], current: { [T1]: before.m2 } },
          { id: 'm3', topics: [T1] },
        ],
        { [T1]: 8 },
      ),
    );
    expectComplete(result, { [T1]: 8 });
    const got = plain(result);
    // Nobody receives a partition another kept member had: moves only go to the newcomer.
    for (const p of got.m1?.[T1] ?? []) expect(before.m1).toContain(p);
    for (const p of got.m2?.[T1] ?? []) expect(before.m2).toContain(p);
    expect([...result.values()].map(countPartitions).sort()).toEqual([2, 3, 3]);
  });

  it('uniform: a departed member leaves its partitions to the others, who keep their own', () => {
    const result = uniformAssignor.assign(
      spec(
        [
          { id: 'm1', topics: [T1], current: { [T1]: [0, 1] } },
          { id: 'm3', topics: [T1], current: { [T1]: [4, 5] } },
        ],
        { [T1]: 6 },
      ),
    );
    expectComplete(result, { [T1]: 6 });
    const got = plain(result);
    expect(got.m1?.[T1]).toEqual(expect.arrayContaining([0, 1]));
    expect(got.m3?.[T1]).toEqual(expect.arrayContaining([4, 5]));
    expect([...result.values()].map(countPartitions)).toEqual([3, 3]);
  });

  it('uniform: members with different subscriptions get only topics they subscribe to, as evenly as allowed', () => {
    const result = uniformAssignor.assign(
      spec(
        [
          { id: 'm1', topics: [T1, T2] },
          { id: 'm2', topics: [T1] },
          { id: 'm3', topics: [T2] },
        ],
        { [T1]: 3, [T2]: 3 },
      ),
    );
    expectComplete(result, { [T1]: 3, [T2]: 3 });
    const got = plain(result);
    expect(got.m2?.[T2]).toBeUndefined();
    expect(got.m3?.[T1]).toBeUndefined();
    expect([...result.values()].map(countPartitions)).toEqual([2, 2, 2]);
  });

  it('uniform: drops partitions of topics nobody subscribes to any more and ignores unknown topics', () => {
    const result = uniformAssignor.assign(
      spec([{ id: 'm1', topics: [T1, T2], current: { [T2]: [0, 9] } }], { [T1]: 2 }),
    );
    expect(plain(result)).toEqual({ m1: { [T1]: [0, 1] } });
  });

  it('range: contiguous ranges per topic, the first members one more; co-partitioned across topics', () => {
    const result = rangeAssignor.assign(
      spec(
        [
          { id: 'm0', topics: [T1, T2] },
          { id: 'm1', topics: [T1, T2] },
        ],
        { [T1]: 3, [T2]: 3 },
      ),
    );
    expect(plain(result)).toEqual({ m0: { [T1]: [0, 1], [T2]: [0, 1] }, m1: { [T1]: [2], [T2]: [2] } });
  });

  it('range: only the members subscribed to a topic share it', () => {
    const result = rangeAssignor.assign(
      spec(
        [
          { id: 'a', topics: [T1] },
          { id: 'b', topics: [T2] },
          { id: 'c', topics: [T1, T2] },
        ],
        { [T1]: 4, [T2]: 2 },
      ),
    );
    expect(plain(result)).toEqual({ a: { [T1]: [0, 1] }, b: { [T2]: [0] }, c: { [T1]: [2, 3], [T2]: [1] } });
  });

  it('both: the same input gives the same output, whatever the member order', () => {
    for (const assignor of [uniformAssignor, rangeAssignor]) {
      const members = [
        { id: 'x', topics: [T1] },
        { id: 'y', topics: [T1] },
        { id: 'z', topics: [T1] },
      ];
      const forward = plain(assignor.assign(spec(members, { [T1]: 10 })));
      const backward = plain(assignor.assign(spec([...members].reverse(), { [T1]: 10 })));
      expect(backward).toEqual(forward);
    }
  });
});
