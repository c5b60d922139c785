import { connect } from 'node:net';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKafka, type TestKafka, uniqueName } from '../../broker/src/testing/kafka-backend.js';
import { until } from '../../broker/src/testing/until.js';
import { KafkaLinkProxy } from './kafka-link-proxy.js';

// The link proxy `up` puts between an edge and Kafka (chaos cut-link, delay-link), with a real
// kafkajs client on each backend: every broker Metadata names is one of the proxy's ports (so no
// connection goes around it); a cut makes the client fail and refuses it; once lifted it works
// again; a delay adds its latency to each round trip and never reorders bytes.
const quiet = (): void => {};

describe('KafkaLinkProxy', () => {
  let kafka: TestKafka;
  let proxy: KafkaLinkProxy;
  const topic = uniqueName('link-proxy');

  const client = (): kafkajs.Kafka =>
    new kafkajs.Kafka({
      clientId: 'link-proxy-test',
      brokers: proxy.bootstrap.split(','),
      logLevel: kafkajs.logLevel.NOTHING,
      connectionTimeout: 1000,
      requestTimeout: 2000,
      retry: { retries: 0 },
    });

  beforeAll(async () => {
    kafka = await startTestKafka();
    proxy = await KafkaLinkProxy.start(kafka.bootstrap, quiet);
  }, 120_000);

  afterAll(async () => {
    await proxy?.close();
    await kafka?.close();
  });

  it('names only its own ports as the brokers, and carries produce and fetch through them', async () => {
    const admin = client().admin();
    await admin.connect();
    try {
      const { brokers } = await admin.describeCluster();
      const ports = new Set(proxy.bootstrap.split(',').map((address) => Number(address.split(':')[1])));
      expect(brokers.length).toBeGreaterThan(0);
      for (const broker of brokers) expect(ports.has(broker.port), JSON.stringify(brokers)).toBe(true);
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    } finally {
      await admin.disconnect();
    }
    const producer = client().producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ value: 'through the proxy' }] });
    await producer.disconnect();
    const admin2 = client().admin();
    await admin2.connect();
    const offsets = await admin2.fetchTopicOffsets(topic);
    await admin2.disconnect();
    expect(offsets[0]?.high).toBe('1');
  }, 60_000);

  it('cut: open connections drop and new ones are refused; lifted, the same client address works again', async () => {
    const admin = client().admin();
    await admin.connect();
    proxy.set({ kind: 'cut' });
    const droppedBefore = proxy.dropped;
    await expect(admin.fetchTopicOffsets(topic)).rejects.toThrow();
    await admin.disconnect().catch(() => {});
    const refused = client().admin();
    await expect(refused.connect()).rejects.toThrow();
    expect(proxy.dropped).toBeGreaterThan(droppedBefore);
    proxy.set({ kind: 'none' });
    const again = client().admin();
    await again.connect();
    expect((await again.fetchTopicOffsets(topic))[0]?.high).toBe('1');
    await again.disconnect();
  }, 60_000);

  it('delay: each round trip takes at least twice the delay, and the answers are intact', async () => {
    const admin = client().admin();
    await admin.connect();
    try {
      proxy.set({ kind: 'delay', delayMs: 300 });
      const startedAt = Date.now();
      const offsets = await admin.fetchTopicOffsets(topic);
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(600);
      expect(offsets[0]?.high).toBe('1');
    } finally {
      proxy.set({ kind: 'none' });
      await admin.disconnect();
    }
  }, 60_000);

  it('delay lifted while bytes are held: later bytes wait for them, so requests and answers keep their order', async () => {
    // Raw ApiVersions v0 requests on one connection: Kafka answers in the order requests arrive.
    const apiVersions = (correlationId: number): Buffer => {
      const body = Buffer.alloc(11);
      body.writeInt16BE(18, 0); // ApiVersions
      body.writeInt16BE(0, 2);
      body.writeInt32BE(correlationId, 4);
      body.writeInt16BE(1, 8);
      body.write('t', 10);
      const size = Buffer.alloc(4);
      size.writeInt32BE(body.length);
      return Buffer.concat([size, body]);
    };
    const [host, port] = (proxy.bootstrap.split(',')[0] as string).split(':');
    const socket = connect({ host, port: Number(port) });
    await new Promise((resolve) => socket.once('connect', resolve));
    const answered: number[] = [];
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 8 && buffered.length >= 4 + buffered.readInt32BE(0)) {
        answered.push(buffered.readInt32BE(4));
        buffered = buffered.subarray(4 + buffered.readInt32BE(0));
      }
    });
    try {
      proxy.set({ kind: 'delay', delayMs: 400 });
      socket.write(apiVersions(1));
      await new Promise((resolve) => setTimeout(resolve, 100));
      proxy.set({ kind: 'none' });
      socket.write(apiVersions(2));
      await until(() => answered.length === 2, 5000, 'both answers');
      expect(answered).toEqual([1, 2]);
    } finally {
      proxy.set({ kind: 'none' });
      socket.destroy();
    }
  }, 30_000);
});
