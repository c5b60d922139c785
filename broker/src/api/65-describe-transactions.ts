import { VersionedReader, VersionedWriter } from '../protocol/versioned.js';
import type { ApiHandler } from './api.js';

/*
 * DescribeTransactions (key 65), v0, flexible (kafka-transactions.sh, the Java admin client).
 *
 * Request:  TransactionalIds [str]
 * Response: ThrottleTimeMs i32, TransactionStates [ErrorCode i16, TransactionalId str,
 *           TransactionState str, TransactionTimeoutMs i32, TransactionStartTimeMs i64,
 *           ProducerId i64, ProducerEpoch i16, Topics [Topic str, Partitions [i32]]]
 *
 * An unknown id is TRANSACTIONAL_ID_NOT_FOUND, an empty one INVALID_REQUEST. Staged consumer
 * offsets show as partition 0 of `__consumer_offsets` (Apache Kafka shows the group's partition).
 */
export const describeTransactions: ApiHandler = {
  key: 65,
  name: 'DescribeTransactions',
  minVersion: 0,
  maxVersion: 0,
  flexibleFrom: 0,
  handle(request, response, { broker }) {
    const r = new VersionedReader(request, true);
    const ids = r.array((a) => a.string());
    r.endStruct();

    const w = new VersionedWriter(response, true);
    w.int32(0).structArray(
      ids.map((id) => broker.transactions.describe(id)),
      (tw, found) => {
        tw.int16(found.errorCode)
          .string(found.transactionalId)
          .string(found.state)
          .int32(found.timeoutMs)
          .int64(found.startTimestamp)
          .int64(found.producerId)
          .int16(found.producerEpoch)
          .structArray(found.topics, (pw, topic) => {
            pw.string(topic.topic).array(topic.partitions, (iw, partition) => iw.int32(partition));
          });
      },
    );
    w.endStruct();
  },
};
