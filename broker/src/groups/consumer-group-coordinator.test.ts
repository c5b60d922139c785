import { afterEach, describe, expect, it } from 'vitest';
import {
  type ClassicGroupDirectory,
  ConsumerGroupCoordinator,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type TopicCatalog,
} from './consumer-group-coordinator.js';

// The coordinator's rules that the wire tests cannot reach on this branch or in reasonable time:
// partitions added to a topic (no CreatePartitions here yet), deleted topics, session and
// rebalance timeouts in milliseconds, the group size bound, and groups lost in a restart.
// Topics come from a small in-memory catalog, as LogManager would give them.

class Topics implements TopicCatalog {
  readonly counts = new Map<string, number>();
  private readonly ids = new Map<string, string>();
  private made = 0;

  set(name: string, partitions: number): this {
    this.counts.set(name, partitions);
    if (!this.ids.has(name)) this.ids.set(name, (++this.made).toString(16).padStart(32, '0'));
    return this;
  }

  delete(name: string): void {
    this.counts.delete(name);
    this.ids.delete(name);
  }

  topicNames(): string[] {
    return [...this.counts.keys()];
  }
  topicId(topic: string): string | undefined {
    return this.ids.get(topic);
  }
  topicNameById(topicId: string): string | undefined {
    return [...this.ids].find(([, id]) => id === topicId)?.[0];
  }
  partitionCount(topic: string): number | undefined {
    return this.counts.get(topic);
  }
}

const noClassicGroups: ClassicGroupDirectory = {
  classicGroup: () => undefined,
  forgetClassicGroup: () => {},
  hasCommittedOffsets: (groupId) => groupId === 'had-offsets',
};

const coordinators: ConsumerGroupCoordinator[] = [];
afterEach(() => {
  for (const coordinator of coordinators.splice(0)) coordinator.close();
});

function coordinator(topics: Topics, options: { sessionTimeoutMs?: number; maxSize?: number } = {}) {
  const made = new ConsumerGroupCoordinator(
    {
      sessionTimeoutMs: options.sessionTimeoutMs ?? 45_000,
      heartbeatIntervalMs: 5000,
      maxSize: options.maxSize ?? 1000,
      log: () => {},
    },
    topics,
    noClassicGroups,
  );
  coordinators.push(made);
  return made;
}

/** A member driving the coordinator as a client would: it reports what it owns and drops what it loses. */
class Member {
  epoch = 0;
  owned: { topicId: string; partitions: number[] }[] = [];

  constructor(
    private readonly coordinator: ConsumerGroupCoordinator,
    readonly memberId: string,
    private readonly join: Partial<HeartbeatRequest>,
    readonly groupId = 'g',
  ) {}

  beat(): HeartbeatResponse {
    const base = { apiVersion: 1, groupId: this.groupId, memberId: this.memberId, clientId: 'c', clientHost: 'h' };
    const request: HeartbeatRequest =
      this.epoch === 0
        ? {
            ...base,
            memberEpoch: 0,
            instanceId: null,
            rackId: null,
            rebalanceTimeoutMs: 1000,
            subscribedTopicNames: null,
            subscribedTopicRegex: null,
            serverAssignor: null,
            ownedPartitions: [],
            ...this.join,
          }
        : {
            ...base,
            memberEpoch: this.epoch,
            instanceId: null,
            rackId: null,
            rebalanceTimeoutMs: -1,
            subscribedTopicNames: null,
            subscribedTopicRegex: null,
            serverAssignor: null,
            ownedPartitions: this.owned,
          };
    const answer = this.coordinator.heartbeat(request);
    if (answer.errorCode === 0) {
      this.epoch = answer.memberEpoch;
      if (answer.assignment !== null) this.owned = answer.assignment;
    }
    return answer;
  }

