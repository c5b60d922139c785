import { BATCH_HEADER_SIZE, BatchField, LOG_OVERHEAD, type PartitionLog } from '../log/index.js';
import { ErrorCode } from '../protocol/errors.js';
import type { ApiHandler, BrokerContext } from './api.js';

/*
 * Fetch (key 1), v0-11, none flexible (v12+ would be).
 *
 * Request:  ReplicaId i32, MaxWaitMs i32, MinBytes i32, MaxBytes i32 (v3+), IsolationLevel i8 (v4+),
 *           SessionId i32 (v7+), SessionEpoch i32 (v7+),
 *           Topics [Topic str, Partitions [Partition i32, CurrentLeaderEpoch i32 (v9+), FetchOffset i64,
 *                   LogStartOffset i64 (v5+), PartitionMaxBytes i32]],
 *           ForgottenTopicsData [Topic str, Partitions [i32]] (v7+), RackId str (v11+)
 * Response: ThrottleTimeMs i32 (v1+), ErrorCode i16 (v7+), SessionId i32 (v7+),
 *           Responses [Topic str, Partitions [PartitionIndex i32, ErrorCode i16, HighWatermark i64,
 *                      LastStableOffset i64 (v4+), LogStartOffset i64 (v5+),
 *                      AbortedTransactions [ProducerId i64, FirstOffset i64] (v4+, nullable),
 *                      PreferredReadReplica i32 (v11+), Records records]]
 *
 * Long poll: answered at once when MaxWaitMs ≤ 0, MinBytes are available or a partition
 * errored; otherwise parked until an append to a requested partition or MaxWaitMs. Records
 * are whole batches read straight from the segment files, never decoded. From v3 the first
 * batch goes whole even above the size limits (KIP-74). Fetch sessions (KIP-227) are not
 * kept: every fetch is sessionless (SessionId 0).
 *
 * Isolation: every answer carries the partition's last-stable offset (LSO: below it every
 * transaction is decided). READ_COMMITTED (1) gets no batch at or past the LSO, plus the
 * aborted transactions (producer id, first offset) overlapping what it got, so the client drops
 * their records; READ_UNCOMMITTED (0) reads to the high watermark with a null aborted list, as
 * Apache Kafka answers, and costs nothing more than before transactions existed.
 */
const READ_COMMITTED = 1;

interface PartitionRequest {
  partition: number;
  fetchOffset: number;
  maxBytes: number;
}

interface TopicRequest {
  topic: string;
  partitions: PartitionRequest[];
}

interface PartitionAnswer {
  partition: number;
  errorCode: ErrorCode;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  /** null for READ_UNCOMMITTED. */
  abortedTransactions: { producerId: number; firstOffset: number }[] | null;
  records: Buffer;
}

export const fetch: ApiHandler = {
  key: 1,
  name: 'Fetch',
  minVersion: 0,
  maxVersion: 11,
  flexibleFrom: null,
  async handle(request, response, { header, broker }) {
    const version = header.apiVersion;
    request.int32(); // replica id: always a consumer here
    const maxWaitMs = request.int32();
    const minBytes = request.int32();
    const maxBytes = version >= 3 ? request.int32() : Number.MAX_SAFE_INTEGER;
    const readCommitted = version >= 4 && request.int8() === READ_COMMITTED;
    if (version >= 7) {
      request.int32(); // session id
      request.int32(); // session epoch
    }
    const topics: TopicRequest[] = request.array((r) => ({
      topic: r.string(),
      partitions: r.array((p) => {
        const partition = p.int32();
        if (version >= 9) p.int32(); // current leader epoch
        const fetchOffset = p.int64();
        if (version >= 5) p.int64(); // follower's log start: not a follower
        return { partition, fetchOffset, maxBytes: p.int32() };
      }),
    }));
    if (version >= 7) request.array((r) => [r.string(), r.array((p) => p.int32())]);
    if (version >= 11) request.string(); // rack id

    // As Apache Kafka: answer once min_bytes are there or max_wait has passed, whichever comes
    // first. A consumer asking for more than one append's worth thus gets fewer, fuller answers.
    let answers = collect(broker, topics, maxBytes, version >= 3, readCommitted);
    const deadline = Date.now() + maxWaitMs;
    for (let left = maxWaitMs; left > 0 && !ready(answers, minBytes); left = deadline - Date.now()) {
      await waitForAppend(broker, topics, left);
      answers = collect(broker, topics, maxBytes, version >= 3, readCommitted);
    }

    if (version >= 1) response.int32(0);
    if (version >= 7) response.int16(ErrorCode.NONE).int32(0);
    response.array(answers, (writer, topic) => {
      writer.string(topic.topic).array(topic.partitions, (w, answer) => {
        w.int32(answer.partition).int16(answer.errorCode).int64(answer.highWatermark);
        if (version >= 4) w.int64(answer.lastStableOffset);
        if (version >= 5) w.int64(answer.logStartOffset);
        if (version >= 4) {
          w.nullableArray(answer.abortedTransactions, (a, aborted) =>
            a.int64(aborted.producerId).int64(aborted.firstOffset),
          );
        }
        // Anything but -1 makes librdkafka redirect and drop the records.
        if (version >= 11) w.int32(-1);
        w.records([answer.records]);
      });
    });
  },
};

