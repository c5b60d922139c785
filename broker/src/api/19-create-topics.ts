import { topicNameProblem } from '../log/index.js';
import { ErrorCode } from '../protocol/errors.js';
import type { ApiHandler } from './api.js';

/** A dev broker keeps every partition open in one process: a bound that still fits a real load. */
const MAX_PARTITIONS = 1000;

/*
 * CreateTopics (key 19), v0-3, none flexible (v5+ would be).
 *
 * Request:  Topics [Name str, NumPartitions i32, ReplicationFactor i16,
 *                   Assignments [PartitionIndex i32, BrokerIds [i32]],
 *                   Configs [Name str, Value nstr]],
 *           TimeoutMs i32, ValidateOnly bool (v1+)
 * Response: ThrottleTimeMs i32 (v2+), Topics [Name str, ErrorCode i16, ErrorMessage nstr (v1+)]
 *
 * NumPartitions -1 and ReplicationFactor -1 mean the broker's default (kafkajs sends them).
 * Manual assignments and topic configs are accepted but not applied: one node, broker-wide
 * retention (docs/broker.md).
 */
export const createTopics: ApiHandler = {
  key: 19,
  name: 'CreateTopics',
  minVersion: 0,
  maxVersion: 3,
  flexibleFrom: null,
  handle(request, response, { header, broker }) {
    const version = header.apiVersion;
    const topics = request.array((r) => {
      const name = r.string();
      const partitions = r.int32();
      const replicationFactor = r.int16();
      r.array((a) => {
        a.int32();
        a.array((b) => b.int32());
      });
      r.array((c) => {
        c.string();
        c.nullableString();
      });
      return { name, partitions, replicationFactor };
    });
    request.int32(); // timeout: creation is immediate
    const validateOnly = version >= 1 ? request.bool() : false;

    if (version >= 2) response.int32(0);
    response.array(topics, (writer, topic) => {
      const partitions = topic.partitions === -1 ? broker.config.defaultPartitions : topic.partitions;
      let errorCode: ErrorCode = ErrorCode.NONE;
      let message: string | null = null;
      const nameProblem = topicNameProblem(topic.name);
      if (nameProblem !== null) [errorCode, message] = [ErrorCode.INVALID_TOPIC_EXCEPTION, nameProblem];
      else if (broker.log.partitionCount(topic.name) !== undefined) {
        [errorCode, message] = [ErrorCode.TOPIC_ALREADY_EXISTS, `topic '${topic.name}' already exists`];
      } else if (partitions < 1 || partitions > MAX_PARTITIONS) {
        [errorCode, message] = [
          ErrorCode.INVALID_PARTITIONS,
          `number of partitions must be 1-${MAX_PARTITIONS}, got ${topic.partitions}`,
        ];
      } else if (topic.replicationFactor !== -1 && topic.replicationFactor !== 1) {
        [errorCode, message] = [
          ErrorCode.INVALID_REPLICATION_FACTOR,
          `replication factor ${topic.replicationFactor} is larger than the 1 broker available`,
        ];
      } else if (!validateOnly) broker.log.createTopic(topic.name, partitions);
      writer.string(topic.name).int16(errorCode);
      if (version >= 1) writer.nullableString(message);
    });
  },
};
