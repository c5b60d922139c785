import type { TickFields, TickWriter } from '@tickstream/schemas';
import type { Message } from 'kafkajs';

/**
 * Encoded ticks travelling from a shard worker to the thread that writes Kafka: parallel typed
 * arrays over transferable buffers, so a batch crosses threads without a copy and without one
 * object per tick.
 */
export interface PackedTicks {
  count: number;
  /** Universe index of each tick's symbol. */
  symbols: Uint16Array;
  /** End of each tick's FlatBuffers bytes in `bytes`; tick i spans ends[i-1] (or 0) .. ends[i]. */
  ends: Uint32Array;
  bytes: Uint8Array;
}

/** Fills one batch tick by tick, growing its byte buffer only when a batch outgrows it. */
export class TickBatchBuilder {
  private symbols: Uint16Array;
  private ends: Uint32Array;
  private bytes: Uint8Array;
  private count = 0;
  private used = 0;

  constructor(private readonly capacity: number) {
    this.symbols = new Uint16Array(capacity);
    this.ends = new Uint32Array(capacity);
    this.bytes = new Uint8Array(capacity * 128);
  }

  get size(): number {
    return this.count;
  }

  get full(): boolean {
    return this.count === this.capacity;
  }

  add(symbol: number, encoded: Uint8Array): void {
    if (this.used + encoded.length > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.used + encoded.length));
      grown.set(this.bytes.subarray(0, this.used));
      this.bytes = grown;
    }
    this.bytes.set(encoded, this.used);
    this.used += encoded.length;
    this.symbols[this.count] = symbol;
    this.ends[this.count] = this.used;
    this.count++;
  }

  /** Appends one tick of symbol `symbol`, written by `writer` straight into the batch's bytes. */
  addTick(symbol: number, writer: TickWriter, tick: TickFields): void {
    const room = writer.maxBytes(symbol);
    if (this.used + room > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.used + room));
      grown.set(this.bytes.subarray(0, this.used));
      this.bytes = grown;
    }
    this.used = writer.write(symbol, tick, this.bytes, this.used);
    this.symbols[this.count] = symbol;
    this.ends[this.count] = this.used;
    this.count++;
  }

  clear(): void {
    this.count = 0;
    this.used = 0;
  }

  /** Hands the batch over (its buffers are to be transferred) and starts a fresh one. */
  take(): PackedTicks {
    const batch: PackedTicks = {
      count: this.count,
      symbols: this.symbols.slice(0, this.count),
      ends: this.ends.slice(0, this.count),
      bytes: this.bytes.slice(0, this.used),
    };
    this.count = 0;
    this.used = 0;
    return batch;
  }
}

/** The buffers to list in postMessage's transfer list. */
export function transferablesOf(batch: PackedTicks): ArrayBuffer[] {
  return [batch.symbols.buffer, batch.ends.buffer, batch.bytes.buffer] as ArrayBuffer[];
}

/**
 * kafkajs messages over a packed batch: values are views into its bytes (no copy), keys the
 * symbol's name as bytes, so kafkajs' murmur2 partitioner keeps each symbol in one partition.
 */
export function toKafkaMessages(
  batch: PackedTicks,
  symbolKeys: readonly Buffer[],
): { messages: Message[]; bytes: number } {
  const messages: Message[] = new Array(batch.count);
  const base = Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset, batch.bytes.byteLength);
  for (let i = 0, start = 0; i < batch.count; i++) {
    const end = batch.ends[i] as number;
    messages[i] = { key: symbolKeys[batch.symbols[i] as number] ?? null, value: base.subarray(start, end) };
    start = end;
  }
  return { messages, bytes: base.length };
}
