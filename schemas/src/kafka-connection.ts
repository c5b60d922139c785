import { Socket } from 'node:net';
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
  resolve: (body: Buffer) => void;
  reject: (error: Error) => void;
}

/**
 * One TCP connection to one Kafka broker: size-prefixed frames, requests pipelined and their
 * responses matched by correlation id. Kafka answers a connection's requests in order, so the
 * oldest pending request is always the first in the map. Any failure ends the connection and
 * rejects everything pending on it: the caller decides what to resend.
 */
export class KafkaConnection {
  private readonly pending = new Map<number, PendingRequest>();
  private nextCorrelationId = 0;
  /** Bytes received and not yet handed over, as the socket's chunks (`buffered` bytes in all). */
  private chunks: Buffer[] = [];
  private buffered = 0;
  private failure: Error | null = null;
  private readonly clientId: Buffer;
  private readonly closeListeners: ((error: Error) => void)[] = [];

  private constructor(
    private readonly socket: Socket,
    private readonly options: ConnectionOptions,
  ) {
    this.clientId = Buffer.from(options.clientId);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error) => this.fail(new Error(`${this.address}: ${error.message}`)));
    socket.on('close', () => this.fail(new Error(`connection to ${this.address} closed`)));
    watch(this);
  }

  static connect(options: ConnectionOptions): Promise<KafkaConnection> {
    return new Promise((resolve, reject) => {
      const socket = new Socket();
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
      socket.connect(options.port, options.host, () => {
        clearTimeout(timer);
        socket.off('error', refused);
        resolve(new KafkaConnection(socket, options));
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
   */
  request(
    apiKey: number,
    apiVersion: number,
    body: readonly Buffer[],
    bodyBytes: number,
    expectResponse = true,
  ): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      if (this.failure !== null) {
        reject(this.failure);
        return;
      }
      const correlationId = this.nextCorrelationId;
      this.nextCorrelationId = (this.nextCorrelationId + 1) & 0x7fffffff;
      const header = requestHeader(apiKey, apiVersion, correlationId, this.clientId, bodyBytes);
      if (expectResponse) this.pending.set(correlationId, { sentAt: Date.now(), resolve, reject });
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

  private receive(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= 4) {
      const first = this.chunks[0] as Buffer;
      const size = (first.length >= 4 ? first : this.joined()).readInt32BE(0);
      if (this.buffered < 4 + size) return;
      // Joined once the response is whole, not at every chunk: a 1 MiB Fetch answer comes in
      // dozens of chunks, and copying all so far at each was quadratic main-thread time.
      const received = this.joined();
      const frame = received.subarray(4, 4 + size);
      const rest = received.subarray(4 + size);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
      const correlationId = frame.readInt32BE(0);
      const waiting = this.pending.get(correlationId);
      if (waiting === undefined) {
        this.fail(new Error(`${this.address} answered correlation id ${correlationId}, which was never sent`));
        return;
      }
      this.pending.delete(correlationId);
      waiting.resolve(frame.subarray(4));
    }
  }

  /** The bytes received so far as one buffer (the chunks joined into one). */
  private joined(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    return this.chunks[0] as Buffer;
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
