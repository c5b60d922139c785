import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startApacheKafka } from '../apache-kafka/apache-kafka.js';
import { TEST_APACHE_PROPERTIES, TEST_SCRAM_CREDENTIALS, testSecurityListeners } from './kafka-backend.js';

/**
 * Vitest globalSetup: with KAFKA_BACKEND=apache, starts one single-node Apache Kafka for the
 * whole run and hands its bootstrap to startTestKafka() through provide/inject.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (process.env.KAFKA_BACKEND !== 'apache') return undefined;
  const dataDir = await mkdtemp(join(tmpdir(), 'tickstream-shared-kafka-'));
  // For cli/src/sasl.kafka.test.ts and scram-tls.kafka.test.ts: two more ports and a certificate.
  const security = testSecurityListeners(dataDir);
  const kafka = await startApacheKafka({
    nodes: 1,
    port: 0,
    dataDir,
    extraListeners: security.listeners,
    scramCredentials: TEST_SCRAM_CREDENTIALS,
    properties: TEST_APACHE_PROPERTIES,
    log: (line) => console.log(`[apache-kafka] ${line}`),
  });
  project.provide('apacheKafkaBootstrap', kafka.bootstrap);
  const sasl = kafka.listeners.SASL_PLAINTEXT;
  if (sasl) project.provide('apacheKafkaSaslBootstrap', sasl);
  const saslSsl = kafka.listeners.SASL_SSL;
  if (saslSsl) project.provide('apacheKafkaSaslSslBootstrap', saslSsl);
  project.provide('apacheKafkaCaFile', security.caFile);
  return async () => {
    await kafka.close();
    await rm(dataDir, { recursive: true, force: true });
  };
}
