import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { KafkaConnection } from './kafka-connection.js';

/**
 * The connection's framing against a real TCP peer that answers each request's correlation id
 * with a body the test chooses, written in the pieces the test chooses (a broker's answer may
 * arrive in any number of reads).
 */
type Answer = (correlationId: number, socket: Socket) => void;

let server: Server | null = null;
const connections: KafkaConnection[] = [];

afterEach(async () => {
  for (const connection of connections.splice(0)) connection.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
});

/** A peer that calls `answer` for every request frame it reads. */
async function peer(answer: Answer): Promise<KafkaConnection> {
  server = createServer((socket) => {
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      while (received.length >= 4 && received.length >= 4 + received.readInt32BE(0)) {
        const size = received.readInt32BE(0);
        answer(received.readInt32BE(8), socket); // size, apiKey i16, apiVersion i16, correlationId
        received = received.subarray(4 + size);
      }
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const connection = await KafkaConnection.connect({
    host: '127.0.0.1',
    port: typeof address === 'object' && address ? address.port : 0,
    clientId: 'test',
    connectTimeoutMs: 2000,
    requestTimeoutMs: 5000,
  });
  connections.push(connection);
  return connection;
}

/** A response frame: size, correlation id, body. */
function frame(correlationId: number, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeInt32BE(4 + body.length, 0);
  head.writeInt32BE(correlationId, 4);
  return Buffer.concat([head, body]);
}

const bodyOf = (length: number, seed: number): Buffer =>
  Buffer.from(Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const ask = (connection: KafkaConnection, transient = false): Promise<Buffer> =>
  connection.request(1, 4, [Buffer.from('request')], 7, true, transient);

describe('KafkaConnection', () => {
  it('puts an answer together from reads split anywhere, the size prefix and correlation id included', async () => {
    const body = bodyOf(200_000, 1);
    const connection = await peer((correlationId, socket) => {
      const bytes = frame(correlationId, body);
      // 3 bytes, then 6 (the header split twice), then the body in uneven pieces, each read alone.
      const cuts = [3, 9, 10, 1000, 70_000, 150_000, bytes.length];
      void (async () => {
        let from = 0;
        for (const cut of cuts) {
          socket.write(bytes.subarray(from, cut));
          from = cut;
          await sleep(5);
        }
      })();
    });
    expect((await ask(connection)).equals(body)).toBe(true);
    expect((await ask(connection, true)).equals(body)).toBe(true);
  });

  it('answers pipelined requests from one read, each with its own body', async () => {
    const bodies = new Map<number, Buffer>();
    const written: Buffer[] = [];
    const connection = await peer((correlationId, socket) => {
      const body = bodyOf(100 + correlationId * 7, correlationId);
      bodies.set(correlationId, body);
      written.push(frame(correlationId, body));
      if (written.length === 3) socket.write(Buffer.concat(written.splice(0)));
    });
    const answers = await Promise.all([ask(connection), ask(connection), ask(connection)]);
    expect(answers.map((answer, id) => answer.equals(bodies.get(id) as Buffer))).toEqual([true, true, true]);
    expect(answers.map((answer) => answer.length)).toEqual([100, 107, 114]);
  });

  it('puts transient answers in one reused buffer, and allows one pending at a time', async () => {
    const connection = await peer((correlationId, socket) => {
      socket.write(frame(correlationId, bodyOf(5000 - correlationId, correlationId)));
    });
    const first = await ask(connection, true);
    expect(first.equals(bodyOf(5000, 0))).toBe(true);
    const second = await ask(connection, true);
    expect(second.equals(bodyOf(4999, 1))).toBe(true);
    expect(second.buffer).toBe(first.buffer);
    // An ordinary answer gets a buffer of its own.
    const own = await ask(connection);
    expect(own.buffer).not.toBe(first.buffer);
    const pending = ask(connection, true);
    await expect(ask(connection, true)).rejects.toThrow(/only one may be pending/);
    expect((await pending).length).toBe(4997);
  });

  it('fails every pending request when the peer answers a correlation id never sent', async () => {
    const connection = await peer((correlationId, socket) => {
      socket.write(frame(correlationId + 1000, bodyOf(10, 0)));
    });
    await expect(ask(connection)).rejects.toThrow(/answered correlation id 1000, which was never sent/);
    expect(connection.usable).toBe(false);
  });
});
