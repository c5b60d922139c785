import { crc32c } from '@node-rs/crc32';
import { Writer } from '../protocol/writer.js';

export interface BatchOptions {
  values: string[];
  timestamp?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  /** Sets the transactional attribute bit (a producer id and epoch are then needed too). */
  transactional?: boolean;
}

/**
 * An uncompressed record batch v2 built byte by byte, so storage tests do not need a client.
 * Records carry no key and no headers; the CRC-32C is computed like a producer's.
 */
export function buildRecordBatch(options: BatchOptions): Buffer {
  const timestamp = options.timestamp ?? Date.now();
  const records = new Writer();
  for (const [i, value] of options.values.entries()) {
    const record = Buffer.concat(
      new Writer()
        .int8(0) // attributes
        .varint(0) // timestamp delta
        .varint(i) // offset delta
        .varint(-1) // null key
        .varint(Buffer.byteLength(value))
        .raw(Buffer.from(value))
        .varint(0) // headers
        .finish(),
    );
    records.varint(record.length).raw(record);
  }
  const afterCrc = Buffer.concat(
    new Writer()
      .int16(options.transactional ? 0x10 : 0) // attributes: no compression, maybe transactional
      .int32(options.values.length - 1)
      .int64(timestamp)
      .int64(timestamp)
      .int64(options.producerId ?? -1)
      .int16(options.producerEpoch ?? -1)
      .int32(options.baseSequence ?? -1)
      .int32(options.values.length)
      .raw(Buffer.concat(records.finish()))
      .finish(),
  );
  const head = Buffer.alloc(21);
  head.writeBigInt64BE(0n, 0); // base offset: the broker assigns it
  head.writeInt32BE(afterCrc.length + 9, 8); // batch length: from the leader epoch on
  head.writeInt32BE(-1, 12); // partition leader epoch
  head.writeInt8(2, 16); // magic
  head.writeUInt32BE(crc32c(afterCrc) >>> 0, 17);
  return Buffer.concat([head, afterCrc]);
}
