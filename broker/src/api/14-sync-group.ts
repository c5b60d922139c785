import type { ApiHandler } from './api.js';

/*
 * SyncGroup (key 14), v0-3, none flexible (v4+ would be).
 *
 * Request:  GroupId str, GenerationId i32, MemberId str, GroupInstanceId nstr (v3+),
 *           Assignments [MemberId str, Assignment bytes]
 * Response: ThrottleTimeMs i32 (v1+), ErrorCode i16, Assignment bytes
 *
 * Followers are parked until the leader sends the assignments; the bytes stay opaque.
 */
export const syncGroup: ApiHandler = {
  key: 14,
  name: 'SyncGroup',
  minVersion: 0,
  maxVersion: 3,
  flexibleFrom: null,
  async handle(request, response, { header, broker }) {
    const version = header.apiVersion;
    const groupId = request.string();
    const generationId = request.int32();
    const memberId = request.string();
    if (version >= 3) request.nullableString();
    const assignments = request.array((r) => ({ memberId: r.string(), assignment: r.bytes() }));
    const result = await broker.groups.sync(groupId, generationId, memberId, assignments);
    if (version >= 1) response.int32(0);
    response.int16(result.errorCode).bytes(result.assignment);
  },
};
