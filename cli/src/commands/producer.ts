import {
  defaultProducerOptions,
  formatStatus,
  formatSummary,
  joinPipeline,
  optionsFromEnvironment,
  ProducerMetrics,
  type ProducerOptions,
  SCENARIOS,
  startProducer,
  statusFields,
  summaryFields,
  WRITERS,
} from '@tickstream/producer';
import { describeKafkaSecurity, PLAINTEXT } from '@tickstream/schemas/kafka-security';
import { announce, createLogger, lineLogger } from '@tickstream/schemas/logger';
import { type MetricsServer, startMetricsServer } from '@tickstream/schemas/metrics-server';
import type { Command, Flags } from '../command.js';
import { kafkaSecurityOf, parseChoice, parseDurationMs, parseInteger, parsePort } from '../option-values.js';
import { runUntilSignal } from '../run-until-signal.js';
import { UsageError } from '../usage-error.js';

const d = defaultProducerOptions;

export const producerCommand: Command = {
  name: 'producer',
  summary: 'Generate a realistic market (worker threads) and write FlatBuffers ticks to Kafka.',
  flags: {
    brokers: { type: 'string', value: 'HOST:PORT,…', description: `Kafka bootstrap servers (default ${d.brokers})` },
    topic: { type: 'string', value: 'NAME', description: 'topic of the ticks', default: d.topic },
    'events-topic': { type: 'string', value: 'NAME', description: 'topic of market events', default: d.eventsTopic },
    partitions: {
      type: 'string',
      value: 'N',
      description: 'partitions of the ticks topic if it must be created',
      default: String(d.partitions),
    },
    symbols: { type: 'string', value: 'AAPL,MSFT,…', description: 'exactly these symbols' },
    'symbol-count': {
      type: 'string',
      value: 'N',
      description: `the seeds' five symbols, then a generated universe up to N, 1-10000 (default ${d.symbolCount})`,
    },
    rate: { type: 'string', value: 'N|max', description: `ticks per second in total (default ${d.rate})` },
    workers: { type: 'string', value: 'N', description: 'worker threads', default: String(d.workers) },
    writer: {
      type: 'string',
      value: WRITERS.join('|'),
      description: 'who writes Kafka: each worker (own record batches; or kafkajs), or the main thread (kafkajs)',
      default: d.writer,
    },
    volatility: { type: 'string', value: 'SIGMA', description: 'annualised volatility of every symbol (0.3 = 30 %)' },
    scenario: {
      type: 'string',
      value: SCENARIOS.join('|'),
      description: 'what the market does, on a loop',
      default: d.scenario,
    },
    seed: { type: 'string', value: 'N', description: 'random seed: same seed, same market', default: String(d.seed) },
    clock: { type: 'string', value: 'real|sim', description: 'market time: wall clock, or sped up', default: d.clock },
    'clock-speed': { type: 'string', value: 'X', description: 'sim clock speed-up', default: String(d.clockSpeed) },
    duration: {
      type: 'string',
      value: 'DURATION',
      description: 'stop after this long (30s, 5m; default: until Ctrl-C)',
    },
    acks: { type: 'string', value: '0|1|-1|all', description: 'acknowledgement Kafka gives each batch', default: '1' },
    idempotent: { type: 'boolean', description: 'idempotent producer (implies acks=all)' },
    'connect-timeout': {
      type: 'string',
      value: 'DURATION',
      description: 'give up when Kafka stays unreachable at start for this long',
      default: '30s',
    },
    'metrics-port': {
      type: 'string',
      value: 'PORT',
      description: 'serve Prometheus text at /metrics (and /livez, /readyz) on this port',
    },
    'metrics-host': { type: 'string', value: 'HOST', description: 'address of the metrics server', default: '0.0.0.0' },
    'buffer-ticks': {
      type: 'string',
      value: 'N',
      description: 'ticks held while Kafka is away; beyond that they are dropped and counted',
      default: String(d.bufferTicks),
    },
    'auth-secret': {
      type: 'string',
      value: 'SECRET',
      description:
        'obey tickstream chaos commands signed with it for the admin role (the edges’ --auth-secret; env TICKSTREAM_AUTH_SECRET); without it none',
    },
    id: {
      type: 'string',
      value: 'ID',
      description: 'this producer’s id on system_metrics and for chaos --target (default producer-HOST-PID)',
    },
  },
  notes:
    "Environment (the seeds'): KAFKA_BOOTSTRAP_SERVERS, STOCK_SYMBOLS, TICK_INTERVAL (seconds between two ticks of\n" +
    'a symbol), PRICE_VOLATILITY (annualised). Flags win over the environment.\n' +
    'Managed Kafka: KAFKA_SSL, KAFKA_SSL_CA_FILE, KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD\n' +
    '(docs/operations.md); with any of them set, --writer workers becomes kafkajs-workers.',
  async run(flags) {
    const logger = createLogger({ component: 'producer' });
    const options = { ...producerOptionsFrom(flags, process.env), log: lineLogger(logger) };
    const metricsPortFlag = flags.string('metrics-port');
    const metricsPort = metricsPortFlag === undefined ? null : parsePort('metrics-port', metricsPortFlag);
    const running = await startProducer(options);
    let metrics: MetricsServer | null = null;
    const producerMetrics = new ProducerMetrics(running);
    const inPipeline = await joinPipeline(running, {
      brokers: options.brokers,
      ...(options.kafkaSecurity ? { security: options.kafkaSecurity } : {}),
      ...(flags.string('id') ? { componentId: flags.string('id') } : {}),
      authSecret: flags.string('auth-secret') ?? (process.env.TICKSTREAM_AUTH_SECRET || null),
      metrics: producerMetrics,
      log: options.log,
    });
    logger.info({ componentId: inPipeline.componentId }, `system_metrics: reporting as ${inPipeline.componentId}`);
    void inPipeline.listening.then(() => logger.info('control: listening'));
    if (metricsPort !== null) {
      const { registry } = producerMetrics;
      try {
        metrics = await startMetricsServer({
          host: flags.required('metrics-host'),
          port: metricsPort,
          render: async () => ({ contentType: registry.contentType, text: await registry.metrics() }),
          notReady: () => (running.stats().connected ? null : 'Kafka unreachable'),
        });
      } catch (error) {
        await running.stop();
        throw error;
      }
      logger.info(
        { port: metrics.port },
        `metrics on http://${flags.required('metrics-host')}:${metrics.port}/metrics`,
      );
    }
    announce(
      logger,
      { rate: options.rate, topic: options.topic },
      `producing ${options.rate === 'max' ? 'as fast as possible' : `${options.rate} ticks/s`} to ${options.topic} on ${options.brokers.join(',')} (${describeKafkaSecurity(options.kafkaSecurity ?? PLAINTEXT)}) with ${options.workers} worker${options.workers === 1 ? '' : 's'}`,
    );
    let previous = running.stats();
    const status = setInterval(() => {
      const current = running.stats();
      logger.info(statusFields(previous, current), formatStatus(previous, current));
      previous = current;
    }, options.statusIntervalMs);
    const printSummary = (): void => {
      clearInterval(status);
      const stats = running.stats();
      logger.info(summaryFields(stats), formatSummary(stats));
    };
    void running.finished.then(printSummary);
    void running.finished.then(() => metrics?.close());
    void running.finished.then(() => inPipeline.stop());
    return runUntilSignal(
      async () => {
        await inPipeline.stop();
        await running.stop();
        await metrics?.close();
      },
      running.finished.then(() => undefined),
      logger,
    );
  },
};

