import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from './broker.js';
import { Writer } from './protocol/writer.js';
import { heartbeat, heartbeatBody, newMemberId, topicIds } from './testing/consumer-group-wire.js';
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
  // Transactions: commit, abort, offsets in a transaction, a fenced zombie, read_committed reads.
  const transactional = kafka.producer({ transactionalId: 'fuzz-txn', idempotent: true, maxInFlightRequests: 1 });
  await transactional.connect();
  for (const commit of [true, false]) {
    const transaction = await transactional.transaction();
    await transaction.send({ topic: 'fuzz', messages: [{ key: 'k', value: `txn ${commit}` }] });
    await transaction.sendOffsets({
      consumerGroupId: 'fuzz-group',
      topics: [{ topic: 'fuzz', partitions: [{ partition: 0, offset: '1' }] }],
    });
    await (commit ? transaction.commit() : transaction.abort());
  }
  const zombie = await transactional.transaction();
  await zombie.send({ topic: 'fuzz', messages: [{ value: 'zombie' }] });
  const newcomer = kafka.producer({ transactionalId: 'fuzz-txn', idempotent: true, maxInFlightRequests: 1 });
  await newcomer.connect();
  await (await newcomer.transaction()).abort().catch(() => {});
  await zombie.commit().catch(() => {});
  await Promise.all([transactional.disconnect(), newcomer.disconnect()]);
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
  corpus.push(...(await consumerProtocolRequests(bootstrap)));
  await admin.deleteTopics({ topics: ['fuzz'] });
  await admin.disconnect();
  corpus.push(RawKafkaClient.frame(18, 3, 1, requestBodies.apiVersionsV3(), true));
  // Flexible versions of the transaction APIs, which kafkajs does not send (librdkafka and the
  // Java client do).
  for (const [apiKey, apiVersion, body] of flexibleTransactionRequests()) {
    corpus.push(RawKafkaClient.frame(apiKey, apiVersion, 1, body, true));
  }
  // The flexible versions of the admin and offset-lookup APIs kafkajs never sends, as the Java
  // admin client sends them.
  for (const [apiKey, apiVersion, body] of flexibleAdminRequests()) {
    corpus.push(RawKafkaClient.frame(apiKey, apiVersion, 1, body, true));
  }
  return corpus;
}

function flexibleTransactionRequests(): [number, number, Buffer][] {
  const body = (write: (w: Writer) => Writer): Buffer => Buffer.concat(write(new Writer()).taggedFields().finish());
  return [
    [22, 5, body((w) => w.compactString('fuzz-flex').int32(60_000).int64(-1).int16(-1))],
    [
      24,
      3,
      body((w) =>
        w
          .compactString('fuzz-flex')
          .int64(0)
          .int16(0)
          .compactArray(['fuzz'], (t, topic) =>
            t
              .compactString(topic)
              .compactArray([0, 1], (p, partition) => p.int32(partition))
              .taggedFields(),
          ),
      ),
    ],
    [25, 4, body((w) => w.compactString('fuzz-flex').int64(0).int16(0).compactString('fuzz-group'))],
    [26, 4, body((w) => w.compactString('fuzz-flex').int64(0).int16(0).int8(1))],
    [
      28,
      4,
      body((w) =>
        w
          .compactString('fuzz-flex')
          .compactString('fuzz-group')
          .int64(0)
          .int16(0)
          .int32(-1)
          .compactString('')
          .compactNullableString(null)
          .compactArray(['fuzz'], (t, topic) =>
            t
              .compactString(topic)
              .compactArray([0], (p, partition) =>
                p.int32(partition).int64(1).int32(-1).compactNullableString(null).taggedFields(),
              )
              .taggedFields(),
          ),
      ),
    ],
    [
      61,
      0,
      body((w) =>
        w.compactArray(['fuzz', 'nowhere'], (t, topic) =>
          t
            .compactString(topic)
            .compactArray([0, 7], (p, partition) => p.int32(partition))
            .taggedFields(),
        ),
      ),
    ],
    [65, 0, body((w) => w.compactArray(['fuzz-txn', 'fuzz-flex', ''], (a, id) => a.compactString(id)))],
    [
      66,
      1,
      body((w) =>
        w
          .compactArray(['Ongoing'], (a, s) => a.compactString(s))
          .compactArray([0], (a, id) => a.int64(id))
          .int64(-1),
      ),
    ],
  ];
}

