import { VersionedReader, VersionedWriter } from '../protocol/versioned.js';
import type { ApiHandler } from './api.js';

/*
 * DeleteGroups (key 42), v0-2, flexible from v2.
 *
 * Request:  GroupsNames [str], tags
 * Response: ThrottleTimeMs i32, Results [GroupId str, ErrorCode i16, tags], tags
 *
 * Deletes a group of either kind, with its committed offsets, as Apache Kafka does: only when
 * it has no members (NON_EMPTY_GROUP otherwise); an unknown group is GROUP_ID_NOT_FOUND.
 */
export const deleteGroups: ApiHandler = {
  key: 42,
  name: 'DeleteGroups',
  minVersion: 0,
  maxVersion: 2,
  flexibleFrom: 2,
  async handle(request, response, { header, broker }) {
    const flexible = header.apiVersion >= 2;
    const r = new VersionedReader(request, flexible);
    const groupIds = r.array((g) => g.string());
    r.endStruct();
    const results = await Promise.all(
      groupIds.map(async (groupId) => ({ groupId, errorCode: await broker.groups.deleteGroup(groupId) })),
    );
    const w = new VersionedWriter(response, flexible);
    w.int32(0).structArray(results, (g, result) => {
      g.string(result.groupId).int16(result.errorCode);
    });
    w.endStruct();
  },
};
