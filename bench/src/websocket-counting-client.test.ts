import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import {
  acceptFor,
  CountingClient,
  type FrameTally,
  OPCODE_BINARY,
  OPCODE_CLOSE,
  OPCODE_PING,
  ServerFrameScanner,
} from './websocket-counting-client.js';

/** An unmasked server frame, as uWS sends them. */
function serverFrame(opcode: number, payload: Uint8Array, fin = true): Buffer {
  const n = payload.length;
  const head =
    n < 126
      ? [n]
      : n < 65_536
        ? [126, n >> 8, n & 0xff]
        : [127, 0, 0, 0, 0, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  return Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | opcode, ...head]), payload]);
}

const filled = (length: number, seed: number): Buffer =>
  Buffer.from(Array.from({ length }, (_, i) => (i * 7 + seed) & 0xff));

function scanner() {
  const tally: FrameTally = { frames: 0, bytes: 0, wireBytes: 0 };
  const seen = { messages: [] as Buffer[], pings: [] as Buffer[], closes: [] as number[], errors: [] as string[] };
  const scan = new ServerFrameScanner(tally, {
    message: (payload) => seen.messages.push(payload),
    ping: (payload) => seen.pings.push(payload),
    close: (code) => seen.closes.push(code),
    protocolError: (why) => seen.errors.push(why),
  });
  return { tally, seen, scan };
}

describe('ServerFrameScanner', () => {
  // 7-, 16- and 64-bit lengths, an empty frame, a fragmented message, a ping and a close.
  const stream = Buffer.concat([
    serverFrame(OPCODE_BINARY, filled(20, 1)),
    serverFrame(OPCODE_BINARY, filled(300, 2)),
    serverFrame(OPCODE_BINARY, filled(70_000, 3)),
    serverFrame(OPCODE_BINARY, new Uint8Array(0)),
    serverFrame(OPCODE_PING, Buffer.from('hi')),
    serverFrame(OPCODE_BINARY, filled(10, 4), false),
    serverFrame(0, filled(5, 5)),
    serverFrame(OPCODE_CLOSE, Buffer.from([0x03, 0xe8])),
  ]);
  const wire = stream.length - 8; // all but the ping's and the close's frames (4 bytes each)
  const payload = 20 + 300 + 70_000 + 0 + 10 + 5;

  it('counts and reassembles frames however the stream is cut into reads', () => {
    for (const cut of [1, 2, 3, 5, 7, 11, 64, 1000, stream.length]) {
      const { tally, seen, scan } = scanner();
      // Reads through one shared buffer, overwritten each time, as the sockets do.
      const shared = Buffer.alloc(cut);
      for (let at = 0; at < stream.length; at += cut) {
        const n = stream.copy(shared, 0, at, Math.min(at + cut, stream.length));
        scan.scan(shared, 0, n);
      }
      expect(tally, `reads of ${cut} bytes`).toEqual({ frames: 5, bytes: payload, wireBytes: wire });
      expect(seen.messages.map((m) => m.length)).toEqual([20, 300, 70_000, 0, 15]);
      expect(seen.messages[2]?.equals(filled(70_000, 3))).toBe(true);
      expect(seen.messages[4]?.equals(Buffer.concat([filled(10, 4), filled(5, 5)]))).toBe(true);
      expect(seen.pings.map(String)).toEqual(['hi']);
      expect(seen.closes).toEqual([1000]);
      expect(seen.errors).toEqual([]);
    }
  });

  it('counts without keeping once keepMessages is off', () => {
    const { tally, seen, scan } = scanner();
    scan.keepMessages = false;
    scan.scan(stream, 0, stream.length);
    expect(tally).toEqual({ frames: 5, bytes: payload, wireBytes: wire });
    expect(seen.messages).toEqual([]);
    expect(seen.pings.map(String)).toEqual(['hi']);
    expect(seen.closes).toEqual([1000]);
  });

  it('refuses masked frames and RSV bits', () => {
    const masked = scanner();
    masked.scan.scan(Buffer.from([0x82, 0x81, 1, 2, 3, 4, 5]), 0, 7);
    expect(masked.seen.errors).toEqual(['the server sent a masked frame']);
    const rsv = scanner();
    rsv.scan.scan(Buffer.from([0xc2, 0x01, 5]), 0, 3);
    expect(rsv.seen.errors).toEqual(['the server set RSV bits without a negotiated extension']);
  });
});

describe('CountingClient', () => {
  it('opens against ws, sends masked frames, counts, answers pings and reports the close code', async () => {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
    await new Promise((resolve) => server.once('listening', resolve));
    const received: Buffer[] = [];
    const pongs: string[] = [];
    server.on('connection', (socket) => {
      socket.on('message', (data: Buffer) => {
        received.push(data);
        socket.ping('are you there');
        for (let i = 0; i < 50; i++) socket.send(filled(i * 10, i));
      });
      socket.on('pong', (data) => {
        pongs.push(String(data));
        socket.close(4001, 'done');
      });
    });
    const tally: FrameTally = { frames: 0, bytes: 0, wireBytes: 0 };
    const { port } = server.address() as AddressInfo;
    const messages: number[] = [];
    const closedWith = await new Promise<number>((resolve, reject) => {
      const client: CountingClient = new CountingClient(
        new URL(`ws://127.0.0.1:${port}/ws`),
        Buffer.alloc(4096),
        tally,
        {
          open: () => client.send(OPCODE_BINARY, filled(200, 9)),
          message: (payload) => {
            messages.push(payload.length);
            if (messages.length === 10) client.scanner.keepMessages = false;
          },
          error: reject,
          closed: resolve,
        },
      );
    });
    server.close();
    expect(received.map((data) => data.equals(filled(200, 9)))).toEqual([true]);
    expect(pongs).toEqual(['are you there']);
    expect(closedWith).toBe(4001);
    expect(messages).toEqual(Array.from({ length: 10 }, (_, i) => i * 10));
    const bytes = Array.from({ length: 50 }, (_, i) => i * 10).reduce((a, b) => a + b, 0);
    expect(tally).toEqual({ frames: 50, bytes, wireBytes: bytes + 2 * 13 + 4 * 37 });
  });

  it('refuses a 101 whose Sec-WebSocket-Accept is wrong', async () => {
    const { createServer } = await import('node:net');
    const server = createServer((socket) =>
      socket.once('data', () =>
        socket.write(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor('not the key')}\r\n\r\n`,
        ),
      ),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const why = await new Promise<string>((resolve) => {
      new CountingClient(
        new URL(`ws://127.0.0.1:${port}/ws`),
        Buffer.alloc(4096),
        { frames: 0, bytes: 0, wireBytes: 0 },
        {
          open: () => resolve('opened'),
          message: () => {},
          error: resolve,
          closed: () => {},
        },
      );
    });
    server.close();
    expect(why).toBe('the 101 has a wrong Sec-WebSocket-Accept');
  });
});
