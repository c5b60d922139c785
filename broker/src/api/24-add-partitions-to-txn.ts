import { ErrorCode } from '../protocol/errors.js';
import { VersionedReader, VersionedWriter } from '../protocol/versioned.js';
import type { ApiHandler } from './api.js';

/*
 * AddPartitionsToTxn (key 24), v0-3, flexible from v3 (kafkajs sends v1, librdkafka 2.0 v0, the
 * Java client v3). v4-5 batch several transactions and carry VerifyOnly: Apache Kafka brokers
 * send them to the transaction coordinator to verify produce requests (KIP-890); clients never
 * do, and this node verifies in-process, so they are not served.
 *
 * Request:  TransactionalId str, ProducerId i64, ProducerEpoch i16, Topics [Name str, Partitions [i32]]
 * Response: ThrottleTimeMs i32, Results [Name str, Partitions [PartitionIndex i32, ErrorCode i16]]
 *
 * As Apache Kafka: if any partition does not exist, it is UNKNOWN_TOPIC_OR_PARTITION, the others
 * OPERATION_NOT_ATTEMPTED, and nothing is added; otherwise every partition gets the
 * coordinator's answer. Below v2 PRODUCER_FENCED is answered INVALID_PRODUCER_EPOCH.
 */
export const addPartitionsToTxn: ApiHandler = {
  key: 24,
  name: 'AddPartitionsToTxn',
  minVersion: 0,
  maxVersion: 3,
  flexibleFrom: 3,
  async handle(request, response, { header, broker }) {
    const version = header.apiVersion;
    const r = new VersionedReader(request, version >= 3);
    const transactionalId = r.string();
    const producerId = r.int64();
    const producerEpoch = r.int16();
    const topics = r.structArray((t) => ({ name: t.string(), partitions: t.array((p) => p.int32()) }));
    r.endStruct();

    const exists = (topic: string, partition: number): boolean =>
      partition >= 0 && partition < (broker.log.partitionCount(topic) ?? 0);
    const allExist = topics.every((topic) => topic.partitions.every((partition) => exists(topic.name, partition)));
    let errorCode: ErrorCode = ErrorCode.OPERATION_NOT_ATTEMPTED;
    if (allExist) {
      errorCode = await broker.transactions.addPartitions(
        transactionalId,
        producerId,
        producerEpoch,
        topics.flatMap((topic) => topic.partitions.map((partition) => ({ topic: topic.name, partition }))),
      );
      if (version < 2 && errorCode === ErrorCode.PRODUCER_FENCED) errorCode = ErrorCode.INVALID_PRODUCER_EPOCH;
    }

    const w = new VersionedWriter(response, version >= 3);
    w.int32(0).structArray(topics, (tw, topic) => {
      tw.string(topic.name).structArray(topic.partitions, (pw, partition) => {
        const code = allExist || exists(topic.name, partition) ? errorCode : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        pw.int32(partition).int16(code);
      });
    });
    w.endStruct();
  },
};
