import { topicNameProblem } from '../log/index.js';
import { ErrorCode } from '../protocol/errors.js';
import type { ApiHandler, BrokerContext } from './api.js';

/*
 * Metadata (key 3), v0-6, none flexible (v9+ would be).
 *
 * Request:  Topics [Name str] (nullable from v1), AllowAutoTopicCreation bool (v4+)
 *   v0: [] means every topic. v1+: null means every topic, [] means none (brokers only).
 * Response: ThrottleTimeMs i32 (v3+),
 *           Brokers [NodeId i32, Host str, Port i32, Rack nstr (v1+)],
 *           ClusterId nstr (v2+), ControllerId i32 (v1+),
 *           Topics [ErrorCode i16, Name str, IsInternal bool (v1+),
 *                   Partitions [ErrorCode i16, PartitionIndex i32, LeaderId i32,
 *                               ReplicaNodes [i32], IsrNodes [i32], OfflineReplicas [i32] (v5+)]]
 *
 * One node: it leads every partition and is the controller (kafkajs and kafka-python send
 * admin requests to the controller). A topic created by this request is answered with
 * LEADER_NOT_AVAILABLE, as Apache Kafka does; clients ask again.
 */
export const metadata: ApiHandler = {
  key: 3,
  name: 'Metadata',
  minVersion: 0,
  maxVersion: 6,
  flexibleFrom: null,
  handle(request, response, { header, broker }) {
    const version = header.apiVersion;
    const requested = version === 0 ? request.array((r) => r.string()) : request.nullableArray((r) => r.string());
    const allowAutoCreate = version >= 4 ? request.bool() : true;
    const allTopics = requested === null || (version === 0 && requested.length === 0);
    const names = allTopics ? broker.log.topicNames() : requested;

    if (version >= 3) response.int32(0);
    response.array([broker.node], (writer, node) => {
      writer.int32(node.id).string(node.host).int32(node.port);
      if (version >= 1) writer.nullableString(null);
    });
    if (version >= 2) response.nullableString(broker.clusterId);
    if (version >= 1) response.int32(broker.node.id);
    response.array(names, (writer, name) => {
      const { errorCode, partitions } = describeTopic(broker, name, allowAutoCreate && !allTopics);
      writer.int16(errorCode).string(name);
      if (version >= 1) writer.bool(false);
      writer.array(
        Array.from({ length: partitions }, (_, i) => i),
        (partitionWriter, index) => {
          partitionWriter.int16(ErrorCode.NONE).int32(index).int32(broker.node.id);
          partitionWriter.array([broker.node.id], (w, id) => w.int32(id));
          partitionWriter.array([broker.node.id], (w, id) => w.int32(id));
          if (version >= 5) partitionWriter.array([], () => {});
        },
      );
    });
  },
};

function describeTopic(
  broker: BrokerContext,
  name: string,
  mayCreate: boolean,
): { errorCode: ErrorCode; partitions: number } {
  const partitions = broker.log.partitionCount(name);
  if (partitions !== undefined) return { errorCode: ErrorCode.NONE, partitions };
  if (topicNameProblem(name) !== null) return { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, partitions: 0 };
  if (!mayCreate || !broker.config.autoCreateTopics)
    return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, partitions: 0 };
  broker.log.createTopic(name, broker.config.defaultPartitions);
  return { errorCode: ErrorCode.LEADER_NOT_AVAILABLE, partitions: 0 };
}
