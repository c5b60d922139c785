import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/**
 * The client half of RFC 6455 that the edge benchmark's counting clients need, on a raw
 * `node:net` socket: the opening handshake, masked client frames, and a scanner that reads only
 * frame headers. A counting client must not cost the load generator what a `ws` client does
 * (14-18 µs of CPU per frame at one frame per socket read, measured in docs/benchmarks.md): the
 * CPU it takes is CPU the edge does not get on 2 shared cores. So every socket reads into one
 * buffer shared by all the sockets of its thread (`onread`: no Buffer per read, no stream), and
 * payloads are stepped over, not copied, once the client has its Snapshot. Until then it keeps
 * whole messages, so that "connected" still means "subscribed".
 */

const ACCEPT_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export const OPCODE_CONTINUATION = 0x0;
export const OPCODE_TEXT = 0x1;
export const OPCODE_BINARY = 0x2;
export const OPCODE_CLOSE = 0x8;
export const OPCODE_PING = 0x9;
export const OPCODE_PONG = 0xa;

/** Longest HTTP response head accepted before the 101 is complete. */
const MAX_RESPONSE_HEAD = 8192;

/** The Sec-WebSocket-Accept a server must answer to `key` (RFC 6455 §4.2.2). */
export function acceptFor(key: string): string {
  return createHash('sha1')
    .update(key + ACCEPT_GUID)
    .digest('base64');
}

export function upgradeRequest(host: string, path: string, key: string): string {
  return (
    `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`
  );
}

/** A client frame (FIN set): clients must mask every frame they send (RFC 6455 §5.3). */
export function maskedFrame(opcode: number, payload: Uint8Array): Buffer {
  const length = payload.length;
  const lengthBytes = length < 126 ? 0 : length < 65_536 ? 2 : 8;
  const head = 2 + lengthBytes;
  const frame = Buffer.allocUnsafe(head + 4 + length);
  frame[0] = 0x80 | opcode;
  if (lengthBytes === 0) frame[1] = 0x80 | length;
  else if (lengthBytes === 2) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  randomBytes(4).copy(frame, head);
  for (let i = 0; i < length; i++) frame[head + 4 + i] = (payload[i] as number) ^ (frame[head + (i & 3)] as number);
  return frame;
}

/** Data frames received by a thread's counting clients, since its last reset. */
export interface FrameTally {
  /** Messages, as `ws` counts them (the edge never fragments one, so: frames). */
  frames: number;
  /** Payload bytes. */
  bytes: number;
  /** Payload plus frame header. */
  wireBytes: number;
}

export interface FrameScannerEvents {
  /** A whole data message, only while `keepMessages` is on; the buffer is the scanner's to give. */
  message(payload: Buffer): void;
  ping(payload: Buffer): void;
  /** A close frame: its status code, 1005 when it carries none (as `ws` reports it). */
  close(code: number): void;
  /** A frame no server may send; the connection should be dropped. */
  protocolError(why: string): void;
}

/**
 * Reads a server's frame stream chunk by chunk: headers across reads, many frames per read,
 * 7/16/64-bit lengths. Server frames are never masked. Data frames are counted into `tally`;
 * their payloads are kept (and messages reassembled) only while `keepMessages` is true.
 * Control frames (≤ 125 bytes) are always kept, to answer pings and read close codes.
 */
export class ServerFrameScanner {
  keepMessages = true;
  private readonly header = Buffer.alloc(14);
  private headerHave = 0;
  /** Payload bytes of the current frame still to come; -1 between frames. */
  private remaining = -1;
  private opcode = 0;
  private fin = false;
  private keeping = false;
  private kept: Buffer[] = [];
  private messageParts: Buffer[] = [];
  private failed = false;

  constructor(
    private readonly tally: FrameTally,
    private readonly events: FrameScannerEvents,
  ) {}

