import { topicNameProblem } from '../log/index.js';
import { describeTopicConfigs, topicConfigsProblem } from '../log/topic-config.js';
import { ErrorCode } from '../protocol/errors.js';
import { VersionedReader, VersionedWriter } from '../protocol/versioned.js';
import type { ApiHandler } from './api.js';
import { topicIdBytes } from './topic-ids.js';

/** A dev broker keeps every partition open in one process: a bound that still fits a real load. */
export const MAX_PARTITIONS = 1000;

/*
 * CreateTopics (key 19), v0-7 (Apache Kafka 4.4 serves v2-7), flexible from v5.
 *
 * Request:  Topics [Name str, NumPartitions i32, ReplicationFactor i16,
 *                   Assignments [PartitionIndex i32, BrokerIds [i32]],
 *                   Configs [Name str, Value nstr]],
 *           TimeoutMs i32, ValidateOnly bool (v1+)
 * Response: ThrottleTimeMs i32 (v2+),
 *           Topics [Name str, TopicId uuid (v7+), ErrorCode i16, ErrorMessage nstr (v1+),
 *                   NumPartitions i32 (v5+), ReplicationFactor i16 (v5+),
 *                   Configs [Name str, Value nstr, ReadOnly bool, ConfigSource i8, IsSensitive bool] (v5+, nullable)]
 *
 * NumPartitions -1 and ReplicationFactor -1 mean the broker's default (kafkajs sends them).
 * Topic configs are checked and stored with the topic (log/topic-config.ts): an unknown name or
 * a bad value is INVALID_CONFIG naming it. Manual assignments are accepted and ignored: one node.
 */
export const createTopics: ApiHandler = {
  key: 19,
  name: 'CreateTopics',
  minVersion: 0,
  maxVersion: 7,
  flexibleFrom: 5,
  handle(request, response, { header, broker }) {
    const version = header.apiVersion;
    const flexible = version >= 5;
    const req = new VersionedReader(request, flexible);
    const res = new VersionedWriter(response, flexible);
    const topics = req.structArray((r) => {
      const name = r.string();
      const partitions = r.int32();
      const replicationFactor = r.int16();
      r.structArray((a) => {
        a.int32();
        a.array((b) => b.int32());
      });
      const configs: Record<string, string | null> = {};
      r.structArray((c) => {
        configs[c.string()] = c.nullableString();
      });
      return { name, partitions, replicationFactor, configs };
    });
    req.int32(); // timeout: creation is immediate
    const validateOnly = version >= 1 ? req.bool() : false;
    req.endStruct();

    if (version >= 2) res.int32(0);
    res.structArray(topics, (writer, topic) => {
      const partitions = topic.partitions === -1 ? broker.config.defaultPartitions : topic.partitions;
      let errorCode: ErrorCode = ErrorCode.NONE;
      let message: string | null = null;
      const nameProblem = topicNameProblem(topic.name);
      const configProblem = topicConfigsProblem(topic.configs);
      if (nameProblem !== null) [errorCode, message] = [ErrorCode.INVALID_TOPIC_EXCEPTION, nameProblem];
      else if (broker.log.partitionCount(topic.name) !== undefined) {
        [errorCode, message] = [ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${topic.name}' already exists.`];
      } else if (partitions < 1 || partitions > MAX_PARTITIONS) {
        [errorCode, message] = [
          ErrorCode.INVALID_PARTITIONS,
          `Number of partitions must be 1-${MAX_PARTITIONS}, got ${topic.partitions}.`,
        ];
      } else if (topic.replicationFactor !== -1 && topic.replicationFactor !== 1) {
        [errorCode, message] = [
          ErrorCode.INVALID_REPLICATION_FACTOR,
          `Unable to replicate the partition ${topic.replicationFactor} time(s): the number of brokers is 1.`,
        ];
      } else if (configProblem !== null) [errorCode, message] = [ErrorCode.INVALID_CONFIG, configProblem];
      else if (!validateOnly) broker.log.createTopic(topic.name, partitions, topic.configs as Record<string, string>);

      writer.string(topic.name);
      if (version >= 7) writer.uuid(topicIdBytes(broker.log.topicId(topic.name)));
      writer.int16(errorCode);
      if (version >= 1) writer.nullableString(message);
      if (version >= 5) {
        const ok = errorCode === ErrorCode.NONE;
        writer.int32(ok ? partitions : -1).int16(ok ? 1 : -1);
        if (!ok) writer.nullableArray(null, () => {});
        else {
          const overrides = Object.fromEntries(
            Object.entries(topic.configs).filter((entry): entry is [string, string] => entry[1] !== null),
          );
          writer.structArray(describeTopicConfigs(overrides, broker.log.brokerTopicDefaults), (w, config) => {
            w.string(config.name);
            w.nullableString(config.value);
            w.bool(false).int8(config.source).bool(false);
          });
        }
      }
    });
    res.endStruct();
  },
};
