import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BitReader, decodeServerFrame, encodeClientFrame } from '@tickstream/schemas';
import WebSocket from 'ws';
import { FRAME_OPTIONS } from './feed-recording.js';
import { freePort, spawnCli, spawnProducer, startBrokerProcess, stopChild, waitForEdge } from './processes.js';

/**
 * Where a Delta's bytes go on the wire (issue 24, "bytes"): a real system (embedded broker,
 * producer, edge as processes), one client following every symbol as the dashboard does and one
 * following a page of 50, every Delta frame they receive taken apart into the WebSocket header,
 * the frame's envelope (header byte, epoch, seq, count, base time) and each field of the packed
 * data (docs/protocol.md, "Delta encoding"), summed per field over the updates.
 *
 *   node bench/dist/delta-bytes.js [--symbols 1000] [--rate 20000] [--seconds 5] [--window 25]
 */
export interface DeltaByteReport {
  subscription: string;
  frames: number;
  updates: number;
  updatesPerFrame: number;
  /** Wire bytes (WebSocket header included) per update: the measure. */
  wireBytesPerUpdate: number;
  /** Per update: the WebSocket header, the envelope and each field of the data. */
  perUpdate: Record<string, number>;
  /** How often each optional field is present, per update. */
  presence: Record<string, number>;
  /** Per field, the share of its values of at most 4 / 7 / 14 / more bits (before zigzag for signed ones: as sent). */
  valueWidths: Record<string, string>;
  /** Whether lz4 would shrink these frames, and by how much (uncompressed wire bytes / lz4's). */
  lz4Ratio: number;
}

/** Bytes of an unmasked server → client WebSocket frame header for a payload of `length` (RFC 6455 5.2). */
export function webSocketHeaderBytes(length: number): number {
  return length <= 125 ? 2 : length <= 0xffff ? 4 : 10;
}

class FieldTally {
  readonly bytes: Record<string, number> = {};
  readonly present: Record<string, number> = {};
  /** Per field, how many values needed at most 4, 7, 14 or more bits (their varint's payload). */
  readonly widths: Record<string, [number, number, number, number]> = {};
  frames = 0;
  updates = 0;
  wire = 0;
  uncompressed = 0;
  compressed = 0;

  add(field: string, bytes: number, value = -1): void {
    this.bytes[field] = (this.bytes[field] ?? 0) + bytes;
    this.present[field] = (this.present[field] ?? 0) + 1;
    if (value < 0) return;
    const widths = this.widths[field] ?? [0, 0, 0, 0];
    this.widths[field] = widths;
    widths[value < 16 ? 0 : value < 128 ? 1 : value < 16_384 ? 2 : 3]++;
  }

  report(subscription: string): DeltaByteReport {
    const per = (value: number): number => (this.updates === 0 ? 0 : value / this.updates);
    const perUpdate: Record<string, number> = {};
    for (const [field, bytes] of Object.entries(this.bytes)) perUpdate[field] = per(bytes);
    const presence: Record<string, number> = {};
    for (const [field, count] of Object.entries(this.present)) presence[field] = per(count);
    const valueWidths: Record<string, string> = {};
    for (const [field, counts] of Object.entries(this.widths)) {
      const total = counts.reduce((sum, count) => sum + count, 0);
      valueWidths[field] = counts.map((count) => `${((100 * count) / total).toFixed(1)}%`).join(' / ');
    }
    return {
      subscription,
      valueWidths,
      frames: this.frames,
      updates: this.updates,
      updatesPerFrame: this.frames === 0 ? 0 : this.updates / this.frames,
      wireBytesPerUpdate: per(this.wire),
      perUpdate,
      presence,
      lz4Ratio: this.compressed === 0 ? 1 : this.uncompressed / this.compressed,
    };
  }
}

/**
 * Takes one Delta frame apart into `tally`: the frame of protocol 5 (delta-frame.ts), its data a
 * bit string (delta.ts), each field's bits counted where it is read. Bytes are bits / 8.
 */
