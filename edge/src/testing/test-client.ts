import { type QuoteBook, type QuoteTable, TickstreamClient } from '@tickstream/client';
import type { ClientMessageFields, FrameOptions, ServerMessageFields } from '@tickstream/schemas';
import { nodeLz4 } from '@tickstream/schemas/lz4-node';
import WebSocket from 'ws';

/** For tests that build frames by hand (malformed ones included). */
export const frameOptions: FrameOptions = { lz4: nodeLz4 };

/**
 * A protocol probe for tests: a @tickstream/client on a `ws` socket the probe owns. The SDK
 * applies Snapshots and Deltas to its live book, follows (epoch, seq) and resyncs on a gap, as
 * docs/protocol.md says; the probe keeps every frame it decoded (its 'message' event) for
 * assertions, sends raw bytes, and can lose a Delta on purpose. It never subscribes, pings or
 * reconnects on its own: each test says what to send. A frame the SDK cannot read throws (an
 * uncaught error that fails the run), as no edge may send one.
 */
export class TestClient {
  /** Every frame received, decoded, in order; a Delta lost on purpose (dropNextDelta) is not among them. */
  readonly frames: ServerMessageFields[] = [];
  readonly client: TickstreamClient;
  closeCode: number | null = null;
  closeReason = '';
  private waiters: (() => void)[] = [];
  private readonly taken = new Map<string, number>();

  private constructor(
    url: string,
    readonly socket: WebSocket,
  ) {
    this.client = new TickstreamClient({
      url,
      symbols: [],
      reconnect: false,
      pingEveryMs: 0,
      createSocket: () => socket,
    });
    this.client.on('message', (message) => this.frames.push(message));
    this.client.on('problem', (problem) => {
      throw problem;
    });
    this.client.connect();
    // Registered after the SDK's own listener: a waiter sees each frame already applied.
    socket.on('message', () => this.wake());
    // Errors end in a close, recorded below; this keeps one after the SDK let go of the socket from crashing the run.
    socket.on('error', () => {});
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
      const client = new TestClient(url, socket);
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

  /** The live market as the SDK keeps it: the last Snapshot with every Delta since applied. */
  get book(): QuoteBook {
    return this.client.live;
  }

  get table(): QuoteTable {
    return this.client.live.table;
  }

  /** Symbol names by id, as the last Snapshot named them. */
  get names(): Map<number, string> {
    const names = new Map<number, string>();
    for (const [id, name] of this.client.live.names.entries()) if (name !== '') names.set(id, name);
    return names;
  }

  /** Live Deltas applied. */
  get deltasApplied(): number {
    return this.client.live.deltas;
  }

  /** Gaps in the live stream, each answered by a Resync. */
  get resyncs(): number {
    return this.client.live.gaps;
  }

  /** No Snapshot yet, or a gap seen and its Snapshot not yet here. */
  get awaitingSnapshot(): boolean {
    return this.client.live.awaitingSnapshot;
  }

  /** Loses the next Delta before the SDK reads it, as a network gap would: the one after is a gap. */
  dropNextDelta(): void {
    this.client.dropNextDelta();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }

  send(message: ClientMessageFields): void {
    this.client.send(message);
  }

  /** Bytes or text as they are, straight on the socket (tests of the edge's answers to malformed input). */
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
    this.client.close();
  }
}
