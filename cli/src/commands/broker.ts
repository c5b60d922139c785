import { startBroker } from '@tickstream/broker';
import type { Command } from '../command.js';
import { parseBytes, parseDurationMs, parseInteger, parsePort, parseShare } from '../option-values.js';
import { runUntilSignal } from '../run-until-signal.js';

export const brokerCommand: Command = {
  name: 'broker',
  summary: 'Run the embedded single-node broker that speaks the Kafka wire protocol, with its log on disk.',
  flags: {
    host: { type: 'string', value: 'HOST', description: 'address to listen on and advertise', default: '127.0.0.1' },
    port: { type: 'string', value: 'PORT', description: 'port to listen on (0 picks a free one)', default: '9092' },
    'data-dir': {
      type: 'string',
      value: 'DIR',
      description: 'where topics, segments and group offsets live',
      default: './data/broker',
    },
    'default-partitions': {
      type: 'string',
      value: 'N',
      description: 'partitions of an auto-created topic',
      default: '3',
    },
    'retention-ms': {
      type: 'string',
      value: 'DURATION',
      description: 'delete whole segments older than this (500ms, 30s, 1h, 7d; -1 keeps all)',
      default: '7d',
    },
    'retention-bytes': {
      type: 'string',
      value: 'SIZE',
      description: 'cap each partition near this size (512MiB, 1GB; -1 = no cap)',
      default: '-1',
    },
    'log-cleaner-backoff': {
      type: 'string',
      value: 'DURATION',
      description: "how often the log cleaner looks for compacted topics to clean (Kafka's log.cleaner.backoff.ms)",
      default: '15s',
    },
    'log-cleaner-duty-cycle': {
      type: 'string',
      value: 'SHARE',
      description: "share of wall time the log cleaner's thread may compute (0-1]; it sleeps the rest",
      default: '0.25',
    },
    'no-auto-create': {
      type: 'boolean',
      description: 'answer UNKNOWN_TOPIC_OR_PARTITION instead of creating topics on first use',
    },
  },
  async run(flags) {
    const config = {
      host: flags.required('host'),
      port: parsePort('port', flags.required('port')),
      dataDir: flags.required('data-dir'),
      defaultPartitions: parseInteger('default-partitions', flags.required('default-partitions'), {
        min: 1,
        max: 1000,
      }),
      retentionMs: parseDurationMs('retention-ms', flags.required('retention-ms')),
      retentionBytes: parseBytes('retention-bytes', flags.required('retention-bytes')),
      autoCreateTopics: !flags.boolean('no-auto-create'),
      logCleanerBackoffMs: parseDurationMs('log-cleaner-backoff', flags.required('log-cleaner-backoff')),
      logCleanerDutyCycle: parseShare('log-cleaner-duty-cycle', flags.required('log-cleaner-duty-cycle')),
    };
    const broker = await startBroker({ ...config, log: (line) => process.stderr.write(`${line}\n`) });
    process.stdout.write(`broker listening on ${broker.bootstrap} (data in ${config.dataDir})\n`);
    return runUntilSignal(() => broker.close());
  },
};
