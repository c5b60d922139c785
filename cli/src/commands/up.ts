import { startApacheKafka, startBroker } from '@tickstream/broker';
import { defaultProducerOptions, formatStatus, startProducer } from '@tickstream/producer';
import type { Command } from '../command.js';
import { parseChoice } from '../option-values.js';
import { runUntilSignal } from '../run-until-signal.js';

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
  summary: 'Run the system: Kafka (embedded unless KAFKA_BROKERS is set) and the producer; the edge is not built yet.',
  flags: {
    kafka: {
      type: 'string',
      value: 'embedded|apache',
      description: 'which Kafka to start when KAFKA_BROKERS is unset',
      default: 'embedded',
    },
  },
  notes: 'Environment: KAFKA_BROKERS=host:port,… runs on an existing Kafka cluster instead of starting one.',
  async run(flags) {
    const kind = parseChoice('kafka', flags.required('kafka'), ['embedded', 'apache'] as const);
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
    let previous = producer.stats();
    const status = setInterval(() => {
      const current = producer.stats();
      log(`producer: ${formatStatus(previous, current)}`);
      previous = current;
    }, 10_000);
    return runUntilSignal(async () => {
      clearInterval(status);
      await producer.stop();
      await kafka.close();
    });
  },
};
