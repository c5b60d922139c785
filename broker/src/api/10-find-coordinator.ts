import { ErrorCode } from '../protocol/errors.js';
import type { ApiHandler } from './api.js';

/*
 * FindCoordinator (key 10), v0-2, none flexible (v3+ would be).
 *
 * Request:  Key str, KeyType i8 (v1+; 0 = group, 1 = transaction)
 * Response: ThrottleTimeMs i32 (v1+), ErrorCode i16, ErrorMessage nstr (v1+), NodeId i32, Host str, Port i32
 *
 * This node coordinates every group and every transactional id. Any other key type (2 = share
 * group, from v6) is INVALID_REQUEST, as Apache Kafka answers it below v6.
 */
const GROUP = 0;
const TRANSACTION = 1;

export const findCoordinator: ApiHandler = {
  key: 10,
  name: 'FindCoordinator',
  minVersion: 0,
  maxVersion: 2,
  flexibleFrom: null,
  handle(request, response, { header, broker }) {
    const version = header.apiVersion;
    request.string();
    const keyType = version >= 1 ? request.int8() : GROUP;
    if (version >= 1) response.int32(0);
    if (keyType !== GROUP && keyType !== TRANSACTION) {
      response.int16(ErrorCode.INVALID_REQUEST);
      if (version >= 1) response.nullableString(`coordinator key type ${keyType} is not 0 (group) or 1 (transaction)`);
      response.int32(-1).string('').int32(-1);
      return;
    }
    response.int16(ErrorCode.NONE);
    if (version >= 1) response.nullableString(null);
    response.int32(broker.node.id).string(broker.node.host).int32(broker.node.port);
  },
};
