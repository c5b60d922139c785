import { randomBytes } from 'node:crypto';
import type { Reader } from '../protocol/reader.js';
import { Writer } from '../protocol/writer.js';
import { RawKafkaClient } from './raw-client.js';

/*
 * KIP-848 requests at the byte level, for tests that check exact error codes and epochs on
 * both backends. Built from the grammar in api/68-consumer-group-heartbeat.ts and
 * api/69-consumer-group-describe.ts; the broker's own codecs are not used to build them.
 */

const RETRIABLE_COORDINATOR_ERRORS = new Set([14, 15, 16]); // load in progress, not available, not coordinator

export interface Heartbeat {
  groupId: string;
  memberId: string;
  memberEpoch: number;
  instanceId?: string | null;
  rebalanceTimeoutMs?: number;
  subscribedTopicNames?: string[] | null;
  subscribedTopicRegex?: string | null;
  serverAssignor?: string | null;
  /** Owned partitions by topic id (hex); null = unchanged. */
  owned?: { topicId: string; partitions: number[] }[] | null;
}

export interface HeartbeatAnswer {
  errorCode: number;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: { topicId: string; partitions: number[] }[] | null;
}

/** A member id as the Java client makes them (KIP-1082: 22 url-safe base64 characters of a random UUID). */
export function newMemberId(): string {
  return randomBytes(16).toString('base64url');
}

export function heartbeatBody(request: Heartbeat, version = 1): Buffer {
  const w = new Writer()
    .compactString(request.groupId)
    .compactString(request.memberId)
    .int32(request.memberEpoch)
    .compactNullableString(request.instanceId ?? null)
    .compactNullableString(null) // rack
    .int32(request.rebalanceTimeoutMs ?? -1);
  const names = request.subscribedTopicNames ?? null;
  if (names === null) w.uvarint(0);
  else w.compactArray(names, (x, name) => x.compactString(name));
  if (version >= 1) w.compactNullableString(request.subscribedTopicRegex ?? null);
  w.compactNullableString(request.serverAssignor ?? null);
  const owned = request.owned === undefined ? null : request.owned;
  if (owned === null) w.uvarint(0);
  else
    w.compactArray(owned, (x, topic) =>
      x
        .uuid(Buffer.from(topic.topicId, 'hex'))
        .compactArray(topic.partitions, (y, p) => y.int32(p))
        .taggedFields(),
    );
  w.taggedFields();
  return Buffer.concat(w.finish());
}

function readAssignment(reader: Reader): { topicId: string; partitions: number[] }[] {
  const topics = reader.compactArray((r) => {
    const topicId = r.uuid().toString('hex');
    const partitions = r.compactArray((p) => p.int32()).sort((a, b) => a - b);
    r.taggedFields();
    return { topicId, partitions };
  });
  reader.taggedFields();
  return topics;
}

/** Sends a request whose response is flexible (response header v1), retrying the coordinator's retriable errors. */
async function flexibleRequest(client: RawKafkaClient, apiKey: number, version: number, body: Buffer): Promise<Reader> {
  const reader = await client.request(apiKey, version, body, true);
  reader.taggedFields(); // response header v1
  return reader;
}

