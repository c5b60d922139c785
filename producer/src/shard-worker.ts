import { performance } from 'node:perf_hooks';
import { TickWriter } from '@tickstream/schemas';
import { KafkaSink, type SinkStats } from './kafka-sink.js';
import type { ShardGenerator } from './market/index.js';
import { RecordBatchSink } from './record-batch-sink.js';
import { roundPeriodMs } from './round-pacing.js';
import { createShardGenerator } from './shard-generator.js';
import type { MainMessage, ShardMessage, ShardSummary, ShardTask } from './shard-protocol.js';
import { type PackedTicks, TickBatchBuilder, toKafkaMessages, transferablesOf } from './tick-batch.js';

/** A worker that falls behind catches up at most this much at once, rather than bursting. */
const MAX_CATCH_UP_MS = 1000;
const STATS_PERIOD_MS = 500;

async function startRecordBatchSink(
  task: ShardTask,
  generator: ShardGenerator,
  log: (line: string) => void,
): Promise<RecordBatchSink> {
  const sink = new RecordBatchSink({
    ...task.sink,
    clientId: `tickstream-producer-${task.shard}`,
    log,
    symbolNames: generator.symbolNames,
    symbolSectors: generator.sectors,
  });
  await sink.start();
  return sink;
}

/** The kafkajs writer in a worker (`--writer kafkajs-workers`), kept to compare against. */
interface PackedTicksSink {
  readonly stats: SinkStats;
  /** Takes the ticks (kafkajs keeps views on them); `settled` runs once they are written or dropped. */
  write(ticks: PackedTicks, settled?: () => void): void;
  stop(): Promise<void>;
}

async function startKafkajsSink(
  task: ShardTask,
  symbolNames: readonly string[],
  log: (line: string) => void,
): Promise<PackedTicksSink> {
  const sink = new KafkaSink({
    ...task.sink,
    clientId: `tickstream-producer-${task.shard}`,
    log,
    eventsTopic: '',
    partitions: 0,
    createTopics: false,
  });
  await sink.start();
  const symbolKeys = symbolNames.map((name) => Buffer.from(name));
  return {
    stats: sink.stats,
    write: (ticks, settled) => sink.write({ ...toKafkaMessages(ticks, symbolKeys), settled }),
    stop: () => sink.stop(),
  };
}

/**
 * One shard of the market, as a long-running piscina task: generates its symbols' ticks at its
 * share of the rate and writes their FlatBuffers bytes (TickWriter) straight into its own Kafka
 * record batches, or into a packed batch for kafkajs or the main thread (taken by transfer).
 * Credits (one per batch) bound what is in flight.
 */
export default async function runShard(task: ShardTask): Promise<ShardSummary> {
  const { port } = task;
  const generator = createShardGenerator(task);
  // The Tick's FlatBuffers bytes at computed offsets (tick-writer.ts), byte for byte the library's.
  const tickWriter = new TickWriter(generator.symbolNames, generator.sectors);
  const batch = new TickBatchBuilder(task.batchTicks);
  const post = (message: ShardMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);

  let credits = task.maxOutstanding;
  let stopped = false;
  /** Set by tickstream chaos: 0 paused, N a burst at N× the rate. */
  let rateFactor = 1;
  let wake: (() => void) | undefined;
  port.on('message', (message: MainMessage) => {
    // An ack only wakes a worker that was out of credit: waking on every ack would cut the
    // batches short.
    if (message.type === 'ack') {
      if (credits++ === 0) wake?.();
    } else if (message.type === 'rate-factor') {
      rateFactor = message.factor;
    } else if (message.type === 'scenario') {
      generator.playScenario(message.kind, message.activeMs);
    } else {
      stopped = true;
      wake?.();
    }
  });
  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  let generated = 0;
  const returnCredit = (): void => {
    if (credits++ === 0) wake?.();
  };
  // Unless --writer main, this worker writes Kafka itself: with its own record batches (the
  // default, each tick written straight into its partition's batch) or with kafkajs.
  const log = (line: string): void => post({ type: 'log', line });
  const records = task.writer === 'workers' ? await startRecordBatchSink(task, generator, log) : null;
  const kafkajs = task.writer === 'kafkajs-workers' ? await startKafkajsSink(task, generator.symbolNames, log) : null;
  const sink = records ?? kafkajs;
  const reportStats = (): void => {
    if (sink) post({ type: 'stats', generated, stats: { ...sink.stats } });
  };
  const statsTimer = setInterval(reportStats, STATS_PERIOD_MS);

  post({ type: 'ready', symbolNames: generator.symbolNames });
  const emit = (symbolIndex: number): void => {
    batch.addTick(symbolIndex, tickWriter, generator.tick);
  };
  const emitToRecords =
    records === null
      ? emit
      : (symbolIndex: number): void => {
          records.appendTick(symbolIndex, generator.tick);
        };

  let owed = 0; // ticks due at the set rate and not yet generated
  let last = performance.now();
  while (!stopped) {
    if (credits === 0) {
      await pause(100);
      continue;
    }
    const now = performance.now();
    let budget: number;
    let periodMs = 0;
    if (task.rate === 'max') budget = rateFactor === 0 ? 0 : task.batchTicks;
    else {
      const rate = task.rate * generator.rateMultiplier * rateFactor;
      periodMs = roundPeriodMs(rate);
      owed = Math.min(owed + (rate * (now - last)) / 1000, (rate * MAX_CATCH_UP_MS) / 1000);
      budget = Math.min(task.batchTicks, Math.floor(owed));
    }
    last = now;
    if (budget > 0 && records !== null) {
      // Wait for Kafka at --rate max; at a set rate the market goes on (a full buffer drops).
      if (task.rate === 'max') {
        credits--;
        records.beginWrite(budget, returnCredit);
      } else records.beginWrite(budget);
      const made = generator.fill(budget, emitToRecords);
      records.endWrite();
      generated += made;
      owed -= made;
    } else if (budget > 0) {
      const made = generator.fill(budget, emit);
      generated += made;
      owed -= made;
      if (batch.size > 0) {
        // The batch is handed over: kafkajs keeps views on it, the main thread gets its buffers.
        const packed = batch.take();
        if (kafkajs === null) {
          credits--;
          post({ type: 'ticks', batch: packed }, transferablesOf(packed));
        } else if (task.rate === 'max') {
          credits--;
          kafkajs.write(packed, returnCredit);
        } else kafkajs.write(packed);
      }
    }
    for (const event of generator.drainEvents()) post({ type: 'event', ...event });
    // At --rate max, yield only so acks and stop can arrive; otherwise sleep until the next round,
    // counted from this one's start: the time spent generating is part of the period.
    if (task.rate === 'max') await pause(rateFactor > 0 ? 0 : roundPeriodMs(0));
    else await pause(Math.max(0, now + periodMs - performance.now()));
  }
  clearInterval(statsTimer);
  await sink?.stop();
  port.close();
  return { shard: task.shard, generated, stats: sink ? { ...sink.stats } : null };
}