  scan(chunk: Uint8Array, start: number, end: number): void {
    let at = start;
    while (at < end && !this.failed) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, end - at);
        // The chunk is a buffer every socket of the thread reads into: keep a copy, not a view.
        if (this.keeping) this.kept.push(Buffer.from(chunk.subarray(at, at + take)));
        this.remaining -= take;
        at += take;
        if (this.remaining === 0) this.frameDone();
        continue;
      }
      // A header: 2 bytes, then 0, 2 or 8 bytes of length (a server sends no masking key).
      let source: Uint8Array = chunk;
      let from = at;
      if (this.headerHave === 0 && end - at >= 2 && end - at >= headerLength(chunk[at + 1] as number)) {
        at += headerLength(chunk[at + 1] as number);
      } else {
        // Rare: a header split across reads.
        at += this.gatherHeader(chunk, at, end);
        if (this.headerHave < 2 || this.headerHave < headerLength(this.header[1] as number)) continue;
        source = this.header;
        from = 0;
        this.headerHave = 0;
      }
      const b0 = source[from] as number;
      const b1 = source[from + 1] as number;
      if ((b1 & 0x80) !== 0) {
        this.fail('the server sent a masked frame');
        return;
      }
      if ((b0 & 0x70) !== 0) {
        this.fail('the server set RSV bits without a negotiated extension');
        return;
      }
      const len7 = b1 & 0x7f;
      let length: number;
      if (len7 < 126) length = len7;
      else if (len7 === 126) length = ((source[from + 2] as number) << 8) | (source[from + 3] as number);
      else {
        const high = uint32(source, from + 2);
        if (high > 0x1fffff) {
          this.fail('the server sent a frame longer than 2^53 bytes');
          return;
        }
        length = high * 4_294_967_296 + uint32(source, from + 6);
      }
      const size = headerLength(b1);
      this.frameStarts(b0, size, length);
    }
  }

  /** Copies header bytes into `this.header`, no more than the header needs; returns how many. */
  private gatherHeader(chunk: Uint8Array, at: number, end: number): number {
    let taken = 0;
    while (at + taken < end) {
      const need = this.headerHave < 2 ? 2 : headerLength(this.header[1] as number);
      if (this.headerHave >= need) break;
      this.header[this.headerHave++] = chunk[at + taken++] as number;
    }
    return taken;
  }

  private frameStarts(b0: number, headerBytes: number, length: number): void {
    const opcode = b0 & 0x0f;
    this.fin = (b0 & 0x80) !== 0;
    if (opcode >= OPCODE_CLOSE) {
      if (length > 125 || !this.fin) {
        this.fail(`the server sent a control frame (opcode ${opcode}) that is fragmented or over 125 bytes`);
        return;
      }
      this.keeping = true;
    } else {
      if (opcode > OPCODE_BINARY) {
        this.fail(`the server sent a frame with the reserved opcode ${opcode}`);
        return;
      }
      if ((opcode === OPCODE_CONTINUATION) !== this.messageParts.length > 0 && this.keepMessages) {
        this.fail('the server sent a continuation frame out of place');
        return;
      }
      if (this.fin) this.tally.frames++;
      this.tally.bytes += length;
      this.tally.wireBytes += headerBytes + length;
      this.keeping = this.keepMessages;
    }
    this.opcode = opcode;
    this.remaining = length;
    if (length === 0) this.frameDone();
  }

  private frameDone(): void {
    this.remaining = -1;
    if (!this.keeping) return;
    const payload = this.kept.length === 1 ? (this.kept[0] as Buffer) : Buffer.concat(this.kept);
    this.kept = [];
    this.keeping = false;
    switch (this.opcode) {
      case OPCODE_PING:
        this.events.ping(payload);
        return;
      case OPCODE_PONG:
        return;
      case OPCODE_CLOSE:
        this.events.close(payload.length >= 2 ? payload.readUInt16BE(0) : 1005);
        return;
      default:
        this.messageParts.push(payload);
        if (!this.fin) return;
        this.events.message(
          this.messageParts.length === 1 ? (this.messageParts[0] as Buffer) : Buffer.concat(this.messageParts),
        );
        this.messageParts = [];
    }
  }

  private fail(why: string): void {
    this.failed = true;
    this.events.protocolError(why);
  }
}

function uint32(bytes: Uint8Array, at: number): number {
  return (
    (bytes[at] as number) * 16_777_216 +
    (((bytes[at + 1] as number) << 16) | ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number))
  );
}

