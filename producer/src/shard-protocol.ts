import type { MessagePort } from 'node:worker_threads';
import type { KafkaSecurity } from '@tickstream/schemas/kafka-security';
import type { SinkStats } from './kafka-sink.js';
import type { EpisodeKind, MarketEventOut, ScenarioTiming } from './market/index.js';
import type { ScenarioName, WriterKind } from './options.js';
import type { PackedTicks } from './tick-batch.js';

/** What the main thread hands each shard worker (a long-running piscina task). */
export interface ShardTask {
  shard: number;
  shardCount: number;
  symbols: string[] | null;
  symbolCount: number;
  seed: number;
  volatility: number | null;
  scenario: ScenarioName;
  /** The scenario's loop (calm, then episode); null for the default 60 s + 20 s. */
  scenarioTiming: ScenarioTiming | null;
  clock: 'real' | 'sim';
  clockSpeed: number;
  /** Sim clock: the market time it starts at, and the wall time that start corresponds to. */
  simStartMs: number;
  wallStartMs: number;
  /** This shard's share of the tick rate, or 'max'. */
  rate: number | 'max';
  /** Ticks per batch at most. */
  batchTicks: number;
  /** Batches a worker may have sent but not had acknowledged; bounds memory at --rate max. */
  maxOutstanding: number;
  /**
   * Who writes Kafka: the main thread (batches are transferred to it), or each worker itself,
   * with the fast record batch writer ('workers') or kafkajs ('kafkajs-workers').
   */
  writer: WriterKind;
  /** What a worker needs for its own Kafka producer when it writes Kafka itself. */
  sink: {
    brokers: string[];
    topic: string;
    acks: 0 | 1 | -1;
    idempotent: boolean;
    connectTimeoutMs: number;
    bufferTicks: number;
    /** TLS and SASL, as the main thread read them. */
    security: KafkaSecurity;
  };
  port: MessagePort;
}

/** Worker → main. */
export type ShardMessage =
  | { type: 'ready'; symbolNames: string[] }
  | { type: 'ticks'; batch: PackedTicks }
  | { type: 'stats'; generated: number; stats: SinkStats }
  | { type: 'log'; line: string }
  | ({ type: 'event' } & MarketEventOut);

/**
 * Main → worker: `ack` returns credit for one batch; `stop` ends the task; `rate-factor` scales
 * the shard's rate (0 pauses it, 5 is a burst at 5×) and `scenario` plays one episode now
 * (tickstream chaos, control-listener.ts).
 */
export type MainMessage =
  | { type: 'ack' }
  | { type: 'stop' }
  | { type: 'rate-factor'; factor: number }
  | { type: 'scenario'; kind: EpisodeKind; activeMs: number };

export interface ShardSummary {
  shard: number;
  generated: number;
  /** The worker's own Kafka producer's final figures (writer 'workers'). */
  stats: SinkStats | null;
}
