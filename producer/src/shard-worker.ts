import { performance } from 'node:perf_hooks';
import { TickEncoder } from '@tickstream/schemas';
import { createShardGenerator } from './shard-generator.js';
import type { MainMessage, ShardMessage, ShardSummary, ShardTask } from './shard-protocol.js';
import { TickBatchBuilder, transferablesOf } from './tick-batch.js';

/** A worker that falls behind catches up at most this much at once, rather than bursting. */
const MAX_CATCH_UP_MS = 1000;
/** How often a worker at a set rate wakes to generate what is due. */
const TICK_PERIOD_MS = 5;

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

  post({ type: 'ready', symbolNames: generator.symbolNames });
  const emit = (symbolIndex: number): void => {
    batch.add(symbolIndex, encoder.encodeView(generator.tick));
  };

  let generated = 0;
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
        credits--;
        post({ type: 'ticks', batch: packed }, transferablesOf(packed));
      }
    }
    for (const event of generator.drainEvents()) post({ type: 'event', ...event });
    // At --rate max, yield only so acks and stop can arrive; otherwise sleep until more is due.
    await pause(task.rate === 'max' ? 0 : TICK_PERIOD_MS);
  }
  port.close();
  return { shard: task.shard, generated };
}