export async function heartbeat(client: RawKafkaClient, request: Heartbeat, version = 1): Promise<HeartbeatAnswer> {
  for (let attempt = 0; ; attempt++) {
    const reader = await flexibleRequest(client, 68, version, heartbeatBody(request, version));
    reader.int32(); // throttle
    const errorCode = reader.int16();
    const answer: HeartbeatAnswer = {
      errorCode,
      errorMessage: reader.compactNullableString(),
      memberId: reader.compactNullableString(),
      memberEpoch: reader.int32(),
      heartbeatIntervalMs: reader.int32(),
      assignment: reader.int8() === -1 ? null : readAssignment(reader),
    };
    // Apache Kafka answers NOT_COORDINATOR until a FindCoordinator has made __consumer_offsets,
    // and COORDINATOR_LOAD_IN_PROGRESS while it loads: do what clients do, find it and retry.
    if (!RETRIABLE_COORDINATOR_ERRORS.has(errorCode) || attempt >= 100) return answer;
    await findCoordinator(client, request.groupId);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** FindCoordinator v2 for a group, as clients send it first; resolves with its error code. */
export async function findCoordinator(
  client: RawKafkaClient,
  key: string,
  keyType = 0,
): Promise<{ errorCode: number; errorMessage: string | null }> {
  const reader = await client.request(10, 2, Buffer.concat(new Writer().string(key).int8(keyType).finish()));
  reader.int32();
  return { errorCode: reader.int16(), errorMessage: reader.nullableString() };
}

export interface DescribedConsumerGroup {
  errorCode: number;
  errorMessage: string | null;
  groupId: string;
  state: string;
  groupEpoch: number;
  assignmentEpoch: number;
  assignorName: string;
  members: {
    memberId: string;
    instanceId: string | null;
    memberEpoch: number;
    clientId: string;
    subscribedTopicNames: string[];
    assignment: { topicName: string; partitions: number[] }[];
    targetAssignment: { topicName: string; partitions: number[] }[];
  }[];
}

export async function describeConsumerGroups(
  client: RawKafkaClient,
  groupIds: string[],
): Promise<DescribedConsumerGroup[]> {
  const body = Buffer.concat(
    new Writer()
      .compactArray(groupIds, (w, id) => w.compactString(id))
      .bool(false)
      .taggedFields()
      .finish(),
  );
  const reader = await flexibleRequest(client, 69, 0, body);
  reader.int32();
  const readTopics = (r: Reader) => {
    const topics = r.compactArray((t) => {
      t.uuid();
      const topicName = t.compactString();
      const partitions = t.compactArray((p) => p.int32()).sort((a, b) => a - b);
      t.taggedFields();
      return { topicName, partitions };
    });
    r.taggedFields();
    return topics;
  };
  return reader.compactArray((r) => {
    const group = {
      errorCode: r.int16(),
      errorMessage: r.compactNullableString(),
      groupId: r.compactString(),
      state: r.compactString(),
      groupEpoch: r.int32(),
      assignmentEpoch: r.int32(),
      assignorName: r.compactString(),
      members: r.compactArray((m) => {
        const memberId = m.compactString();
        const instanceId = m.compactNullableString();
        m.compactNullableString(); // rack
        const memberEpoch = m.int32();
        const clientId = m.compactString();
        m.compactString(); // client host
        const subscribedTopicNames = m.compactArray((s) => s.compactString());
        m.compactNullableString(); // regex
        const assignment = readTopics(m);
        const targetAssignment = readTopics(m);
        m.taggedFields();
        return { memberId, instanceId, memberEpoch, clientId, subscribedTopicNames, assignment, targetAssignment };
      }),
    };
    r.int32(); // authorized operations
    r.taggedFields();
    return group;
  });
}

/** ListGroups v5: every group with its protocol type, state and type (classic or consumer). */
export async function listGroups(
  client: RawKafkaClient,
): Promise<{ groupId: string; protocolType: string; state: string; type: string }[]> {
  const body = Buffer.concat(new Writer().uvarint(1).uvarint(1).taggedFields().finish());
  const reader = await flexibleRequest(client, 16, 5, body);
  reader.int32();
  reader.int16();
  return reader.compactArray((r) => {
    const group = {
      groupId: r.compactString(),
      protocolType: r.compactString(),
      state: r.compactString(),
      type: r.compactString(),
    };
    r.taggedFields();
    return group;
  });
}

/** Topic ids by name, from Metadata v12. */
export async function topicIds(client: RawKafkaClient, names: string[]): Promise<Map<string, string>> {
  const body = Buffer.concat(
    new Writer()
      .compactArray(names, (w, name) => w.uuid(Buffer.alloc(16)).compactString(name).taggedFields())
      .bool(false)
      .bool(false)
      .taggedFields()
      .finish(),
  );
  const reader = await flexibleRequest(client, 3, 12, body);
  reader.int32();
  reader.compactArray((r) => {
    r.int32();
    r.compactString();
    r.int32();
    r.compactNullableString();
    r.taggedFields();
  });
  reader.compactNullableString();
  reader.int32();
  const ids = new Map<string, string>();
  reader.compactArray((r) => {
    const errorCode = r.int16();
    const name = r.compactNullableString();
    const id = r.uuid().toString('hex');
    r.bool();
    r.compactArray((p) => {
      p.int16();
      p.int32();
      p.int32();
      p.int32();
      p.compactArray((x) => x.int32());
      p.compactArray((x) => x.int32());
      p.compactArray((x) => x.int32());
      p.taggedFields();
    });
    r.int32();
    r.taggedFields();
    if (errorCode === 0 && name !== null) ids.set(name, id);
  });
  return ids;
}

/** OffsetCommit of one partition at `version` (8 or 9: flexible); the partition's error code. */
export async function commitOffset(
  client: RawKafkaClient,
  version: number,
  request: { groupId: string; memberId: string; memberEpoch: number; topic: string; partition: number; offset: number },
): Promise<number> {
  const body = Buffer.concat(
    new Writer()
      .compactString(request.groupId)
      .int32(request.memberEpoch)
      .compactString(request.memberId)
      .compactNullableString(null)
      .compactArray([request.topic], (w, topic) =>
        w
          .compactString(topic)
          .compactArray([request.partition], (p, partition) =>
            p.int32(partition).int64(request.offset).int32(-1).compactNullableString(null).taggedFields(),
          )
          .taggedFields(),
      )
      .taggedFields()
      .finish(),
  );
  const reader = await flexibleRequest(client, 8, version, body);
  reader.int32();
  const [code] = reader.compactArray((t) => {
    t.compactString();
    const [partitionCode] = t.compactArray((p) => {
      p.int32();
      const errorCode = p.int16();
      p.taggedFields();
      return errorCode;
    });
    t.taggedFields();
    return partitionCode;
  });
  return code ?? -1;
}

export { RawKafkaClient };
