import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';

/**
 * A TCP proxy between one edge and Kafka, for `tickstream chaos cut-link|delay-link`: the edge's
 * --brokers point at it, and it can drop and refuse every connection, or delay every byte, for a
 * while. Kafka clients connect to the brokers Metadata names, not to the bootstrap address, so the
 * proxy rewrites the broker ports in Metadata (v1-v8) and FindCoordinator (v1-v2) answers to ports
 * of its own, one per broker: the edge's every connection passes through it. Those are the
 * non-flexible versions kafkajs and the edge's own fetch reader send; a client sending a flexible
 * one would get the brokers' own addresses and bypass the proxy. Only the port is rewritten (an
 * INT32), so answers keep their length; hosts stay as the brokers advertise them.
 */
export type LinkFault = { kind: 'none' } | { kind: 'cut' } | { kind: 'delay'; delayMs: number };

const API_FIND_COORDINATOR = 10;
const API_METADATA = 3;
/** Metadata and FindCoordinator requests awaiting their answer, at most (a client pipelines a few). */
const MAX_TRACKED_REQUESTS = 10_000;

interface Pair {
  client: Socket;
  upstream: Socket;
}

export class KafkaLinkProxy {
  /** Broker "host:port" → the proxy's listener standing for it. */
  private readonly listeners = new Map<string, { server: Server; port: number }>();
  private readonly pairs = new Set<Pair>();
  private fault: LinkFault = { kind: 'none' };
  /**
   * Per socket, the delayed writes not yet made, oldest first, with one timer draining them: later
   * bytes queue behind them, so nothing overtakes (two timers due in the same millisecond may fire
   * in either order).
   */
  private readonly delayed = new WeakMap<Socket, { dueMs: number; bytes: Buffer }[]>();
  /** Connections dropped or refused by a cut, for the record. */
  dropped = 0;

  private constructor(private readonly log: (line: string) => void) {}

  /** A proxy for the cluster at `bootstrap` ("host:port,…"); its bootstrap is `bootstrap` of the result. */
  static async start(bootstrap: string, log: (line: string) => void): Promise<KafkaLinkProxy> {
    const proxy = new KafkaLinkProxy(log);
    for (const address of bootstrap.split(',')) await proxy.listenerFor(address.trim());
    return proxy;
  }

  /** The address list the edge is given: one proxy port per bootstrap broker. */
  get bootstrap(): string {
    return [...this.listeners.values()].map(({ port }) => `127.0.0.1:${port}`).join(',');
  }

  get current(): LinkFault {
    return this.fault;
  }

  /** Applies a fault (or ends one with { kind: 'none' }); a cut drops every open connection at once. */
  set(fault: LinkFault): void {
    this.fault = fault;
    if (fault.kind !== 'cut') return;
    for (const pair of this.pairs) {
      this.dropped++;
      pair.client.destroy();
      pair.upstream.destroy();
    }
    this.pairs.clear();
  }

  async close(): Promise<void> {
    this.set({ kind: 'cut' });
    await Promise.all(
      [...this.listeners.values()].map(({ server }) => new Promise<void>((resolve) => server.close(() => resolve()))),
    );
    this.listeners.clear();
  }

