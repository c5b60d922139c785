import {
  applyDelta,
  type ClientMessageFields,
  decodeServerFrame,
  encodeClientFrame,
  type FrameOptions,
  QuoteTable,
  type ServerMessageFields,
} from '@tickstream/schemas';
import { nodeLz4 } from '@tickstream/schemas/lz4-node';
import WebSocket from 'ws';

export const frameOptions: FrameOptions = { lz4: nodeLz4 };

/**
 * A protocol client for tests: keeps every frame it received, applies Snapshots and Deltas to
 * its own QuoteTable exactly as docs/protocol.md says, and resyncs on a gap. `dropNextDelta`
 * makes it lose one Delta on purpose.
 */
export class TestClient {
  readonly frames: ServerMessageFields[] = [];
  readonly table = new QuoteTable(65_536);
  readonly names = new Map<number, string>();
  lastSeq = -1;
  epoch = 0;
  resyncs = 0;
  deltasApplied = 0;
  dropNextDelta = false;
  awaitingSnapshot = false;
  closeCode: number | null = null;
  closeReason = '';
  private waiters: (() => void)[] = [];
  private readonly taken = new Map<string, number>();

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) throw new Error('the edge sent a text message');
      this.receive(decodeServerFrame(new Uint8Array(data), frameOptions));
    });
    socket.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
      this.wake();
    });
  }

  /** `ca`: PEM CAs to trust for wss:// (a test certificate). */
  static connect(url: string, headers: Record<string, string> = {}, ca?: string): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { headers, ...(ca ? { ca } : {}) });
      const client = new TestClient(socket);
      socket.once('open', () => resolve(client));
      socket.once('unexpected-response', (_request, response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        response.on('end', () => reject(new Error(`${response.statusCode}: ${body.trim()}`)));
      });
      socket.once('error', reject);
    });
  }

  private receive(message: ServerMessageFields): void {
    this.frames.push(message);
    if (message.type === 'hello') this.epoch = message.epoch;
    if (message.type === 'snapshot') {
      this.table.last.fill(0);
      this.names.clear();
      for (const symbol of message.symbols) this.names.set(symbol.id, symbol.name);
      for (const quote of message.quotes) this.table.setRow(quote.id, quote);
      this.lastSeq = message.seq;
      this.awaitingSnapshot = false;
    }
    if (message.type === 'delta') {
      if (this.dropNextDelta) {
        this.dropNextDelta = false;
      } else if (!this.awaitingSnapshot) {
        if (message.seq !== this.lastSeq + 1) {
          this.awaitingSnapshot = true;
          this.resyncs++;
          this.send({ type: 'resync', lastSeq: this.lastSeq });
        } else {
          applyDelta(message, this.table);
          this.lastSeq = message.seq;
          this.deltasApplied++;
        }
      }
    }
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }

  send(message: ClientMessageFields): void {
    this.socket.send(encodeClientFrame(message, frameOptions));
  }

  sendRaw(bytes: Uint8Array | string): void {
    this.socket.send(bytes);
  }

  /** Resolves when `predicate` holds, checked after every frame; rejects after `timeoutMs`. */
  until(predicate: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (predicate()) {
          clearTimeout(timer);
          resolve();
        } else this.waiters.push(check);
      };
      const timer = setTimeout(
        () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
        timeoutMs,
      );
      check();
    });
  }

  /**
   * The next frame of a type not yet returned by next() for that type, waiting for it if
   * needed: frames that arrived before the call are not missed.
   */
  async next<T extends ServerMessageFields['type']>(
    type: T,
    timeoutMs = 10_000,
  ): Promise<Extract<ServerMessageFields, { type: T }>> {
    const after = this.taken.get(type) ?? -1;
    let index = -1;
    await this.until(
      () => {
        index = this.frames.findIndex((frame, i) => i > after && frame.type === type);
        return index >= 0;
      },
      timeoutMs,
      `a ${type} frame`,
    );
    this.taken.set(type, index);
    return this.frames[index] as Extract<ServerMessageFields, { type: T }>;
  }

  /** Marks every frame received so far as seen, so next() waits for new ones. */
  skipReceived(): void {
    for (const [i, frame] of this.frames.entries()) this.taken.set(frame.type, i);
  }

  errors(): Extract<ServerMessageFields, { type: 'error' }>[] {
    return this.frames.filter(
      (frame): frame is Extract<ServerMessageFields, { type: 'error' }> => frame.type === 'error',
    );
  }

  close(): void {
    this.socket.close();
  }
}
