import { ErrorCode } from '../protocol/errors.js';
import { VersionedReader, VersionedWriter } from '../protocol/versioned.js';
import { MAX_PARTITIONS } from './19-create-topics.js';
import type { ApiHandler } from './api.js';

/*
 * CreatePartitions (key 37), v0-3 (as Apache Kafka 4.4), flexible from v2.
 *
 * Request:  Topics [Name str, Count i32, Assignments [BrokerIds [i32]] (nullable)], TimeoutMs i32, ValidateOnly bool
 * Response: ThrottleTimeMs i32, Results [Name str, ErrorCode i16, ErrorMessage nstr]
 *
 * Grows a topic to Count partitions; the new ones are empty and ready before the answer.
 * Fewer or as many as now: INVALID_PARTITIONS; an assignment naming another broker:
 * ErrorCode.INVALID_REPLICA_ASSIGNMENT (39); a topic named twice: INVALID_REQUEST.
 */

export const createPartitions: ApiHandler = {
  key: 37,
  name: 'CreatePartitions',
  minVersion: 0,
  maxVersion: 3,
  flexibleFrom: 2,
  handle(request, response, { header, broker }) {
    const flexible = header.apiVersion >= 2;
    const req = new VersionedReader(request, flexible);
    const res = new VersionedWriter(response, flexible);
    const topics = req.structArray((r) => {
      const name = r.string();
      const count = r.int32();
      const assignments = r.nullableStructArray((a) => a.array((b) => b.int32()));
      return { name, count, assignments };
    });
    req.int32(); // timeout: creation is immediate
    const validateOnly = req.bool();
    req.endStruct();
    const named = new Map<string, number>();
    for (const topic of topics) named.set(topic.name, (named.get(topic.name) ?? 0) + 1);

    res.int32(0);
    res.structArray(topics, (writer, topic) => {
      const current = broker.log.partitionCount(topic.name);
      let errorCode: number = ErrorCode.NONE;
      let message: string | null = null;
      if ((named.get(topic.name) ?? 0) > 1) {
        [errorCode, message] = [ErrorCode.INVALID_REQUEST, `Duplicate topic in request: ${topic.name}`];
      } else if (current === undefined) {
        [errorCode, message] = [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${topic.name}' does not exist.`];
      } else if (topic.count === current) {
        [errorCode, message] = [ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partition(s).`];
      } else if (topic.count < current) {
        [errorCode, message] = [
          ErrorCode.INVALID_PARTITIONS,
          `The topic ${topic.name} currently has ${current} partition(s); ${topic.count} would not be an increase.`,
        ];
      } else if (topic.count > MAX_PARTITIONS) {
        [errorCode, message] = [
          ErrorCode.INVALID_PARTITIONS,
          `Number of partitions must be at most ${MAX_PARTITIONS}.`,
        ];
      } else if (topic.assignments?.some((ids) => ids.some((id) => id !== broker.node.id)) === true) {
        [errorCode, message] = [ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The only broker is ${broker.node.id}.`];
      } else if (topic.assignments !== null && topic.assignments.length !== topic.count - current) {
        [errorCode, message] = [
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `${topic.assignments.length} assignments for ${topic.count - current} new partition(s).`,
        ];
      } else if (!validateOnly) broker.log.addPartitions(topic.name, topic.count);
      writer.string(topic.name);
      writer.int16(errorCode);
      writer.nullableString(message);
    });
    res.endStruct();
  },
};
