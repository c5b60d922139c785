import { ErrorCode } from '../protocol/errors.js';
import type { ApiHandler, BrokerContext } from './api.js';

/*
 * ListOffsets (key 2), v0-3, none flexible (v6+ would be).
 *
 * Request:  ReplicaId i32, IsolationLevel i8 (v2+),
 *           Topics [Name str, Partitions [PartitionIndex i32, Timestamp i64, MaxNumOffsets i32 (v0 only)]]
 * Response: ThrottleTimeMs i32 (v2+),
 *           Topics [Name str, Partitions [PartitionIndex i32, ErrorCode i16,
 *                   OldStyleOffsets [i64] (v0 only), Timestamp i64 (v1+), Offset i64 (v1+)]]
 *
 * Timestamp -1 = latest, -2 = earliest (the log start); any other value finds the first batch
 * whose max timestamp is ≥ it and answers that batch's base offset — batch granularity, since
 * records are never decoded (a consumer sees at most one batch early). No such batch: offset -1.
 *
 * As in Apache Kafka (Partition.fetchOffsetForTimestamp), "latest" is the last offset a reader at
 * the request's isolation level may fetch: the last-stable offset at READ_COMMITTED, the high
 * watermark at READ_UNCOMMITTED (and in v0-1, which have no isolation level); and a timestamp
 * found at or past that offset counts as none. So a read_committed consumer that starts at
 * "latest", or reads "to the end", stops in front of an open transaction.
 */
const LATEST = -1;
const EARLIEST = -2;
const READ_COMMITTED = 1;

export const listOffsets: ApiHandler = {
  key: 2,
  name: 'ListOffsets',
  minVersion: 0,
  maxVersion: 3,
  flexibleFrom: null,
  handle(request, response, { header, broker }) {
    const version = header.apiVersion;
    request.int32(); // replica id
    const readCommitted = version >= 2 && request.int8() === READ_COMMITTED;
    const topics = request.array((r) => ({
      name: r.string(),
      partitions: r.array((p) => {
        const index = p.int32();
        const timestamp = p.int64();
        if (version === 0) p.int32(); // max number of offsets
        return { index, timestamp };
      }),
    }));

    if (version >= 2) response.int32(0);
    response.array(topics, (writer, topic) => {
      writer.string(topic.name).array(topic.partitions, (w, partition) => {
        const { errorCode, offset, timestamp } = lookUp(
          broker,
          topic.name,
          partition.index,
          partition.timestamp,
          readCommitted,
        );
        w.int32(partition.index).int16(errorCode);
        if (version === 0) w.array(offset >= 0 ? [offset] : [], (o, value) => o.int64(value));
        else w.int64(timestamp).int64(offset);
      });
    });
  },
};

function lookUp(
  broker: BrokerContext,
  topic: string,
  index: number,
  timestamp: number,
  readCommitted: boolean,
): { errorCode: ErrorCode; offset: number; timestamp: number } {
  const log = broker.log.partition(topic, index);
  if (log === undefined) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, offset: -1, timestamp: -1 };
  // One node: the high watermark is the log end.
  const lastFetchable = readCommitted ? log.lastStableOffset : log.logEndOffset;
  if (timestamp === LATEST) return { errorCode: ErrorCode.NONE, offset: lastFetchable, timestamp: -1 };
  if (timestamp === EARLIEST) return { errorCode: ErrorCode.NONE, offset: log.logStartOffset, timestamp: -1 };
  const offset = log.offsetForTimestamp(timestamp);
  if (offset === null || offset >= lastFetchable) return { errorCode: ErrorCode.NONE, offset: -1, timestamp: -1 };
  return { errorCode: ErrorCode.NONE, offset, timestamp };
}
