import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { startApacheKafka } from '../apache-kafka/apache-kafka.js';
import {
  type ExtraListener,
  type ScramCredential,
  saslPlainListener,
  saslSslScramListener,
} from '../apache-kafka/kraft-config.js';
import { makeTestCertificates } from './certificates.js';

export { uniqueName } from './unique-name.js';

export type KafkaBackend = 'embedded' | 'apache';

export interface TestKafka {
  backend: KafkaBackend;
  bootstrap: string;
  brokers: string[];
  /** Apache Kafka only: a SASL_PLAINTEXT listener taking PLAIN logins of TEST_SASL_USER. */
  saslPlainBootstrap?: string;
  /** Apache Kafka only: a SASL_SSL listener taking SCRAM-SHA-256/512 logins of TEST_SASL_USER… */
  saslSslBootstrap?: string;
  /** …whose certificate is signed by the CA in this PEM file. */
  caFile?: string;
  /** Stops what this call started; a no-op for the run-wide shared Apache Kafka. */
  close(): Promise<void>;
}

export interface TestKafkaOptions {
  /** Apache Kafka only: more than one node always starts a cluster of its own. Default 1. */
  nodes?: number;
  /**
   * Apache Kafka only: a broker of its own, not the run's shared one. For a test whose system
   * writes Kafka's default topics (`tickstream up`: ticks, candles, market_events, …), which
   * every later file's edge would otherwise read.
   */
  own?: boolean;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Set by global-setup.ts when KAFKA_BACKEND=apache: the run-wide one-node Apache Kafka. */
    apacheKafkaBootstrap?: string;
    /** Its SASL_PLAINTEXT listener (PLAIN, TEST_SASL_USER / TEST_SASL_PASSWORD). */
    apacheKafkaSaslBootstrap?: string;
    /** Its SASL_SSL listener (SCRAM-SHA-256/512, same login) and the CA of its certificate. */
    apacheKafkaSaslSslBootstrap?: string;
    apacheKafkaCaFile?: string;
  }
}

