import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from './broker.js';
import { Writer } from './protocol/writer.js';
import { RawKafkaClient, requestBodies } from './testing/raw-client.js';

// 100,000 mutated requests at the embedded broker over real sockets: it must answer or close
// each one, never crash, never log an internal error, and serve a correct client afterwards.
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 100_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261124);
const CONNECTIONS = 16;
/** A mutated Fetch may be parked on a long max-wait; past this, the fuzzer moves on. */
const ANSWER_TIMEOUT_MS = 200;

/** sfc32: small, fast and seeded, so a failure can be replayed with FUZZ_SEED. */
function random(seed: number): () => number {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  return () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

/** Records every request a real kafkajs session writes: produce, fetch, groups, offsets, admin. */
async function captureCorpus(bootstrap: string): Promise<Buffer[]> {
  const corpus: Buffer[] = [];
  const kafka = new Kafka({
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    socketFactory: ({ host, port, onConnect }) => {
      const socket = net.connect({ host, port }, onConnect);
      const write = socket.write.bind(socket) as (chunk: Buffer, encoding: BufferEncoding) => boolean;
      socket.write = ((chunk: Buffer, encoding: BufferEncoding) => {
        if (Buffer.isBuffer(chunk)) corpus.push(Buffer.from(chunk));
        return write(chunk, encoding);
      }) as typeof socket.write;
      return socket;
    },
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: 'fuzz', numPartitions: 2 },
      { topic: 'fuzz-compacted', numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
    ],
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  for (let i = 0; i < 5; i++) {
    await producer.send({ topic: 'fuzz', acks: -1, messages: [{ key: `k${i}`, value: `value ${i}` }] });
    await producer.send({
      topic: 'fuzz-compacted',
      acks: -1,
      messages: [{ key: `k${i % 2}`, value: i === 4 ? null : `v${i}` }],
    });
  }
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: 'fuzz-group', maxWaitTimeInMs: 1 });
  await consumer.connect();
  await consumer.subscribe({ topic: 'fuzz', fromBeginning: true });
  let seen = 0;
  await new Promise<void>((resolve) => {
    void consumer.run({
      autoCommitThreshold: 1,
      eachMessage: async () => {
        if (++seen === 5) resolve();
      },
    });
  });
  await consumer.disconnect();
  await admin.fetchTopicOffsetsByTimestamp('fuzz', Date.now() - 1000);
  await admin.describeGroups(['fuzz-group']);
  await admin.listGroups();
  await admin.describeConfigs({
    resources: [{ type: ConfigResourceTypes.TOPIC, name: 'fuzz-compacted' }],
    includeSynonyms: true,
  });
  await admin.alterConfigs({
    validateOnly: false,
    resources: [
      { type: ConfigResourceTypes.TOPIC, name: 'fuzz', configEntries: [{ name: 'retention.ms', value: '60000' }] },
    ],
  });
  await admin.createPartitions({ topicPartitions: [{ topic: 'fuzz', count: 3 }] });
  await admin.fetchTopicMetadata({ topics: ['fuzz'] });
  await admin.deleteTopicRecords({ topic: 'fuzz', partitions: [{ partition: 0, offset: '1' }] });
  await admin.deleteTopics({ topics: ['fuzz'] });
  await admin.disconnect();
  corpus.push(RawKafkaClient.frame(18, 3, 1, requestBodies.apiVersionsV3(), true));
  // The flexible versions kafkajs never sends, as the Java admin client sends them.
  for (const [key, version, body] of flexibleRequests()) corpus.push(RawKafkaClient.frame(key, version, 1, body, true));
  return corpus;
}

/** One flexible request of each API added for admin tools and offset lookups, on the compacted topic. */
function flexibleRequests(): [number, number, Buffer][] {
  const topic = 'fuzz-compacted';
  const body = (write: (w: Writer) => void): Buffer => {
    const writer = new Writer();
    write(writer);
    return Buffer.concat(writer.finish());
  };
  const partitionOffsets = (w: Writer, value: number): void =>
    void w.compactArray([0], (p, index) => p.int32(index).int64(value).taggedFields());
  return [
    [
      2,
      11,
      body((w) =>
        w
          .int32(-1)
          .int8(1)
          .compactArray([topic], (t, name) =>
            t
              .compactString(name)
              .compactArray([0], (p) =>
                p
                  .int32(0)
                  .int32(-1)
                  .int64(Date.now() - 60_000)
                  .taggedFields(),
              )
              .taggedFields(),
          )
          .int32(1000)
          .taggedFields(),
      ),
    ],
    [
      19,
      7,
      body((w) =>
        w
          .compactArray(['fuzz-created'], (t, name) =>
            t
              .compactString(name)
              .int32(1)
              .int16(-1)
              .compactArray([], () => {})
              .compactArray([['cleanup.policy', 'compact'] as const], (c, [n, v]) =>
                c.compactString(n).compactNullableString(v).taggedFields(),
              )
              .taggedFields(),
          )
          .int32(1000)
          .bool(false)
          .taggedFields(),
      ),
    ],
    [
      20,
      6,
      body((w) =>
        w
          .compactArray(['fuzz-created'], (t, name) =>
            t.compactNullableString(name).raw(Buffer.alloc(16)).taggedFields(),
          )
          .int32(1000)
          .taggedFields(),
      ),
    ],
    [
      21,
      2,
      body((w) =>
        w
          .compactArray([topic], (t, name) => {
            t.compactString(name);
            partitionOffsets(t, 1);
            t.taggedFields();
          })
          .int32(1000)
          .taggedFields(),
      ),
    ],
    [
      32,
      4,
      body((w) =>
        w
          .compactArray([topic], (r, name) => r.int8(2).compactString(name).uvarint(0).taggedFields())
          .bool(true)
          .bool(true)
          .taggedFields(),
      ),
    ],
    [
      33,
      2,
      body((w) =>
        w
          .compactArray([topic], (r, name) =>
            r
              .int8(2)
              .compactString(name)
              .compactArray([['cleanup.policy', 'compact,delete'] as const], (c, [n, v]) =>
                c.compactString(n).compactNullableString(v).taggedFields(),
              )
              .taggedFields(),
          )
          .bool(false)
          .taggedFields(),
      ),
    ],
    [
      37,
      3,
      body((w) =>
        w
          .compactArray([topic], (t, name) => t.compactString(name).int32(2).uvarint(0).taggedFields())
          .int32(1000)
          .bool(true)
          .taggedFields(),
      ),
    ],
    [
      44,
      1,
      body((w) =>
        w
          .compactArray([topic], (r, name) =>
            r
              .int8(2)
              .compactString(name)
              .compactArray([['min.compaction.lag.ms', 0, '1000'] as const], (c, [n, op, v]) =>
                c.compactString(n).int8(op).compactNullableString(v).taggedFields(),
              )
              .taggedFields(),
          )
          .bool(false)
          .taggedFields(),
      ),
    ],
    [60, 2, body((w) => w.bool(true).int8(1).bool(false).taggedFields())],
    [
      75,
      0,
      body((w) =>
        w
          .compactArray([topic], (t, name) => t.compactString(name).taggedFields())
          .int32(10)
          .int8(1)
          .compactString(topic)
          .int32(0)
          .taggedFields()
          .taggedFields(),
      ),
    ],
  ];
}

