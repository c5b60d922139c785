import { ErrorCode } from '../protocol/errors.js';
import { VersionedReader, VersionedWriter } from '../protocol/versioned.js';
import type { ApiHandler } from './api.js';

/*
 * DeleteRecords (key 21), v0-2 (as Apache Kafka 4.4), flexible from v2.
 *
 * Request:  Topics [Name str, Partitions [PartitionIndex i32, Offset i64]], TimeoutMs i32
 * Response: ThrottleTimeMs i32, Topics [Name str, Partitions [PartitionIndex i32, LowWatermark i64, ErrorCode i16]]
 *
 * Moves a partition's log start offset to Offset (-1: the high watermark); every record below
 * it is gone for consumers at once, and the segments wholly below it are deleted. The new
 * start is on disk before the answer. Below the current start: nothing changes. Above the
 * high watermark or below -1: OFFSET_OUT_OF_RANGE, as Apache Kafka answers.
 */
export const deleteRecords: ApiHandler = {
  key: 21,
  name: 'DeleteRecords',
  minVersion: 0,
  maxVersion: 2,
  flexibleFrom: 2,
  handle(request, response, { header, broker }) {
    const flexible = header.apiVersion >= 2;
    const req = new VersionedReader(request, flexible);
    const res = new VersionedWriter(response, flexible);
    const topics = req.structArray((r) => {
      const name = r.string();
      const partitions = r.structArray((p) => ({ index: p.int32(), offset: p.int64() }));
      return { name, partitions };
    });
    req.int32(); // timeout: one node, nothing to wait for
    req.endStruct();

    res.int32(0);
    res.structArray(topics, (writer, topic) => {
      writer.string(topic.name);
      writer.structArray(topic.partitions, (w, { index, offset }) => {
        const log = broker.log.partition(topic.name, index);
        let errorCode: ErrorCode = ErrorCode.NONE;
        if (log === undefined) errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        else {
          const target = offset === -1 ? log.logEndOffset : offset;
          if (target < 0 || target > log.logEndOffset) errorCode = ErrorCode.OFFSET_OUT_OF_RANGE;
          else log.deleteRecordsBefore(target);
        }
        w.int32(index)
          .int64(errorCode === ErrorCode.NONE ? (log?.logStartOffset ?? -1) : -1)
          .int16(errorCode);
      });
    });
    res.endStruct();
  },
};
