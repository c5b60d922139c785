import { ErrorCode } from '../protocol/errors.js';
import type { ApiHandler } from './api.js';

/*
 * OffsetFetch (key 9), v0-4, none flexible (v6+ would be).
 *
 * Request:  GroupId str, Topics [Name str, PartitionIndexes [i32]] (null = all, v2+)
 * Response: ThrottleTimeMs i32 (v3+),
 *           Topics [Name str, Partitions [PartitionIndex i32, CommittedOffset i64, Metadata nstr, ErrorCode i16]],
 *           ErrorCode i16 (v2+)
 *
 * A partition with no commit answers offset -1 and metadata "".
 */
export const offsetFetch: ApiHandler = {
  key: 9,
  name: 'OffsetFetch',
  minVersion: 0,
  maxVersion: 4,
  flexibleFrom: null,
  handle(request, response, { header, broker }) {
    const version = header.apiVersion;
    const groupId = request.string();
    const requested = request.nullableArray((r) => ({ name: r.string(), partitions: r.array((p) => p.int32()) }));
    const topics = requested ?? everyCommitted(broker.groups.committedPartitions(groupId));

    if (version >= 3) response.int32(0);
    response.array(topics, (writer, topic) => {
      writer.string(topic.name).array(topic.partitions, (w, partition) => {
        const committed = broker.groups.committed(groupId, topic.name, partition);
        w.int32(partition)
          .int64(committed?.offset ?? -1)
          .nullableString(committed?.metadata ?? '')
          .int16(ErrorCode.NONE);
      });
    });
    if (version >= 2) response.int16(ErrorCode.NONE);
  },
};

function everyCommitted(entries: { topic: string; partition: number }[]): { name: string; partitions: number[] }[] {
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of entries) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
  return [...byTopic].map(([name, partitions]) => ({ name, partitions }));
}