export function producerOptionsFrom(flags: Flags, env: NodeJS.ProcessEnv): ProducerOptions {
  const fromEnv = optionsFromEnvironment(env);
  const symbolsFlag = flags.string('symbols');
  const symbols = symbolsFlag ? parseSymbols(symbolsFlag) : (fromEnv.symbols ?? null);
  const rateFlag = flags.string('rate');
  const volatilityFlag = flags.string('volatility');
  const durationFlag = flags.string('duration');
  const acks = parseChoice('acks', flags.required('acks'), ['0', '1', '-1', 'all'] as const);
  const idempotent = flags.boolean('idempotent');
  return {
    ...defaultProducerOptions,
    brokers: flags.string('brokers')?.split(',') ?? fromEnv.brokers ?? defaultProducerOptions.brokers,
    kafkaSecurity: kafkaSecurityOf(env),
    topic: flags.required('topic'),
    eventsTopic: flags.required('events-topic'),
    partitions: parseInteger('partitions', flags.required('partitions'), { min: 1, max: 1000 }),
    symbols,
    symbolCount:
      symbols?.length ??
      parseInteger('symbol-count', flags.string('symbol-count') ?? String(d.symbolCount), { min: 1, max: 10_000 }),
    rate:
      rateFlag === 'max'
        ? 'max'
        : rateFlag
          ? parseInteger('rate', rateFlag, { min: 1, max: 10_000_000 })
          : (fromEnv.rate ?? d.rate),
    workers: parseInteger('workers', flags.required('workers'), { min: 1, max: 64 }),
    writer: parseChoice('writer', flags.required('writer'), WRITERS),
    volatility: volatilityFlag ? parseVolatility(volatilityFlag) : (fromEnv.volatility ?? null),
    scenario: parseChoice('scenario', flags.required('scenario'), SCENARIOS),
    seed: parseInteger('seed', flags.required('seed'), { min: 0, max: 2 ** 32 - 1 }),
    clock: parseChoice('clock', flags.required('clock'), ['real', 'sim'] as const),
    clockSpeed: parseInteger('clock-speed', flags.required('clock-speed'), { min: 1, max: 100_000 }),
    durationMs: durationFlag ? parseDurationMs('duration', durationFlag) : null,
    acks: idempotent || acks === 'all' || acks === '-1' ? -1 : acks === '0' ? 0 : 1,
    idempotent,
    connectTimeoutMs: parseDurationMs('connect-timeout', flags.required('connect-timeout')),
    bufferTicks: parseInteger('buffer-ticks', flags.required('buffer-ticks'), { min: 1000, max: 100_000_000 }),
    log: () => {},
  };
}

function parseSymbols(raw: string): string[] {
  const symbols = raw.split(',').map((symbol) => symbol.trim().toUpperCase());
  const bad = symbols.find((symbol) => !/^[A-Z][A-Z0-9.]{0,9}$/.test(symbol));
  if (bad !== undefined)
    throw new UsageError(`--symbols has '${bad}', which is not a ticker (A-Z, 0-9, '.', ≤10 chars)`);
  if (symbols.length > 10_000) throw new UsageError(`--symbols lists ${symbols.length} symbols; at most 10000`);
  return symbols;
}

function parseVolatility(raw: string): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > 5) {
    throw new UsageError(
      `--volatility must be an annualised volatility above 0 and at most 5 (0.3 = 30 %), got '${raw}'`,
    );
  }
  return value;
}
