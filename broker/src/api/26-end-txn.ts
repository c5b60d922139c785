import { ErrorCode } from '../protocol/errors.js';
import { VersionedReader, VersionedWriter } from '../protocol/versioned.js';
import type { ApiHandler } from './api.js';

/*
 * EndTxn (key 26), v0-4, flexible from v3 (kafkajs and librdkafka 2.0 send v1, the Java client
 * v4). v5 bumps the producer epoch at the end of every transaction (KIP-890 part 2,
 * "transaction version 2"); clients use it only once a broker finalizes the
 * transaction.version feature in ApiVersions, which this broker does not, so it is not served.
 *
 * Request:  TransactionalId str, ProducerId i64, ProducerEpoch i16, Committed bool
 * Response: ThrottleTimeMs i32, ErrorCode i16
 *
 * Answered once the transaction is complete: its decision on disk, a COMMIT or ABORT marker in
 * each of its partitions, its staged offsets committed (see transactions/). Below v2
 * PRODUCER_FENCED is answered INVALID_PRODUCER_EPOCH.
 */
export const endTxn: ApiHandler = {
  key: 26,
  name: 'EndTxn',
  minVersion: 0,
  maxVersion: 4,
  flexibleFrom: 3,
  async handle(request, response, { header, broker }) {
    const version = header.apiVersion;
    const r = new VersionedReader(request, version >= 3);
    const transactionalId = r.string();
    const producerId = r.int64();
    const producerEpoch = r.int16();
    const commit = r.bool();
    r.endStruct();

    let errorCode = await broker.transactions.endTransaction(transactionalId, producerId, producerEpoch, commit);
    if (version < 2 && errorCode === ErrorCode.PRODUCER_FENCED) errorCode = ErrorCode.INVALID_PRODUCER_EPOCH;
    new VersionedWriter(response, version >= 3).int32(0).int16(errorCode).endStruct();
  },
};
