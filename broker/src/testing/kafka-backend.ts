import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { startApacheKafka } from '../apache-kafka/apache-kafka.js';

export { uniqueName } from './unique-name.js';

export type KafkaBackend = 'embedded' | 'apache';

export interface TestKafka {
  backend: KafkaBackend;
  bootstrap: string;
  brokers: string[];
  /** Stops what this call started; a no-op for the run-wide shared Apache Kafka. */
  close(): Promise<void>;
}

export interface TestKafkaOptions {
  /** Apache Kafka only: more than one node always starts a cluster of its own. Default 1. */
  nodes?: number;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Set by global-setup.ts when KAFKA_BACKEND=apache: the run-wide one-node Apache Kafka. */
    apacheKafkaBootstrap?: string;
  }
}

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
    const shared = nodes === 1 ? inject('apacheKafkaBootstrap') : undefined;
    if (shared) {
      await removeDataDir();
      return { backend, bootstrap: shared, brokers: shared.split(','), close: async () => {} };
    }
    const kafka = await startApacheKafka({ nodes, port: 0, dataDir });
    return {
      backend,
      bootstrap: kafka.bootstrap,
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
