import { Kafka, logLevel } from 'kafkajs';
import { until } from './until.js';

/**
 * Creates a topic through kafkajs' admin client and waits until its offsets can be listed, on
 * either backend: kafkajs' own waitForLeaders can fail on Apache Kafka while a new topic's
 * metadata spreads.
 */
export async function createTestTopic(
  brokers: string[],
  topic: string,
  { partitions = 1, configs = {} }: { partitions?: number; configs?: Record<string, string> } = {},
): Promise<void> {
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const configEntries = Object.entries(configs).map(([name, value]) => ({ name, value }));
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, configEntries }], waitForLeaders: false });
    await until(
      () =>
        admin.fetchTopicOffsets(topic).then(
          () => true,
          () => false,
        ),
      30_000,
      `topic ${topic} to have a leader`,
    );
  } finally {
    await admin.disconnect();
  }
}
