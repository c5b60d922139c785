import { compactedTopicProblem } from '../log/compacted-topic.js';
import {
  BatchField,
  InvalidBatchError,
  LOG_OVERHEAD,
  type PartitionLog,
  TRANSACTIONAL,
  topicNameProblem,
  validateProducedBatch,
} from '../log/index.js';
import { ErrorCode } from '../protocol/errors.js';
import { type ApiHandler, type BrokerContext, NO_RESPONSE } from './api.js';

/*
 * Produce (key 0), v0-7, none flexible (v9+ would be).
 *
 * Request:  TransactionalId nstr (v3+), Acks i16, TimeoutMs i32,
 *           TopicData [Name str, PartitionData [Index i32, Records records]]
 * Response: Responses [Name str, PartitionResponses [Index i32, ErrorCode i16, BaseOffset i64,
 *                      LogAppendTimeMs i64 (v2+), LogStartOffset i64 (v5+)]],
 *           ThrottleTimeMs i32 (v1+) — last, unlike every other response
 *
 * acks=0 gets no response at all; acks=1 is answered after the write; acks=-1 after the data
 * is fsynced: the partitions it wrote, not others' acks=1 data (one fdatasync per segment serves
 * every batch in the same event-loop turn).
 * Record batches are stored verbatim; only v2 batches are accepted (magic 0/1 answer 43).
 * Unknown topics are created when auto-creation is on.
 *
 * Transactional batches need the request's TransactionalId (without it the whole request is
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED, as in Apache Kafka) and must belong to that id's
 * ongoing transaction: the partition added with AddPartitionsToTxn, the producer id and epoch
 * current (transactions/transaction-coordinator.ts checkProduce gives the error otherwise).
 */
interface PartitionResult {
  index: number;
  errorCode: ErrorCode;
  baseOffset: number;
  logStartOffset: number;
}

export const produce: ApiHandler = {
  key: 0,
  name: 'Produce',
  minVersion: 0,
  maxVersion: 7,
  flexibleFrom: null,
  async handle(request, response, { header, broker }) {
    const version = header.apiVersion;
    const transactionalId = version >= 3 ? request.nullableString() : null;
    const acks = request.int16();
    request.int32(); // timeout: writes complete before the response anyway
    const topics = request.array((r) => ({
      name: r.string(),
      partitions: r.array((p) => ({ index: p.int32(), records: p.nullableBytes() })),
    }));

    const unauthorized =
      transactionalId === null && topics.some((t) => t.partitions.some((p) => hasTransactionalBatch(p.records)));
    const refused = await refusedByCompaction(broker, topics);
    const results = topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map((partition): PartitionResult => {
        if (acks !== 0 && acks !== 1 && acks !== -1) return failed(partition.index, ErrorCode.INVALID_REQUIRED_ACKS);
        if (unauthorized) return failed(partition.index, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
        const refusal = partition.records === null ? undefined : refused.get(partition.records);
        if (refusal !== undefined) return failed(partition.index, refusal);
        return appendPartition(broker, topic.name, partition.index, partition.records, version, transactionalId);
      }),
    }));

    if (acks === 0) return NO_RESPONSE;
    if (acks === -1) {
      const written: PartitionLog[] = [];
      for (const topic of results) {
        for (const { index, errorCode } of topic.partitions) {
          const log = errorCode === ErrorCode.NONE ? broker.log.partition(topic.name, index) : undefined;
          if (log !== undefined) written.push(log);
        }
      }
      if (written.length > 0) await broker.log.flush(written);
    }
    response.array(results, (writer, topic) => {
      writer.string(topic.name).array(topic.partitions, (w, partition) => {
        w.int32(partition.index).int16(partition.errorCode).int64(partition.baseOffset);
        if (version >= 2) w.int64(-1); // LogAppendTime: topics use CreateTime
        if (version >= 5) w.int64(partition.logStartOffset);
      });
    });
    if (version >= 1) response.int32(0);
  },
};

/** Batches for compacted topics whose records break its rules (compacted-topic.ts), with the error to answer. */
async function refusedByCompaction(
  broker: BrokerContext,
  topics: { name: string; partitions: { records: Buffer | null }[] }[],
): Promise<Map<Buffer, ErrorCode>> {
  const refused = new Map<Buffer, ErrorCode>();
  for (const topic of topics) {
    if (broker.log.topicSettings(topic.name)?.compact !== true) continue;
    for (const { records } of topic.partitions) {
      const problem = records === null ? null : await compactedTopicProblem(records);
      if (records !== null && problem !== null) refused.set(records, problem);
    }
  }
  return refused;
}

function failed(index: number, errorCode: ErrorCode): PartitionResult {
  return { index, errorCode, baseOffset: -1, logStartOffset: -1 };
}

/** Whether any batch in a partition's records has the transactional bit (read before anything else). */
function hasTransactionalBatch(records: Buffer | null): boolean {
  if (records === null) return false;
  for (let at = 0; at + BatchField.attributes + 2 <= records.length; ) {
    if (records.readInt16BE(at + BatchField.attributes) & TRANSACTIONAL) return true;
    const size = records.readInt32BE(at + BatchField.batchLength) + LOG_OVERHEAD;
    if (size <= LOG_OVERHEAD) return false;
    at += size;
  }
  return false;
}

function appendPartition(
  broker: BrokerContext,
  topic: string,
  index: number,
  records: Buffer | null,
  version: number,
  transactionalId: string | null,
): PartitionResult {
  if (broker.log.partitionCount(topic) === undefined) {
    if (!broker.config.autoCreateTopics || topicNameProblem(topic) !== null)
      return failed(index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    broker.log.createTopic(topic, broker.config.defaultPartitions);
  }
  const partition = broker.log.partition(topic, index);
  if (partition === undefined) return failed(index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  if (records === null || records.length === 0) return failed(index, ErrorCode.INVALID_RECORD);

  // Split the records field into batches by their length fields before touching any of them.
  const batches: Buffer[] = [];
  for (let at = 0; at < records.length; ) {
    if (records.length - at < LOG_OVERHEAD) return failed(index, ErrorCode.CORRUPT_MESSAGE);
    const size = records.readInt32BE(at + 8) + LOG_OVERHEAD;
    if (size <= LOG_OVERHEAD || at + size > records.length) return failed(index, ErrorCode.CORRUPT_MESSAGE);
    batches.push(records.subarray(at, at + size));
    at += size;
  }
  if (version >= 3 && batches.length !== 1) return failed(index, ErrorCode.INVALID_RECORD);

  let baseOffset = -1;
  for (const batch of batches) {
    let batchHeader: ReturnType<typeof validateProducedBatch>;
    try {
      const maxMessageBytes = broker.log.topicSettings(topic)?.maxMessageBytes ?? broker.config.maxMessageBytes;
      batchHeader = validateProducedBatch(batch, maxMessageBytes, version);
    } catch (error) {
      if (error instanceof InvalidBatchError) return failed(index, error.errorCode);
      throw error;
    }
    if (batchHeader.attributes & TRANSACTIONAL) {
      const problem = broker.transactions.checkProduce(
        transactionalId ?? '',
        batchHeader.producerId,
        batchHeader.producerEpoch,
        topic,
        index,
      );
      if (problem !== ErrorCode.NONE) return failed(index, problem);
    }
    const result = partition.append(batch, batchHeader);
    if (result.errorCode !== ErrorCode.NONE) return failed(index, result.errorCode);
    if (baseOffset === -1 && 'baseOffset' in result) baseOffset = result.baseOffset;
  }
  return { index, errorCode: ErrorCode.NONE, baseOffset, logStartOffset: partition.logStartOffset };
}
