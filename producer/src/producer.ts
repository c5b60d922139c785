import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { type MarketEventFields, MarketEventKind, TickEncoder } from '@tickstream/schemas';
import { describeKafkaSecurity, isSecured, kafkaSecurityFromEnv } from '@tickstream/schemas/kafka-security';
import { Piscina } from 'piscina';
import { KafkaSink, type SinkStats } from './kafka-sink.js';
import { type EpisodeKind, nextOpen } from './market/index.js';
import type { ProducerOptions } from './options.js';
import { addLatency, emptyLatency } from './produce-latency.js';
import type { MainMessage, ShardMessage, ShardSummary, ShardTask } from './shard-protocol.js';
import { type PackedTicks, toKafkaMessages } from './tick-batch.js';

export interface ProducerStats extends SinkStats {
  /** Ticks the market model generated. */
  generated: number;
  elapsedMs: number;
  /** Ticks behind the target rate (0 at --rate max). */
  behind: number;
}

/** One writer's figures: a worker that writes Kafka itself, or the main thread ('main'). */
export interface WriterFigures {
  writer: string;
  /** Ticks this writer's shard generated (the main thread's: those it wrote for workers that do not). */
  generated: number;
  stats: SinkStats;
}

export interface RunningProducer {
  stats(): ProducerStats;
  /** Per writer, for /metrics (tickstream producer --metrics-port). */
  writers(): WriterFigures[];
  /** The rate asked for, in ticks a second ('max': as fast as Kafka takes them). */
  readonly targetRate: number | 'max';
  /** Scales every worker's rate from now on: 0 pauses the market, N bursts at N× (tickstream chaos). */
  setRateFactor(factor: number): void;
  /** The factor set last; 1 unless chaos changed it. */
  readonly rateFactor: number;
  /** Every worker plays one episode of `kind` for `activeMs` of market time, now (tickstream chaos scenario). */
  playScenario(kind: EpisodeKind, activeMs: number): void;
  /** Writes a market event of the producer's own to the events topic (an audit of tickstream chaos). */
  announce(event: Pick<MarketEventFields, 'kind' | 'name' | 'detail'>): Promise<void>;
  /** Stops generating, sends what is buffered and disconnects. */
  stop(): Promise<ProducerStats>;
  /** Resolves when the producer stops by itself (--duration) or is stopped. */
  readonly finished: Promise<ProducerStats>;
}

const BATCH_TICKS = 2000;
const MAX_OUTSTANDING = 8;
const workerFile = new URL('./shard-worker.js', import.meta.url).href;

const eventKinds: Record<Extract<ShardMessage, { type: 'event' }>['kind'], MarketEventKind> = {
  'scenario-start': MarketEventKind.ScenarioStart,
  'scenario-end': MarketEventKind.ScenarioEnd,
  halt: MarketEventKind.Halt,
  resume: MarketEventKind.Resume,
  'session-change': MarketEventKind.SessionChange,
};

/** The Kafka key of a market event: its symbol, else one key for every session change (kept in order), else its name. */
const eventKey = (event: Extract<ShardMessage, { type: 'event' }>): string =>
  event.symbol || (event.kind === 'session-change' ? 'session' : event.name);

/**
 * The producer: one long-running piscina task per shard generates and encodes ticks; this
 * thread turns each transferred batch into kafkajs messages (no copy: views on the batch) and
 * writes them with one Kafka producer. docs/producer.md says why the writes live here.
 */
