import type { GroupCoordinator } from '../groups/index.js';
import { ErrorCode } from '../protocol/errors.js';
import { type FieldWriter, fieldReader, fieldWriter } from '../protocol/flexible.js';
import type { Writer } from '../protocol/writer.js';
import type { ApiHandler } from './api.js';

/*
 * OffsetFetch (key 9), v0-9, flexible from v6.
 *
 * Request v0-7: GroupId str, Topics [Name str, PartitionIndexes [i32], tags] (null = all, v2+),
 *               RequireStable bool (v7+), tags
 * Request v8+:  Groups [GroupId str, MemberId nstr (v9+), MemberEpoch i32 (v9+), Topics (as above), tags],
 *               RequireStable bool, tags
 * Response v0-7: ThrottleTimeMs i32 (v3+),
 *           Topics [Name str, Partitions [PartitionIndex i32, CommittedOffset i64,
 *                   CommittedLeaderEpoch i32 (v5+), Metadata nstr, ErrorCode i16, tags], tags],
 *           ErrorCode i16 (v2+), tags
 * Response v8+: ThrottleTimeMs i32, Groups [GroupId str, Topics (as above), ErrorCode i16, tags], tags
 *
 * A partition with no commit answers offset -1 and metadata "". A consumer-protocol member
 * naming itself (v9+) must name its current epoch (STALE_MEMBER_EPOCH otherwise). There are
 * no transactions here, so RequireStable changes nothing. v10 (topics by id) is not served.
 */
interface GroupQuery {
  groupId: string;
  memberId: string | null;
  memberEpoch: number;
  topics: { name: string; partitions: number[] }[] | null;
}

export const offsetFetch: ApiHandler = {
  key: 9,
  name: 'OffsetFetch',
  minVersion: 0,
  maxVersion: 9,
  flexibleFrom: 6,
  handle(request, response, { header, broker }) {
    const version = header.apiVersion;
    const f = fieldReader(request, version >= 6);
    const readTopics = () =>
      f.nullableArray(() => {
        const name = f.string();
        const partitions = f.array(() => request.int32());
        f.tags();
        return { name, partitions };
      });
    let queries: GroupQuery[];
    if (version >= 8) {
      queries = f.array(() => {
        const groupId = f.string();
        const memberId = version >= 9 ? f.nullableString() : null;
        const memberEpoch = version >= 9 ? request.int32() : -1;
        const topics = readTopics();
        f.tags();
        return { groupId, memberId, memberEpoch, topics };
      });
    } else {
      queries = [{ groupId: f.string(), memberId: null, memberEpoch: -1, topics: readTopics() }];
    }
    if (version >= 7) request.bool(); // require stable
    f.tags();

    const w = fieldWriter(response, version >= 6);
    if (version >= 3) response.int32(0);
    if (version < 8) {
      const [query] = queries as [GroupQuery];
      writeTopics(response, w, version, broker.groups, query.groupId, query.topics);
      if (version >= 2) response.int16(ErrorCode.NONE);
      w.tags();
      return;
    }
    w.array(queries, (query) => {
      w.string(query.groupId);
      const refusal = broker.groups.checkOffsetFetch(query.groupId, query.memberId, query.memberEpoch);
      if (refusal !== undefined) {
        w.array([], () => {});
        response.int16(refusal.errorCode);
      } else {
        writeTopics(response, w, version, broker.groups, query.groupId, query.topics);
        response.int16(ErrorCode.NONE);
      }
      w.tags();
    });
    w.tags();
  },
};

function writeTopics(
  response: Writer,
  w: FieldWriter,
  version: number,
  groups: GroupCoordinator,
  groupId: string,
  requested: { name: string; partitions: number[] }[] | null,
): void {
  const topics = requested ?? everyCommitted(groups.committedPartitions(groupId));
  w.array(topics, (topic) => {
    w.string(topic.name);
    w.array(topic.partitions, (partition) => {
      const committed = groups.committed(groupId, topic.name, partition);
      response.int32(partition).int64(committed?.offset ?? -1);
      if (version >= 5) response.int32(committed?.leaderEpoch ?? -1);
      w.nullableString(committed?.metadata ?? '');
      response.int16(ErrorCode.NONE);
      w.tags();
    });
    w.tags();
  });
}

function everyCommitted(entries: { topic: string; partition: number }[]): { name: string; partitions: number[] }[] {
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of entries) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
  return [...byTopic].map(([name, partitions]) => ({ name, partitions }));
}
