import type { ApiHandler } from './api.js';

/*
 * JoinGroup (key 11), v0-5, none flexible (v6+ would be).
 *
 * Request:  GroupId str, SessionTimeoutMs i32, RebalanceTimeoutMs i32 (v1+), MemberId str,
 *           GroupInstanceId nstr (v5+), ProtocolType str, Protocols [Name str, Metadata bytes]
 * Response: ThrottleTimeMs i32 (v2+), ErrorCode i16, GenerationId i32, ProtocolName str,
 *           Leader str, MemberId str, Members [MemberId str, GroupInstanceId nstr (v5+), Metadata bytes]
 *
 * v4+ with an empty MemberId is answered MEMBER_ID_REQUIRED with a fresh id to rejoin with.
 * The response is parked until the rebalance completes. ProtocolName is "" below v7 (never null).
 * GroupInstanceId is passed through but static membership is not implemented.
 */
export const joinGroup: ApiHandler = {
  key: 11,
  name: 'JoinGroup',
  minVersion: 0,
  maxVersion: 5,
  flexibleFrom: null,
  async handle(request, response, { header, broker, clientHost }) {
    const version = header.apiVersion;
    const groupId = request.string();
    const sessionTimeoutMs = request.int32();
    const rebalanceTimeoutMs = version >= 1 ? request.int32() : sessionTimeoutMs;
    const memberId = request.string();
    const groupInstanceId = version >= 5 ? request.nullableString() : null;
    const protocolType = request.string();
    // Copied: they outlive this request while the group remembers them.
    const protocols = request.array((r) => ({ name: r.string(), metadata: Buffer.from(r.bytes()) }));

    const result = await broker.groups.join({
      groupId,
      memberId,
      groupInstanceId,
      sessionTimeoutMs,
      rebalanceTimeoutMs,
      protocolType,
      protocols,
      clientId: header.clientId ?? '',
      clientHost,
      requireKnownMemberId: version >= 4,
    });
    if (version >= 2) response.int32(0);
    response
      .int16(result.errorCode)
      .int32(result.generationId)
      .string(result.protocolName)
      .string(result.leader)
      .string(result.memberId);
    response.array(result.members, (writer, member) => {
      writer.string(member.memberId);
      if (version >= 5) writer.nullableString(member.groupInstanceId);
      writer.bytes(member.metadata);
    });
  },
};
