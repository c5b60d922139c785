import { startApacheKafka } from '@tickstream/broker';
import { createLogger, lineLogger } from '@tickstream/schemas/logger';
import type { Command } from '../command.js';
import { parseInteger, parsePort } from '../option-values.js';
import { runUntilSignal } from '../run-until-signal.js';
import { UsageError } from '../usage-error.js';

export const kafkaCommand: Command = {
  name: 'kafka',
  summary: 'Run Apache Kafka itself (KRaft), from Maven Central jars: one node, or a three-node cluster.',
  flags: {
    nodes: { type: 'string', value: '1|3', description: 'how many combined controller+broker nodes', default: '1' },
    port: {
      type: 'string',
      value: 'PORT',
      description: 'client port of node 1; nodes 2 and 3 take the next ports',
      default: '9092',
    },
    'data-dir': {
      type: 'string',
      value: 'DIR',
      description: 'KRaft metadata and logs, one folder per node',
      default: './data/kafka',
    },
    'kafka-version': {
      type: 'string',
      value: 'VERSION',
      description: 'org.apache.kafka:kafka_2.13 version to resolve',
      default: '4.4.0',
    },
  },
  notes:
    'Needs Java 17+ and Maven (apt-get install openjdk-17-jre-headless maven); jars are cached in ~/.cache/tickstream.',
  async run(flags) {
    const nodes = parseInteger('nodes', flags.required('nodes'), { min: 1, max: 3 });
    if (nodes === 2) throw new UsageError('--nodes must be 1 or 3 (a KRaft quorum of 2 survives no failure), got 2');
    const logger = createLogger({ component: 'kafka' });
    const kafka = await startApacheKafka({
      nodes,
      port: parsePort('port', flags.required('port')),
      dataDir: flags.required('data-dir'),
      kafkaVersion: flags.required('kafka-version'),
      log: lineLogger(logger),
    });
    logger.info({ bootstrap: kafka.bootstrap }, `Apache Kafka ready: bootstrap ${kafka.bootstrap}`);
    return runUntilSignal(() => kafka.close(), undefined, logger);
  },
};
