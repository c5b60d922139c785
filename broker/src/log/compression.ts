import { promisify } from 'node:util';
import { gunzip, gunzipSync, gzip, gzipSync } from 'node:zlib';
import { compress as zstdCompress, decompress as zstdDecompress } from '@mongodb-js/zstd';
import { compressFrame, compressFrameSync, decompressFrame, decompressFrameSync } from 'lz4-napi';
import {
  compress as snappyCompress,
  compressSync as snappyCompressSync,
  uncompress as snappyUncompress,
  uncompressSync as snappyUncompressSync,
} from 'snappy';
import { Compression } from './record-batch.js';

/*
 * The record-batch codecs (kafka-protocol.md §3), for the few places that must read records
 * rather than whole batches: ListOffsets by timestamp, produce-time key checks on compacted
 * topics, and the log cleaner. Everything here runs off the event loop (zlib, lz4-napi, snappy
 * and zstd all do their work on the libuv pool).
 *
 * Formats, as Apache Kafka's clients write them:
 * - gzip: a gzip stream;
 * - snappy: the Java client's xerial framing (a 16-byte header, then [i32 length, raw snappy
 *   block]…); librdkafka writes raw snappy. Both are read; xerial is written, as Apache Kafka's
 *   own cleaner would;
 * - lz4: the LZ4 frame format (KIP-57);
 * - zstd: one or more zstd frames.
 */

const gunzipAsync = promisify(gunzip);
const gzipAsync = promisify(gzip);

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]); // \x82SNAPPY\0
const XERIAL_HEADER_BYTES = 16; // magic, version i32, compatible version i32
/** The Java client's snappy block size (SnappyOutputStream's default). */
const XERIAL_BLOCK_BYTES = 32 * 1024;
/** zstd level Kafka uses by default (compression.zstd.level). */
const ZSTD_LEVEL = 3;

export class UnreadableRecordsError extends Error {
  override readonly name = 'UnreadableRecordsError';
}

const CODEC_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

export function codecName(codec: number): string {
  return CODEC_NAMES[codec] ?? `codec ${codec}`;
}

/** The records section of a batch as written by `codec`, decompressed. */
export async function decompressRecords(codec: number, data: Buffer): Promise<Buffer> {
  try {
    switch (codec) {
      case Compression.none:
        return data;
      case Compression.gzip:
        return await gunzipAsync(data);
      case Compression.snappy:
        return await unsnappy(data);
      case Compression.lz4:
        return await decompressFrame(data);
      case Compression.zstd:
        return await zstdDecompress(data);
    }
  } catch (error) {
    throw new UnreadableRecordsError(`${codecName(codec)} records do not decompress: ${(error as Error).message}`);
  }
  throw new UnreadableRecordsError(`unknown compression ${codec}`);
}

/** Compresses a records section with `codec`, in the format Apache Kafka's Java client writes. */
export async function compressRecords(codec: number, data: Buffer): Promise<Buffer> {
  switch (codec) {
    case Compression.none:
      return data;
    case Compression.gzip:
      return gzipAsync(data);
    case Compression.snappy:
      return snappyXerial(data);
    case Compression.lz4:
      return compressFrame(data);
    case Compression.zstd:
      return zstdCompress(data, ZSTD_LEVEL);
  }
  throw new UnreadableRecordsError(`unknown compression ${codec}`);
}

async function unsnappy(data: Buffer): Promise<Buffer> {
  if (data.length < XERIAL_HEADER_BYTES || !data.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)) {
    return (await snappyUncompress(data, { asBuffer: true })) as Buffer;
  }
  const blocks = xerialBlocks(data).map((block) => snappyUncompress(block, { asBuffer: true }) as Promise<Buffer>);
  return Buffer.concat(await Promise.all(blocks));
}

/** The raw snappy blocks of a xerial-framed stream: [i32 length, block]… after the header. */
function xerialBlocks(data: Buffer): Buffer[] {
  const blocks: Buffer[] = [];
  for (let at = XERIAL_HEADER_BYTES; at < data.length; ) {
    if (at + 4 > data.length) throw new Error('xerial snappy block length cut short');
    const length = data.readInt32BE(at);
    if (length < 0 || at + 4 + length > data.length)
      throw new Error(`xerial snappy block of ${length} bytes cut short`);
    blocks.push(data.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return blocks;
}

function xerialHeader(): Buffer {
  const header = Buffer.alloc(XERIAL_HEADER_BYTES);
  XERIAL_MAGIC.copy(header);
  header.writeInt32BE(1, 8); // version
  header.writeInt32BE(1, 12); // minimum compatible version
  return header;
}

async function snappyXerial(data: Buffer): Promise<Buffer> {
  const parts: Buffer[] = [xerialHeader()];
  for (let at = 0; at < data.length; at += XERIAL_BLOCK_BYTES) {
    const block = await snappyCompress(data.subarray(at, at + XERIAL_BLOCK_BYTES));
    const length = Buffer.alloc(4);
    length.writeInt32BE(block.length);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}

/*
 * The same on the calling thread, for the log cleaner's own thread, where a hop to the libuv
 * pool per batch only adds latency. zstd has no synchronous binding here: it stays async.
 */

export function decompressRecordsOnThread(codec: number, data: Buffer): Buffer | Promise<Buffer> {
  try {
    switch (codec) {
      case Compression.none:
        return data;
      case Compression.gzip:
        return gunzipSync(data);
      case Compression.snappy:
        return unsnappySync(data);
      case Compression.lz4:
        return decompressFrameSync(data);
    }
  } catch (error) {
    throw new UnreadableRecordsError(`${codecName(codec)} records do not decompress: ${(error as Error).message}`);
  }
  return decompressRecords(codec, data);
}

export function compressRecordsOnThread(codec: number, data: Buffer): Buffer | Promise<Buffer> {
  switch (codec) {
    case Compression.none:
      return data;
    case Compression.gzip:
      return gzipSync(data);
    case Compression.snappy:
      return snappyXerialSync(data);
    case Compression.lz4:
      return compressFrameSync(data);
  }
  return compressRecords(codec, data);
}

function unsnappySync(data: Buffer): Buffer {
  if (data.length < XERIAL_HEADER_BYTES || !data.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)) {
    return snappyUncompressSync(data, { asBuffer: true }) as Buffer;
  }
  const blocks: Buffer[] = [];
  for (const block of xerialBlocks(data)) blocks.push(snappyUncompressSync(block, { asBuffer: true }) as Buffer);
  return Buffer.concat(blocks);
}

function snappyXerialSync(data: Buffer): Buffer {
  const parts: Buffer[] = [xerialHeader()];
  for (let at = 0; at < data.length; at += XERIAL_BLOCK_BYTES) {
    const block = snappyCompressSync(data.subarray(at, at + XERIAL_BLOCK_BYTES));
    const length = Buffer.alloc(4);
    length.writeInt32BE(block.length);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}
