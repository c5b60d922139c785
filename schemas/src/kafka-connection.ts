import { connect, type Socket } from 'node:net';
import { requestHeader } from './kafka-protocol.js';

export interface ConnectionOptions {
  host: string;
  port: number;
  clientId: string;
  connectTimeoutMs: number;
  /** A request unanswered this long ends the connection (and fails every request on it). */
  requestTimeoutMs: number;
}

/**
 * How often open connections look for a request past its timeout: once a second for all of them
 * together, not 4 times a second each (an edge holds several connections, each with a long-poll
 * Fetch always pending; docs/edge.md, "Idle cost"). A request is thus failed within a second
 * after its timeout.
 */
const TIMEOUT_SWEEP_MS = 1000;
const open = new Set<KafkaConnection>();
let sweep: NodeJS.Timeout | null = null;

function watch(connection: KafkaConnection): void {
  open.add(connection);
  if (sweep !== null) return;
  sweep = setInterval(() => {
    for (const each of open) each.checkTimeout();
  }, TIMEOUT_SWEEP_MS);
  sweep.unref();
}

function unwatch(connection: KafkaConnection): void {
  open.delete(connection);
  if (open.size > 0 || sweep === null) return;
  clearInterval(sweep);
  sweep = null;
}

interface PendingRequest {
  sentAt: number;
  /** Its answer goes into the connection's reused answer buffer (`request`'s `transient`). */
  transient: boolean;
  resolve: (body: Buffer) => void;
  reject: (error: Error) => void;
}

/** Where the socket reads, per connection: every read lands here, and the bytes are copied out. */
const READ_BUFFER_BYTES = 64 << 10;
/** A response's size prefix and correlation id. */
const FRAME_HEADER_BYTES = 8;

/**
 * One TCP connection to one Kafka broker: size-prefixed frames, requests pipelined and their
 * responses matched by correlation id. Kafka answers a connection's requests in order, so the
 * oldest pending request is always the first in the map. Any failure ends the connection and
 * rejects everything pending on it: the caller decides what to resend.
 *
 * The socket reads into one buffer of its own (net's `onread`), not a new 64 KB Buffer per read,
 * and each response is copied out once, whole. A `transient` request's answer is copied into a
 * buffer the connection reuses from answer to answer: an edge following 5,000 ticks/s otherwise
 * left ~1 MB/s of dead Buffers (read chunks, then the joined answer) that only a full
 * mark-compact freed, every few seconds (docs/edge.md, "Idle cost").
 */
export class KafkaConnection {
  private readonly pending = new Map<number, PendingRequest>();
  private nextCorrelationId = 0;
  /** The response being received: its size prefix and correlation id, as far as they came. */
  private readonly header = Buffer.alloc(FRAME_HEADER_BYTES);
  private headerFilled = 0;
  /** Where its body goes once the header is in (null until then), how long it is and how much came. */
  private body: Buffer | null = null;
  private bodyLength = 0;
  private bodyFilled = 0;
  private receiving: PendingRequest | null = null;
  /** The reused home of transient answers, grown to the largest one. */
  private answers = Buffer.alloc(0);
  private transientPending = false;
  private failure: Error | null = null;
  private readonly clientId: Buffer;
  private readonly closeListeners: ((error: Error) => void)[] = [];

  private constructor(
    private readonly socket: Socket,
    private readonly options: ConnectionOptions,
  ) {
    this.clientId = Buffer.from(options.clientId);
    socket.setNoDelay(true);
    socket.on('error', (error) => this.fail(new Error(`${this.address}: ${error.message}`)));
    socket.on('close', () => this.fail(new Error(`connection to ${this.address} closed`)));
    watch(this);
  }

