import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writer } from '../protocol/writer.js';
import {
  commitOffset,
  describeConsumerGroups,
  findCoordinator,
  type Heartbeat,
  type HeartbeatAnswer,
  heartbeat,
  listGroups,
  newMemberId,
  RawKafkaClient,
  topicIds,
} from '../testing/consumer-group-wire.js';
import {
  selectedBackend,
  startTestKafka,
  TEST_CONSUMER_HEARTBEAT_INTERVAL_MS,
  type TestKafka,
  uniqueName,
} from '../testing/kafka-backend.js';
import { until } from '../testing/until.js';

// The KIP-848 consumer-group protocol at the byte level, on both backends: the same heartbeats
// must get the same error codes and lead to the same kind of assignment. Apache Kafka computes
// assignments at most once a second (group.consumer.assignment.interval.ms) and the embedded
// broker at once, so epochs are compared by their order, and assignments by polling.

const ERR = {
  NONE: 0,
  UNSUPPORTED_VERSION: 35,
  INVALID_REQUEST: 42,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  UNKNOWN_MEMBER_ID: 25,
  GROUP_ID_NOT_FOUND: 69,
  MEMBER_ID_REQUIRED: 79,
  FENCED_MEMBER_EPOCH: 110,
  UNRELEASED_INSTANCE_ID: 111,
  UNSUPPORTED_ASSIGNOR: 112,
  STALE_MEMBER_EPOCH: 113,
  INVALID_REGULAR_EXPRESSION: 128,
};

/** A member that heartbeats by hand and drops revoked partitions at once, as a client would. */
class Member {
  epoch = 0;
  owned: { topicId: string; partitions: number[] }[] = [];
  readonly epochs: number[] = [];

  constructor(
    private readonly client: RawKafkaClient,
    readonly groupId: string,
    private readonly join: Omit<Heartbeat, 'groupId' | 'memberId' | 'memberEpoch'>,
    readonly memberId = newMemberId(),
  ) {}

  partitions(): number[] {
    return this.owned.flatMap((t) => t.partitions).sort((a, b) => a - b);
  }

  /** Heartbeats once; whether it then owns `count` partitions. */
  async ownsAfterBeat(count: number): Promise<boolean> {
    await this.beat();
    return this.partitions().length === count;
  }

  async beat(): Promise<HeartbeatAnswer> {
    const request: Heartbeat =
      this.epoch === 0
        ? { ...this.join, groupId: this.groupId, memberId: this.memberId, memberEpoch: 0, owned: [] }
        : {
            groupId: this.groupId,
            memberId: this.memberId,
            memberEpoch: this.epoch,
            owned: this.owned,
            instanceId: this.join.instanceId,
          };
    const answer = await heartbeat(this.client, request);
    if (answer.errorCode !== ERR.NONE)
      throw new Error(`heartbeat failed with ${answer.errorCode}: ${answer.errorMessage}`);
    this.epoch = answer.memberEpoch;
    this.epochs.push(answer.memberEpoch);
    if (answer.assignment !== null) this.owned = answer.assignment;
    return answer;
  }
}

