import { topicNameProblem } from '../log/index.js';
import { ErrorCode } from '../protocol/errors.js';
import { VersionedReader, VersionedWriter } from '../protocol/versioned.js';
import { type ApiHandler, AUTHORIZED_OPERATIONS_OMITTED, type BrokerContext } from './api.js';
import { topicIdBytes } from './topic-ids.js';

/*
 * Metadata (key 3), v0-12, flexible from v9.
 *
 * Request:  Topics [TopicId uuid (v10+), Name str (nullable v10+), tags] (nullable from v1),
 *           AllowAutoTopicCreation bool (v4+), IncludeClusterAuthorizedOperations bool (v8-10),
 *           IncludeTopicAuthorizedOperations bool (v8+), tags
 *   v0: [] means every topic. v1+: null means every topic, [] means none (brokers only).
 *   v10+: a topic may be named by id alone (name null), as the KIP-848 consumer does.
 * Response: ThrottleTimeMs i32 (v3+),
 *           Brokers [NodeId i32, Host str, Port i32, Rack nstr (v1+), tags],
 *           ClusterId nstr (v2+), ControllerId i32 (v1+),
 *           Topics [ErrorCode i16, Name str (nullable v12+), TopicId uuid (v10+), IsInternal bool (v1+),
 *                   Partitions [ErrorCode i16, PartitionIndex i32, LeaderId i32, LeaderEpoch i32 (v7+),
 *                               ReplicaNodes [i32], IsrNodes [i32], OfflineReplicas [i32] (v5+), tags],
 *                   TopicAuthorizedOperations i32 (v8+), tags],
 *           ClusterAuthorizedOperations i32 (v8-10), tags
 *
 * One node: it leads every partition (leader epoch 0) and is the controller (kafkajs and
 * kafka-python send admin requests to the controller). A topic created by this request is
 * answered with LEADER_NOT_AVAILABLE, as Apache Kafka does; clients ask again. Topic ids
 * (v10+) are what KIP-848 assignments name topics by. No ACLs: authorized operations are
 * Kafka's "not requested" value. v13 (a top-level error code for re-bootstrapping) is not served.
 */

export const metadata: ApiHandler = {
  key: 3,
  name: 'Metadata',
  minVersion: 0,
  maxVersion: 12,
  flexibleFrom: 9,
  handle(request, response, { header, broker }) {
    const version = header.apiVersion;
    const r = new VersionedReader(request, version >= 9);
    const readTopic = (t: VersionedReader): { id: string | null; name: string | null } => ({
      id: version >= 10 ? t.uuid().toString('hex') : null,
      name: version >= 10 ? t.nullableString() : t.string(),
    });
    const requested = version === 0 ? r.structArray(readTopic) : r.nullableStructArray(readTopic);
    const allowAutoCreate = version >= 4 ? r.bool() : true;
    if (version >= 8 && version <= 10) r.bool(); // include cluster authorized operations
    if (version >= 8) r.bool(); // include topic authorized operations
    r.endStruct();

    const allTopics = requested === null || (version === 0 && requested.length === 0);
    const topics = allTopics
      ? broker.log.topicNames().map((name) => ({ id: null, name }))
      : (requested as { id: string | null; name: string | null }[]);

    const w = new VersionedWriter(response, version >= 9);
    if (version >= 3) w.int32(0);
    w.structArray([broker.node], (b, node) => {
      b.int32(node.id).string(node.host).int32(node.port);
      if (version >= 1) b.nullableString(null);
    });
    if (version >= 2) w.nullableString(broker.clusterId);
    if (version >= 1) w.int32(broker.node.id);
    w.structArray(topics, (t, topic) => {
      const { errorCode, name, partitions } = describeTopic(broker, topic, allowAutoCreate && !allTopics);
      t.int16(errorCode);
      if (version >= 12) t.nullableString(name);
      else t.string(name ?? '');
      if (version >= 10) t.uuid(topicIdBytes(name === null ? undefined : broker.log.topicId(name)));
      if (version >= 1) t.bool(false);
      t.structArray(
        Array.from({ length: partitions }, (_, i) => i),
        (p, index) => {
          p.int16(ErrorCode.NONE).int32(index).int32(broker.node.id);
          if (version >= 7) p.int32(0); // leader epoch
          p.array([broker.node.id], (a, id) => a.int32(id));
          p.array([broker.node.id], (a, id) => a.int32(id));
          if (version >= 5) p.array([], () => {});
        },
      );
      if (version >= 8) t.int32(AUTHORIZED_OPERATIONS_OMITTED);
    });
    if (version >= 8 && version <= 10) w.int32(AUTHORIZED_OPERATIONS_OMITTED);
    w.endStruct();
  },
};

function describeTopic(
  broker: BrokerContext,
  topic: { id: string | null; name: string | null },
  mayCreate: boolean,
): { errorCode: ErrorCode; name: string | null; partitions: number } {
  // Asked for by id alone (v10+): Apache Kafka answers UNKNOWN_TOPIC_ID for an id it does not know.
  const name = topic.name ?? (topic.id === null ? undefined : broker.log.topicNameById(topic.id));
  if (name === undefined) return { errorCode: ErrorCode.UNKNOWN_TOPIC_ID, name: null, partitions: 0 };
  const partitions = broker.log.partitionCount(name);
  if (partitions !== undefined) return { errorCode: ErrorCode.NONE, name, partitions };
  if (topicNameProblem(name) !== null) return { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, name, partitions: 0 };
  if (!mayCreate || !broker.config.autoCreateTopics)
    return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name, partitions: 0 };
  broker.log.createTopic(name, broker.config.defaultPartitions);
  return { errorCode: ErrorCode.LEADER_NOT_AVAILABLE, name, partitions: 0 };
}
