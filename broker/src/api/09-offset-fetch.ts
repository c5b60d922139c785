import type { GroupCoordinator } from '../groups/index.js';
import { ErrorCode } from '../protocol/errors.js';
import { VersionedReader, VersionedWriter } from '../protocol/versioned.js';
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
    const r = new VersionedReader(request, version >= 6);
    const readTopics = (q: VersionedReader) =>
      q.nullableStructArray((t) => ({ name: t.string(), partitions: t.array((p) => p.int32()) }));
    let queries: GroupQuery[];
    if (version >= 8) {
      queries = r.structArray((g) => {
        const groupId = g.string();
        const memberId = version >= 9 ? g.nullableString() : null;
        const memberEpoch = version >= 9 ? g.int32() : -1;
        return { groupId, memberId, memberEpoch, topics: readTopics(g) };
      });
    } else {
      queries = [{ groupId: r.string(), memberId: null, memberEpoch: -1, topics: readTopics(r) }];
    }
    if (version >= 7) r.bool(); // require stable
    r.endStruct();

    const w = new VersionedWriter(response, version >= 6);
    if (version >= 3) w.int32(0);
    if (version < 8) {
      const [query] = queries as [GroupQuery];
      writeTopics(w, version, broker.groups, query.groupId, query.topics);
      if (version >= 2) w.int16(ErrorCode.NONE);
      w.endStruct();
      return;
    }
    w.structArray(queries, (g, query) => {
      g.string(query.groupId);
      const refusal = broker.groups.checkOffsetFetch(query.groupId, query.memberId, query.memberEpoch);
      if (refusal !== undefined) {
        g.structArray([], () => {});
        g.int16(refusal.errorCode);
      } else {
        writeTopics(g, version, broker.groups, query.groupId, query.topics);
        g.int16(ErrorCode.NONE);
      }
    });
    w.endStruct();
  },
};

function writeTopics(
  w: VersionedWriter,
  version: number,
  groups: GroupCoordinator,
  groupId: string,
  requested: { name: string; partitions: number[] }[] | null,
): void {
  const topics = requested ?? everyCommitted(groups.committedPartitions(groupId));
  w.structArray(topics, (t, topic) => {
    t.string(topic.name).structArray(topic.partitions, (p, partition) => {
      const committed = groups.committed(groupId, topic.name, partition);
      p.int32(partition).int64(committed?.offset ?? -1);
      if (version >= 5) p.int32(committed?.leaderEpoch ?? -1);
      p.nullableString(committed?.metadata ?? '').int16(ErrorCode.NONE);
    });
  });
}

function everyCommitted(entries: { topic: string; partition: number }[]): { name: string; partitions: number[] }[] {
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of entries) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
  return [...byTopic].map(([name, partitions]) => ({ name, partitions }));
}
