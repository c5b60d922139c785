import { ErrorCode } from '../protocol/errors.js';
import type { ApiHandler } from './api.js';

/*
 * FindCoordinator (key 10), v0-2, none flexible (v3+ would be).
 *
 * Request:  Key str, KeyType i8 (v1+; 0 = group, 1 = transaction)
 * Response: ThrottleTimeMs i32 (v1+), ErrorCode i16, ErrorMessage nstr (v1+), NodeId i32, Host str, Port i32
 *
 * This node coordinates every group. Transaction coordinators do not exist here. Any other
 * key type (2 = share group, KIP-932) is INVALID_REQUEST with a message, as Apache Kafka answers.
 */
export const findCoordinator: ApiHandler = {
  key: 10,
  name: 'FindCoordinator',
  minVersion: 0,
  maxVersion: 2,
  flexibleFrom: null,
  handle(request, response, { header, broker }) {
    const version = header.apiVersion;
    request.string();
    const keyType = version >= 1 ? request.int8() : 0;
    if (version >= 1) response.int32(0);
    if (keyType !== 0 && keyType !== 1) {
      // Apache Kafka answers INVALID_REQUEST (not retriable) for a key type it cannot coordinate.
      response.int16(ErrorCode.INVALID_REQUEST);
      if (version >= 1) response.nullableString(unknownKeyTypeMessage(keyType));
      response.int32(-1).string('').int32(-1);
      return;
    }
    if (keyType !== 0) {
      response.int16(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      if (version >= 1) response.nullableString('transactions are not supported by this broker');
      response.int32(-1).string('').int32(-1);
      return;
    }
    response.int16(ErrorCode.NONE);
    if (version >= 1) response.nullableString(null);
    response.int32(broker.node.id).string(broker.node.host).int32(broker.node.port);
  },
};

function unknownKeyTypeMessage(keyType: number): string {
  return keyType === 2
    ? 'Share groups (KIP-932, FindCoordinator key type 2) are not supported by this broker.'
    : `Unknown coordinator key type ${keyType}: 0 is a group, 1 a transactional id.`;
}
