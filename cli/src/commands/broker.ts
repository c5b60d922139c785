import { startBroker } from '@tickstream/broker';
import { announce, createLogger, lineLogger } from '@tickstream/schemas/logger';
import { type MetricsServer, startMetricsServer } from '@tickstream/schemas/metrics-server';
import { brokerReporter } from '../broker-reporter.js';
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
    'metrics-port': {
      type: 'string',
      value: 'PORT',
      description: 'serve Prometheus text at /metrics (and /livez, /readyz) on this port',
    },
    'metrics-host': { type: 'string', value: 'HOST', description: 'address of the metrics server', default: '0.0.0.0' },
    'no-system-metrics': {
      type: 'boolean',
      description: 'do not report produce/fetch rates and log sizes to the system_metrics topic each second',
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
    const metricsPortFlag = flags.string('metrics-port');
    const metricsPort = metricsPortFlag === undefined ? null : parsePort('metrics-port', metricsPortFlag);
    const reporting = !flags.boolean('no-system-metrics');
    const logger = createLogger({ component: 'broker' });
    const broker = await startBroker(
      { ...config, log: lineLogger(logger) },
      { metrics: metricsPort !== null || reporting },
    );
    // The tests and benches wait for "broker listening" in this line's msg.
    announce(
      logger,
      { bootstrap: broker.bootstrap },
      `broker listening on ${broker.bootstrap} (data in ${config.dataDir})`,
    );
    let metrics: MetricsServer | null = null;
    const registry = broker.metrics;
    if (metricsPort !== null && registry !== null) {
      try {
        metrics = await startMetricsServer({
          host: flags.required('metrics-host'),
          port: metricsPort,
          render: async () => ({ contentType: registry.contentType, text: await registry.metrics() }),
          notReady: () => null,
        });
      } catch (error) {
        await broker.close();
        throw error;
      }
      logger.info(
        { port: metrics.port },
        `metrics on http://${flags.required('metrics-host')}:${metrics.port}/metrics`,
      );
    }
    const reporter =
      reporting && broker.metrics !== null
        ? brokerReporter(broker.bootstrap, broker.metrics, lineLogger(logger))
        : null;
    reporter?.start();
    return runUntilSignal(
      async () => {
        await reporter?.stop();
        await metrics?.close();
        await broker.close();
      },
      undefined,
      logger,
    );
  },
};
