import type { ApiHandler } from './api.js';

/*
 * DescribeGroups (key 15), v0-2, none flexible (v5+ would be).
 *
 * Request:  Groups [str]
 * Response: ThrottleTimeMs i32 (v1+), Groups [ErrorCode i16, GroupId str, GroupState str,
 *           ProtocolType str, ProtocolData str, Members [MemberId str, ClientId str, ClientHost str,
 *           MemberMetadata bytes, MemberAssignment bytes]]
 *
 * An unknown group is reported as "Dead" with no members, as Kafka does.
 */
export const describeGroups: ApiHandler = {
  key: 15,
  name: 'DescribeGroups',
  minVersion: 0,
  maxVersion: 2,
  flexibleFrom: null,
  handle(request, response, { header, broker }) {
    const groups = request.array((r) => r.string()).map((id) => broker.groups.describe(id));
    if (header.apiVersion >= 1) response.int32(0);
    response.array(groups, (writer, group) => {
      writer
        .int16(group.errorCode)
        .string(group.groupId)
        .string(group.state)
        .string(group.protocolType)
        .string(group.protocol);
      writer.array(group.members, (w, member) => {
        w.string(member.memberId)
          .string(member.clientId)
          .string(member.clientHost)
          .bytes(member.metadata)
          .bytes(member.assignment);
      });
    });
  },
};
