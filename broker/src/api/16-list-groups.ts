import { ErrorCode } from '../protocol/errors.js';
import type { ApiHandler } from './api.js';

/*
 * ListGroups (key 16), v0-2, none flexible (v3+ would be).
 *
 * Request:  (empty)
 * Response: ThrottleTimeMs i32 (v1+), ErrorCode i16, Groups [GroupId str, ProtocolType str]
 */
export const listGroups: ApiHandler = {
  key: 16,
  name: 'ListGroups',
  minVersion: 0,
  maxVersion: 2,
  flexibleFrom: null,
  handle(_request, response, { header, broker }) {
    if (header.apiVersion >= 1) response.int32(0);
    response.int16(ErrorCode.NONE).array(broker.groups.list(), (writer, group) => {
      writer.string(group.groupId).string(group.protocolType);
    });
  },
};