  private async listenerFor(address: string): Promise<number> {
    const existing = this.listeners.get(address);
    if (existing) return existing.port;
    const [host, portText] = splitAddress(address);
    const server = createServer((client) => this.accept(client, host, Number(portText)));
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const bound = server.address();
        resolve(typeof bound === 'object' && bound !== null ? bound.port : 0);
      });
    });
    this.listeners.set(address, { server, port });
    return port;
  }

  private accept(client: Socket, host: string, port: number): void {
    if (this.fault.kind === 'cut') {
      // Refused as a partition refuses: the connection closes at once, nothing is read.
      this.dropped++;
      client.destroy();
      return;
    }
    client.setNoDelay(true);
    const upstream = tcpConnect({ host, port });
    upstream.setNoDelay(true);
    const pair: Pair = { client, upstream };
    this.pairs.add(pair);
    const close = (): void => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    const pending = new Map<number, { apiKey: number; version: number }>();
    const requests = new FrameStream(12, (head) => {
      if (head.length >= 12 && pending.size < MAX_TRACKED_REQUESTS) {
        const apiKey = head.readInt16BE(4);
        if (apiKey === API_METADATA || apiKey === API_FIND_COORDINATOR)
          pending.set(head.readInt32BE(8), { apiKey, version: head.readInt16BE(6) });
      }
      return false;
    });
    requests.onBytes = (bytes) => this.forward(upstream, bytes);
    // Answers go out in order: a port for a broker not seen before needs a listener first (async).
    let answered = Promise.resolve();
    const responses = new FrameStream(8, (head) => head.length >= 8 && pending.has(head.readInt32BE(4)));
    responses.onBytes = (bytes) => {
      answered = answered.then(() => this.forward(client, bytes));
    };
    responses.onFrame = (frame) => {
      const correlationId = frame.readInt32BE(4);
      const request = pending.get(correlationId);
      pending.delete(correlationId);
      answered = answered
        .then(() => (request ? this.rewrite(frame, request.apiKey, request.version) : undefined))
        .catch((error: Error) => this.log(`link proxy: an answer passed unchanged (${error.message})`))
        .then(() => this.forward(client, frame));
    };
    client.on('data', (chunk: Buffer) => requests.push(chunk));
    upstream.on('data', (chunk: Buffer) => responses.push(chunk));
  }

  /**
   * Writes now, or after the delay while one is set; a cut socket takes nothing. Never out of
   * order: bytes arriving after a delay ends wait for the delayed ones still due on that socket.
   */
  private forward(to: Socket, bytes: Buffer): void {
    const nowMs = Date.now();
    const delayMs = this.fault.kind === 'delay' ? this.fault.delayMs : 0;
    const queue = this.delayed.get(to);
    if (queue === undefined) {
      if (delayMs === 0) {
        if (!to.destroyed) to.write(bytes);
        return;
      }
      this.delayed.set(to, [{ dueMs: nowMs + delayMs, bytes }]);
      setTimeout(() => this.drain(to), delayMs);
      return;
    }
    const lastDueMs = (queue.at(-1) as { dueMs: number }).dueMs;
    queue.push({ dueMs: Math.max(nowMs + delayMs, lastDueMs), bytes });
  }

  /** Writes the socket's delayed bytes that are due, in order, and waits for the rest. */
  private drain(to: Socket): void {
    const queue = this.delayed.get(to);
    if (queue === undefined) return;
    const nowMs = Date.now();
    while (queue.length > 0 && (queue[0] as { dueMs: number }).dueMs <= nowMs) {
      const { bytes } = queue.shift() as { bytes: Buffer };
      if (!to.destroyed) to.write(bytes);
    }
    if (queue.length === 0) this.delayed.delete(to);
    else setTimeout(() => this.drain(to), (queue[0] as { dueMs: number }).dueMs - nowMs);
  }

  /** Replaces each broker port in a Metadata or FindCoordinator answer (in place) by the proxy's own. */
  private async rewrite(frame: Buffer, apiKey: number, version: number): Promise<void> {
    const reader = new FrameReader(frame, 8); // size, correlation id
    if (apiKey === API_METADATA) {
      if (version < 1 || version > 8) return;
      if (version >= 3) reader.skip(4); // throttle_time_ms
      const brokers = reader.int32();
      for (let i = 0; i < brokers; i++) {
        reader.skip(4); // node_id
        const host = reader.string();
        const at = reader.offset;
        const port = reader.int32();
        reader.nullableString(); // rack
        frame.writeInt32BE(await this.listenerFor(`${host}:${port}`), at);
      }
      return;
    }
    if (version < 1 || version > 2) return;
    reader.skip(4 + 2); // throttle_time_ms, error_code
    reader.nullableString(); // error_message
    reader.skip(4); // node_id
    const host = reader.string();
    const at = reader.offset;
    const port = reader.int32();
    if (port > 0) frame.writeInt32BE(await this.listenerFor(`${host}:${port}`), at);
  }
}

/**
 * Follows the Kafka frames (INT32 size, then that many bytes) of one direction of a connection
 * without holding them: each frame's head (its size and `peek` bytes) is shown to `capture`; a
 * frame it wants is collected whole for onFrame, every other byte streams on through onBytes as
 * it arrives (a 1 MB Fetch answer is never copied).
 */
class FrameStream {
  onBytes: (bytes: Buffer) => void = () => {};
  onFrame: (frame: Buffer) => void = () => {};
  private head: Buffer = Buffer.alloc(0);
  /** Bytes of the current frame's body still to come after its head. */
  private remaining = 0;
  private captured: Buffer[] | null = null;

  constructor(
    private readonly peek: number,
    private readonly capture: (head: Buffer) => boolean,
  ) {}

  push(chunk: Buffer): void {
    let rest = chunk;
    while (rest.length > 0) {
      if (this.remaining > 0) {
        const part = rest.subarray(0, this.remaining);
        rest = rest.subarray(part.length);
        this.remaining -= part.length;
        if (this.captured === null) this.onBytes(part);
        else this.captured.push(part);
        if (this.remaining === 0) this.endFrame();
        continue;
      }
      // Gather the head: the size first, then as much of the frame as `peek` asks (or the whole, if shorter).
      const wanted = this.head.length < 4 ? 4 : Math.min(4 + this.head.readInt32BE(0), this.peek);
      if (this.head.length < wanted) {
        const take = rest.subarray(0, wanted - this.head.length);
        rest = rest.subarray(take.length);
        this.head = Buffer.concat([this.head, take]);
        if (this.head.length < 4 || this.head.length < Math.min(4 + this.head.readInt32BE(0), this.peek)) continue;
      }
      const size = this.head.readInt32BE(0);
      this.remaining = size - (this.head.length - 4);
      if (this.capture(this.head)) this.captured = [this.head];
      else this.onBytes(this.head);
      this.head = Buffer.alloc(0);
      if (this.remaining === 0) this.endFrame();
    }
  }

  private endFrame(): void {
    if (this.captured !== null) this.onFrame(Buffer.concat(this.captured));
    this.captured = null;
  }
}

class FrameReader {
  constructor(
    private readonly frame: Buffer,
    public offset: number,
  ) {}

  skip(bytes: number): void {
    this.need(bytes);
    this.offset += bytes;
  }

  int32(): number {
    this.need(4);
    const value = this.frame.readInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  string(): string {
    const value = this.nullableString();
    if (value === null) throw new Error('a broker host is null');
    return value;
  }

  nullableString(): string | null {
    this.need(2);
    const length = this.frame.readInt16BE(this.offset);
    this.offset += 2;
    if (length < 0) return null;
    this.need(length);
    const value = this.frame.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  private need(bytes: number): void {
    if (this.offset + bytes > this.frame.length) throw new Error(`answer ends at ${this.frame.length} bytes`);
  }
}

function splitAddress(address: string): [string, string] {
  const colon = address.lastIndexOf(':');
  if (colon <= 0) throw new Error(`'${address}' is not host:port`);
  return [address.slice(0, colon), address.slice(colon + 1)];
}
