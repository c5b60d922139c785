import { ErrorCode } from '../protocol/errors.js';
import { VersionedReader, VersionedWriter } from '../protocol/versioned.js';
import type { ApiHandler } from './api.js';

/*
 * ListGroups (key 16), v0-5, flexible from v3.
 *
 * Request:  StatesFilter [str] (v4+), TypesFilter [str] (v5+), tags
 * Response: ThrottleTimeMs i32 (v1+), ErrorCode i16,
 *           Groups [GroupId str, ProtocolType str, GroupState str (v4+), GroupType str (v5+), tags], tags
 *
 * Both kinds of group are listed: classic ones (type "classic") and KIP-848 ones (type
 * "consumer", protocol type "consumer", states Empty/Assigning/Reconciling/Stable), as Apache
 * Kafka lists them. Filters compare case-insensitively; empty filters keep every group.
 */
export const listGroups: ApiHandler = {
  key: 16,
  name: 'ListGroups',
  minVersion: 0,
  maxVersion: 5,
  flexibleFrom: 3,
  handle(request, response, { header, broker }) {
    const version = header.apiVersion;
    const r = new VersionedReader(request, version >= 3);
    const states = version >= 4 ? r.array((s) => s.string().trim().toLowerCase()) : [];
    const types = version >= 5 ? r.array((t) => t.string().trim().toLowerCase()) : [];
    r.endStruct();
    const groups = broker.groups
      .list()
      .filter((group) => states.length === 0 || states.includes(group.state.toLowerCase()))
      .filter((group) => types.length === 0 || types.includes(group.type));

    const w = new VersionedWriter(response, version >= 3);
    if (version >= 1) w.int32(0);
    w.int16(ErrorCode.NONE);
    w.structArray(groups, (g, group) => {
      g.string(group.groupId).string(group.protocolType);
      if (version >= 4) g.string(group.state);
      if (version >= 5) g.string(group.type);
    });
    w.endStruct();
  },
};
