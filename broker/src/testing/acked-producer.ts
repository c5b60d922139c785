import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { exited } from './broker-process.js';

const script = fileURLToPath(new URL('../compat/node/acked-producer.mjs', import.meta.url));

/** One batch the broker acknowledged: values v<firstN>… at offsets baseOffset… of the partition. */
export interface Ack {
  partition: number;
  baseOffset: number;
  firstN: number;
  count: number;
}

export interface AckedProducer {
  /** Every acknowledged batch so far, in order. */
  readonly acks: Ack[];
  /** Resolves once `atLeast` batches are acknowledged; fails with the producer's stderr if it stalls. */
  waitForAcks(atLeast: number, timeoutMs?: number): Promise<void>;
  /** SIGTERM: it stops after the batch in flight. */
  stop(): Promise<void>;
  /** SIGKILL, for cleanups. */
  kill(): Promise<void>;
}

/**
 * The kill -9 tests' acks=all idempotent kafkajs producer (compat/node/acked-producer.mjs), in
 * a process of its own so the broker can be killed under it: round-robin over `partitions`, or
 * with `keys` keyed records to partition 0 for a compacted topic.
 */
export function spawnAckedProducer(
  bootstrap: string,
  topic: string,
  shape: { partitions: number } | { keys: number },
): AckedProducer {
  const args = 'keys' in shape ? ['1', String(shape.keys)] : [String(shape.partitions)];
  const child = spawn(process.execPath, [script, bootstrap, topic, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acks: Ack[] = [];
  let errors = '';
  let partial = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const [, partition, baseOffset, firstN, count] = line.split(' ').map(Number);
      acks.push({ partition, baseOffset, firstN, count } as Ack);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    errors += text;
  });
  return {
    acks,
    async waitForAcks(atLeast, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (acks.length < atLeast) {
        if (Date.now() > deadline) throw new Error(`producer stalled at ${acks.length} acks: ${errors}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async stop() {
      child.kill('SIGTERM');
      await exited(child);
    },
    async kill() {
      child.kill('SIGKILL');
      await exited(child);
    },
  };
}
