import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writer } from './protocol/writer.js';
import { findCoordinator, RawKafkaClient } from './testing/consumer-group-wire.js';
import { selectedBackend, startTestKafka, type TestKafka, uniqueName } from './testing/kafka-backend.js';

// Anything a broker does not serve must fail at once with an error that names it, never with a
// retriable code a client waits out its timeout on. Each case is timed, on both backends.

const AT_ONCE_MS = 1000;

async function timed<T>(action: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await action();
  return { result, ms: performance.now() - started };
}

async function failure(
  action: () => Promise<unknown>,
): Promise<{ error: Error & Record<string, unknown>; ms: number }> {
  const { result, ms } = await timed(async () => {
    try {
      await action();
      return undefined;
    } catch (error) {
      return error as Error & Record<string, unknown>;
    }
  });
  if (result === undefined) throw new Error('expected a failure, got success');
  return { error: result, ms };
}

describe(`fail fast, never hang (${selectedBackend()} backend)`, () => {
  let kafka: TestKafka;
  let raw: RawKafkaClient;

  beforeAll(async () => {
    kafka = await startTestKafka();
    raw = await RawKafkaClient.connect(kafka.bootstrap);
  }, 240_000);

  afterAll(async () => {
    raw?.close();
    await kafka?.close();
  }, 60_000);

  it('a client configured for SASL on the plaintext listener fails at once with ILLEGAL_SASL_STATE', async () => {
    const admin = new Kafka({
      brokers: kafka.brokers,
      logLevel: logLevel.NOTHING,
      sasl: { mechanism: 'plain', username: 'someone', password: 'secret' },
    }).admin();
    const { error, ms } = await failure(() => admin.connect());
    expect({ name: error.name, type: error.type, retriable: error.retriable }).toEqual({
      name: 'KafkaJSProtocolError',
      type: 'ILLEGAL_SASL_STATE',
      retriable: false,
    });
    expect(ms).toBeLessThan(AT_ONCE_MS);

    const handshake = await raw.request(17, 1, Buffer.concat(new Writer().string('PLAIN').finish()));
    expect({ errorCode: handshake.int16(), mechanisms: handshake.array((r) => r.string()) }).toEqual({
      errorCode: 34,
      mechanisms: [],
    });
    const authenticate = await raw.request(36, 1, Buffer.concat(new Writer().bytes(Buffer.from('\0u\0p')).finish()));
    expect(authenticate.int16()).toBe(34);
    expect(authenticate.nullableString()).toMatch(/\S/);
  });

  it.each([
    2, 3,
  ])('FindCoordinator for key type %i answers INVALID_REQUEST at once, with a message', async (keyType) => {
    const { result, ms } = await timed(() => findCoordinator(raw, uniqueName('key'), keyType));
    expect(result.errorCode).toBe(42);
    expect(result.errorMessage).toMatch(/\S/);
    expect(ms).toBeLessThan(AT_ONCE_MS);
  });

  it('an API the broker does not serve is refused at once by clients that read ApiVersions (kafkajs: ACLs)', async () => {
    const admin = new Kafka({ brokers: kafka.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const { error, ms } = await failure(() =>
        admin.describeAcls({
          resourceType: 2, // topic
          resourceName: 'ticks',
          resourcePatternType: 3, // literal
          operation: 1, // any
          permissionType: 1, // any
        } as Parameters<typeof admin.describeAcls>[0]),
      );
      // Apache Kafka without an authorizer: SECURITY_DISABLED; the embedded broker does not advertise
      // the ACL APIs, so kafkajs refuses before sending. Either way: at once, not retriable.
      expect(error.retriable ?? false).toBe(false);
      expect(error.message).toMatch(/Security features are disabled|does not support the requested API/);
      expect(ms).toBeLessThan(AT_ONCE_MS);
    } finally {
      await admin.disconnect();
    }
  });

  it('a request for an API key nobody knows closes that connection at once, as Apache Kafka does', async () => {
    const client = await RawKafkaClient.connect(kafka.bootstrap);
    const { ms } = await timed(async () => {
      client.writeRaw(RawKafkaClient.frame(999, 0, 1, Buffer.alloc(0)));
      await client.closed;
    });
    expect(ms).toBeLessThan(AT_ONCE_MS);
    // and the broker serves others as before
    const again = await raw.request(18, 0, Buffer.alloc(0));
    expect(again.int16()).toBe(0);
  });

  it('DeleteGroups: GROUP_ID_NOT_FOUND for an unknown group, NON_EMPTY_GROUP while it has members, else gone with its offsets', async () => {
    const client = new Kafka({ brokers: kafka.brokers, logLevel: logLevel.NOTHING });
    const admin = client.admin();
    await admin.connect();
    const topic = uniqueName('delete-groups');
    const groupId = uniqueName('delete-groups');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const consumer = client.consumer({ groupId });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
      await consumer.run({ eachMessage: async () => {} });
      await joined;
      const unknown = await failure(() => admin.deleteGroups([uniqueName('no-such-group')]));
      expect((unknown.error.groups as { errorCode: number }[])[0]?.errorCode).toBe(69);
      expect(unknown.ms).toBeLessThan(AT_ONCE_MS);
      const busy = await failure(() => admin.deleteGroups([groupId]));
      expect((busy.error.groups as { errorCode: number }[])[0]?.errorCode).toBe(68);
      await consumer.disconnect();

      await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '0' }] });
      expect(await admin.deleteGroups([groupId])).toEqual([expect.objectContaining({ groupId, errorCode: 0 })]);
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
      expect(offsets?.partitions.map((p) => p.offset)).toEqual(['-1']);
    } finally {
      await consumer.disconnect();
      await admin.disconnect();
    }
  }, 60_000);
});
