import { UnreadableRecordsError } from '../log/compression.js';
import type { PartitionLog } from '../log/index.js';
import { offsetForTimestamp, offsetOfMaxTimestamp } from '../log/offset-lookup.js';
import { ErrorCode } from '../protocol/errors.js';
import { VersionedReader, VersionedWriter } from '../protocol/versioned.js';
import type { ApiHandler, BrokerContext } from './api.js';

/*
 * ListOffsets (key 2), v0-11 (Apache Kafka 4.4 serves v1-11; v0 stays for old clients),
 * flexible from v6.
 *
 * Request:  ReplicaId i32, IsolationLevel i8 (v2+),
 *           Topics [Name str, Partitions [PartitionIndex i32, CurrentLeaderEpoch i32 (v4+),
 *                                         Timestamp i64, MaxNumOffsets i32 (v0 only)]],
 *           TimeoutMs i32 (v10+)
 * Response: ThrottleTimeMs i32 (v2+),
 *           Topics [Name str, Partitions [PartitionIndex i32, ErrorCode i16, OldStyleOffsets [i64] (v0 only),
 *                                         Timestamp i64 (v1+), Offset i64 (v1+), LeaderEpoch i32 (v4+)]]
 *
 * Timestamp kinds, each from the version that introduced it, as Apache Kafka answers them:
 * -1 latest (the high watermark; the last stable offset under read_committed), -2 earliest
 * (the log start offset), -3 the first record holding the largest timestamp (v7), -4 the local
 * log start (v8; with no tiered storage, the log start), -5 latest tiered (v9) and -6 earliest
 * pending upload (v11): no tiered storage, so no offset (-1). Any other negative value, or a
 * kind older versions do not know, is UNSUPPORTED_VERSION. A timestamp ≥ 0 finds the first
 * record whose timestamp is ≥ it, answered with that record's own timestamp — records inside
 * batches are decoded (and decompressed) for it. No such record: offset -1. Under
 * read_committed, a record found by timestamp or MAX_TIMESTAMP at or past the last stable offset
 * is no offset either, as Apache Kafka answers (a consumer may not start inside an open
 * transaction).
 */
const LATEST = -1;
const EARLIEST = -2;
const MAX_TIMESTAMP = -3;
const EARLIEST_LOCAL = -4;
const LATEST_TIERED = -5;
const EARLIEST_PENDING_UPLOAD = -6;
const READ_COMMITTED = 1;

/** The first version that may ask for each kind. */
const kindSince = new Map([
  [LATEST, 0],
  [EARLIEST, 0],
  [MAX_TIMESTAMP, 7],
  [EARLIEST_LOCAL, 8],
  [LATEST_TIERED, 9],
  [EARLIEST_PENDING_UPLOAD, 11],
]);

/** The leader epoch of every partition here: one node, never re-elected. */
const LEADER_EPOCH = 0;

interface Answer {
  errorCode: ErrorCode;
  offset: number;
  timestamp: number;
}

const noOffset = (errorCode: ErrorCode = ErrorCode.NONE): Answer => ({ errorCode, offset: -1, timestamp: -1 });

export const listOffsets: ApiHandler = {
  key: 2,
  name: 'ListOffsets',
  minVersion: 0,
  maxVersion: 11,
  flexibleFrom: 6,
  async handle(request, response, { header, broker }) {
    const version = header.apiVersion;
    const flexible = version >= 6;
    const req = new VersionedReader(request, flexible);
    const res = new VersionedWriter(response, flexible);
    req.int32(); // replica id: always a consumer here
    const isolationLevel = version >= 2 ? req.int8() : 0;
    const topics = req.structArray((r) => {
      const name = r.string();
      const partitions = r.structArray((p) => {
        const index = p.int32();
        if (version >= 4) p.int32(); // current leader epoch: one node, never stale
        const timestamp = p.int64();
        if (version === 0) p.int32(); // max number of offsets
        return { index, timestamp };
      });
      return { name, partitions };
    });
    if (version >= 10) req.int32(); // timeout: nothing here waits on remote storage
    req.endStruct();

    const answers = await Promise.all(
      topics.map(async (topic) => ({
        name: topic.name,
        partitions: await Promise.all(
          topic.partitions.map(async (partition) => ({
            index: partition.index,
            ...(await lookUp(broker, topic.name, partition.index, partition.timestamp, version, isolationLevel)),
          })),
        ),
      })),
    );

    if (version >= 2) res.int32(0);
    res.structArray(answers, (writer, topic) => {
      writer.string(topic.name);
      writer.structArray(topic.partitions, (w, answer) => {
        w.int32(answer.index).int16(answer.errorCode);
        if (version === 0) w.array(answer.offset >= 0 ? [answer.offset] : [], (o, value) => o.int64(value));
        else w.int64(answer.timestamp).int64(answer.offset);
        if (version >= 4) w.int32(answer.offset >= 0 ? LEADER_EPOCH : -1);
      });
    });
    res.endStruct();
  },
};

async function lookUp(
  broker: BrokerContext,
  topic: string,
  index: number,
  timestamp: number,
  version: number,
  isolationLevel: number,
): Promise<Answer> {
  const log = broker.log.partition(topic, index);
  if (log === undefined) return noOffset(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const lastFetchable = isolationLevel === READ_COMMITTED ? log.lastStableOffset : log.logEndOffset;
  if (timestamp < 0) {
    const since = kindSince.get(timestamp);
    if (since === undefined || version < since) return noOffset(ErrorCode.UNSUPPORTED_VERSION);
    return special(log, timestamp, lastFetchable);
  }
  try {
    const found = await offsetForTimestamp(log, timestamp);
    return found === null || found.offset >= lastFetchable ? noOffset() : { errorCode: ErrorCode.NONE, ...found };
  } catch (error) {
    // Records inside a batch whose CRC held but which do not decode: said, never a crash.
    if (error instanceof UnreadableRecordsError) return noOffset(ErrorCode.CORRUPT_MESSAGE);
    throw error;
  }
}

/** `lastFetchable`: the log end, or the last stable offset under read_committed. */
async function special(log: PartitionLog, kind: number, lastFetchable: number): Promise<Answer> {
  switch (kind) {
    case LATEST:
      return { errorCode: ErrorCode.NONE, offset: lastFetchable, timestamp: -1 };
    case EARLIEST:
    case EARLIEST_LOCAL:
      return { errorCode: ErrorCode.NONE, offset: log.logStartOffset, timestamp: -1 };
    case MAX_TIMESTAMP: {
      const found = await offsetOfMaxTimestamp(log).catch((error: Error) => {
        if (error instanceof UnreadableRecordsError) return undefined;
        throw error;
      });
      if (found === undefined) return noOffset(ErrorCode.CORRUPT_MESSAGE);
      return found === null || found.offset >= lastFetchable ? noOffset() : { errorCode: ErrorCode.NONE, ...found };
    }
    default:
      return noOffset(); // LATEST_TIERED, EARLIEST_PENDING_UPLOAD: nothing is tiered here
  }
}