/** Bytes in a server frame header, from its second byte. */
function headerLength(b1: number): number {
  const len7 = b1 & 0x7f;
  return len7 < 126 ? 2 : len7 === 126 ? 4 : 10;
}

export interface CountingClientEvents {
  /** The 101 arrived and its Sec-WebSocket-Accept is right: the client may send. */
  open(): void;
  /** A whole message while the client keeps them (see ServerFrameScanner.keepMessages). */
  message(payload: Buffer): void;
  /** The connection failed before opening, or broke the protocol. */
  error(why: string): void;
  /** The socket closed; `code` is the close frame's code, 1006 when there was none. */
  closed(code: number): void;
}

/**
 * One WebSocket client on a raw socket that reads into `readBuffer` (shared by the thread's
 * clients: each read is handled before the next is made). Pings are answered; a close frame
 * is answered and the socket ended.
 */
export class CountingClient {
  readonly scanner: ServerFrameScanner;
  /** Resolves once the socket is closed, whoever closed it. */
  readonly closed: Promise<void>;
  private readonly socket: Socket;
  private readonly key = randomBytes(16).toString('base64');
  private responseHead: Buffer | null = Buffer.alloc(0);
  private closeCode = 1006;

  constructor(url: URL, readBuffer: Buffer, tally: FrameTally, events: CountingClientEvents) {
    this.scanner = new ServerFrameScanner(tally, {
      message: (payload) => events.message(payload),
      ping: (payload) => this.send(OPCODE_PONG, payload),
      close: (code) => {
        this.closeCode = code;
        const echo = Buffer.alloc(2);
        echo.writeUInt16BE(code === 1005 ? 1000 : code);
        this.send(OPCODE_CLOSE, echo);
        this.socket.end();
      },
      protocolError: (why) => {
        events.error(why);
        this.socket.destroy();
      },
    });
    const port = Number(url.port || 80);
    this.socket = connect({
      host: url.hostname,
      port,
      onread: {
        buffer: readBuffer,
        callback: (bytes: number, buffer: Uint8Array): boolean => {
          if (this.responseHead === null) this.scanner.scan(buffer, 0, bytes);
          else this.readResponseHead(buffer, bytes, events);
          return true;
        },
      },
    });
    this.socket.setNoDelay(true);
    this.socket.on('connect', () =>
      this.socket.write(upgradeRequest(`${url.hostname}:${port}`, url.pathname, this.key)),
    );
    this.socket.on('error', (error) => events.error(error.message));
    this.closed = new Promise((resolve) => {
      this.socket.on('close', () => {
        events.closed(this.closeCode);
        resolve();
      });
    });
  }

  send(opcode: number, payload: Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(maskedFrame(opcode, payload));
  }

  destroy(): void {
    this.socket.destroy();
  }

  private readResponseHead(buffer: Uint8Array, bytes: number, events: CountingClientEvents): void {
    const head = Buffer.concat([this.responseHead ?? Buffer.alloc(0), buffer.subarray(0, bytes)]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) {
      if (head.length > MAX_RESPONSE_HEAD) this.refuse(events, `no end of the HTTP response in ${head.length} bytes`);
      else this.responseHead = head;
      return;
    }
    const lines = head.toString('latin1', 0, end).split('\r\n');
    const status = lines[0] ?? '';
    if (!/^HTTP\/1\.1 101 /.test(status)) {
      this.refuse(events, `HTTP ${status.split(' ')[1] ?? status}`);
      return;
    }
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    if (headers.get('upgrade')?.toLowerCase() !== 'websocket') {
      this.refuse(events, 'the 101 has no Upgrade: websocket');
      return;
    }
    if (headers.get('sec-websocket-accept') !== acceptFor(this.key)) {
      this.refuse(events, 'the 101 has a wrong Sec-WebSocket-Accept');
      return;
    }
    if (headers.has('sec-websocket-extensions')) {
      this.refuse(events, 'the server chose an extension no one asked for');
      return;
    }
    this.responseHead = null;
    events.open();
    // Frames right behind the 101 (the Hello, usually) came in the same read.
    if (head.length > end + 4) this.scanner.scan(head, end + 4, head.length);
  }

  private refuse(events: CountingClientEvents, why: string): void {
    this.responseHead = null;
    events.error(why);
    this.socket.destroy();
  }
}