/** One flexible request of each API added for admin tools and offset lookups, on the compacted topic. */
function flexibleAdminRequests(): [number, number, Buffer][] {
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

/**
 * The KIP-848 surface, built by hand from its grammar (kafkajs does not speak it): a member
 * joining, heartbeating with its partitions, a heartbeat from an unknown member and from a
 * fenced epoch, a regex subscription, static and dynamic leaves, ConsumerGroupDescribe,
 * ListGroups v5, Metadata v12, OffsetCommit/OffsetFetch v9, DeleteGroups and SASL.
 */
async function consumerProtocolRequests(bootstrap: string): Promise<Buffer[]> {
  const client = await RawKafkaClient.connect(bootstrap);
  const topicId = (await topicIds(client, ['fuzz'])).get('fuzz') ?? '00'.repeat(16);
  const groupId = 'fuzz-kip848';
  const memberId = newMemberId();
  const join = {
    groupId,
    memberId,
    memberEpoch: 0,
    rebalanceTimeoutMs: 30_000,
    subscribedTopicNames: ['fuzz'],
    owned: [],
  };
  const joined = await heartbeat(client, join);
  client.close();
  const owned = joined.assignment ?? [{ topicId, partitions: [0, 1] }];
  const epoch = joined.memberEpoch;
  const flexible = (apiKey: number, version: number, body: Writer | Buffer) =>
    RawKafkaClient.frame(apiKey, version, 7, Buffer.isBuffer(body) ? body : Buffer.concat(body.finish()), true);
  return [
    flexible(68, 1, heartbeatBody(join)),
    flexible(68, 0, heartbeatBody(join, 0)),
    flexible(68, 1, heartbeatBody({ groupId, memberId, memberEpoch: epoch, owned })),
    flexible(68, 1, heartbeatBody({ groupId, memberId: newMemberId(), memberEpoch: 5, owned })),
    flexible(68, 1, heartbeatBody({ groupId, memberId, memberEpoch: epoch + 9, owned: null })),
    flexible(
      68,
      1,
      heartbeatBody({ ...join, memberId: newMemberId(), subscribedTopicNames: null, subscribedTopicRegex: 'fu.*' }),
    ),
    flexible(
      68,
      1,
      heartbeatBody({ ...join, memberId: newMemberId(), instanceId: 'fuzz-instance', serverAssignor: 'range' }),
    ),
    flexible(68, 1, heartbeatBody({ groupId, memberId, memberEpoch: -2, instanceId: 'fuzz-instance' })),
    flexible(68, 1, heartbeatBody({ groupId, memberId, memberEpoch: -1 })),
    flexible(
      69,
      1,
      new Writer()
        .compactArray([groupId, 'fuzz-group'], (w, id) => w.compactString(id))
        .bool(false)
        .taggedFields(),
    ),
    flexible(
      16,
      5,
      new Writer()
        .compactArray(['stable'], (w, s) => w.compactString(s))
        .compactArray(['consumer'], (w, t) => w.compactString(t))
        .taggedFields(),
    ),
    flexible(
      3,
      12,
      new Writer()
        .compactArray([topicId], (w, id) => w.uuid(Buffer.from(id, 'hex')).compactNullableString(null).taggedFields())
        .bool(false)
        .bool(false)
        .taggedFields(),
    ),
    flexible(
      8,
      9,
      new Writer()
        .compactString(groupId)
        .int32(epoch)
        .compactString(memberId)
        .compactNullableString(null)
        .compactArray(['fuzz'], (w, t) =>
          w
            .compactString(t)
            .compactArray([0, 1], (p, i) => p.int32(i).int64(3).int32(-1).compactNullableString('m').taggedFields())
            .taggedFields(),
        )
        .taggedFields(),
    ),
    flexible(
      9,
      9,
      new Writer()
        .compactArray([groupId], (w, g) =>
          w
            .compactString(g)
            .compactNullableString(memberId)
            .int32(epoch)
            .compactArray(['fuzz'], (t, name) =>
              t
                .compactString(name)
                .compactArray([0, 1], (p, i) => p.int32(i))
                .taggedFields(),
            )
            .taggedFields(),
        )
        .bool(true)
        .taggedFields(),
    ),
    flexible(42, 2, new Writer().compactArray([groupId, 'fuzz-none'], (w, g) => w.compactString(g)).taggedFields()),
    RawKafkaClient.frame(17, 1, 7, Buffer.concat(new Writer().string('PLAIN').finish())),
    RawKafkaClient.frame(10, 2, 7, Buffer.concat(new Writer().string(groupId).int8(2).finish())),
  ];
}

function mutate(next: () => number, corpus: Buffer[]): Buffer {
  const pick = (n: number): number => Math.floor(next() * n);
  const kind = pick(7);
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
    case 5: // replayed as it was, out of its session's order: stale epochs, ended transactions, …
      break;
    default: // another API or version under the same body (keys up to 79, past DescribeTopicPartitions, 75)
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
    const keys = new Set(corpus.map((frame) => frame.readInt16BE(4)));
    expect(keys.size).toBeGreaterThanOrEqual(12);
    for (const key of [17, 42, 68, 69]) expect(keys).toContain(key);

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

    // and the KIP-848 protocol still works: a new member of a new group gets the topic's partitions
    const member = await RawKafkaClient.connect(broker.bootstrap);
    const answer = await heartbeat(member, {
      groupId: 'after-fuzz-kip848',
      memberId: newMemberId(),
      memberEpoch: 0,
      rebalanceTimeoutMs: 30_000,
      subscribedTopicNames: ['after-fuzz'],
      owned: [],
    });
    member.close();
    expect({ errorCode: answer.errorCode, partitions: answer.assignment?.flatMap((t) => t.partitions).length }).toEqual(
      {
        errorCode: 0,
        partitions: 3,
      },
    );
  }, 300_000);
});
