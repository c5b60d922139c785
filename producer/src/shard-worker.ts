import { performance } from 'node:perf_hooks';
import { TickEncoder } from '@tickstream/schemas';
import { KafkaSink } from './kafka-sink.js';
import { createShardGenerator } from './shard-generator.js';
import type { MainMessage, ShardMessage, ShardSummary, ShardTask } from './shard-protocol.js';
import { TickBatchBuilder, toKafkaMessages, transferablesOf } from './tick-batch.js';

/** A worker that falls behind catches up at most this much at once, rather than bursting. */
const MAX_CATCH_UP_MS = 1000;
/** How often a worker at a set rate wakes to generate what is due. */
const TICK_PERIOD_MS = 5;
const STATS_PERIOD_MS = 500;

async function startWorkerSink(task: ShardTask, log: (line: string) => void): Promise<KafkaSink> {
  const sink = new KafkaSink({
    ...task.sink,
    eventsTopic: '',
    partitions: 0,
    createTopics: false,
    clientId: `tickstream-producer-${task.shard}`,
    log,
  });
  await sink.start();
  return sink;
}

/**
 * One shard of the market, as a long-running piscina task: generates its symbols' ticks at its
 * share of the rate, encodes them with one reused FlatBuffers builder into a batch, and hands
 * the batch to the main thread by transfer. Credits (one per batch) bound what is in flight.
 */
export default async function runShard(task: ShardTask): Promise<ShardSummary> {
  const { port } = task;
  const generator = createShardGenerator(task);
  const encoder = new TickEncoder();
  const batch = new TickBatchBuilder(task.batchTicks);
  const post = (message: ShardMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);

  let credits = task.maxOutstanding;
  let stopped = false;
  let wake: (() => void) | undefined;
  port.on('message', (message: MainMessage) => {
    // An ack only wakes a worker that was out of credit: waking on every ack would cut the
    // batches short.
    if (message.type === 'ack') {
      if (credits++ === 0) wake?.();
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
  // With --writer workers this worker writes Kafka itself; otherwise batches go to the main thread.
  const sink = task.writer === 'workers' ? await startWorkerSink(task, (line) => post({ type: 'log', line })) : null;
  const symbolKeys = generator.symbolNames.map((name) => Buffer.from(name));
  const reportStats = (): void => {
    if (sink) post({ type: 'stats', generated, stats: { ...sink.stats } });
  };
  const statsTimer = setInterval(reportStats, STATS_PERIOD_MS);

  post({ type: 'ready', symbolNames: generator.symbolNames });
  const emit = (symbolIndex: number): void => {
    batch.add(symbolIndex, encoder.encodeView(generator.tick));
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
    if (task.rate === 'max') budget = task.batchTicks;
    else {
      const rate = task.rate * generator.rateMultiplier;
      owed = Math.min(owed + (rate * (now - last)) / 1000, (rate * MAX_CATCH_UP_MS) / 1000);
      budget = Math.min(task.batchTicks, Math.floor(owed));
    }
    last = now;
    if (budget > 0) {
      const made = generator.fill(budget, emit);
      generated += made;
      owed -= made;
      if (batch.size > 0) {
        const packed = batch.take();
        if (sink === null) {
          credits--;
          post({ type: 'ticks', batch: packed }, transferablesOf(packed));
        } else if (task.rate === 'max') {
          // Wait for Kafka at --rate max; at a set rate the market goes on (a full buffer drops).
          credits--;
          sink.write({ ...toKafkaMessages(packed, symbolKeys), settled: returnCredit });
        } else sink.write(toKafkaMessages(packed, symbolKeys));
      }
    }
    for (const event of generator.drainEvents()) post({ type: 'event', ...event });
    // At --rate max, yield only so acks and stop can arrive; otherwise sleep until more is due.
    await pause(task.rate === 'max' ? 0 : TICK_PERIOD_MS);
  }
  clearInterval(statsTimer);
  await sink?.stop();
  port.close();
  return { shard: task.shard, generated, stats: sink ? { ...sink.stats } : null };
}
