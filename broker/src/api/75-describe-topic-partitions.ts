import { ErrorCode, MalformedRequestError } from '../protocol/errors.js';
import type { Reader } from '../protocol/reader.js';
import { type ApiHandler, AUTHORIZED_OPERATIONS_OMITTED } from './api.js';
import { topicIdBytes } from './topic-ids.js';

/*
 * DescribeTopicPartitions (key 75), v0 (as Apache Kafka 4.4), flexible. The Java admin
 * client's describeTopics uses it.
 *
 * Request:  Topics [Name cstr], ResponsePartitionLimit i32, Cursor {TopicName cstr, PartitionIndex i32} (nullable)
 * Response: ThrottleTimeMs i32,
 *           Topics [ErrorCode i16, Name cnstr, TopicId uuid, IsInternal bool,
 *                   Partitions [ErrorCode i16, PartitionIndex i32, LeaderId i32, LeaderEpoch i32,
 *                               ReplicaNodes [i32], IsrNodes [i32], EligibleLeaderReplicas [i32] (nullable),
 *                               LastKnownElr [i32] (nullable), OfflineReplicas [i32]],
 *                   TopicAuthorizedOperations i32],
 *           NextCursor {TopicName cstr, PartitionIndex i32} (nullable)
 *
 * No topics means every topic. Topics are answered in name order from the cursor on, at most
 * ResponsePartitionLimit partitions (1-2000) in all; NextCursor says where the next page starts.
 * A cursor whose topic is not among those asked for, or with a negative partition, is refused
 * (Apache Kafka's InvalidRequestException): this message has no error field for it, so the
 * connection is closed with one log line.
 */
const MAX_PARTITIONS_PER_RESPONSE = 2000;
/** READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS: all, with no authorizer. */
const TOPIC_OPERATIONS = [3, 4, 5, 6, 7, 8, 10, 11].reduce((bits, operation) => bits | (1 << operation), 0);

interface Cursor {
  topic: string;
  partition: number;
}

function readCursor(reader: Reader): Cursor | null {
  if (reader.int8() === -1) return null;
  const cursor = { topic: reader.compactString(), partition: reader.int32() };
  reader.taggedFields();
  return cursor;
}

export const describeTopicPartitions: ApiHandler = {
  key: 75,
  name: 'DescribeTopicPartitions',
  minVersion: 0,
  maxVersion: 0,
  flexibleFrom: 0,
  handle(request, response, { broker }) {
    const requested = request.compactArray((r) => {
      const name = r.compactString();
      r.taggedFields();
      return name;
    });
    const limit = Math.max(1, Math.min(MAX_PARTITIONS_PER_RESPONSE, request.int32()));
    const cursor = readCursor(request);
    request.taggedFields();
    const all = requested.length === 0;
    const from = cursor?.topic ?? '';
    const names = [...new Set(all ? broker.log.topicNames() : requested)].filter((name) => name >= from).sort();
    if (cursor !== null && (cursor.partition < 0 || (!all && !names.includes(cursor.topic)))) {
      throw new MalformedRequestError(
        `cursor ${cursor.topic}/${cursor.partition} is not a partition of the topics asked for`,
      );
    }

    let left = limit;
    let next: Cursor | null = null;
    const topics: { name: string; count: number | undefined; first: number; last: number }[] = [];
    for (const name of names) {
      const count = broker.log.partitionCount(name);
      if (count === undefined) {
        if (!all) topics.push({ name, count, first: 0, last: 0 });
        continue;
      }
      const first = name === cursor?.topic ? cursor.partition : 0;
      if (left === 0) {
        next = { topic: name, partition: first };
        break;
      }
      const last = Math.min(count, first + left);
      topics.push({ name, count, first, last });
      left -= last - first;
      if (last < count) {
        next = { topic: name, partition: last };
        break;
      }
    }

    response.int32(0);
    response.compactArray(topics, (writer, topic) => {
      writer.int16(topic.count === undefined ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.NONE);
      writer.compactNullableString(topic.name);
      writer.uuid(topicIdBytes(broker.log.topicId(topic.name)));
      writer.bool(false);
      const partitions = Array.from({ length: topic.last - topic.first }, (_, i) => topic.first + i);
      writer.compactArray(partitions, (w, index) => {
        const node = broker.node.id;
        w.int16(ErrorCode.NONE).int32(index).int32(node).int32(0);
        w.compactArray([node], (n, id) => n.int32(id));
        w.compactArray([node], (n, id) => n.int32(id));
        // No eligible leader replicas, none last known: empty, never null (the Java client streams them).
        w.compactArray([], () => {}).compactArray([], () => {});
        w.compactArray([], () => {});
        w.taggedFields();
      });
      writer.int32(topic.count === undefined ? AUTHORIZED_OPERATIONS_OMITTED : TOPIC_OPERATIONS);
      writer.taggedFields();
    });
    if (next === null) response.int8(-1);
    else response.int8(1).compactString(next.topic).int32(next.partition).taggedFields();
    response.taggedFields();
  },
};
