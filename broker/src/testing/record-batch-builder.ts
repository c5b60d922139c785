import { crc32c } from '@node-rs/crc32';
import { Writer } from '../protocol/writer.js';

export interface BatchOptions {
  values: string[];
  timestamp?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  /** Part of a transaction (attributes bit 4). */
  transactional?: boolean;
  /** A control batch holding this transaction marker (one record, key = version 0 + type, no value). */
  controlMarker?: 'abort' | 'commit';
}

/**
 * An uncompressed record batch v2 built byte by byte, so storage tests do not need a client.
 * Records carry no key and no headers (a control batch's marker has its key and no value);
 * the CRC-32C is computed like a producer's.
 */
export function buildRecordBatch(options: BatchOptions): Buffer {
  const timestamp = options.timestamp ?? Date.now();
  const records = new Writer();
  const marker = options.controlMarker;
  const values = marker === undefined ? options.values : [''];
  for (const [i, value] of values.entries()) {
    const record = new Writer()
      .int8(0) // attributes
      .varint(0) // timestamp delta
      .varint(i); // offset delta
    if (marker === undefined) record.varint(-1).varint(Buffer.byteLength(value)).raw(Buffer.from(value));
    else
      record
        .varint(4)
        .int16(0)
        .int16(marker === 'abort' ? 0 : 1)
        .varint(6)
        .int16(0)
        .int32(0); // key; value: version, coordinator epoch
    const bytes = Buffer.concat(record.varint(0).finish()); // no headers
    records.varint(bytes.length).raw(bytes);
  }
  const attributes = (options.transactional || marker !== undefined ? 0x10 : 0) | (marker !== undefined ? 0x20 : 0);
  const afterCrc = Buffer.concat(
    new Writer()
      .int16(attributes) // no compression
      .int32(values.length - 1)
      .int64(timestamp)
      .int64(timestamp)
      .int64(options.producerId ?? -1)
      .int16(options.producerEpoch ?? -1)
      .int32(options.baseSequence ?? -1)
      .int32(values.length)
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
