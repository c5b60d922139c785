import { Compression } from '../log/record-batch.js';
import { buildBatch, type LogRecord } from '../log/records.js';

export interface TestRecord {
  key?: string | null;
  value: string | null;
  timestamp: number;
}

/**
 * A record batch v2 of keyed records, each with its own timestamp, with `attributes` (the codec,
 * plus the transactional bit for a transaction's batch), built with the broker's own batch
 * encoder (records.ts). Tests that must not trust that encoder produce through kafkajs or
 * librdkafka instead.
 */
export async function keyedBatch(
  records: readonly TestRecord[],
  attributes: number = Compression.none,
  producer: { id: number; epoch: number; baseSequence: number } = { id: -1, epoch: -1, baseSequence: -1 },
): Promise<Buffer> {
  const logRecords: LogRecord[] = records.map((record, i) => ({
    offset: i,
    timestamp: record.timestamp,
    createTimestamp: record.timestamp,
    attributes: 0,
    key: record.key === undefined || record.key === null ? null : Buffer.from(record.key),
    value: record.value === null ? null : Buffer.from(record.value),
    headers: Buffer.from([0]),
  }));
  return buildBatch(
    {
      baseOffset: 0,
      partitionLeaderEpoch: -1,
      attributes,
      lastOffsetDelta: records.length - 1,
      baseTimestamp: records[0]?.timestamp ?? 0,
      maxTimestamp: -1,
      producerId: producer.id,
      producerEpoch: producer.epoch,
      baseSequence: producer.baseSequence,
    },
    logRecords,
  );
}
