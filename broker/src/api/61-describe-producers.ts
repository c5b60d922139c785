import { ErrorCode } from '../protocol/errors.js';
import { VersionedReader, VersionedWriter } from '../protocol/versioned.js';
import type { ApiHandler } from './api.js';

/*
 * DescribeProducers (key 61), v0, flexible (the Java admin client: kafka-transactions.sh
 * describe-producers and find-hanging, Flink's KafkaSink with TransactionNamingStrategy.POOLING).
 *
 * Request:  Topics [Name str, PartitionIndexes [i32]]
 * Response: ThrottleTimeMs i32, Topics [Name str, Partitions [PartitionIndex i32, ErrorCode i16,
 *           ErrorMessage nstr, ActiveProducers [ProducerId i64, ProducerEpoch i32,
 *           LastSequence i32, LastTimestamp i64, CoordinatorEpoch i32, CurrentTxnStartOffset i64]]]
 *
 * The producers each partition remembers (idempotent and transactional), with the first offset
 * of the transaction each has open there (-1 if none). Producers are not expired here (Apache
 * Kafka forgets them after producer.id.expiration.ms, a day by default).
 */
export const describeProducers: ApiHandler = {
  key: 61,
  name: 'DescribeProducers',
  minVersion: 0,
  maxVersion: 0,
  flexibleFrom: 0,
  handle(request, response, { broker }) {
    const r = new VersionedReader(request, true);
    const topics = r.structArray((t) => ({ name: t.string(), partitions: t.array((p) => p.int32()) }));
    r.endStruct();

    const w = new VersionedWriter(response, true);
    w.int32(0).structArray(topics, (tw, topic) => {
      tw.string(topic.name).structArray(topic.partitions, (pw, index) => {
        const log = broker.log.partition(topic.name, index);
        pw.int32(index)
          .int16(log === undefined ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.NONE)
          .nullableString(null)
          .structArray(log?.describeProducers() ?? [], (aw, producer) => {
            aw.int64(producer.producerId)
              .int32(producer.producerEpoch)
              .int32(producer.lastSequence)
              .int64(producer.lastTimestamp)
              .int32(producer.coordinatorEpoch)
              .int64(producer.currentTransactionStartOffset);
          });
      });
    });
    w.endStruct();
  },
};
