import { MAX_OFFSET_METADATA_CHARS } from '../groups/index.js';
import { ErrorCode } from '../protocol/errors.js';
import { VersionedReader, VersionedWriter } from '../protocol/versioned.js';
import type { ApiHandler } from './api.js';

/*
 * TxnOffsetCommit (key 28), v0-4, flexible from v3 (kafkajs sends v1, librdkafka 2.0 v3, the
 * Java client v4). v5 is v4 for clients with transaction version 2 (which this broker does not
 * finalize, see EndTxn) and v6 names topics by id, so neither is served.
 *
 * Request:  TransactionalId str, GroupId str, ProducerId i64, ProducerEpoch i16,
 *           GenerationId i32 (v3+), MemberId str (v3+), GroupInstanceId nstr (v3+),
 *           Topics [Name str, Partitions [PartitionIndex i32, CommittedOffset i64,
 *                   CommittedLeaderEpoch i32 (v2+), CommittedMetadata nstr]]
 * Response: ThrottleTimeMs i32, Topics [Name str, Partitions [PartitionIndex i32, ErrorCode i16]]
 *
 * Stages the offsets in the producer's transaction, which must have added the group with
 * AddOffsetsToTxn; the group sees them only once the transaction commits. As Apache Kafka: an
 * unknown partition is UNKNOWN_TOPIC_OR_PARTITION, then the transaction's and the group's
 * checks answer for all the others, then metadata above 4096 characters is
 * OFFSET_METADATA_TOO_LARGE (and that offset is not staged).
 */
export const txnOffsetCommit: ApiHandler = {
  key: 28,
  name: 'TxnOffsetCommit',
  minVersion: 0,
  maxVersion: 4,
  flexibleFrom: 3,
  async handle(request, response, { header, broker }) {
    const version = header.apiVersion;
    const r = new VersionedReader(request, version >= 3);
    const transactionalId = r.string();
    const groupId = r.string();
    const producerId = r.int64();
    const producerEpoch = r.int16();
    const generationId = version >= 3 ? r.int32() : -1;
    const memberId = version >= 3 ? r.string() : '';
    const groupInstanceId = version >= 3 ? r.nullableString() : null;
    const topics = r.structArray((t) => ({
      name: t.string(),
      partitions: t.structArray((p) => {
        const index = p.int32();
        const offset = p.int64();
        if (version >= 2) p.int32(); // committed leader epoch: one node, one leader
        return { index, offset, metadata: p.nullableString() };
      }),
    }));
    r.endStruct();

    const exists = (topic: string, partition: number): boolean =>
      partition >= 0 && partition < (broker.log.partitionCount(topic) ?? 0);
    const tooLarge = (metadata: string | null): boolean => (metadata?.length ?? 0) > MAX_OFFSET_METADATA_CHARS;
    const valid = topics.flatMap((topic) =>
      topic.partitions.filter((p) => exists(topic.name, p.index)).map((p) => ({ topic: topic.name, ...p })),
    );
    let errorCode: ErrorCode = ErrorCode.NONE;
    if (valid.length > 0) {
      errorCode = await broker.transactions.commitOffsets({
        transactionalId,
        groupId,
        producerId,
        producerEpoch,
        generationId,
        memberId,
        groupInstanceId,
        offsets: valid
          .filter((p) => !tooLarge(p.metadata))
          .map((p) => ({ topic: p.topic, partition: p.index, offset: p.offset, metadata: p.metadata })),
      });
    }

    const w = new VersionedWriter(response, version >= 3);
    w.int32(0).structArray(topics, (tw, topic) => {
      tw.string(topic.name).structArray(topic.partitions, (pw, p) => {
        let code = errorCode;
        if (!exists(topic.name, p.index)) code = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        else if (code === ErrorCode.NONE && tooLarge(p.metadata)) code = ErrorCode.OFFSET_METADATA_TOO_LARGE;
        pw.int32(p.index).int16(code);
      });
    });
    w.endStruct();
  },
};
