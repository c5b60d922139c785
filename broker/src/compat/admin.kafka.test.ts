import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectedBackend, startTestKafka, type TestKafka, uniqueName } from '../testing/kafka-backend.js';
import { createTestTopic } from '../testing/test-topics.js';
import { until } from '../testing/until.js';

// The admin surface (issue 18, item 5) through kafkajs' admin client, against whichever broker
// KAFKA_BACKEND selects: topic configs, partitions, records and topics.

const DYNAMIC_TOPIC_CONFIG = 1;

describe(`admin APIs through kafkajs (${selectedBackend()} backend)`, () => {
  let kafka: TestKafka;
  const client = (): Kafka => new Kafka({ brokers: kafka.brokers, logLevel: logLevel.NOTHING, retry: { retries: 2 } });

  beforeAll(async () => {
    kafka = await startTestKafka();
  }, 240_000);

  afterAll(async () => {
    await kafka?.close();
  }, 60_000);

  async function withAdmin<T>(work: (admin: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> {
    const admin = client().admin();
    await admin.connect();
    try {
      return await work(admin);
    } finally {
      await admin.disconnect();
    }
  }

  /** kafkajs' deleteTopicRecords needs the topic's metadata in its cache first. */
  async function deleteRecords(topic: string, offset: string): Promise<void> {
    await withAdmin(async (admin) => {
      await admin.fetchTopicMetadata({ topics: [topic] });
      await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset }] });
    });
  }

  async function topicConfigs(topic: string, names?: string[]) {
    return withAdmin(async (admin) => {
      const { resources } = await admin.describeConfigs({
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, ...(names ? { configNames: names } : {}) }],
        includeSynonyms: false,
      });
      return new Map((resources[0]?.configEntries ?? []).map((entry) => [entry.configName, entry]));
    });
  }

  it('describes topic configs set at creation and inherited ones, and alters them', async () => {
    const topic = uniqueName('admin-configs');
    await createTestTopic(kafka.brokers, topic, {
      partitions: 1,
      configs: { 'cleanup.policy': 'compact', 'retention.ms': '3600000' },
    });
    let configs = await topicConfigs(topic);
    expect(configs.get('cleanup.policy')).toMatchObject({ configValue: 'compact', configSource: DYNAMIC_TOPIC_CONFIG });
    expect(configs.get('retention.ms')).toMatchObject({ configValue: '3600000', configSource: DYNAMIC_TOPIC_CONFIG });
    expect(configs.get('delete.retention.ms')).toMatchObject({ configValue: '86400000', isDefault: true });
    expect(configs.get('min.cleanable.dirty.ratio')?.configValue).toBe('0.5');
    // Apache Kafka 4.4 lists 37 topic configs; both brokers list the same names.
    expect(configs.size).toBe(37);

    const only = await topicConfigs(topic, ['segment.ms', 'cleanup.policy']);
    expect([...only.keys()].sort()).toEqual(['cleanup.policy', 'segment.ms']);

    // AlterConfigs (not incremental): the set configs become exactly these.
    await withAdmin((admin) =>
      admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: topic,
            configEntries: [
              { name: 'cleanup.policy', value: 'compact,delete' },
              { name: 'min.compaction.lag.ms', value: '1000' },
            ],
          },
        ],
      }),
    );
    configs = await topicConfigs(topic);
    expect(configs.get('cleanup.policy')?.configValue).toBe('compact,delete');
    expect(configs.get('min.compaction.lag.ms')).toMatchObject({
      configValue: '1000',
      configSource: DYNAMIC_TOPIC_CONFIG,
    });
    expect(configs.get('retention.ms')?.configSource).not.toBe(DYNAMIC_TOPIC_CONFIG);

    for (const [name, value] of [
      ['min.cleanable.dirty.ratio', '1.5'],
      ['no.such.config', '1'],
      ['segment.bytes', '1024'],
    ] as const) {
      await expect(
        withAdmin((admin) =>
          admin.alterConfigs({
            validateOnly: false,
            resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name, value }] }],
          }),
        ),
        `${name}=${value}`,
      ).rejects.toMatchObject({ type: 'INVALID_CONFIG' });
    }
    // A refused change changes nothing.
    expect((await topicConfigs(topic)).get('cleanup.policy')?.configValue).toBe('compact,delete');

    await expect(topicConfigs(uniqueName('admin-missing'))).rejects.toMatchObject({
      type: 'UNKNOWN_TOPIC_OR_PARTITION',
    });
  }, 60_000);

  it('refuses a topic created with a bad config, naming INVALID_CONFIG', async () => {
    const topic = uniqueName('admin-bad-config');
    await expect(
      withAdmin((admin) =>
        admin.createTopics({
          topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'shred' }] }],
        }),
      ),
    ).rejects.toMatchObject({ errors: [expect.objectContaining({ type: 'INVALID_CONFIG' })] });
    const topics = await withAdmin((admin) => admin.listTopics());
    expect(topics).not.toContain(topic);
  }, 60_000);

  it('adds partitions to a topic, and refuses to shrink it', async () => {
    const topic = uniqueName('admin-partitions');
    await createTestTopic(kafka.brokers, topic, { partitions: 1 });
    await withAdmin((admin) => admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] }));
    await until(
      () =>
        withAdmin(async (admin) => {
          const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
          return topics[0]?.partitions.length === 3;
        }),
      30_000,
      `${topic} to have 3 partitions`,
    );
    const producer = client().producer();
    await producer.connect();
    const [result] = await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: 'v', partition: 2 }] });
    await producer.disconnect();
    expect(result).toMatchObject({ partition: 2, errorCode: 0, baseOffset: '0' });
    await expect(
      withAdmin((admin) => admin.createPartitions({ topicPartitions: [{ topic, count: 2 }] })),
    ).rejects.toMatchObject({ type: 'INVALID_PARTITIONS' });
  }, 60_000);

  it('deletes records below an offset: the log start moves and consumers start there', async () => {
    const topic = uniqueName('admin-delete-records');
    await createTestTopic(kafka.brokers, topic, { partitions: 1 });
    const producer = client().producer();
    await producer.connect();
    for (let i = 0; i < 10; i++)
      await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: `v${i}`, partition: 0 }] });
    await producer.disconnect();

    await deleteRecords(topic, '4');
    const offsets = await withAdmin((admin) => admin.fetchTopicOffsets(topic));
    expect(offsets[0]).toMatchObject({ partition: 0, low: '4', high: '10' });

    const consumer = client().consumer({ groupId: uniqueName('admin-reader') });
    const values: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        values.push(message.value?.toString() ?? '');
      },
    });
    await until(() => values.length >= 6, 30_000, 'six records');
    await consumer.disconnect();
    expect(values).toEqual(['v4', 'v5', 'v6', 'v7', 'v8', 'v9']);

    // Past the high watermark: refused, the log start stays.
    await expect(deleteRecords(topic, '11')).rejects.toBeDefined();
    expect((await withAdmin((admin) => admin.fetchTopicOffsets(topic)))[0]).toMatchObject({ low: '4' });
    // -1 means the high watermark: everything goes.
    await deleteRecords(topic, '-1');
    expect((await withAdmin((admin) => admin.fetchTopicOffsets(topic)))[0]).toMatchObject({ low: '10', high: '10' });
  }, 60_000);

  it('deletes a topic, after which its name can be made again from scratch', async () => {
    const topic = uniqueName('admin-delete-topic');
    await createTestTopic(kafka.brokers, topic, { partitions: 2 });
    const producer = client().producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: 'old', partition: 0 }] });
    await producer.disconnect();
    await withAdmin((admin) => admin.deleteTopics({ topics: [topic] }));
    await until(
      async () => !(await withAdmin((admin) => admin.listTopics())).includes(topic),
      30_000,
      `${topic} to be gone`,
    );
    await expect(withAdmin((admin) => admin.deleteTopics({ topics: [topic] }))).rejects.toBeDefined();
    await until(
      () =>
        withAdmin((admin) =>
          admin.createTopics({ topics: [{ topic, numPartitions: 1 }] }).then(
            (created) => created,
            () => false,
          ),
        ),
      30_000,
      `${topic} to be created again`,
    );
    await until(
      () =>
        withAdmin((admin) =>
          admin.fetchTopicOffsets(topic).then(
            (offsets) => offsets.length === 1 && offsets[0]?.high === '0',
            () => false,
          ),
        ),
      30_000,
      `${topic} to be new and empty`,
    );
  }, 90_000);
});
