import { decodeServerFrame, encodeClientFrame, type FrameOptions } from '@tickstream/schemas';
import { nodeLz4 } from '@tickstream/schemas/lz4-node';
import WebSocket from 'ws';

const frameOptions: FrameOptions = { lz4: nodeLz4 };
/** The edge's "you fell behind" Error (docs/protocol.md): sent with a fresh Snapshot once a lagging socket drains. */
const FELL_BEHIND = 8;
/**
 * While it does not read, it asks for a resync this often, as a client that keeps seeing gaps
 * would: each answer is a whole Snapshot, so the edge's buffer for it passes the soft limit in
 * seconds even at a low tick rate (at 100 ms, 4 s was not enough here: the kernel's socket
 * buffers on loopback take megabytes before the edge holds any).
 */
const RESYNC_EVERY_MS = 10;

/**
 * The client of `tickstream chaos slow-consumer`: a WebSocket client of one edge that subscribes
 * to every symbol and then stops reading (its TCP socket paused), the slowest reader there is,
 * while asking for a resync every RESYNC_EVERY_MS, until told to read again. The edge's send buffer for it fills past the soft limit, so the
 * edge's slow-client policy applies (docs/protocol.md): Deltas skipped, then Error 8 and a fresh
 * Snapshot once the socket drains, or a close (4008) after --slow-client-timeout of lagging.
 */
export class SlowConsumer {
  /** Resolves with the close code once the connection is gone (1006: the TCP connection just ended). */
  readonly closed: Promise<number>;
  private readonly socket: WebSocket;
  private caughtUp: () => void = () => {};
  private resyncTimer: NodeJS.Timeout | undefined;
  /** Resolves once the edge said it fell behind and sent the Snapshot (after `readAgain`). */
  readonly resynced: Promise<void>;

  private constructor(url: string) {
    this.socket = new WebSocket(url, { perMessageDeflate: false });
    this.socket.binaryType = 'nodebuffer';
    this.closed = new Promise((resolve) => this.socket.once('close', (code) => resolve(code)));
    this.resynced = new Promise((resolve) => {
      this.caughtUp = resolve;
    });
    let fellBehind = false;
    this.socket.on('message', (data: Buffer) => {
      const frame = decodeServerFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), frameOptions);
      if (frame.type === 'error' && frame.code === FELL_BEHIND) fellBehind = true;
      else if (frame.type === 'snapshot' && fellBehind) this.caughtUp();
    });
  }

  /** Connects, subscribes to every symbol, and stops reading once the first Snapshot is in. */
  static async open(url: string, timeoutMs = 10_000): Promise<SlowConsumer> {
    const consumer = new SlowConsumer(url);
    const { socket } = consumer;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`no Snapshot from ${url} within ${timeoutMs} ms`)), timeoutMs);
      const fail = (error: Error): void => {
        clearTimeout(timer);
        socket.terminate();
        reject(error);
      };
      socket.once('error', fail);
      socket.once('open', () =>
        socket.send(encodeClientFrame({ type: 'subscribe', symbols: ['*'], sectors: [] }, frameOptions)),
      );
      const onFrame = (data: Buffer): void => {
        const frame = decodeServerFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), frameOptions);
        if (frame.type !== 'snapshot') return;
        socket.off('message', onFrame);
        clearTimeout(timer);
        socket.off('error', fail);
        socket.on('error', () => {});
        resolve();
      };
      socket.on('message', onFrame);
    });
    socket.pause();
    const resync = encodeClientFrame({ type: 'resync', lastSeq: 0 }, frameOptions);
    consumer.resyncTimer = setInterval(() => {
      if (socket.readyState === WebSocket.OPEN) socket.send(resync);
    }, RESYNC_EVERY_MS);
    return consumer;
  }

  /** Reads again, and stops asking: what the kernel and the edge buffered comes in, and the edge catches it up. */
  readAgain(): void {
    clearInterval(this.resyncTimer);
    this.socket.resume();
  }

  close(): void {
    clearInterval(this.resyncTimer);
    this.socket.terminate();
  }
}
