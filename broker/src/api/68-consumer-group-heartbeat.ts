import { VersionedReader } from '../protocol/versioned.js';
import type { ApiHandler } from './api.js';
import { topicIdBytes } from './topic-ids.js';

/*
 * ConsumerGroupHeartbeat (key 68), v0-1, flexible from v0: the KIP-848 consumer-group protocol.
 * The coordinator assigns partitions; a member joins (epoch 0), heartbeats, and leaves
 * (epoch -1, or -2 for a static member coming back). groups/consumer-group-coordinator.ts has the rules.
 *
 * Request:  GroupId cstr, MemberId cstr, MemberEpoch i32, InstanceId cnstr, RackId cnstr,
 *           RebalanceTimeoutMs i32, SubscribedTopicNames [cstr] (nullable),
 *           SubscribedTopicRegex cnstr (v1+), ServerAssignor cnstr,
 *           TopicPartitions [TopicId uuid, Partitions [i32], tags] (nullable), tags
 * Response: ThrottleTimeMs i32, ErrorCode i16, ErrorMessage cnstr, MemberId cnstr, MemberEpoch i32,
 *           HeartbeatIntervalMs i32, Assignment (nullable struct: i8 -1 = null, 1 = present)
 *           [TopicPartitions [TopicId uuid, Partitions [i32], tags], tags], tags
 *
 * Null fields mean "unchanged since the last heartbeat". Topics travel by id (Metadata v10+).
 */
export const consumerGroupHeartbeat: ApiHandler = {
  key: 68,
  name: 'ConsumerGroupHeartbeat',
  minVersion: 0,
  maxVersion: 1,
  flexibleFrom: 0,
  handle(request, response, { header, broker, clientHost }) {
    const r = new VersionedReader(request, true);
    const groupId = r.string();
    const memberId = r.string();
    const memberEpoch = r.int32();
    const instanceId = r.nullableString();
    const rackId = r.nullableString();
    const rebalanceTimeoutMs = r.int32();
    const subscribedTopicNames = r.nullableArray((t) => t.string());
    const subscribedTopicRegex = header.apiVersion >= 1 ? r.nullableString() : null;
    const serverAssignor = r.nullableString();
    const ownedPartitions = r.nullableStructArray((t) => ({
      topicId: t.uuid().toString('hex'),
      partitions: t.array((p) => p.int32()),
    }));
    r.endStruct();

    const result = broker.groups.consumerGroups.heartbeat({
      apiVersion: header.apiVersion,
      groupId,
      memberId,
      memberEpoch,
      instanceId,
      rackId,
      rebalanceTimeoutMs,
      subscribedTopicNames,
      subscribedTopicRegex,
      serverAssignor,
      ownedPartitions,
      clientId: header.clientId ?? '',
      clientHost,
    });
    response
      .int32(0)
      .int16(result.errorCode)
      .compactNullableString(result.errorMessage)
      .compactNullableString(result.memberId)
      .int32(result.memberEpoch)
      .int32(result.heartbeatIntervalMs);
    if (result.assignment === null) {
      response.int8(-1);
    } else {
      response.int8(1);
      response.compactArray(result.assignment, (w, topic) => {
        w.uuid(topicIdBytes(topic.topicId))
          .compactArray(topic.partitions, (pw, p) => pw.int32(p))
          .taggedFields();
      });
      response.taggedFields();
    }
    response.taggedFields();
  },
};
