import { ErrorCode } from '../protocol/errors.js';
import { VersionedReader, VersionedWriter } from '../protocol/versioned.js';
import type { ApiHandler } from './api.js';

/*
 * InitProducerId (key 22), v0-5, flexible from v2 (librdkafka 2.0 sends v4, kafkajs v1, the
 * Java client v5; Apache Kafka 4.4 serves v0-5, v6 being its unstable 2PC version, KIP-939).
 *
 * Request:  TransactionalId nstr, TransactionTimeoutMs i32,
 *           ProducerId i64 (v3+), ProducerEpoch i16 (v3+)        — a producer resuming (KIP-360)
 * Response: ThrottleTimeMs i32, ErrorCode i16, ProducerId i64, ProducerEpoch i16
 *
 * A null transactional id: an idempotent producer gets a fresh producer id, epoch 0. Otherwise
 * the transaction coordinator keeps one producer id per transactional id and bumps its epoch,
 * fencing older producers; see transactions/transaction-coordinator.ts. Below v4 PRODUCER_FENCED
 * is answered INVALID_PRODUCER_EPOCH, which those clients know (as Apache Kafka does).
 */
export const initProducerId: ApiHandler = {
  key: 22,
  name: 'InitProducerId',
  minVersion: 0,
  maxVersion: 5,
  flexibleFrom: 2,
  async handle(request, response, { header, broker }) {
    const version = header.apiVersion;
    const flexible = version >= 2;
    const r = new VersionedReader(request, flexible);
    const transactionalId = r.nullableString();
    const timeoutMs = r.int32();
    const producerId = version >= 3 ? r.int64() : -1;
    const producerEpoch = version >= 3 ? r.int16() : -1;
    r.endStruct();

    let result: { errorCode: ErrorCode; producerId: number; producerEpoch: number };
    if ((producerId === -1) !== (producerEpoch === -1)) {
      result = { errorCode: ErrorCode.INVALID_REQUEST, producerId: -1, producerEpoch: -1 };
    } else {
      const expected = producerId === -1 ? null : { producerId, producerEpoch };
      result = await broker.transactions.initProducerId(transactionalId, timeoutMs, expected);
    }
    const errorCode =
      version < 4 && result.errorCode === ErrorCode.PRODUCER_FENCED
        ? ErrorCode.INVALID_PRODUCER_EPOCH
        : result.errorCode;
    new VersionedWriter(response, flexible)
      .int32(0)
      .int16(errorCode)
      .int64(result.producerId)
      .int16(result.producerEpoch)
      .endStruct();
  },
};
