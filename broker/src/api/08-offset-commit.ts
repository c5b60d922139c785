import { ErrorCode } from '../protocol/errors.js';
import type { ApiHandler } from './api.js';

/*
 * OffsetCommit (key 8), v0-5, none flexible (v8+ would be).
 *
 * Request:  GroupId str, GenerationId i32 (v1+), MemberId str (v1+), RetentionTimeMs i64 (v2-4),
 *           Topics [Name str, Partitions [PartitionIndex i32, CommittedOffset i64,
 *                   CommitTimestamp i64 (v1 only), CommittedMetadata nstr]]
 * Response: ThrottleTimeMs i32 (v3+), Topics [Name str, Partitions [PartitionIndex i32, ErrorCode i16]]
 *
 * Answered once the commit is on disk. Offsets are kept until the topic is deleted or
 * forever: per-commit retention is ignored (docs/broker.md).
 */
const MAX_METADATA_CHARS = 4096;

export const offsetCommit: ApiHandler = {
  key: 8,
  name: 'OffsetCommit',
  minVersion: 0,
  maxVersion: 5,
  flexibleFrom: null,
  async handle(request, response, { header, broker }) {
    const version = header.apiVersion;
    const groupId = request.string();
    const generationId = version >= 1 ? request.int32() : -1;
    const memberId = version >= 1 ? request.string() : '';
    if (version >= 2 && version <= 4) request.int64();
    const topics = request.array((r) => ({
      name: r.string(),
      partitions: r.array((p) => {
        const index = p.int32();
        const offset = p.int64();
        if (version === 1) p.int64();
        return { index, offset, metadata: p.nullableString() };
      }),
    }));
    const commits = topics.flatMap((topic) =>
      topic.partitions
        .filter((p) => (p.metadata?.length ?? 0) <= MAX_METADATA_CHARS)
        .map((p) => ({ topic: topic.name, partition: p.index, committed: { offset: p.offset, metadata: p.metadata } })),
    );
    const errorCode = await broker.groups.commit(groupId, generationId, memberId, commits);
    if (version >= 3) response.int32(0);
    response.array(topics, (writer, topic) => {
      writer.string(topic.name).array(topic.partitions, (w, p) => {
        const tooLarge = (p.metadata?.length ?? 0) > MAX_METADATA_CHARS;
        w.int32(p.index).int16(tooLarge ? ErrorCode.OFFSET_METADATA_TOO_LARGE : errorCode);
      });
    });
  },
};
