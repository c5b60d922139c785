import { topicNameProblem } from '../log/index.js';
import { describeTopicConfigs, topicConfigsProblem } from '../log/topic-config.js';
import { ErrorCode } from '../protocol/errors.js';
import type { ApiHandler } from './api.js';
import { flexibleCodec } from './flexible.js';

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
    const wire = flexibleCodec(version >= 5);
    const topics = wire.readArray(request, (r) => {
      const name = wire.readString(r);
      const partitions = r.int32();
      const replicationFactor = r.int16();
      wire.readArray(r, (a) => {
        a.int32();
        wire.readArray(a, (b) => b.int32());
        wire.skipTags(a);
      });
      const configs: Record<string, string | null> = {};
      wire.readArray(r, (c) => {
        configs[wire.readString(c)] = wire.readNullableString(c);
        wire.skipTags(c);
      });
      wire.skipTags(r);
      return { name, partitions, replicationFactor, configs };
    });
    request.int32(); // timeout: creation is immediate
    const validateOnly = version >= 1 ? request.bool() : false;
    wire.skipTags(request);

    if (version >= 2) response.int32(0);
    wire.writeArray(response, topics, (writer, topic) => {
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

      wire.writeString(writer, topic.name);
      if (version >= 7) writer.uuid(Buffer.from(broker.log.topicId(topic.name) ?? '00'.repeat(16), 'hex'));
      writer.int16(errorCode);
      if (version >= 1) wire.writeNullableString(writer, message);
      if (version >= 5) {
        const ok = errorCode === ErrorCode.NONE;
        writer.int32(ok ? partitions : -1).int16(ok ? 1 : -1);
        if (!ok) wire.writeNullableArray(writer, null, () => {});
        else {
          const overrides = Object.fromEntries(
            Object.entries(topic.configs).filter((entry): entry is [string, string] => entry[1] !== null),
          );
          wire.writeArray(writer, describeTopicConfigs(overrides, broker.log.brokerTopicDefaults), (w, config) => {
            wire.writeString(w, config.name);
            wire.writeNullableString(w, config.value);
            w.bool(false).int8(config.source).bool(false);
            wire.writeTags(w);
          });
        }
      }
      wire.writeTags(writer);
    });
    wire.writeTags(response);
  },
};