export async function startProducer(given: ProducerOptions): Promise<RunningProducer> {
  const security = given.kafkaSecurity ?? kafkaSecurityFromEnv();
  let options = given;
  // The record batch writer speaks plain TCP only; kafkajs does TLS and SASL (docs/operations.md).
  if (isSecured(security) && options.writer === 'workers') {
    options.log(
      `Kafka security ${describeKafkaSecurity(security)}: --writer workers speaks PLAINTEXT only, writing with --writer kafkajs-workers instead`,
    );
    options = { ...options, writer: 'kafkajs-workers' };
  }
  const sink = new KafkaSink({
    brokers: options.brokers,
    security,
    topic: options.topic,
    eventsTopic: options.eventsTopic,
    partitions: options.partitions,
    acks: options.acks,
    idempotent: options.idempotent,
    connectTimeoutMs: options.connectTimeoutMs,
    bufferTicks: options.bufferTicks,
    clientId: 'tickstream-producer',
    createTopics: true,
    log: options.log,
  });
  await sink.start();

  const pool = new Piscina({
    filename: workerFile,
    minThreads: options.workers,
    maxThreads: options.workers,
    concurrentTasksPerWorker: 1,
    idleTimeout: Number.POSITIVE_INFINITY,
  });
  let started = Date.now();
  let generated = 0;
  let symbolKeys: Buffer[] = [];
  const eventEncoder = new TickEncoder();
  const ports: MessagePort[] = [];

  // With --writer workers, each worker's own Kafka producer reports here.
  const workerStats = new Map<number, SinkStats>();
  const workerGenerated = new Map<number, number>();

  const onTicks = (port: MessagePort, batch: PackedTicks): void => {
    generated += batch.count;
    const ack = (): void => port.postMessage({ type: 'ack' } satisfies MainMessage);
    const { messages, bytes } = toKafkaMessages(batch, symbolKeys);
    // At a set rate the market never waits for Kafka (a full buffer drops, counted); at
    // --rate max the workers wait for Kafka instead, which is the point of the benchmark.
    if (options.rate === 'max') sink.write({ messages, bytes, settled: ack });
    else {
      sink.write({ messages, bytes });
      ack();
    }
  };

  const onEvent = (event: Extract<ShardMessage, { type: 'event' }>): void => {
    options.log(`market event: ${event.kind} ${event.name}${event.symbol ? ` ${event.symbol}` : ''} ${event.detail}`);
    const value = eventEncoder.encodeMarketEvent({
      kind: eventKinds[event.kind],
      symbol: event.symbol,
      sector: event.sector,
      name: event.name,
      detail: event.detail,
      timeUs: event.timeMs * 1000,
    });
    void sink.writeEvent(eventKey(event), value, Date.now());
  };

  const wallStartMs = Date.now();
  const simStartMs = nextOpen(wallStartMs);
  const ready: Promise<void>[] = [];
  const tasks: Promise<ShardSummary>[] = [];
  for (let shard = 0; shard < options.workers; shard++) {
    const { port1, port2 } = new MessageChannel();
    ports.push(port1);
    ready.push(
      new Promise((resolve) => {
        port1.on('message', (message: ShardMessage) => {
          if (message.type === 'ticks') onTicks(port1, message.batch);
          else if (message.type === 'event') onEvent(message);
          else if (message.type === 'stats') {
            generated += message.generated - (workerGenerated.get(shard) ?? 0);
            workerGenerated.set(shard, message.generated);
            workerStats.set(shard, message.stats);
          } else if (message.type === 'log') options.log(message.line);
          else {
            if (symbolKeys.length === 0) symbolKeys = message.symbolNames.map((name) => Buffer.from(name));
            resolve();
          }
        });
      }),
    );
    const task: ShardTask = {
      shard,
      shardCount: options.workers,
      symbols: options.symbols,
      symbolCount: options.symbolCount,
      seed: options.seed,
      volatility: options.volatility,
      scenario: options.scenario,
      scenarioTiming: options.scenarioTiming,
      clock: options.clock,
      clockSpeed: options.clockSpeed,
      simStartMs,
      wallStartMs,
      rate: options.rate === 'max' ? 'max' : options.rate / options.workers,
      batchTicks: BATCH_TICKS,
      maxOutstanding: MAX_OUTSTANDING,
      writer: options.writer,
      sink: {
        brokers: options.brokers,
        topic: options.topic,
        acks: options.acks,
        idempotent: options.idempotent,
        connectTimeoutMs: options.connectTimeoutMs,
        bufferTicks: Math.ceil(options.bufferTicks / options.workers),
        security,
      },
      port: port2,
    };
    tasks.push(pool.run(task, { transferList: [port2] }) as Promise<ShardSummary>);
  }
  const failed = Promise.all(tasks).then(
    () => undefined,
    (error: Error) => error,
  );
  const firstFailure = await Promise.race([Promise.all(ready).then(() => undefined), failed]);
  started = Date.now(); // the rate is owed from when the workers are ready, not while they start
  if (firstFailure instanceof Error) {
    await pool.destroy();
    await sink.stop(0);
    throw firstFailure;
  }

  const stats = (): ProducerStats => {
    const elapsedMs = Date.now() - started;
    const target = options.rate === 'max' ? generated : (options.rate * elapsedMs) / 1000;
    const total: SinkStats = { ...sink.stats, latency: emptyLatency() };
    addLatency(total.latency, sink.stats.latency);
    for (const s of workerStats.values()) {
      addLatency(total.latency, s.latency);
      total.acked += s.acked;
      total.ackedBytes += s.ackedBytes;
      total.batches += s.batches;
      total.errors += s.errors;
      total.dropped += s.dropped;
      total.buffered += s.buffered;
      total.connected &&= s.connected;
    }
    return { ...total, generated, elapsedMs, behind: Math.max(0, Math.round(target - generated)) };
  };

  let stopping: Promise<ProducerStats> | undefined;
  let finish: (stats: ProducerStats) => void = () => {};
  const finished = new Promise<ProducerStats>((resolve) => {
    finish = resolve;
  });
  const stop = (): Promise<ProducerStats> => {
    stopping ??= (async () => {
      clearTimeout(durationTimer);
      for (const port of ports) port.postMessage({ type: 'stop' } satisfies MainMessage);
      // The tasks' results carry each worker's final figures, which beat the last periodic report.
      for (const result of await Promise.allSettled(tasks)) {
        if (result.status !== 'fulfilled') continue;
        const { shard, generated: made, stats: final } = result.value;
        if (final === null) continue;
        generated += made - (workerGenerated.get(shard) ?? 0);
        workerGenerated.set(shard, made);
        workerStats.set(shard, final);
      }
      await sink.stop();
      for (const port of ports) port.close();
      await pool.destroy();
      const final = stats();
      finish(final);
      return final;
    })();
    return stopping;
  };
  const durationTimer = options.durationMs === null ? undefined : setTimeout(() => void stop(), options.durationMs);
  void failed.then((error) => {
    if (error !== undefined) {
      options.log(`a producer worker failed: ${error.message}`);
      void stop();
    }
  });
  const writers = (): WriterFigures[] => {
    const shards = [...workerStats].map(([shard, figures]) => ({
      writer: String(shard),
      generated: workerGenerated.get(shard) ?? 0,
      stats: figures,
    }));
    const shardsGenerated = shards.reduce((sum, shard) => sum + shard.generated, 0);
    return [{ writer: 'main', generated: generated - shardsGenerated, stats: sink.stats }, ...shards];
  };
  let rateFactor = 1;
  const setRateFactor = (factor: number): void => {
    if (!Number.isFinite(factor) || factor < 0) throw new RangeError(`a rate factor is 0 or more, not ${factor}`);
    rateFactor = factor;
    for (const port of ports) port.postMessage({ type: 'rate-factor', factor } satisfies MainMessage);
  };
  const playScenario = (kind: EpisodeKind, activeMs: number): void => {
    if (!(Number.isInteger(activeMs) && activeMs > 0))
      throw new RangeError(`an episode lasts 1 ms or more, not ${activeMs}`);
    for (const port of ports) port.postMessage({ type: 'scenario', kind, activeMs } satisfies MainMessage);
  };
  const announce = (event: Pick<MarketEventFields, 'kind' | 'name' | 'detail'>): Promise<void> => {
    const nowMs = Date.now();
    const value = eventEncoder.encodeMarketEvent({ ...event, symbol: '', sector: '', timeUs: nowMs * 1000 });
    return sink.writeEvent(event.name, value, nowMs);
  };
  return {
    stats,
    writers,
    targetRate: options.rate,
    setRateFactor,
    get rateFactor() {
      return rateFactor;
    },
    playScenario,
    announce,
    stop,
    finished,
  };
}
