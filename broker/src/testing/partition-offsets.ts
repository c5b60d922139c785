import type { Reader } from '../protocol/reader.js';
import { Writer } from '../protocol/writer.js';
import { RawKafkaClient } from './raw-client.js';

export const ReadIsolation = { uncommitted: 0, committed: 1 } as const;

export interface PartitionOffsets {
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  /** null when the broker sends none (READ_UNCOMMITTED on Apache Kafka). */
  abortedTransactions: { producerId: number; firstOffset: number }[] | null;
  /** Bytes of record batches in the answer. */
  recordBytes: number;
}

/**
 * One Fetch v4 of `topic`/`partition` from `offset`, as a client of either broker would send it,
 * for tests that must see the high watermark, the last-stable offset and the aborted-transactions
 * list themselves rather than through a client's filtering. Answered at once by default; with
 * `maxWaitMs` a long poll for at least one byte (min bytes 1), as consumers send it.
 */
export async function fetchPartitionOffsets(
  bootstrap: string,
  topic: string,
  partition: number,
  isolation: number,
  offset = 0,
  maxWaitMs = 0,
): Promise<PartitionOffsets> {
  const body = new Writer()
    .int32(-1) // replica id
    .int32(maxWaitMs)
    .int32(maxWaitMs > 0 ? 1 : 0) // min bytes
    .int32(1 << 20) // max bytes
    .int8(isolation)
    .array([topic], (w, name) =>
      w.string(name).array([partition], (p, index) =>
        p
          .int32(index)
          .int64(offset)
          .int32(1 << 20),
      ),
    );
  return askAboutPartition(bootstrap, 'Fetch', 1, 4, body, topic, partition, (p) => {
    const errorCode = p.int16();
    const highWatermark = p.int64();
    const lastStableOffset = p.int64();
    const abortedTransactions = p.nullableArray((a) => ({ producerId: a.int64(), firstOffset: a.int64() }));
    const recordBytes = p.nullableBytes()?.length ?? 0;
    return { errorCode, highWatermark, lastStableOffset, abortedTransactions, recordBytes };
  });
}

/**
 * One ListOffsets v2 of `topic`/`partition` for `timestamp` (-1 latest, -2 earliest, or ms) at
 * an isolation level: the offset the broker answers (-1: none).
 */
export async function listOffset(
  bootstrap: string,
  topic: string,
  partition: number,
  timestamp: number,
  isolation: number,
): Promise<number> {
  const body = new Writer()
    .int32(-1) // replica id: a consumer
    .int8(isolation)
    .array([topic], (w, name) => w.string(name).array([partition], (p, index) => p.int32(index).int64(timestamp)));
  const found = await askAboutPartition(bootstrap, 'ListOffsets', 2, 2, body, topic, partition, (p) => {
    const errorCode = p.int16();
    p.int64(); // timestamp
    return { errorCode, offset: p.int64() };
  });
  if (found.errorCode !== 0) throw new Error(`ListOffsets of ${topic}/${partition} answered error ${found.errorCode}`);
  return found.offset;
}

/**
 * Sends one request about one partition (Fetch and ListOffsets answers share their framing:
 * throttle, then [topic [partition, …]]) and reads that partition's answer after its index.
 */
async function askAboutPartition<T>(
  bootstrap: string,
  name: string,
  apiKey: number,
  version: number,
  body: Writer,
  topic: string,
  partition: number,
  readPartition: (p: Reader) => T,
): Promise<T> {
  const client = await RawKafkaClient.connect(bootstrap);
  try {
    const reader = await client.request(apiKey, version, Buffer.concat(body.finish()));
    reader.int32(); // throttle
    const [answer] = reader.array((r) => {
      r.string();
      return r.array((p) => {
        p.int32(); // partition
        return readPartition(p);
      });
    });
    const found = answer?.[0];
    if (found === undefined) throw new Error(`${name} of ${topic}/${partition} had no answer for it`);
    return found;
  } finally {
    client.close();
  }
}