  count(): number {
    return this.owned.reduce((sum, t) => sum + t.partitions.length, 0);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('ConsumerGroupCoordinator', () => {
  it('the member state machine: unknown member id, fenced member epoch, previous epoch, stale commit epoch', () => {
    const topics = new Topics().set('t', 2);
    const groups = coordinator(topics);
    const member = new Member(groups, 'm1', { subscribedTopicNames: ['t'] });
    member.beat();
    topics.set('t', 3); // a second epoch, so that the member has a previous one above 0
    member.beat();
    const epoch = member.epoch;
    expect(epoch).toBe(2);
    const beat = (memberId: string, memberEpoch: number, owned: HeartbeatRequest['ownedPartitions'] = null) =>
      groups.heartbeat({
        apiVersion: 1,
        groupId: 'g',
        memberId,
        memberEpoch,
        instanceId: null,
        rackId: null,
        rebalanceTimeoutMs: -1,
        subscribedTopicNames: null,
        subscribedTopicRegex: null,
        serverAssignor: null,
        ownedPartitions: owned,
        clientId: 'c',
        clientHost: 'h',
      });
    expect(beat('nobody', epoch).errorCode).toBe(25); // UNKNOWN_MEMBER_ID
    expect(beat('m1', epoch + 1).errorCode).toBe(110); // FENCED_MEMBER_EPOCH: ahead of the coordinator
    expect(beat('m1', epoch - 1, [{ topicId: member.owned[0]?.topicId ?? '', partitions: [0, 1, 9] }]).errorCode).toBe(
      110,
    );
    // The previous epoch with nothing beyond its partitions is accepted: the answer that raised it may be lost.
    expect(beat('m1', epoch - 1, member.owned)).toMatchObject({ errorCode: 0, memberEpoch: epoch });
    const group = groups.group('g');
    if (group === undefined) throw new Error('no group');
    expect(() => groups.validateOffsetCommit(group, 'm1', epoch, 9)).not.toThrow();
    expect(() => groups.validateOffsetCommit(group, 'm1', epoch - 1, 9)).toThrow(
      expect.objectContaining({ errorCode: 113 }), // STALE_MEMBER_EPOCH
    );
    expect(() => groups.validateOffsetCommit(group, 'm1', epoch, 8)).toThrow(
      expect.objectContaining({ errorCode: 35 }),
    );
    expect(() => groups.validateOffsetCommit(group, 'nobody', epoch, 9)).toThrow(
      expect.objectContaining({ errorCode: 25 }),
    );
  });

  it('partitions added to a subscribed topic raise the group epoch and are assigned', () => {
    const topics = new Topics().set('t', 2);
    const groups = coordinator(topics);
    const member = new Member(groups, 'm1', { subscribedTopicNames: ['t'] });
    member.beat();
    expect(member.count()).toBe(2);
    const epochBefore = member.epoch;
    topics.set('t', 5);
    member.beat();
    expect(member.count()).toBe(5);
    expect(member.epoch).toBeGreaterThan(epochBefore);
  });

  it('a deleted topic is taken away; a new topic matching a regex is added', () => {
    const topics = new Topics().set('prices-a', 1).set('prices-b', 1).set('other', 1);
    const groups = coordinator(topics);
    const member = new Member(groups, 'm1', { subscribedTopicRegex: 'prices-.*' });
    member.beat();
    expect(member.count()).toBe(2);
    topics.delete('prices-b');
    member.beat();
    expect(member.count()).toBe(1);
    topics.set('prices-c', 3);
    member.beat();
    expect(member.count()).toBe(4);
  });

  it('a member silent for its session timeout is fenced and the others get its partitions', async () => {
    const topics = new Topics().set('t', 4);
    const groups = coordinator(topics, { sessionTimeoutMs: 150 });
    const a = new Member(groups, 'a', { subscribedTopicNames: ['t'] });
    const b = new Member(groups, 'b', { subscribedTopicNames: ['t'] });
    for (let i = 0; i < 4; i++) {
      a.beat();
      b.beat();
    }
    expect([a.count(), b.count()]).toEqual([2, 2]);
    for (let i = 0; i < 6; i++) {
      await sleep(50);
      a.beat(); // b stays silent
    }
    expect(a.count()).toBe(4);
    expect(b.beat().errorCode).toBe(25); // UNKNOWN_MEMBER_ID: it was fenced
  });

  it('a member that does not revoke within its rebalance timeout is fenced', async () => {
    const topics = new Topics().set('t', 2);
    const groups = coordinator(topics);
    const stubborn = new Member(groups, 'stubborn', { subscribedTopicNames: ['t'], rebalanceTimeoutMs: 100 });
    stubborn.beat();
    expect(stubborn.count()).toBe(2);
    const newcomer = new Member(groups, 'newcomer', { subscribedTopicNames: ['t'] });
    newcomer.beat();
    expect(newcomer.count()).toBe(0); // both partitions still held
    // The stubborn member is asked to revoke one but keeps reporting both.
    const asked = groups.heartbeat({
      apiVersion: 1,
      groupId: 'g',
      memberId: 'stubborn',
      memberEpoch: stubborn.epoch,
      instanceId: null,
      rackId: null,
      rebalanceTimeoutMs: -1,
      subscribedTopicNames: null,
      subscribedTopicRegex: null,
      serverAssignor: null,
      ownedPartitions: stubborn.owned,
      clientId: 'c',
      clientHost: 'h',
    });
    expect(asked.assignment?.[0]?.partitions).toHaveLength(1);
    await sleep(200);
    newcomer.beat();
    expect(newcomer.count()).toBe(2);
    expect(groups.describe('g').members.map((m) => m.memberId)).toEqual(['newcomer']);
  });

  it('refuses a member beyond the group size bound with GROUP_MAX_SIZE_REACHED', () => {
    const groups = coordinator(new Topics().set('t', 1), { maxSize: 2 });
    for (const id of ['a', 'b'])
      expect(new Member(groups, id, { subscribedTopicNames: ['t'] }).beat().errorCode).toBe(0);
    const third = new Member(groups, 'c', { subscribedTopicNames: ['t'] }).beat();
    expect({ code: third.errorCode, message: third.errorMessage }).toEqual({
      code: 81,
      message: 'The consumer group has reached its maximum capacity of 2 members.',
    });
  });

  it('a member of a group lost in a restart is told to rejoin (UNKNOWN_MEMBER_ID), a never-known group is GROUP_ID_NOT_FOUND', () => {
    const groups = coordinator(new Topics().set('t', 1));
    const lost = new Member(groups, 'm', {}, 'had-offsets');
    lost.epoch = 4;
    expect(lost.beat().errorCode).toBe(25);
    const stranger = new Member(groups, 'm', {}, 'never-seen');
    stranger.epoch = 4;
    expect(stranger.beat().errorCode).toBe(69);
  });
});
