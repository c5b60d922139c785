import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startApacheKafka } from '../apache-kafka/apache-kafka.js';
import { TEST_LOG_CLEANER_BACKOFF_MS, testSaslListener } from './kafka-backend.js';

/**
 * Vitest globalSetup: with KAFKA_BACKEND=apache, starts one single-node Apache Kafka for the
 * whole run and hands its bootstrap to startTestKafka() through provide/inject.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (process.env.KAFKA_BACKEND !== 'apache') return undefined;
  const dataDir = await mkdtemp(join(tmpdir(), 'tickstream-shared-kafka-'));
  const kafka = await startApacheKafka({
    nodes: 1,
    port: 0,
    dataDir,
    // For cli/src/sasl.kafka.test.ts: costs one more port, nothing else.
    extraListeners: [testSaslListener()],
    properties: { 'log.cleaner.backoff.ms': TEST_LOG_CLEANER_BACKOFF_MS },
    log: (line) => console.log(`[apache-kafka] ${line}`),
  });
  project.provide('apacheKafkaBootstrap', kafka.bootstrap);
  const sasl = kafka.listeners.SASL_PLAINTEXT;
  if (sasl) project.provide('apacheKafkaSaslBootstrap', sasl);
  return async () => {
    await kafka.close();
    await rm(dataDir, { recursive: true, force: true });
  };
}
