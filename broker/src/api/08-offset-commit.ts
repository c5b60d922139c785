import { MAX_OFFSET_METADATA_CHARS } from '../groups/index.js';
import { ErrorCode } from '../protocol/errors.js';
import { VersionedReader, VersionedWriter } from '../protocol/versioned.js';
import type { ApiHandler } from './api.js';

/*
 * OffsetCommit (key 8), v0-9, flexible from v8.
 *
 * Request:  GroupId str, GenerationIdOrMemberEpoch i32 (v1+), MemberId str (v1+),
 *           GroupInstanceId nstr (v7+), RetentionTimeMs i64 (v2-4),
 *           Topics [Name str, Partitions [PartitionIndex i32, CommittedOffset i64,
 *                   CommittedLeaderEpoch i32 (v6+), CommitTimestamp i64 (v1 only),
 *                   CommittedMetadata nstr, tags], tags], tags
 * Response: ThrottleTimeMs i32 (v3+), Topics [Name str, Partitions [PartitionIndex i32, ErrorCode i16, tags], tags], tags
 *
 * For a consumer-protocol (KIP-848) group the generation is the member epoch, and its members
 * must commit with v9+ (UNSUPPORTED_VERSION below, as Apache Kafka answers); a wrong epoch is
 * STALE_MEMBER_EPOCH. Answered once the commit is on disk. Offsets are kept until the topic is
 * deleted or forever: per-commit retention is ignored (docs/broker.md). v10 (topics by id) is not served.
 */
export const offsetCommit: ApiHandler = {
  key: 8,
  name: 'OffsetCommit',
  minVersion: 0,
  maxVersion: 9,
  flexibleFrom: 8,
  async handle(request, response, { header, broker }) {
    const version = header.apiVersion;
    const r = new VersionedReader(request, version >= 8);
    const groupId = r.string();
    const generationId = version >= 1 ? r.int32() : -1;
    const memberId = version >= 1 ? r.string() : '';
    if (version >= 7) r.nullableString(); // group instance id
    if (version >= 2 && version <= 4) r.int64();
    const topics = r.structArray((t) => ({
      name: t.string(),
      partitions: t.structArray((p) => {
        const index = p.int32();
        const offset = p.int64();
        const leaderEpoch = version >= 6 ? p.int32() : -1;
        if (version === 1) p.int64();
        return { index, offset, leaderEpoch, metadata: p.nullableString() };
      }),
    }));
    r.endStruct();
    const commits = topics.flatMap((topic) =>
      topic.partitions
        .filter((p) => (p.metadata?.length ?? 0) <= MAX_OFFSET_METADATA_CHARS)
        .map((p) => ({
          topic: topic.name,
          partition: p.index,
          committed: { offset: p.offset, metadata: p.metadata, leaderEpoch: p.leaderEpoch },
        })),
    );
    const errorCode = await broker.groups.commit(groupId, generationId, memberId, commits, version);
    const w = new VersionedWriter(response, version >= 8);
    if (version >= 3) w.int32(0);
    w.structArray(topics, (t, topic) => {
      t.string(topic.name).structArray(topic.partitions, (pw, p) => {
        const tooLarge = (p.metadata?.length ?? 0) > MAX_OFFSET_METADATA_CHARS;
        pw.int32(p.index).int16(tooLarge ? ErrorCode.OFFSET_METADATA_TOO_LARGE : errorCode);
      });
    });
    w.endStruct();
  },
};