function collect(
  broker: BrokerContext,
  topics: TopicRequest[],
  maxBytes: number,
  firstWhole: boolean,
  readCommitted: boolean,
): { topic: string; partitions: PartitionAnswer[] }[] {
  let budget = maxBytes;
  let first = firstWhole;
  return topics.map(({ topic, partitions }) => ({
    topic,
    partitions: partitions.map((request): PartitionAnswer => {
      const log = broker.log.partition(topic, request.partition);
      if (log === undefined) {
        return {
          partition: request.partition,
          errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          highWatermark: -1,
          lastStableOffset: -1,
          logStartOffset: -1,
          abortedTransactions: null,
          records: Buffer.alloc(0),
        };
      }
      const answer = readPartition(log, request, Math.min(request.maxBytes, budget), first, readCommitted);
      if (answer.records.length > 0) first = false;
      budget = Math.max(0, budget - answer.records.length);
      return answer;
    }),
  }));
}

function readPartition(
  log: PartitionLog,
  request: PartitionRequest,
  maxBytes: number,
  firstWhole: boolean,
  readCommitted: boolean,
): PartitionAnswer {
  const { fetchOffset } = request;
  const base = {
    partition: request.partition,
    highWatermark: log.logEndOffset,
    lastStableOffset: log.lastStableOffset,
    logStartOffset: log.logStartOffset,
  };
  if (fetchOffset < log.logStartOffset || fetchOffset > log.logEndOffset) {
    return { ...base, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, abortedTransactions: null, records: Buffer.alloc(0) };
  }
  if (!readCommitted) {
    const records = fetchOffset === log.logEndOffset ? Buffer.alloc(0) : log.read(fetchOffset, maxBytes, firstWhole);
    return { ...base, errorCode: ErrorCode.NONE, abortedTransactions: null, records };
  }
  const end = base.lastStableOffset;
  const records = fetchOffset >= end ? Buffer.alloc(0) : log.read(fetchOffset, maxBytes, firstWhole, end);
  const abortedTransactions =
    records.length > 0 && log.hasAbortedTransactions ? log.abortedTransactions(fetchOffset, offsetAfter(records)) : [];
  return { ...base, errorCode: ErrorCode.NONE, abortedTransactions, records };
}

/** The offset after the last whole batch in `records`. */
function offsetAfter(records: Buffer): number {
  let next = 0;
  for (
    let at = 0;
    at + BATCH_HEADER_SIZE <= records.length;
    at += LOG_OVERHEAD + records.readInt32BE(at + BatchField.batchLength)
  ) {
    next =
      Number(records.readBigInt64BE(at + BatchField.baseOffset)) +
      records.readInt32BE(at + BatchField.lastOffsetDelta) +
      1;
  }
  return next;
}

function ready(answers: { partitions: PartitionAnswer[] }[], minBytes: number): boolean {
  let bytes = 0;
  for (const topic of answers) {
    for (const answer of topic.partitions) {
      if (answer.errorCode !== ErrorCode.NONE) return true;
      bytes += answer.records.length;
    }
  }
  return bytes >= Math.max(1, minBytes);
}

/** Resolves at the first append to any requested partition, or after `maxWaitMs`. */
function waitForAppend(broker: BrokerContext, topics: TopicRequest[], maxWaitMs: number): Promise<void> {
  return new Promise((resolve) => {
    const stops: (() => void)[] = [];
    const done = (): void => {
      clearTimeout(timer);
      for (const stop of stops) stop();
      resolve();
    };
    const timer = setTimeout(done, maxWaitMs);
    timer.unref();
    for (const { topic, partitions } of topics) {
      for (const { partition } of partitions) {
        const log = broker.log.partition(topic, partition);
        if (log) stops.push(log.onAppend(done));
      }
    }
  });
}
