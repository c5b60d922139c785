import type { ApiHandler } from './api.js';

/*
 * LeaveGroup (key 13), v0-3, none flexible (v4+ would be).
 *
 * Request:  GroupId str, MemberId str (v0-2), Members [MemberId str, GroupInstanceId nstr] (v3+)
 * Response: ThrottleTimeMs i32 (v1+), ErrorCode i16,
 *           Members [MemberId str, GroupInstanceId nstr, ErrorCode i16] (v3+)
 */
export const leaveGroup: ApiHandler = {
  key: 13,
  name: 'LeaveGroup',
  minVersion: 0,
  maxVersion: 3,
  flexibleFrom: null,
  handle(request, response, { header, broker }) {
    const version = header.apiVersion;
    const groupId = request.string();
    const members =
      version >= 3
        ? request.array((r) => ({ memberId: r.string(), groupInstanceId: r.nullableString() }))
        : [{ memberId: request.string(), groupInstanceId: null }];
    const errors = broker.groups.leave(
      groupId,
      members.map((member) => member.memberId),
    );
    if (version >= 1) response.int32(0);
    if (version < 3) {
      response.int16(errors[0] ?? 0);
      return;
    }
    response.int16(0).array(members, (writer, member) => {
      const index = members.indexOf(member);
      writer
        .string(member.memberId)
        .nullableString(member.groupInstanceId)
        .int16(errors[index] ?? 0);
    });
  },
};
