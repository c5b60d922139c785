import { ErrorCode } from '../protocol/errors.js';
import type { ApiHandler } from './api.js';

/*
 * InitProducerId (key 22), v0-1, none flexible (v2+ would be).
 *
 * Request:  TransactionalId nstr, TransactionTimeoutMs i32
 * Response: ThrottleTimeMs i32, ErrorCode i16, ProducerId i64, ProducerEpoch i16
 *
 * Serves idempotent producers: a fresh producer id (unique across restarts) with epoch 0.
 * A transactional id is refused: transactions are not implemented.
 */
export const initProducerId: ApiHandler = {
  key: 22,
  name: 'InitProducerId',
  minVersion: 0,
  maxVersion: 1,
  flexibleFrom: null,
  handle(request, response, { broker }) {
    const transactionalId = request.nullableString();
    request.int32();
    response.int32(0);
    if (transactionalId !== null) {
      response.int16(ErrorCode.INVALID_REQUEST).int64(-1).int16(-1);
      return;
    }
    response.int16(ErrorCode.NONE).int64(broker.log.allocateProducerId()).int16(0);
  },
};
