import { VersionedReader } from '../protocol/versioned.js';
import type { Writer } from '../protocol/writer.js';
import { type ApiHandler, AUTHORIZED_OPERATIONS_OMITTED } from './api.js';
import { topicIdBytes } from './topic-ids.js';

/*
 * ConsumerGroupDescribe (key 69), v0-1, flexible from v0: a KIP-848 group as the coordinator
 * sees it: epochs, assignor, and each member's subscription, assignment and target assignment.
 *
 * Request:  GroupIds [cstr], IncludeAuthorizedOperations bool, tags
 * Response: ThrottleTimeMs i32, Groups [ErrorCode i16, ErrorMessage cnstr, GroupId cstr,
 *           GroupState cstr, GroupEpoch i32, AssignmentEpoch i32, AssignorName cstr,
 *           Members [MemberId cstr, InstanceId cnstr, RackId cnstr, MemberEpoch i32, ClientId cstr,
 *                    ClientHost cstr, SubscribedTopicNames [cstr], SubscribedTopicRegex cnstr,
 *                    Assignment, TargetAssignment, MemberType i8 (v1+), tags],
 *           AuthorizedOperations i32, tags], tags
 * Assignment: TopicPartitions [TopicId uuid, TopicName cstr, Partitions [i32], tags], tags
 *
 * A group that is not a consumer-protocol group (absent, or classic) is GROUP_ID_NOT_FOUND.
 * Every member uses the consumer protocol here (MemberType 1). No ACLs: authorized operations
 * are never computed (Kafka's "not requested" value, INT32_MIN).
 */
const MEMBER_TYPE_CONSUMER = 1;

export const consumerGroupDescribe: ApiHandler = {
  key: 69,
  name: 'ConsumerGroupDescribe',
  minVersion: 0,
  maxVersion: 1,
  flexibleFrom: 0,
  handle(request, response, { header, broker }) {
    const r = new VersionedReader(request, true);
    const groupIds = r.array((g) => g.string());
    r.bool(); // include authorized operations
    r.endStruct();
    const version = header.apiVersion;
    const writeAssignment = (
      writer: Writer,
      topics: { topicId: string; topicName: string; partitions: number[] }[],
    ): void => {
      writer.compactArray(topics, (w, topic) => {
        w.uuid(topicIdBytes(topic.topicId))
          .compactString(topic.topicName)
          .compactArray(topic.partitions, (pw, p) => pw.int32(p))
          .taggedFields();
      });
      writer.taggedFields();
    };
    response.int32(0);
    response.compactArray(
      groupIds.map((id) => broker.groups.consumerGroups.describe(id)),
      (writer, group) => {
        writer
          .int16(group.errorCode)
          .compactNullableString(group.errorMessage)
          .compactString(group.groupId)
          .compactString(group.state)
          .int32(group.groupEpoch)
          .int32(group.assignmentEpoch)
          .compactString(group.assignorName);
        writer.compactArray(group.members, (w, member) => {
          w.compactString(member.memberId)
            .compactNullableString(member.instanceId)
            .compactNullableString(member.rackId)
            .int32(member.memberEpoch)
            .compactString(member.clientId)
            .compactString(member.clientHost)
            .compactArray(member.subscribedTopicNames, (sw, name) => sw.compactString(name))
            .compactNullableString(member.subscribedTopicRegex);
          writeAssignment(w, member.assignment);
          writeAssignment(w, member.targetAssignment);
          if (version >= 1) w.int8(MEMBER_TYPE_CONSUMER);
          w.taggedFields();
        });
        writer.int32(AUTHORIZED_OPERATIONS_OMITTED).taggedFields();
      },
    );
    response.taggedFields();
  },
};