  static connect(options: ConnectionOptions): Promise<KafkaConnection> {
    return new Promise((resolve, reject) => {
      let connection: KafkaConnection | null = null;
      const socket = connect({
        host: options.host,
        port: options.port,
        onread: {
          buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES),
          // true: keep reading (false would pause the socket).
          callback: (bytes: number, buffer: Uint8Array): boolean => {
            connection?.receive(buffer, bytes);
            return true;
          },
        },
      });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new Error(`connection to ${options.host}:${options.port} timed out after ${options.connectTimeoutMs} ms`),
        );
      }, options.connectTimeoutMs);
      const refused = (error: Error): void => {
        clearTimeout(timer);
        reject(new Error(`${options.host}:${options.port}: ${error.message}`));
      };
      socket.once('error', refused);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', refused);
        connection = new KafkaConnection(socket, options);
        resolve(connection);
      });
    });
  }

  get address(): string {
    return `${this.options.host}:${this.options.port}`;
  }

  get usable(): boolean {
    return this.failure === null;
  }

  /** Called once, when the connection ends for any reason. */
  onClose(listener: (error: Error) => void): void {
    if (this.failure !== null) listener(this.failure);
    else this.closeListeners.push(listener);
  }

  /**
   * Sends one request (`body` as chunks, written without copying them together). Resolves with
   * the response body after its correlation id; with `expectResponse` false (Produce acks=0)
   * resolves once the bytes are handed to the socket.
   *
   * With `transient`, the body resolved is a view on a buffer the connection reuses for the next
   * transient answer: read it before asking again. One transient request may be pending at a time.
   */
  request(
    apiKey: number,
    apiVersion: number,
    body: readonly Buffer[],
    bodyBytes: number,
    expectResponse = true,
    transient = false,
  ): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      if (this.failure !== null) {
        reject(this.failure);
        return;
      }
      if (transient && (this.transientPending || !expectResponse)) {
        reject(new Error(`${this.address}: a transient request needs an answer, and only one may be pending`));
        return;
      }
      const correlationId = this.nextCorrelationId;
      this.nextCorrelationId = (this.nextCorrelationId + 1) & 0x7fffffff;
      const header = requestHeader(apiKey, apiVersion, correlationId, this.clientId, bodyBytes);
      if (expectResponse) this.pending.set(correlationId, { sentAt: Date.now(), transient, resolve, reject });
      if (transient) this.transientPending = true;
      this.socket.cork();
      this.socket.write(header);
      const last = body.length - 1;
      for (let i = 0; i < last; i++) this.socket.write(body[i] as Buffer);
      this.socket.write(body[last] ?? Buffer.alloc(0), (error) => {
        if (expectResponse) return;
        if (error) reject(error);
        else resolve(Buffer.alloc(0));
      });
      this.socket.uncork();
    });
  }

  /** Ends the connection; pending requests fail with `reason`. */
  close(reason = 'closed by the client'): void {
    this.fail(new Error(`connection to ${this.address} ${reason}`));
  }

  /** `bytes` bytes of `read` (valid only during this call) arrived: copied where their response goes. */
  private receive(read: Uint8Array, bytes: number): void {
    let at = 0;
    while (at < bytes && this.failure === null) {
      if (this.body === null) {
        const taken = Math.min(FRAME_HEADER_BYTES - this.headerFilled, bytes - at);
        this.header.set(read.subarray(at, at + taken), this.headerFilled);
        this.headerFilled += taken;
        at += taken;
        if (this.headerFilled === FRAME_HEADER_BYTES) this.beginResponse();
        continue;
      }
      const taken = Math.min(this.bodyLength - this.bodyFilled, bytes - at);
      this.body.set(read.subarray(at, at + taken), this.bodyFilled);
      this.bodyFilled += taken;
      at += taken;
      if (this.bodyFilled === this.bodyLength) this.endResponse();
    }
  }

  /** A response's header is in: find its request and where its body goes. */
  private beginResponse(): void {
    const size = this.header.readInt32BE(0);
    const correlationId = this.header.readInt32BE(4);
    const waiting = this.pending.get(correlationId);
    if (size < 4 || waiting === undefined) {
      this.fail(
        new Error(
          size < 4
            ? `${this.address} sent a response of ${size} bytes, too short for a correlation id`
            : `${this.address} answered correlation id ${correlationId}, which was never sent`,
        ),
      );
      return;
    }
    this.pending.delete(correlationId);
    this.receiving = waiting;
    this.bodyLength = size - 4;
    this.bodyFilled = 0;
    if (!waiting.transient) this.body = Buffer.allocUnsafe(this.bodyLength);
    else {
      if (this.answers.length < this.bodyLength) this.answers = Buffer.allocUnsafeSlow(this.bodyLength);
      this.body = this.answers;
    }
    if (this.bodyLength === 0) this.endResponse();
  }

  private endResponse(): void {
    const waiting = this.receiving as PendingRequest;
    const body = (this.body as Buffer).subarray(0, this.bodyLength);
    this.body = null;
    this.receiving = null;
    this.headerFilled = 0;
    if (waiting.transient) this.transientPending = false;
    waiting.resolve(body);
  }

  /** Fails the connection when its oldest request waited past the timeout (the shared sweep calls it). */
  checkTimeout(): void {
    for (const waiting of this.pending.values()) {
      const waited = Date.now() - waiting.sentAt;
      if (waited >= this.options.requestTimeoutMs)
        this.fail(new Error(`${this.address} did not answer for ${waited} ms`));
      return; // only the oldest matters: the others were sent after it
    }
  }

  private fail(error: Error): void {
    if (this.failure !== null) return;
    this.failure = error;
    unwatch(this);
    this.socket.destroy();
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const waiting of pending) waiting.reject(error);
    for (const listener of this.closeListeners.splice(0)) listener(error);
  }
}