describe(`KIP-848 consumer groups on the wire (${selectedBackend()} backend)`, () => {
  let kafka: TestKafka;
  let client: RawKafkaClient;
  let admin: ReturnType<Kafka['admin']>;

  const createTopic = async (partitions: number, prefix = 'cg'): Promise<{ topic: string; topicId: string }> => {
    const topic = uniqueName(prefix);
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
    let topicId: string | undefined;
    await until(
      async () => {
        topicId = (await topicIds(client, [topic])).get(topic);
        return topicId !== undefined;
      },
      20_000,
      `a topic id for ${topic}`,
    );
    return { topic, topicId: topicId as string };
  };

  const joinRequest = (topics: string[], extra: Partial<Heartbeat> = {}) => ({
    rebalanceTimeoutMs: 30_000,
    subscribedTopicNames: topics,
    ...extra,
  });

  beforeAll(async () => {
    kafka = await startTestKafka();
    client = await RawKafkaClient.connect(kafka.bootstrap);
    admin = new Kafka({ brokers: kafka.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
  }, 240_000);

  afterAll(async () => {
    client?.close();
    await admin?.disconnect();
    await kafka?.close();
  }, 60_000);

  it('a member joins with epoch 0 and gets every partition of its topic, named by topic id', async () => {
    const { topic, topicId } = await createTopic(3);
    const member = new Member(client, uniqueName('cg-join'), joinRequest([topic]));
    const answer = await member.beat();
    expect(answer.memberId).toBe(member.memberId);
    expect(answer.memberEpoch).toBeGreaterThan(0);
    expect(answer.heartbeatIntervalMs).toBe(TEST_CONSUMER_HEARTBEAT_INTERVAL_MS); // group.consumer.heartbeat.interval.ms of the test brokers
    await until(() => member.ownsAfterBeat(3), 10_000, 'all 3 partitions');
    expect(member.owned).toEqual([{ topicId, partitions: [0, 1, 2] }]);
  });

  it('answers each bad heartbeat with its own non-retriable error and a message', async () => {
    const { topic } = await createTopic(1);
    const groupId = uniqueName('cg-errors');
    const member = new Member(client, groupId, joinRequest([topic]));
    await member.beat();
    const expectError = async (request: Heartbeat, code: number, message: RegExp): Promise<void> => {
      const answer = await heartbeat(client, request);
      expect({ code: answer.errorCode, message: answer.errorMessage }).toEqual({
        code,
        message: expect.stringMatching(message),
      });
    };
    await expectError(
      { groupId, memberId: newMemberId(), memberEpoch: 3 },
      ERR.UNKNOWN_MEMBER_ID,
      /is not a member of group/,
    );
    await expectError(
      { groupId: uniqueName('cg-none'), memberId: newMemberId(), memberEpoch: 3 },
      ERR.GROUP_ID_NOT_FOUND,
      /not found/,
    );
    await expectError(
      { groupId, memberId: member.memberId, memberEpoch: member.epoch + 5 },
      ERR.FENCED_MEMBER_EPOCH,
      /greater member epoch/,
    );
    await expectError(
      { groupId, memberId: member.memberId, memberEpoch: -3 },
      ERR.INVALID_REQUEST,
      /MemberEpoch is invalid/,
    );
    await expectError(
      { groupId, memberId: '', memberEpoch: 0, ...joinRequest([topic]), owned: [] },
      ERR.INVALID_REQUEST,
      /MemberId can't be empty/,
    );
    await expectError(
      { groupId, memberId: newMemberId(), memberEpoch: 0, rebalanceTimeoutMs: 30_000, owned: [] },
      ERR.INVALID_REQUEST,
      /SubscribedTopicNames or SubscribedTopicRegex/,
    );
    await expectError(
      {
        groupId,
        memberId: newMemberId(),
        memberEpoch: 0,
        ...joinRequest([topic]),
        owned: [],
        serverAssignor: 'sticky',
      },
      ERR.UNSUPPORTED_ASSIGNOR,
      /ServerAssignor sticky is not supported\. Supported assignors: uniform, range\./,
    );
    await expectError(
      {
        groupId,
        memberId: newMemberId(),
        memberEpoch: 0,
        rebalanceTimeoutMs: 30_000,
        subscribedTopicRegex: '[',
        owned: [],
      },
      ERR.INVALID_REGULAR_EXPRESSION,
      /is not a valid regular expression/,
    );
    // The member itself was not disturbed by any of it.
    expect((await heartbeat(client, { groupId, memberId: member.memberId, memberEpoch: member.epoch })).errorCode).toBe(
      0,
    );
  });

  it('takes commits at the member epoch (OffsetCommit v9): stale epochs, older versions and outsiders are refused', async () => {
    const { topic } = await createTopic(1);
    const groupId = uniqueName('cg-commit');
    const member = new Member(client, groupId, joinRequest([topic]));
    await member.beat();
    const commit = (version: number, memberId: string, memberEpoch: number) =>
      commitOffset(client, version, { groupId, memberId, memberEpoch, topic, partition: 0, offset: 7 });
    expect(await commit(9, member.memberId, member.epoch)).toBe(ERR.NONE);
    expect(await commit(9, member.memberId, member.epoch + 1)).toBe(ERR.STALE_MEMBER_EPOCH);
    expect(await commit(8, member.memberId, member.epoch)).toBe(ERR.UNSUPPORTED_VERSION);
    expect(await commit(9, 'nobody', member.epoch)).toBe(ERR.UNKNOWN_MEMBER_ID);
    expect(await commit(9, '', -1)).toBe(ERR.UNKNOWN_MEMBER_ID); // an admin commit while the group has members
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(offsets?.partitions.map((p) => [p.partition, p.offset])).toEqual([[0, '7']]);
  });

  it('two members: partitions are revoked before they are reassigned, the split is 2/2, and a leave gives the survivor all', async () => {
    const { topic } = await createTopic(4);
    const groupId = uniqueName('cg-split');
    const first = new Member(client, groupId, joinRequest([topic]));
    const second = new Member(client, groupId, joinRequest([topic]));
    await until(() => first.ownsAfterBeat(4), 10_000, 'the first member to own 4');
    // After every single answer, no partition may be owned by both (each drops what it is told to at once).
    const overlaps: number[][] = [];
    const beat = async (member: Member): Promise<void> => {
      await member.beat();
      const both = first.partitions().filter((p) => second.partitions().includes(p));
      if (both.length > 0) overlaps.push(both);
    };
    await beat(second);
    await until(
      async () => {
        await beat(first);
        await beat(second);
        return first.partitions().length === 2 && second.partitions().length === 2;
      },
      20_000,
      () => `a 2/2 split, have ${first.partitions()} and ${second.partitions()}`,
      200,
    );
    expect(overlaps).toEqual([]);
    expect([...first.partitions(), ...second.partitions()].sort()).toEqual([0, 1, 2, 3]);
    for (const member of [first, second]) {
      expect(member.epochs).toEqual([...member.epochs].sort((a, b) => a - b)); // epochs never go back
    }
    const [described] = await describeConsumerGroups(client, [groupId]);
    expect(described).toMatchObject({ errorCode: 0, state: 'Stable', assignorName: 'uniform' });
    expect(described?.members.map((m) => m.memberId).sort()).toEqual([first.memberId, second.memberId].sort());
    for (const m of described?.members ?? []) {
      expect(m.assignment).toEqual([{ topicName: topic, partitions: expect.any(Array) }]);
      expect(m.assignment).toEqual(m.targetAssignment);
      expect(m.memberEpoch).toBe(described?.assignmentEpoch);
    }

    const left = await heartbeat(client, { groupId, memberId: second.memberId, memberEpoch: -1 });
    expect({ errorCode: left.errorCode, memberEpoch: left.memberEpoch }).toEqual({ errorCode: 0, memberEpoch: -1 });
    await until(() => first.ownsAfterBeat(4), 10_000, 'the survivor to own 4');
  }, 60_000);

  it('range assignor on request: co-partitioned ranges of two topics', async () => {
    const a = await createTopic(2, 'cg-range-a');
    const b = await createTopic(2, 'cg-range-b');
    const groupId = uniqueName('cg-range');
    const members = [0, 1].map(
      () => new Member(client, groupId, joinRequest([a.topic, b.topic], { serverAssignor: 'range' })),
    );
    await until(
      async () => {
        for (const m of members) await m.beat();
        return members.every((m) => m.partitions().length === 2);
      },
      20_000,
      'two partitions each',
      200,
    );
    for (const m of members) {
      const byTopic = new Map(m.owned.map((t) => [t.topicId, t.partitions]));
      expect(byTopic.get(a.topicId)).toEqual(byTopic.get(b.topicId)); // the same partition of each topic
    }
    const [described] = await describeConsumerGroups(client, [groupId]);
    expect(described?.assignorName).toBe('range');
  }, 60_000);

  it('a static member (-2) keeps its partitions while away and gets them back under a new member id', async () => {
    const { topic } = await createTopic(2);
    const groupId = uniqueName('cg-static');
    const instanceId = uniqueName('instance');
    const member = new Member(client, groupId, joinRequest([topic], { instanceId }));
    await until(() => member.ownsAfterBeat(2), 10_000, 'both partitions');

    const impostor = await heartbeat(client, {
      groupId,
      memberId: newMemberId(),
      memberEpoch: 0,
      ...joinRequest([topic], { instanceId }),
      owned: [],
    });
    expect(impostor.errorCode).toBe(ERR.UNRELEASED_INSTANCE_ID);

    const away = await heartbeat(client, { groupId, memberId: member.memberId, memberEpoch: -2, instanceId });
    expect({ errorCode: away.errorCode, memberEpoch: away.memberEpoch }).toEqual({ errorCode: 0, memberEpoch: -2 });
    const [whileAway] = await describeConsumerGroups(client, [groupId]);
    expect(whileAway?.members).toEqual([
      expect.objectContaining({
        memberId: member.memberId,
        instanceId,
        memberEpoch: -2,
        assignment: [{ topicName: topic, partitions: [0, 1] }],
      }),
    ]);

    const back = new Member(client, groupId, joinRequest([topic], { instanceId }));
    const first = await back.beat();
    expect(first.assignment?.flatMap((t) => t.partitions).sort()).toEqual([0, 1]);
    const [after] = await describeConsumerGroups(client, [groupId]);
    expect(after?.members.map((m) => m.memberId)).toEqual([back.memberId]);
  }, 60_000);

  it('a topic created after a member subscribed to it is assigned once it exists', async () => {
    const topic = uniqueName('cg-later');
    const groupId = uniqueName('cg-later');
    const member = new Member(client, groupId, joinRequest([topic]));
    await member.beat();
    expect(member.partitions()).toEqual([]);
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    await until(() => member.ownsAfterBeat(2), 30_000, 'the new topic assigned', 500);
  }, 60_000);

  it('a regex subscription (v1) is assigned the topics it matches', async () => {
    const prefix = uniqueName('cgrx');
    const a = await createTopic(1, `${prefix}-a`);
    const b = await createTopic(2, `${prefix}-b`);
    await createTopic(1, 'cg-other');
    const member = new Member(client, uniqueName('cg-regex'), {
      rebalanceTimeoutMs: 30_000,
      subscribedTopicRegex: `${prefix}-.*`,
    });
    await until(
      () => member.ownsAfterBeat(3),
      30_000,
      () => `the 3 partitions of ${a.topic} and ${b.topic}, have ${JSON.stringify(member.owned)}`,
      500,
    );
    expect(new Set(member.owned.map((t) => t.topicId))).toEqual(new Set([a.topicId, b.topicId]));
  }, 60_000);

  it('lists the group as a consumer group (ListGroups v5); DescribeGroups, the classic API, says Dead', async () => {
    const { topic } = await createTopic(1);
    const groupId = uniqueName('cg-list');
    const member = new Member(client, groupId, joinRequest([topic]));
    await until(() => member.ownsAfterBeat(1), 10_000, 'its partition');
    await until(
      async () => (await listGroups(client)).some((g) => g.groupId === groupId && g.state === 'Stable'),
      10_000,
      'the group listed as Stable',
    );
    const listed = (await listGroups(client)).find((g) => g.groupId === groupId);
    expect(listed).toEqual({ groupId, protocolType: 'consumer', state: 'Stable', type: 'consumer' });
    const { groups } = await admin.describeGroups([groupId]);
    expect(groups[0]).toMatchObject({ groupId, state: 'Dead', protocolType: '', members: [] });
    const [unknown] = await describeConsumerGroups(client, [uniqueName('cg-unknown')]);
    expect(unknown?.errorCode).toBe(ERR.GROUP_ID_NOT_FOUND);
  });

  it('keeps classic and consumer groups apart; an empty group of either kind is taken over', async () => {
    const { topic } = await createTopic(1);
    // A classic group with a member whose protocol type is not "consumer" (so Apache Kafka does
    // not offer to upgrade it): a consumer-protocol member cannot join it.
    const classicId = uniqueName('cg-classic');
    const joined = await joinClassic(client, classicId, 'connect');
    expect(joined.errorCode).toBe(ERR.NONE);
    const refused = await heartbeat(client, {
      groupId: classicId,
      memberId: newMemberId(),
      memberEpoch: 0,
      ...joinRequest([topic]),
      owned: [],
    });
    expect(refused.errorCode).toBe(ERR.GROUP_ID_NOT_FOUND);
    expect(refused.errorMessage).toBe(
      `Cannot upgrade classic group ${classicId} to consumer group because the group does not use the consumer embedded protocol.`,
    );

    // A consumer group with a member: a classic member of another protocol type cannot join it.
    const consumerId = uniqueName('cg-consumer');
    const member = new Member(client, consumerId, joinRequest([topic]));
    await member.beat();
    expect((await joinClassic(client, consumerId, 'connect')).errorCode).toBe(ERR.INCONSISTENT_GROUP_PROTOCOL);

    // Once empty it is converted: the classic join is asked for a member id as usual.
    await heartbeat(client, { groupId: consumerId, memberId: member.memberId, memberEpoch: -1 });
    expect((await joinClassic(client, consumerId, 'connect', { stopAtMemberId: true })).errorCode).toBe(
      ERR.MEMBER_ID_REQUIRED,
    );
  }, 60_000);
});

/** JoinGroup v5 with one protocol, rejoining with the id MEMBER_ID_REQUIRED gives, as clients do. */
async function joinClassic(
  client: RawKafkaClient,
  groupId: string,
  protocolType: string,
  options: { stopAtMemberId?: boolean } = {},
): Promise<{ errorCode: number }> {
  await findCoordinator(client, groupId);
  const body = (memberId: string) =>
    Buffer.concat(
      new Writer()
        .string(groupId)
        .int32(10_000)
        .int32(10_000)
        .string(memberId)
        .nullableString(null)
        .string(protocolType)
        .array(['default'], (w, name) => w.string(name).bytes(Buffer.alloc(0)))
        .finish(),
    );
  const send = async (memberId: string) => {
    const reader = await client.request(11, 5, body(memberId));
    reader.int32();
    const errorCode = reader.int16();
    reader.int32();
    reader.string();
    reader.string();
    return { errorCode, memberId: reader.string() };
  };
  let first = await send('');
  for (let attempt = 0; [14, 15, 16].includes(first.errorCode) && attempt < 100; attempt++) {
    // Apache Kafka's coordinator may still be loading __consumer_offsets: retry as clients do.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await findCoordinator(client, groupId);
    first = await send('');
  }
  if (first.errorCode !== ERR.MEMBER_ID_REQUIRED || options.stopAtMemberId) return first;
  return send(first.memberId);
}
