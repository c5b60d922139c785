import net from 'node:net';
import { Reader } from '../protocol/reader.js';
import { Writer } from '../protocol/writer.js';

/**
 * A Kafka connection at the byte level, for tests that must say exactly what goes on the wire:
 * unsupported versions, pipelining, malformed frames. Responses are matched by arrival order.
 */
export class RawKafkaClient {
  private received = Buffer.alloc(0);
  private readonly waiting: ((body: Buffer) => void)[] = [];
  private correlationId = 0;
  /** Resolves when the broker closes the connection. */
  readonly closed: Promise<void>;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk) => this.receive(chunk));
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => {});
  }

  static connect(address: string): Promise<RawKafkaClient> {
    const colon = address.lastIndexOf(':');
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: address.slice(0, colon), port: Number(address.slice(colon + 1)) }, () =>
        resolve(new RawKafkaClient(socket)),
      );
      socket.once('error', reject);
    });
  }

  /** A size-prefixed request: header v1 (or v2 with an empty tag section when `flexible`) + body. */
  static frame(apiKey: number, apiVersion: number, correlationId: number, body: Buffer, flexible = false): Buffer {
    const header = new Writer().int16(apiKey).int16(apiVersion).int32(correlationId).nullableString('raw-test');
    if (flexible) header.taggedFields();
    const head = Buffer.concat(header.finish());
    const size = Buffer.alloc(4);
    size.writeInt32BE(head.length + body.length);
    return Buffer.concat([size, head, body]);
  }

  /** Sends one request and resolves with its response after the correlation id (header v0). */
  request(apiKey: number, apiVersion: number, body: Buffer, flexible = false): Promise<Reader> {
    const frame = RawKafkaClient.frame(apiKey, apiVersion, ++this.correlationId, body, flexible);
    this.socket.write(frame);
    return this.nextResponse().then((response) => {
      const reader = new Reader(response);
      reader.int32(); // correlation id
      return reader;
    });
  }

  /** Writes bytes as they are, for frames a well-behaved client would never send. */
  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** The next whole response, correlation id included. */
  nextResponse(): Promise<Buffer> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.deliver();
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    this.received = Buffer.concat([this.received, chunk]);
    this.deliver();
  }

  private deliver(): void {
    while (this.waiting.length > 0 && this.received.length >= 4) {
      const size = this.received.readInt32BE(0);
      if (this.received.length < 4 + size) return;
      const body = this.received.subarray(4, 4 + size);
      this.received = this.received.subarray(4 + size);
      this.waiting.shift()?.(body);
    }
  }
}

/** Request bodies the tests build more than once. */
export const requestBodies = {
  apiVersionsV3: (): Buffer =>
    Buffer.concat(new Writer().compactString('raw-test').compactString('1.0').taggedFields().finish()),
  metadataV1: (topics: string[] | null): Buffer =>
    Buffer.concat(new Writer().nullableArray(topics, (w, topic) => w.string(topic)).finish()),
};
