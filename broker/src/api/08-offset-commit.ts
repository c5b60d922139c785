import { ErrorCode } from '../protocol/errors.js';
import { fieldReader, fieldWriter } from '../protocol/flexible.js';
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
const MAX_METADATA_CHARS = 4096;

export const offsetCommit: ApiHandler = {
  key: 8,
  name: 'OffsetCommit',
  minVersion: 0,
  maxVersion: 9,
  flexibleFrom: 8,
  async handle(request, response, { header, broker }) {
    const version = header.apiVersion;
    const f = fieldReader(request, version >= 8);
    const groupId = f.string();
    const generationId = version >= 1 ? request.int32() : -1;
    const memberId = version >= 1 ? f.string() : '';
    if (version >= 7) f.nullableString(); // group instance id
    if (version >= 2 && version <= 4) request.int64();
    const topics = f.array(() => {
      const name = f.string();
      const partitions = f.array(() => {
        const index = request.int32();
        const offset = request.int64();
        const leaderEpoch = version >= 6 ? request.int32() : -1;
        if (version === 1) request.int64();
        const metadata = f.nullableString();
        f.tags();
        return { index, offset, leaderEpoch, metadata };
      });
      f.tags();
      return { name, partitions };
    });
    f.tags();
    const commits = topics.flatMap((topic) =>
      topic.partitions
        .filter((p) => (p.metadata?.length ?? 0) <= MAX_METADATA_CHARS)
        .map((p) => ({
          topic: topic.name,
          partition: p.index,
          committed: { offset: p.offset, metadata: p.metadata, leaderEpoch: p.leaderEpoch },
        })),
    );
    const errorCode = await broker.groups.commit(groupId, generationId, memberId, commits, version);
    const w = fieldWriter(response, version >= 8);
    if (version >= 3) response.int32(0);
    w.array(topics, (topic) => {
      w.string(topic.name);
      w.array(topic.partitions, (p) => {
        const tooLarge = (p.metadata?.length ?? 0) > MAX_METADATA_CHARS;
        response.int32(p.index).int16(tooLarge ? ErrorCode.OFFSET_METADATA_TOO_LARGE : errorCode);
        w.tags();
      });
      w.tags();
    });
    w.tags();
  },
};
