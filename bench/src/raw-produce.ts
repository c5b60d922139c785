import { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { crc32c } from '@node-rs/crc32';
import { compressFrame } from 'lz4-napi';

/**
 * A produce load generator that speaks the wire protocol itself, to measure what the broker
 * takes rather than what a client can encode: lz4 record batches v2 are built once, then sent
 * over and over in pipelined Produce v7 requests (acks=1) on several connections.
 */

function zigzagVarint(value: number, out: number[]): void {
  let rest = value >= 0 ? value * 2 : -value * 2 - 1;
  while (rest >= 0x80) {
    out.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
}

/** One lz4 record batch v2 holding `values` (keyed by `keys` when given); the broker assigns its offsets. */
export async function lz4RecordBatch(values: readonly Buffer[], keys?: readonly Buffer[]): Promise<Buffer> {
  const records: Buffer[] = [];
  values.forEach((value, i) => {
    const head: number[] = [0]; // attributes
    zigzagVarint(0, head); // timestamp delta
    zigzagVarint(i, head); // offset delta
    const key = keys?.[i];
    zigzagVarint(key === undefined ? -1 : key.length, head);
    const valueLength: number[] = [];
    zigzagVarint(value.length, valueLength);
    const body = Buffer.concat([
      Buffer.from(head),
      key ?? Buffer.alloc(0),
      Buffer.from(valueLength),
      value,
      Buffer.from([0]),
    ]); // no headers
    const length: number[] = [];
    zigzagVarint(body.length, length);
    records.push(Buffer.from(length), body);
  });
  const compressed = await compressFrame(Buffer.concat(records));
  const now = BigInt(Date.now());
  const afterCrc = Buffer.alloc(40);
  afterCrc.writeInt16BE(3, 0); // lz4
  afterCrc.writeInt32BE(values.length - 1, 2);
  afterCrc.writeBigInt64BE(now, 6);
  afterCrc.writeBigInt64BE(now, 14);
  afterCrc.writeBigInt64BE(-1n, 22); // no producer id
  afterCrc.writeInt16BE(-1, 30);
  afterCrc.writeInt32BE(-1, 32);
  afterCrc.writeInt32BE(values.length, 36);
  const tail = Buffer.concat([afterCrc, compressed]);
  const head = Buffer.alloc(21);
  head.writeInt32BE(tail.length + 9, 8);
  head.writeInt32BE(-1, 12);
  head.writeInt8(2, 16);
  head.writeUInt32BE(crc32c(tail) >>> 0, 17);
  return Buffer.concat([head, tail]);
}

/** A whole size-prefixed Produce v7 request carrying `batch` for one partition. */
export function produceRequest(topic: string, partition: number, batch: Buffer, correlationId: number): Buffer {
  const clientId = Buffer.from('bench-raw');
  const name = Buffer.from(topic);
  const parts: Buffer[] = [];
  const int16 = (v: number): Buffer => {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    return b;
  };
  const int32 = (v: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    return b;
  };
  parts.push(int16(0), int16(7), int32(correlationId), int16(clientId.length), clientId);
  parts.push(int16(-1), int16(1), int32(30_000)); // no transactional id, acks=1, timeout
  parts.push(int32(1), int16(name.length), name, int32(1), int32(partition), int32(batch.length), batch);
  const body = Buffer.concat(parts);
  return Buffer.concat([int32(body.length), body]);
}

/**
 * Sends `request` (pre-built per partition) for `seconds` on `connections` sockets with up to
 * `pipeline` requests unanswered on each; returns requests answered per second.
 */
export async function blastProduce(
  host: string,
  port: number,
  requests: readonly Buffer[],
  options: { seconds: number; connections: number; pipeline: number },
): Promise<number> {
  const deadline = performance.now() + options.seconds * 1000;
  const started = performance.now();
  let answered = 0;
  await Promise.all(
    Array.from(
      { length: options.connections },
      (_, c) =>
        new Promise<void>((resolve, reject) => {
          const socket = new Socket();
          const request = requests[c % requests.length] as Buffer;
          let outstanding = 0;
          let pending: Buffer = Buffer.alloc(0);
          const sendMore = (): void => {
            while (outstanding < options.pipeline && performance.now() < deadline) {
              socket.write(request);
              outstanding++;
            }
            if (outstanding === 0) {
              socket.end();
              resolve();
            }
          };
          socket.on('data', (chunk: Buffer) => {
            pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
            while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
              pending = pending.subarray(4 + pending.readInt32BE(0));
              outstanding--;
              answered++;
            }
            sendMore();
          });
          socket.on('error', reject);
          socket.connect(port, host, sendMore);
        }),
    ),
  );
  return answered / ((performance.now() - started) / 1000);
}