function mutate(next: () => number, corpus: Buffer[]): Buffer {
  const pick = (n: number): number => Math.floor(next() * n);
  const kind = pick(6);
  if (kind === 0) {
    // Random bytes behind a size prefix that tells the truth.
    const body = Buffer.alloc(8 + pick(300));
    for (let i = 0; i < body.length; i++) body[i] = pick(256);
    return withSize(body);
  }
  const original = corpus[pick(corpus.length)] as Buffer;
  let body = Buffer.from(original.subarray(4));
  switch (kind) {
    case 1: // flip a few bytes
      for (let flips = 1 + pick(8); flips > 0; flips--) body[pick(body.length)] = pick(256);
      break;
    case 2: // cut short
      body = body.subarray(0, 8 + pick(Math.max(1, body.length - 8)));
      break;
    case 3: {
      // an extreme int32 somewhere past the header: counts, lengths, sizes
      const at = 8 + pick(Math.max(1, body.length - 12));
      const extremes = [0x7fffffff, -1, -2147483648, 0x10000, 65535];
      if (at + 4 <= body.length) body.writeInt32BE(extremes[pick(extremes.length)] as number, at);
      break;
    }
    case 4: // junk appended
      body = Buffer.concat([body, Buffer.from(Array.from({ length: 1 + pick(64) }, () => pick(256)))]);
      break;
    default: // another API or version under the same body
      body.writeInt16BE(pick(80), 0);
      body.writeInt16BE(pick(14), 2);
  }
  return withSize(body);
}

function withSize(body: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

/** Sends frames one at a time on a connection, reconnecting whenever the broker closes it. */
async function fuzzWorker(bootstrap: string, frames: () => Buffer | undefined): Promise<void> {
  let client = await RawKafkaClient.connect(bootstrap);
  let isClosed = false;
  void client.closed.then(() => {
    isClosed = true;
  });
  for (let frame = frames(); frame !== undefined; frame = frames()) {
    if (isClosed) {
      client = await RawKafkaClient.connect(bootstrap);
      isClosed = false;
      const current = client;
      void current.closed.then(() => {
        if (client === current) isClosed = true;
      });
    }
    client.writeRaw(frame);
    const outcome = await Promise.race([
      client.nextResponse().then(() => 'answered' as const),
      client.closed.then(() => 'closed' as const),
      new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ANSWER_TIMEOUT_MS)),
    ]);
    if (outcome !== 'answered') {
      // Parked or closed: either way start afresh so answers never get out of step.
      client.close();
      isClosed = true;
    }
  }
  client.close();
}

describe('embedded broker fuzzing', () => {
  let dataDir: string;
  let broker: RunningBroker;
  const logLines: string[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tickstream-fuzz-'));
    broker = await startBroker({ port: 0, dataDir, log: (line) => logLines.push(line), maxRequestBytes: 1 << 20 });
  });

  afterAll(async () => {
    await broker?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it(`survives ${REQUESTS} mutated requests (seed ${SEED}) and then serves a correct client`, async () => {
    const corpus = await captureCorpus(broker.bootstrap);
    expect(new Set(corpus.map((frame) => frame.readInt16BE(4))).size).toBeGreaterThanOrEqual(12);

    const next = random(SEED);
    let sent = 0;
    const frames = (): Buffer | undefined => (sent++ < REQUESTS ? mutate(next, corpus) : undefined);
    await Promise.all(Array.from({ length: CONNECTIONS }, () => fuzzWorker(broker.bootstrap, frames)));

    const internalErrors = logLines.filter((line) => line.includes('internal error'));
    expect(internalErrors.slice(0, 3)).toEqual([]);
    expect(process.memoryUsage().rss).toBeLessThan(1.5 * 1024 ** 3);

    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'after-fuzz', messages: [{ key: 'AAPL', value: 'still here' }] });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: 'after-fuzz' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'after-fuzz', fromBeginning: true });
    const value = await new Promise<string>((resolve) => {
      void consumer.run({ eachMessage: async ({ message }) => resolve(message.value?.toString() ?? '') });
    });
    await consumer.disconnect();
    expect(value).toBe('still here');
  }, 300_000);
});
