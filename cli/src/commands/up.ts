import { hostname } from 'node:os';
import { startApacheKafka, startBroker } from '@tickstream/broker';
import { defaultEdgeOptions, startEdge } from '@tickstream/edge';
import { defaultProducerOptions, formatStatus, startProducer } from '@tickstream/producer';
import type { Command } from '../command.js';
import { parseChoice, parsePort } from '../option-values.js';
import { runUntilSignal } from '../run-until-signal.js';
import { DASHBOARD_DIST } from './edge.js';

interface KafkaHandle {
  bootstrap: string;
  describe: string;
  close(): Promise<void>;
}

/** The Kafka the system runs on: an external cluster from KAFKA_BROKERS, or one this command starts. */
async function startKafka(kind: 'embedded' | 'apache', log: (line: string) => void): Promise<KafkaHandle> {
  const external = process.env.KAFKA_BROKERS?.trim();
  if (external) {
    return { bootstrap: external, describe: `external Kafka at ${external} (KAFKA_BROKERS)`, close: async () => {} };
  }
  if (kind === 'apache') {
    const kafka = await startApacheKafka({
      nodes: 1,
      port: 9092,
      dataDir: './data/kafka',
      log: (line) => log(`kafka: ${line}`),
    });
    return { bootstrap: kafka.bootstrap, describe: `Apache Kafka on ${kafka.bootstrap}`, close: () => kafka.close() };
  }
  const broker = await startBroker({ port: 9092, dataDir: './data/broker', log: (line) => log(`broker: ${line}`) });
  return {
    bootstrap: broker.bootstrap,
    describe: `embedded broker on ${broker.bootstrap}`,
    close: () => broker.close(),
  };
}

export const upCommand: Command = {
  name: 'up',
  summary:
    'Run the system: Kafka (embedded unless KAFKA_BROKERS is set), the producer and an edge serving the dashboard.',
  flags: {
    kafka: {
      type: 'string',
      value: 'embedded|apache',
      description: 'which Kafka to start when KAFKA_BROKERS is unset',
      default: 'embedded',
    },
    port: { type: 'string', value: 'PORT', description: 'the edge’s HTTP and WebSocket port', default: '8080' },
  },
  notes: 'Environment: KAFKA_BROKERS=host:port,… runs on an existing Kafka cluster instead of starting one.',
  async run(flags) {
    const kind = parseChoice('kafka', flags.required('kafka'), ['embedded', 'apache'] as const);
    const port = parsePort('port', flags.required('port'));
    const log = (line: string): void => {
      process.stderr.write(`${line}\n`);
    };
    const kafka = await startKafka(kind, log);
    process.stdout.write(`kafka: ${kafka.describe}\n`);
    let producer: Awaited<ReturnType<typeof startProducer>>;
    try {
      producer = await startProducer({
        ...defaultProducerOptions,
        brokers: kafka.bootstrap.split(','),
        log: (line) => log(`producer: ${line}`),
      });
    } catch (error) {
      await kafka.close();
      throw error;
    }
    process.stdout.write(
      `producer: ${defaultProducerOptions.symbolCount} symbols at ${defaultProducerOptions.rate} ticks/s into '${defaultProducerOptions.topic}'\n`,
    );
    let edge: Awaited<ReturnType<typeof startEdge>>;
    try {
      edge = await startEdge({
        ...defaultEdgeOptions,
        port,
        brokers: kafka.bootstrap.split(','),
        staticDir: DASHBOARD_DIST,
        edgeId: `${hostname()}-${process.pid}`,
        log: (line) => log(`edge: ${line}`),
      });
    } catch (error) {
      await producer.stop();
      await kafka.close();
      throw error;
    }
    process.stdout.write(`edge: listening on :${edge.port}\n`);
    void edge.ready.then(() =>
      process.stdout.write(`dashboard: http://localhost:${edge.port}/  (WebSocket ws://localhost:${edge.port}/ws)\n`),
    );
    let previous = producer.stats();
    const status = setInterval(() => {
      const current = producer.stats();
      log(`producer: ${formatStatus(previous, current)}`);
      previous = current;
    }, 10_000);
    // Stop in the order data flows: nobody is served from a Kafka that is gone.
    return runUntilSignal(async () => {
      clearInterval(status);
      await edge.stop();
      await producer.stop();
      await kafka.close();
    });
  },
};
