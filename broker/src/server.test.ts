import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiHandlers } from './api/index.js';
import { type RunningBroker, startBroker } from './broker.js';
import type { BrokerConfig } from './config.js';
import type { Reader } from './protocol/reader.js';
import { Writer } from './protocol/writer.js';
import { RawKafkaClient, requestBodies } from './testing/raw-client.js';

// The embedded broker's own behaviour at the byte level. Client-visible behaviour shared with
// Apache Kafka lives in the *.kafka.test.ts files, which run on both.

interface TestBroker {
  broker: RunningBroker;
  logLines: string[];
  stop(): Promise<void>;
}

async function startTestBroker(options: Partial<BrokerConfig> = {}): Promise<TestBroker> {
  const dataDir = await mkdtemp(join(tmpdir(), 'tickstream-server-test-'));
  const logLines: string[] = [];
  const broker = await startBroker({ port: 0, dataDir, log: (line) => logLines.push(line), ...options });
  return {
    broker,
    logLines,
    stop: async () => {
      await broker.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

interface VersionRange {
  key: number;
  min: number;
  max: number;
}

function readMetadataV1Topics(reader: Reader): { name: string; errorCode: number; partitions: number }[] {
  reader.array((r) => [r.int32(), r.string(), r.int32(), r.nullableString()]);
  reader.int32(); // controller
  return reader.array((r) => {
    const errorCode = r.int16();
    const name = r.string();
    r.bool();
    const partitions = r.array((p) => [
      p.int16(),
      p.int32(),
      p.int32(),
      p.array((x) => x.int32()),
      p.array((x) => x.int32()),
    ]);
    return { name, errorCode, partitions: partitions.length };
  });
}

describe('embedded broker on the wire', () => {
  let test: TestBroker;
  let client: RawKafkaClient;

  beforeAll(async () => {
    test = await startTestBroker();
    client = await RawKafkaClient.connect(test.broker.bootstrap);
  });

  afterAll(async () => {
    client?.close();
    await test?.stop();
  });

  it('answers ApiVersions v0 with exactly the registry it serves', async () => {
    const reader = await client.request(18, 0, Buffer.alloc(0));
    expect(reader.int16()).toBe(0);
    const ranges: VersionRange[] = reader.array((r) => ({ key: r.int16(), min: r.int16(), max: r.int16() }));
    expect(ranges).toEqual(apiHandlers.map((h) => ({ key: h.key, min: h.minVersion, max: h.maxVersion })));
    expect(ranges.find((r) => r.key === 0)).toEqual({ key: 0, min: 0, max: 7 });
    expect(ranges.find((r) => r.key === 1)).toEqual({ key: 1, min: 0, max: 11 });
  });

  it('answers flexible ApiVersions v3 with a v0 response header and compact arrays', async () => {
    const reader = await client.request(18, 3, requestBodies.apiVersionsV3(), true);
    expect(reader.int16()).toBe(0);
    const ranges = reader.compactArray((r) => {
      const range = { key: r.int16(), min: r.int16(), max: r.int16() };
      r.taggedFields();
      return range;
    });
    expect(ranges.map((r) => r.key)).toEqual(apiHandlers.map((h) => h.key));
    expect(reader.int32()).toBe(0); // throttle
    reader.taggedFields();
    expect(reader.remaining).toBe(0);
  });

  it('answers an ApiVersions version from the future with UNSUPPORTED_VERSION and its range, and stays open', async () => {
    const reader = await client.request(18, 99, Buffer.alloc(0));
    expect(reader.int16()).toBe(35);
    const ranges = reader.array((r) => ({ key: r.int16(), min: r.int16(), max: r.int16() }));
    expect(ranges.find((r) => r.key === 18)).toEqual({ key: 18, min: 0, max: 3 });
    const again = await client.request(18, 0, Buffer.alloc(0));
    expect(again.int16()).toBe(0);
  });

  it('creates a topic a Metadata request names, answering LEADER_NOT_AVAILABLE first as Kafka does', async () => {
    const first = readMetadataV1Topics(await client.request(3, 1, requestBodies.metadataV1(['auto-created'])));
    expect(first).toEqual([{ name: 'auto-created', errorCode: 5, partitions: 0 }]);
    const second = readMetadataV1Topics(await client.request(3, 1, requestBodies.metadataV1(['auto-created'])));
    expect(second).toEqual([{ name: 'auto-created', errorCode: 0, partitions: 3 }]);
    const invalid = readMetadataV1Topics(await client.request(3, 1, requestBodies.metadataV1(['bad/name'])));
    expect(invalid[0]?.errorCode).toBe(17); // INVALID_TOPIC_EXCEPTION
  });

  it('answers pipelined requests in the order they were sent', async () => {
    const frames = Array.from({ length: 50 }, (_, i) =>
      RawKafkaClient.frame(
        i % 2 === 0 ? 18 : 3,
        i % 2 === 0 ? 0 : 1,
        1000 + i,
        i % 2 === 0 ? Buffer.alloc(0) : requestBodies.metadataV1([]),
      ),
    );
    const responses = Array.from({ length: 50 }, () => client.nextResponse());
    client.writeRaw(Buffer.concat(frames));
    const ids = (await Promise.all(responses)).map((body) => body.readInt32BE(0));
    expect(ids).toEqual(Array.from({ length: 50 }, (_, i) => 1000 + i));
  });

  it('wakes a long-polling Fetch as soon as a batch arrives', async () => {
    const topic = 'long-poll';
    await client.request(3, 1, requestBodies.metadataV1([topic]));
    const fetchBody = Buffer.concat(
      new Writer()
        .int32(-1) // replica
        .int32(10_000) // max wait
        .int32(1) // min bytes
        .int32(1 << 20) // max bytes
        .int8(0) // isolation
        .array([topic], (w, t) =>
          w.string(t).array([0], (p, partition) =>
            p
              .int32(partition)
              .int64(0)
              .int32(1 << 20),
          ),
        )
        .finish(),
    );
    const fetcher = await RawKafkaClient.connect(test.broker.bootstrap);
    const started = Date.now();
    const response = fetcher.request(1, 4, fetchBody);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const { Kafka, logLevel } = await import('kafkajs');
    const producer = new Kafka({ brokers: [test.broker.bootstrap], logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'wake up', partition: 0 }] });
    await producer.disconnect();
    const reader = await response;
    const waited = Date.now() - started;
    reader.int32(); // throttle
    const [answer] = reader.array((r) => {
      r.string();
      return r.array((p) => {
        p.int32();
        const errorCode = p.int16();
        const highWatermark = p.int64();
        p.int64();
        p.nullableArray(() => 0); // aborted transactions: null for read_uncommitted, as Apache Kafka answers
        return { errorCode, highWatermark, records: p.bytes().length };
      });
    });
    expect(answer?.[0]).toMatchObject({ errorCode: 0, highWatermark: 1 });
    expect(answer?.[0]?.records).toBeGreaterThan(61);
    expect(waited).toBeLessThan(5_000);
    fetcher.close();
  });
});

describe('embedded broker under bad input', () => {
  let test: TestBroker;

  beforeAll(async () => {
    test = await startTestBroker({ maxRequestBytes: 1024 * 1024 });
  });

  afterAll(async () => {
    await test?.stop();
  });

  const stillServes = async (): Promise<void> => {
    const healthy = await RawKafkaClient.connect(test.broker.bootstrap);
    expect((await healthy.request(18, 0, Buffer.alloc(0))).int16()).toBe(0);
    healthy.close();
  };

  it('refuses to start on a port in use, saying so, with exit code 1', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tickstream-port-test-'));
    try {
      await expect(startBroker({ port: test.broker.port, dataDir, log: () => {} })).rejects.toMatchObject({
        message: `port ${test.broker.port} on 127.0.0.1 is already in use: stop what holds it, or choose another port`,
        exitCode: 1,
      });
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('closes a connection that claims a 2 GB request, without reading or allocating it', async () => {
    const client = await RawKafkaClient.connect(test.broker.bootstrap);
    const before = process.memoryUsage().rss;
    client.writeRaw(Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 18, 0, 0]));
    await client.closed;
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
    expect(test.logLines.at(-1)).toMatch(/request size 2147483647 is outside 8\.\.1048576 bytes/);
    await stillServes();
  });

  it('closes a connection that sends an unknown API key, with one log line, and serves others', async () => {
    const client = await RawKafkaClient.connect(test.broker.bootstrap);
    client.writeRaw(RawKafkaClient.frame(999, 0, 1, Buffer.alloc(0)));
    await client.closed;
    expect(test.logLines.at(-1)).toMatch(/unknown API key 999/);
    await stillServes();
  });

  it('closes a connection that asks for a version of an API it does not serve', async () => {
    const client = await RawKafkaClient.connect(test.broker.bootstrap);
    client.writeRaw(RawKafkaClient.frame(0, 99, 1, Buffer.alloc(0)));
    await client.closed;
    expect(test.logLines.at(-1)).toMatch(/Produce v99 is not supported \(serving v0-7\)/);
    await stillServes();
  });

  it('closes a connection whose request body is cut short, naming the offset', async () => {
    const client = await RawKafkaClient.connect(test.broker.bootstrap);
    // Metadata v1 claiming 5 topics and carrying none.
    client.writeRaw(RawKafkaClient.frame(3, 1, 1, Buffer.from([0, 0, 0, 5])));
    await client.closed;
    expect(test.logLines.at(-1)).toMatch(/malformed api 3 v1: array count 5/);
    await stillServes();
  });
});
