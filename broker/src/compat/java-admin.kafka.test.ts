import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_KAFKA_VERSION } from '../apache-kafka/apache-kafka.js';
import { resolveKafkaJars } from '../apache-kafka/maven.js';
import { selectedBackend, startTestKafka, type TestKafka, uniqueName } from '../testing/kafka-backend.js';
import { runClient } from './run-client.js';

// The Java admin client (kafka-clients 4.4, the one operators' tools are built on) against
// whichever broker KAFKA_BACKEND selects. AdminProbe.java prints what it saw; the expected lines
// are what it printed against Apache Kafka 4.4.0, which is the judge.
const probe = fileURLToPath(new URL('./java/AdminProbe.java', import.meta.url));

const APACHE_KAFKA_ANSWERS = `
cluster.nodes=1
cluster.controller=true
cluster.id.present=true
config.cleanup.policy=compact
config.cleanup.policy.source=DYNAMIC_TOPIC_CONFIG
config.delete.retention.ms=86400000
config.delete.retention.ms.source=DEFAULT_CONFIG
config.count=37
altered.cleanup.policy=compact,delete
altered.retention.ms.source=DEFAULT_CONFIG
altered.min.compaction.lag.ms=5000
bad.alter=InvalidConfigurationException
describe.partitions=2
describe.topicId.zero=false
describe.leader.present=true
offset.at.base+15=1
offset.at.base+45=3
offset.max=3
offset.max.timestamp.delta=50
offset.earliest=0
after.delete.earliest=3
after.delete.latest=7
deleted=true
`;

describe(`Java admin client 4.4 (${selectedBackend()} backend)`, () => {
  let kafka: TestKafka;
  let libs: string;

  beforeAll(async () => {
    [kafka, libs] = await Promise.all([startTestKafka(), resolveKafkaJars({ kafkaVersion: DEFAULT_KAFKA_VERSION })]);
  }, 240_000);

  afterAll(async () => {
    await kafka?.close();
  }, 60_000);

  it('describes the cluster, creates, configures, grows, looks up, trims and deletes a topic as on Apache Kafka', async () => {
    const run = await runClient('java', ['-cp', join(libs, '*'), probe, kafka.bootstrap, uniqueName('java-admin')], {
      timeoutMs: 120_000,
    });
    const observed = run.stdout
      .split('\n')
      .filter((line) => /^[A-Za-z.+0-9]+=/.test(line))
      .join('\n');
    expect(observed, run.stderr.slice(-3000)).toBe(APACHE_KAFKA_ANSWERS.trim());
    expect(run.code).toBe(0);
  }, 150_000);
});
