import { ErrorCode } from '../protocol/errors.js';
import { VersionedReader, VersionedWriter } from '../protocol/versioned.js';
import type { ApiHandler } from './api.js';

/*
 * AddOffsetsToTxn (key 25), v0-4, flexible from v3 (kafkajs sends v1, librdkafka 2.0 v0; v4
 * only adds the TRANSACTION_ABORTABLE code, which this broker never answers).
 *
 * Request:  TransactionalId str, ProducerId i64, ProducerEpoch i16, GroupId str
 * Response: ThrottleTimeMs i32, ErrorCode i16
 *
 * Adds the group's offsets to the ongoing transaction (Apache Kafka adds the group's
 * __consumer_offsets partition); TxnOffsetCommit then stages them. Below v2 PRODUCER_FENCED is
 * answered INVALID_PRODUCER_EPOCH.
 */
export const addOffsetsToTxn: ApiHandler = {
  key: 25,
  name: 'AddOffsetsToTxn',
  minVersion: 0,
  maxVersion: 4,
  flexibleFrom: 3,
  async handle(request, response, { header, broker }) {
    const version = header.apiVersion;
    const r = new VersionedReader(request, version >= 3);
    const transactionalId = r.string();
    const producerId = r.int64();
    const producerEpoch = r.int16();
    const groupId = r.string();
    r.endStruct();

    let errorCode =
      groupId === ''
        ? ErrorCode.INVALID_GROUP_ID
        : await broker.transactions.addOffsets(transactionalId, producerId, producerEpoch, groupId);
    if (version < 2 && errorCode === ErrorCode.PRODUCER_FENCED) errorCode = ErrorCode.INVALID_PRODUCER_EPOCH;
    new VersionedWriter(response, version >= 3).int32(0).int16(errorCode).endStruct();
  },
};
