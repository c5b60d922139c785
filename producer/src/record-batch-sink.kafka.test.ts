import { TickEncoder, type TickFields } from '@tickstream/schemas';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../broker/src/testing/broker-process.js';
import { selectedBackend, startTestKafka, type TestKafka, uniqueName } from '../../broker/src/testing/kafka-backend.js';
import { partitionForKey } from './murmur2-partitioner.js';
import { RecordBatchSink, type RecordBatchSinkOptions } from './record-batch-sink.js';
import { checkOrderPerSymbol, readAllTicks } from './testing/read-ticks.js';

const { Kafka, logLevel } = kafkajs;

const SYMBOLS = Array.from({ length: 60 }, (_, i) => `S${String.fromCharCode(65 + (i % 26))}${i}`);

const SECTORS = SYMBOLS.map((_, i) => (i % 3 === 0 ? 'Technology' : i % 3 === 1 ? 'Énergie' : ''));

interface WorkerBatch {
  symbols: number[];
  ticks: TickFields[];
}

/**
 * Batches of ticks as a worker generates them: every symbol in turn, sequences 1, 2, … per symbol;
 * every 50th tick has size 0, which the flatbuffers layout leaves out (the writer's library path).
 */
function makeBatches(batches: number, ticksPerBatch: number): WorkerBatch[] {
  const sequences = new Array<number>(SYMBOLS.length).fill(0);
  const out: WorkerBatch[] = [];
  let next = 0;
  for (let b = 0; b < batches; b++) {
    const batch: WorkerBatch = { symbols: [], ticks: [] };
    for (let i = 0; i < ticksPerBatch; i++) {
      const symbol = next++ % SYMBOLS.length;
      const sequence = ++(sequences[symbol] as number);
      const price = 1_000_000 + sequence;
      batch.symbols.push(symbol);
      batch.ticks.push({
        symbol: SYMBOLS[symbol] as string,
        sector: SECTORS[symbol] as string,
        price,
        size: sequence % 50 === 0 ? 0 : 100 + sequence,
        bid: price - 50,
        ask: price + 50,
        exchangeTimeUs: Date.now() * 1000,
        sequence,
      });
    }
    out.push(batch);
  }
  return out;
}

/** As a worker writes: one open write per batch, each tick appended straight into its record batch. */
function writeBatch(sink: RecordBatchSink, batch: WorkerBatch, settled: () => void): void {
  sink.beginWrite(batch.ticks.length, settled);
  for (const [i, tick] of batch.ticks.entries()) sink.appendTick(batch.symbols[i] as number, tick);
  sink.endWrite();
}

// The workers' fast writer against a real broker (KAFKA_BACKEND picks which).
describe(`record batch sink (${selectedBackend()} backend)`, () => {
  let kafka: TestKafka;
  let admin: ReturnType<InstanceType<typeof Kafka>['admin']>;

  beforeAll(async () => {
    kafka = await startTestKafka();
    admin = new Kafka({ brokers: kafka.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
  }, 240_000);

  afterAll(async () => {
    await admin?.disconnect();
    await kafka?.close();
  }, 60_000);

  const sinkFor = (topic: string, options: Partial<RecordBatchSinkOptions> = {}): RecordBatchSink =>
    new RecordBatchSink({
      brokers: kafka.brokers,
      topic,
      acks: 1,
      idempotent: false,
      connectTimeoutMs: 10_000,
      bufferTicks: 1_000_000,
      clientId: 'record-batch-sink-test',
      symbolNames: SYMBOLS,
      symbolSectors: SECTORS,
      log: () => {},
      ...options,
    });

  for (const idempotent of [false, true]) {
    it(`writes every tick once, keyed by symbol, in the partition kafkajs would choose, in order (idempotent: ${idempotent})`, async () => {
      const topic = uniqueName('sink');
      await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });
      const sink = sinkFor(topic, { idempotent, acks: idempotent ? -1 : 1 });
      await sink.start();
      const batches = makeBatches(40, 2000);
      let settled = 0;
      const allSettled = new Promise<void>((resolve) => {
        for (const batch of batches) {
          writeBatch(sink, batch, () => {
            if (++settled === batches.length) resolve();
          });
        }
      });
      await allSettled;
      await sink.stop();
      expect(sink.stats).toMatchObject({ acked: 80_000, dropped: 0, buffered: 0, errors: 0, connected: true });
      // The values are the library's encoding of each tick, byte for byte, in size as in content.
      const encoder = new TickEncoder();
      const valueBytes = batches.reduce(
        (sum, batch) => sum + batch.ticks.reduce((bytes, tick) => bytes + encoder.encode(tick).length, 0),
        0,
      );
      expect(sink.stats.ackedBytes).toBe(valueBytes);

      const ticks = await readAllTicks(kafka.brokers, topic);
      expect(ticks.length).toBe(80_000);
      const { symbols, problems } = checkOrderPerSymbol(ticks);
      expect(problems).toEqual([]);
      expect(symbols).toBe(SYMBOLS.length);
      for (const tick of ticks) expect(tick.partition).toBe(partitionForKey(Buffer.from(tick.symbol), 6));
      // Each stored tick is the one generated with its symbol and sequence, every field as written.
      const generated = new Map(batches.flatMap((batch) => batch.ticks).map((t) => [`${t.symbol}/${t.sequence}`, t]));
      for (const { symbol, sector, sequence, price, size, bid, ask } of ticks) {
        const tick = generated.get(`${symbol}/${sequence}`);
        expect({ symbol, sector, sequence, price, size, bid, ask }).toEqual({ ...tick, exchangeTimeUs: undefined });
      }
    }, 120_000);
  }

  it('drops and counts what does not fit its buffer, and settles it at once', async () => {
    const topic = uniqueName('sink-full');
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    const sink = sinkFor(topic, { bufferTicks: 150 });
    await sink.start();
    const [first, second] = makeBatches(2, 100) as [WorkerBatch, WorkerBatch];
    const settledOrder: string[] = [];
    const firstDone = new Promise<void>((resolve) =>
      writeBatch(sink, first, () => {
        settledOrder.push('first');
        resolve();
      }),
    );
    writeBatch(sink, second, () => settledOrder.push('second')); // 200 > 150 buffered: dropped
    expect(settledOrder).toEqual(['second']);
    expect(sink.stats.dropped).toBe(100);
    await firstDone;
    await sink.stop();
    expect(sink.stats).toMatchObject({ acked: 100, dropped: 100, buffered: 0 });
  }, 60_000);

  it('says Kafka is unreachable, retries with backoff, and gives up after the connect timeout', async () => {
    const port = await freePort();
    const lines: string[] = [];
    const sink = new RecordBatchSink({
      brokers: [`127.0.0.1:${port}`],
      topic: 'ticks',
      acks: 1,
      idempotent: false,
      connectTimeoutMs: 1500,
      bufferTicks: 1000,
      clientId: 'record-batch-sink-test',
      symbolNames: SYMBOLS,
      symbolSectors: SECTORS,
      log: (line) => lines.push(line),
    });
    const failure = await sink.start().then(
      () => null,
      (error: Error & { exitCode?: number }) => error,
    );
    expect(failure?.message).toMatch(
      new RegExp(`Kafka at 127\\.0\\.0\\.1:${port} is unreachable after \\d+ attempts?`),
    );
    expect(failure?.exitCode).toBe(1);
    expect(lines[0]).toMatch(/unreachable .*ECONNREFUSED.*; retrying in 250 ms/);
    await sink.stop(0);
  });
});
