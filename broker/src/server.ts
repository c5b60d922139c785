import { createServer, type Server, type Socket } from 'node:net';
import { type ApiHandler, type BrokerContext, NO_RESPONSE, type RequestHeader } from './api/api.js';
import { apiHandlers, apiVersionsUnsupportedBody } from './api/index.js';
import type { RequestObserver } from './metrics.js';
import { MalformedRequestError } from './protocol/errors.js';
import { Reader } from './protocol/reader.js';
import { Writer } from './protocol/writer.js';

const handlers = new Map<number, ApiHandler>(apiHandlers.map((handler) => [handler.key, handler]));
const API_VERSIONS = 18;
/** Past this many unsent response bytes, stop reading the socket until it drains. */
const HIGH_WATER_BYTES = 8 * 1024 * 1024;

/**
 * One client connection: cuts the byte stream into `i32 size` frames and runs them one at a
 * time, so responses leave in request order even when a handler waits (a parked Fetch holds
 * back what was pipelined behind it, as in Kafka).
 */
class Connection {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly queue: Buffer[] = [];
  private busy = false;
  private closed = false;
  readonly clientHost: string;

  constructor(
    private readonly socket: Socket,
    private readonly broker: BrokerContext,
    private readonly observer: RequestObserver | null,
  ) {
    this.clientHost = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.receive(chunk));
    socket.on('error', () => this.close()); // resets and timeouts: the close is the whole story
    socket.on('close', () => {
      this.closed = true;
    });
    socket.on('drain', () => socket.resume());
  }

  private receive(chunk: Buffer): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    while (this.pendingBytes >= 4 && !this.closed) {
      const size = this.peekSize();
      if (size < 8 || size > this.broker.config.maxRequestBytes) {
        // Never allocate what a client claims: one log line, and this connection ends.
        this.fail(`request size ${size} is outside 8..${this.broker.config.maxRequestBytes} bytes`);
        return;
      }
      if (this.pendingBytes < size + 4) break;
      // Joined once per complete request, not once per arriving chunk.
      const joined =
        this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending, this.pendingBytes);
      this.queue.push(joined.subarray(4, size + 4));
      const rest = joined.subarray(size + 4);
      this.pending = rest.length > 0 ? [rest] : [];
      this.pendingBytes = rest.length;
    }
    void this.drainQueue();
  }

  private peekSize(): number {
    const first = this.pending[0] as Buffer;
    return first.length >= 4 ? first.readInt32BE(0) : Buffer.concat(this.pending).readInt32BE(0);
  }

  private async drainQueue(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (let request = this.queue.shift(); request !== undefined && !this.closed; request = this.queue.shift()) {
        await this.handle(request);
      }
    } finally {
      this.busy = false;
    }
  }

  private async handle(request: Buffer): Promise<void> {
    const started = performance.now();
    let header: RequestHeader | undefined;
    try {
      const reader = new Reader(request);
      const apiKey = reader.int16();
      const apiVersion = reader.int16();
      const correlationId = reader.int32();
      header = { apiKey, apiVersion, correlationId, clientId: reader.nullableString() };
      const handler = handlers.get(apiKey);
      if (handler === undefined) {
        this.fail(`unknown API key ${apiKey}`);
        return;
      }
      if (apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
        if (apiKey === API_VERSIONS) {
          // Kafka answers any ApiVersions version with a v0 body naming its range, so the
          // client can retry at a version both speak (librdkafka relies on it).
          this.send(correlationId, false, apiVersionsUnsupportedBody());
          return;
        }
        this.fail(
          `${handler.name} v${apiVersion} is not supported (serving v${handler.minVersion}-${handler.maxVersion})`,
        );
        return;
      }
      const flexible = handler.flexibleFrom !== null && apiVersion >= handler.flexibleFrom;
      if (flexible) reader.taggedFields();
      const response = new Writer();
      const outcome = await handler.handle(reader, response, {
        header,
        broker: this.broker,
        clientHost: this.clientHost,
      });
      const body = outcome === NO_RESPONSE ? [] : response.finish();
      // ApiVersions answers with response header v0 even when its body is flexible (KIP-511).
      if (outcome !== NO_RESPONSE) this.send(correlationId, flexible && apiKey !== API_VERSIONS, body);
      if (this.observer !== null) {
        const seconds = (performance.now() - started) / 1000;
        this.observer.request(
          handler.name,
          seconds,
          request.length + 4,
          body.reduce((sum, chunk) => sum + chunk.length, 0),
        );
      }
    } catch (error) {
      const what = header ? `api ${header.apiKey} v${header.apiVersion}` : 'request header';
      if (error instanceof MalformedRequestError) this.fail(`malformed ${what}: ${error.message}`);
      else this.fail(`internal error in ${what}: ${(error as Error).stack ?? String(error)}`);
    }
  }

  private send(correlationId: number, taggedHeader: boolean, body: Buffer[]): void {
    if (this.closed) return;
    const head = Buffer.allocUnsafe(taggedHeader ? 9 : 8);
    let size = head.length - 4;
    for (const chunk of body) size += chunk.length;
    head.writeInt32BE(size, 0);
    head.writeInt32BE(correlationId, 4);
    if (taggedHeader) head[8] = 0;
    this.socket.cork();
    this.socket.write(head);
    for (const chunk of body) this.socket.write(chunk);
    this.socket.uncork();
    if (this.socket.writableLength > HIGH_WATER_BYTES) this.socket.pause();
  }

  private fail(reason: string): void {
    if (this.closed) return;
    this.broker.config.log(`closing connection from ${this.clientHost}: ${reason}`);
    this.close();
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
    this.socket.destroy();
  }
}

/** Listens on host:port; resolves with the server once it is bound. */
export function listen(
  broker: BrokerContext,
  host: string,
  port: number,
  observer: RequestObserver | null = null,
): Promise<{ server: Server; connections: Set<Socket> }> {
  const connections = new Set<Socket>();
  const server = createServer((socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    new Connection(socket, broker, observer);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({ server, connections });
    });
  });
}
