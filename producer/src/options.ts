import { MARKET_SCENARIOS, type MarketScenario } from '@tickstream/schemas';
import type { KafkaSecurity } from '@tickstream/schemas/kafka-security';
import type { ScenarioTiming } from './market/index.js';

/**
 * Who writes Kafka (docs/producer.md): each worker with its own record batch encoder and
 * Produce client (the default), each worker with kafkajs, or the main thread with kafkajs.
 */
export const WRITERS = ['workers', 'kafkajs-workers', 'main'] as const;
export type WriterKind = (typeof WRITERS)[number];

export const SCENARIOS = MARKET_SCENARIOS;
export type ScenarioName = MarketScenario;

export interface ProducerOptions {
  brokers: string[];
  /** TLS and SASL for Kafka (docs/operations.md); unset: read from KAFKA_SSL* / KAFKA_SASL_*. */
  kafkaSecurity?: KafkaSecurity;
  topic: string;
  eventsTopic: string;
  /** Partitions of the ticks topic when the producer creates it. */
  partitions: number;
  /** Exactly these symbols, or null for the seeds' five followed by a generated universe. */
  symbols: string[] | null;
  symbolCount: number;
  /** Ticks per second in total, or 'max' for benchmarks. */
  rate: number | 'max';
  workers: number;
  /** Where Kafka is written, and with what (docs/producer.md). */
  writer: WriterKind;
  /** Annualised volatility for every symbol (0.3 = 30 %), or null for each symbol's own. */
  volatility: number | null;
  scenario: ScenarioName;
  /** The scenario's loop in market time (calm, then episode); null: 60 s calm + 20 s episode. Tests shorten it. */
  scenarioTiming: ScenarioTiming | null;
  seed: number;
  clock: 'real' | 'sim';
  /** Sim clock speed-up over wall time. */
  clockSpeed: number;
  /** Stop after this long; null runs until stopped. */
  durationMs: number | null;
  acks: 0 | 1 | -1;
  idempotent: boolean;
  connectTimeoutMs: number;
  bufferTicks: number;
  statusIntervalMs: number;
  log: (line: string) => void;
}

export const defaultProducerOptions: Omit<ProducerOptions, 'log'> = {
  brokers: ['127.0.0.1:9092'],
  topic: 'ticks',
  eventsTopic: 'market_events',
  partitions: 6,
  symbols: null,
  // Sized for a 2-core machine that also runs the broker and an edge.
  symbolCount: 500,
  rate: 5000,
  workers: 2,
  writer: 'workers',
  volatility: null,
  scenario: 'normal',
  scenarioTiming: null,
  seed: 1,
  clock: 'real',
  clockSpeed: 60,
  durationMs: null,
  acks: 1,
  idempotent: false,
  connectTimeoutMs: 30_000,
  bufferTicks: 500_000,
  statusIntervalMs: 5000,
};

/**
 * Settings from the seeds' environment variables, for what the command line leaves unset:
 * KAFKA_BOOTSTRAP_SERVERS, STOCK_SYMBOLS (comma-separated), TICK_INTERVAL (seconds between two
 * ticks of one symbol, so rate = symbols / interval) and PRICE_VOLATILITY (annualised, 0.3 = 30 %).
 * A value that does not parse is an error naming the variable.
 */
export function optionsFromEnvironment(env: NodeJS.ProcessEnv): Partial<ProducerOptions> {
  const options: Partial<ProducerOptions> = {};
  const brokers = env.KAFKA_BOOTSTRAP_SERVERS?.trim();
  if (brokers) options.brokers = brokers.split(',').map((broker) => broker.trim());
  const symbols = env.STOCK_SYMBOLS?.trim();
  if (symbols) options.symbols = symbols.split(',').map((symbol) => symbol.trim().toUpperCase());
  const volatility = env.PRICE_VOLATILITY?.trim();
  if (volatility) options.volatility = positiveNumber('PRICE_VOLATILITY', volatility);
  const interval = env.TICK_INTERVAL?.trim();
  if (interval) {
    const seconds = positiveNumber('TICK_INTERVAL', interval);
    const count = options.symbols?.length ?? defaultProducerOptions.symbolCount;
    options.rate = Math.max(1, Math.round(count / seconds));
  }
  return options;
}

function positiveNumber(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    throw Object.assign(new Error(`${name} must be a positive number, not "${text}"`), { exitCode: 2 });
  }
  return value;
}
