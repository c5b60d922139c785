import { TickEncoder } from '@tickstream/schemas';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../broker/src/testing/broker-process.js';
import { selectedBackend, startTestKafka, type TestKafka, uniqueName } from '../../broker/src/testing/kafka-backend.js';
import { partitionForKey } from './murmur2-partitioner.js';
import { RecordBatchSink, type RecordBatchSinkOptions } from './record-batch-sink.js';
import { checkOrderPerSymbol, readAllTicks } from './testing/read-ticks.js';
import { type PackedTicks, TickBatchBuilder } from './tick-batch.js';

const { Kafka, logLevel } = kafkajs;

const SYMBOLS = Array.from({ length: 60 }, (_, i) => `S${String.fromCharCode(65 + (i % 26))}${i}`);

/** Packed batches as a worker makes them: ticks of every symbol in turn, sequences 1, 2, … per symbol. */
function makeBatches(batches: number, ticksPerBatch: number): PackedTicks[] {
  const encoder = new TickEncoder();
  const sequences = new Array<number>(SYMBOLS.length).fill(0);
  const out: PackedTicks[] = [];
  let next = 0;
  for (let b = 0; b < batches; b++) {
    const builder = new TickBatchBuilder(ticksPerBatch);
    for (let i = 0; i < ticksPerBatch; i++) {
      const symbol = next++ % SYMBOLS.length;
      const sequence = ++(sequences[symbol] as number);
      const price = 1_000_000 + sequence;
      const encoded = encoder.encodeView({
        symbol: SYMBOLS[symbol] as string,
        sector: 'Technology',
        price,
        size: 100,
        bid: price - 50,
        ask: price + 50,
        exchangeTimeUs: Date.now() * 1000,
        sequence,
      });
      builder.add(symbol, encoded);
    }
    out.push(builder.take());
  }
  return out;
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
          sink.write(batch, () => {
            if (++settled === batches.length) resolve();
          });
        }
      });
      await allSettled;
      await sink.stop();
      expect(sink.stats).toMatchObject({ acked: 80_000, dropped: 0, buffered: 0, errors: 0, connected: true });
      expect(sink.stats.ackedBytes).toBe(batches.reduce((sum, batch) => sum + batch.bytes.length, 0));

      const ticks = await readAllTicks(kafka.brokers, topic);
      expect(ticks.length).toBe(80_000);
      const { symbols, problems } = checkOrderPerSymbol(ticks);
      expect(problems).toEqual([]);
      expect(symbols).toBe(SYMBOLS.length);
      for (const tick of ticks) expect(tick.partition).toBe(partitionForKey(Buffer.from(tick.symbol), 6));
    }, 120_000);
  }

  it('drops and counts what does not fit its buffer, and settles it at once', async () => {
    const topic = uniqueName('sink-full');
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    const sink = sinkFor(topic, { bufferTicks: 150 });
    await sink.start();
    const [first, second] = makeBatches(2, 100) as [PackedTicks, PackedTicks];
    const settledOrder: string[] = [];
    const firstDone = new Promise<void>((resolve) =>
      sink.write(first, () => {
        settledOrder.push('first');
        resolve();
      }),
    );
    sink.write(second, () => settledOrder.push('second')); // 200 > 150 buffered: dropped
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
