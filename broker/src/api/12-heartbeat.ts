import type { ApiHandler } from './api.js';

/*
 * Heartbeat (key 12), v0-3, none flexible (v4+ would be).
 *
 * Request:  GroupId str, GenerationId i32, MemberId str, GroupInstanceId nstr (v3+)
 * Response: ThrottleTimeMs i32 (v1+), ErrorCode i16
 *
 * REBALANCE_IN_PROGRESS tells the member to rejoin.
 */
export const heartbeat: ApiHandler = {
  key: 12,
  name: 'Heartbeat',
  minVersion: 0,
  maxVersion: 3,
  flexibleFrom: null,
  handle(request, response, { header, broker }) {
    const groupId = request.string();
    const generationId = request.int32();
    const memberId = request.string();
    if (header.apiVersion >= 3) request.nullableString();
    if (header.apiVersion >= 1) response.int32(0);
    response.int16(broker.groups.heartbeat(groupId, generationId, memberId));
  },
};