export function tallyDeltaFrame(frame: Uint8Array, tally: FieldTally): boolean {
  const message = decodeServerFrame(frame, FRAME_OPTIONS);
  if (message.type !== 'delta') return false;
  tally.frames++;
  tally.updates += message.count;
  tally.wire += frame.length + webSocketHeaderBytes(frame.length);
  tally.bytes.webSocketHeader = (tally.bytes.webSocketHeader ?? 0) + webSocketHeaderBytes(frame.length);
  tally.bytes.envelope = (tally.bytes.envelope ?? 0) + frame.length - message.data.length;
  const compressed = FRAME_OPTIONS.lz4.compress(frame.subarray(1));
  tally.uncompressed += frame.length;
  tally.compressed += Math.min(frame.length, compressed.length + 5);
  const reader = new BitReader();
  reader.reset(message.data, 0, message.data.length);
  let at = 0;
  const field = (name: string, value: number): void => {
    tally.add(name, (reader.consumed - at) / 8, value);
    at = reader.consumed;
  };
  reader.bit();
  const orders = reader.bits(16);
  field('dataHeader', 0);
  const [idOrder, lastOrder, volumeOrder, timeOrder] = [
    orders >>> 12,
    (orders >>> 8) & 15,
    (orders >>> 4) & 15,
    orders & 15,
  ];
  for (let i = 0; i < message.count; i++) {
    field('idStep', reader.expGolomb(idOrder));
    const lastChanged = reader.bit();
    const extras = reader.bit() === 1 ? reader.bits(3) : 0;
    field('flags', extras);
    if (lastChanged) field('last', zigzag(reader.signedExpGolomb(lastOrder)));
    field('spread', zigzag(reader.signedExpGolomb(0)));
    field('ticks', zigzag(reader.signedExpGolomb(0)));
    field('volume', zigzag(reader.signedExpGolomb(volumeOrder)));
    field('time', reader.expGolomb(timeOrder));
    if (extras & 4) field('high', zigzag(reader.signedExpGolomb(1)));
    if (extras & 2) field('low', zigzag(reader.signedExpGolomb(1)));
    if (extras & 1) field('askSkew', zigzag(reader.signedExpGolomb(0)));
  }
  tally.bytes.padding = (tally.bytes.padding ?? 0) + message.data.length - reader.consumed / 8;
  return true;
}

const zigzag = (value: number): number => (value >= 0 ? value * 2 : -value * 2 - 1);

/** Follows `symbols` on `url` for `seconds` after its Snapshot, tallying every Delta. */
async function follow(url: string, symbols: string[], seconds: number): Promise<FieldTally> {
  const tally = new FieldTally();
  const socket = new WebSocket(url);
  socket.binaryType = 'nodebuffer';
  let snapshotAt = 0;
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('message', (data: Buffer) => {
      const frame = new Uint8Array(data);
      const message = decodeServerFrame(frame, FRAME_OPTIONS);
      if (message.type === 'hello')
        socket.send(encodeClientFrame({ type: 'subscribe', symbols, sectors: [] }, FRAME_OPTIONS));
      else if (message.type === 'snapshot') snapshotAt ||= Date.now();
      else if (snapshotAt > 0 && message.type === 'delta') {
        tallyDeltaFrame(frame, tally);
        if (Date.now() - snapshotAt >= seconds * 1000) resolve();
      }
    });
  });
  socket.terminate();
  return tally;
}

export async function measureDeltaBytes(options: {
  symbols: number;
  rate: number;
  seconds: number;
  windowMs: number;
}): Promise<DeltaByteReport[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tickstream-delta-bytes-'));
  const broker = await startBrokerProcess(dataDir);
  const children: ChildProcess[] = [];
  try {
    children.push(spawnProducer(broker.bootstrap, { symbols: options.symbols, rate: options.rate, clock: 'real' }));
    const port = await freePort();
    children.push(
      spawnCli([
        'edge',
        ...['--brokers', broker.bootstrap, '--port', String(port), '--host', '127.0.0.1'],
        ...['--history', '0', '--window', String(options.windowMs)],
      ]),
    );
    await waitForEdge(port, { minSymbols: options.symbols, child: children.at(-1) });
    const listing = (await (await fetch(`http://127.0.0.1:${port}/api/symbols`)).json()) as {
      symbols: { name: string }[];
    };
    const names = listing.symbols.map((entry) => entry.name);
    // A page as the fan-out bench's: 50 symbols spread over the universe, not neighbours.
    const page = names.filter((_, i) => i % Math.max(1, Math.floor(names.length / 50)) === 0).slice(0, 50);
    const url = `ws://127.0.0.1:${port}/ws`;
    const [every, paged] = await Promise.all([follow(url, ['*'], options.seconds), follow(url, page, options.seconds)]);
    return [every.report(`every symbol (${names.length})`), paged.report('a page of 50')];
  } finally {
    for (const child of children) await stopChild(child, 'SIGKILL');
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const argument = (name: string, fallback: number): number => {
    const at = process.argv.indexOf(`--${name}`);
    return at < 0 ? fallback : Number(process.argv[at + 1]);
  };
  const options = {
    symbols: argument('symbols', 1000),
    rate: argument('rate', 20_000),
    seconds: argument('seconds', 5),
    windowMs: argument('window', 25),
  };
  const reports = await measureDeltaBytes(options);
  console.log(JSON.stringify({ options, reports }, null, 2));
}