/** The one PLAIN login every test Apache Kafka accepts on its SASL_PLAINTEXT listener. */
export const TEST_SASL_USER = 'tickstream';
export const TEST_SASL_PASSWORD = 'tickstream-test-secret';
export const testSaslListener = () => saslPlainListener({ [TEST_SASL_USER]: TEST_SASL_PASSWORD });
export const TEST_SCRAM_CREDENTIALS: ScramCredential[] = (['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const).map(
  (mechanism) => ({ mechanism, name: TEST_SASL_USER, password: TEST_SASL_PASSWORD }),
);

/**
 * The client listeners every test Apache Kafka has besides PLAINTEXT: SASL_PLAINTEXT (PLAIN) and
 * SASL_SSL (SCRAM, with a certificate openssl makes now in `dir`, signed by the CA in `caFile`).
 */
export function testSecurityListeners(dir: string): { listeners: ExtraListener[]; caFile: string } {
  const certificates = makeTestCertificates();
  // Kafka's PEM keystore: the key and its certificate in one file.
  const keystore = `${dir}/kafka-keystore.pem`;
  writeFileSync(keystore, readFileSync(certificates.keyFile, 'utf8') + readFileSync(certificates.certFile, 'utf8'), {
    mode: 0o600,
  });
  const caFile = `${dir}/kafka-ca.pem`;
  writeFileSync(caFile, readFileSync(certificates.caFile));
  certificates.remove();
  return { listeners: [testSaslListener(), saslSslScramListener(keystore)], caFile };
}

/** log.cleaner.backoff.ms of every test broker, both backends: Kafka's 15 s would make compaction tests crawl. */
export const TEST_LOG_CLEANER_BACKOFF_MS = 500;

/**
 * The consumer-protocol (KIP-848) session timeout of test brokers: a killed member is fenced
 * after this long. Apache Kafka's default (45 s, also its minimum) made each kill case wait
 * 45 s; Apache Kafka takes a shorter one once group.consumer.min.session.timeout.ms allows it.
 */
export const TEST_CONSUMER_SESSION_TIMEOUT_MS = 4_000;

/**
 * The consumer-protocol heartbeat interval of test brokers: it must stay under the session
 * timeout (Apache Kafka refuses to start otherwise); Kafka's 5 s default would not.
 */
export const TEST_CONSUMER_HEARTBEAT_INTERVAL_MS = 1_000;

/** server.properties of every test Apache Kafka: the same settings as the embedded test broker's. */
export const TEST_APACHE_PROPERTIES: Record<string, number> = {
  'log.cleaner.backoff.ms': TEST_LOG_CLEANER_BACKOFF_MS,
  'group.consumer.min.session.timeout.ms': TEST_CONSUMER_SESSION_TIMEOUT_MS,
  'group.consumer.session.timeout.ms': TEST_CONSUMER_SESSION_TIMEOUT_MS,
  'group.consumer.min.heartbeat.interval.ms': TEST_CONSUMER_HEARTBEAT_INTERVAL_MS,
  'group.consumer.heartbeat.interval.ms': TEST_CONSUMER_HEARTBEAT_INTERVAL_MS,
};

/** KAFKA_BACKEND=embedded|apache picks the broker that tests talk to; embedded by default. */
export function selectedBackend(env: NodeJS.ProcessEnv = process.env): KafkaBackend {
  const value = env.KAFKA_BACKEND ?? 'embedded';
  if (value !== 'embedded' && value !== 'apache') {
    throw new Error(`KAFKA_BACKEND must be "embedded" or "apache", not "${value}".`);
  }
  return value;
}

/**
 * A broker for one test file. Apache Kafka is shared across the run when the global setup
 * started it (its JVM takes 10+ s to start), so tests must use uniqueName() for topics and groups.
 */
export async function startTestKafka(options: TestKafkaOptions = {}): Promise<TestKafka> {
  const backend = selectedBackend();
  const nodes = options.nodes ?? 1;
  const dataDir = await mkdtemp(join(tmpdir(), `tickstream-test-${backend}-`));
  const removeDataDir = (): Promise<void> => rm(dataDir, { recursive: true, force: true });

  if (backend === 'apache') {
    const shared = nodes === 1 && options.own !== true ? inject('apacheKafkaBootstrap') : undefined;
    if (shared) {
      await removeDataDir();
      return {
        backend,
        bootstrap: shared,
        brokers: shared.split(','),
        saslPlainBootstrap: inject('apacheKafkaSaslBootstrap'),
        saslSslBootstrap: inject('apacheKafkaSaslSslBootstrap'),
        caFile: inject('apacheKafkaCaFile'),
        close: async () => {},
      };
    }
    const security = testSecurityListeners(dataDir);
    const kafka = await startApacheKafka({
      nodes,
      port: 0,
      dataDir,
      extraListeners: security.listeners,
      scramCredentials: TEST_SCRAM_CREDENTIALS,
      properties: TEST_APACHE_PROPERTIES,
    });
    return {
      backend,
      bootstrap: kafka.bootstrap,
      saslPlainBootstrap: kafka.listeners.SASL_PLAINTEXT,
      saslSslBootstrap: kafka.listeners.SASL_SSL,
      caFile: security.caFile,
      brokers: kafka.brokers,
      close: async () => {
        await kafka.close();
        await removeDataDir();
      },
    };
  }

  if (nodes !== 1) throw new Error(`The embedded broker is a single node; ${nodes} nodes need KAFKA_BACKEND=apache.`);
  const { startBroker } = await import('../broker.js');
  const verbose = process.env.TICKSTREAM_TEST_LOG === '1';
  const broker = await startBroker({
    port: 0,
    dataDir,
    // Compaction tests wait for the cleaner; the shared Apache Kafka gets the same (global-setup.ts).
    logCleanerBackoffMs: TEST_LOG_CLEANER_BACKOFF_MS,
    consumerGroupSessionTimeoutMs: TEST_CONSUMER_SESSION_TIMEOUT_MS,
    consumerGroupHeartbeatIntervalMs: TEST_CONSUMER_HEARTBEAT_INTERVAL_MS,
    log: (line: string) => {
      if (verbose) process.stderr.write(`[embedded broker] ${line}\n`);
    },
  });
  return {
    backend,
    bootstrap: broker.bootstrap,
    brokers: [broker.bootstrap],
    close: async () => {
      await broker.close();
      await removeDataDir();
    },
  };
}
