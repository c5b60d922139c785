import { KafkaConnection } from '@tickstream/schemas/kafka-connection';
import { fetchRequestBody } from '@tickstream/schemas/kafka-fetch';
import { ResponseReader } from '@tickstream/schemas/kafka-protocol';

/*
 * A reader for broker benchmarks: Fetch v4 straight from the socket, as the edge reads, with
 * the isolation level chosen, so what is measured is the broker's Fetch path and not a client.
 */

/** The offset after the last whole batch of a partition's records (control batches included). */
function nextOffset(records: Buffer, from: number): number {
  let next = from;
  for (let at = 0; at + 61 <= records.length; ) {
    const end = at + 12 + records.readInt32BE(at + 8);
    if (end > records.length) break;
    next = Number(records.readBigInt64BE(at)) + records.readInt32BE(at + 23) + 1;
    at = end;
  }
  return next;
}

/**
 * Reads `topic` from the start to its end again and again for `seconds`, with sequential Fetch
 * v4 requests at `isolation` (0 uncommitted, 1 committed); the megabytes of record batches
 * received and the seconds taken. Answers are kept small (128 KiB per partition) so that the
 * client side stays cheap.
 */
export async function readTopicRepeatedly(
  bootstrap: string,
  topic: string,
  partitions: number,
  isolation: number,
  seconds: number,
): Promise<{ megabytes: number; seconds: number }> {
  const colon = bootstrap.lastIndexOf(':');
  const connection = await KafkaConnection.connect({
    host: bootstrap.slice(0, colon),
    port: Number(bootstrap.slice(colon + 1)),
    clientId: 'bench-fetch',
    connectTimeoutMs: 10_000,
    requestTimeoutMs: 30_000,
  });
  let bytes = 0;
  const started = performance.now();
  try {
    while (performance.now() - started < seconds * 1000) {
      const positions = Array.from({ length: partitions }, (_, partition) => ({ partition, offset: 0 }));
      const ends = new Map<number, number>();
      for (;;) {
        const reading = positions.filter((p) => p.offset < (ends.get(p.partition) ?? Number.POSITIVE_INFINITY));
        if (reading.length === 0) break;
        const body = fetchRequestBody([{ topic, partitions: reading }], {
          maxWaitMs: 0,
          minBytes: 0,
          maxBytes: 512 << 10,
          partitionMaxBytes: 128 << 10,
        });
        body.writeInt8(isolation, 16); // after replica id, max wait, min bytes, max bytes
        const response = await connection.request(1, 4, [body], body.length);
        for (const answer of parseFetch(response)) {
          const position = positions[answer.partition] as { partition: number; offset: number };
          const end = isolation === 1 ? answer.lastStableOffset : answer.highWatermark;
          ends.set(answer.partition, end);
          bytes += answer.records.length;
          position.offset = answer.records.length === 0 ? end : nextOffset(answer.records, position.offset);
        }
      }
    }
  } finally {
    connection.close();
  }
  return { megabytes: bytes / 1e6, seconds: (performance.now() - started) / 1000 };
}

interface FetchedPartition {
  partition: number;
  highWatermark: number;
  lastStableOffset: number;
  records: Buffer;
}

/** A Fetch v4 response: per partition its high watermark, last-stable offset and records. */
function parseFetch(body: Buffer): FetchedPartition[] {
  const r = new ResponseReader(body);
  const fetched: FetchedPartition[] = [];
  r.int32(); // throttle
  for (let topics = r.int32(); topics > 0; topics--) {
    r.string();
    for (let partitions = r.int32(); partitions > 0; partitions--) {
      const partition = r.int32();
      const errorCode = r.int16();
      if (errorCode !== 0) throw new Error(`Fetch of partition ${partition} answered error ${errorCode}`);
      const highWatermark = r.int64();
      const lastStableOffset = r.int64();
      const aborted = r.int32(); // aborted transactions: the consumer's business, not the bench's
      r.at += 16 * Math.max(0, aborted);
      const size = Math.max(0, r.int32());
      fetched.push({ partition, highWatermark, lastStableOffset, records: body.subarray(r.at, r.at + size) });
      r.at += size;
    }
  }
  return fetched;
}
