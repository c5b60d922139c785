import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BarTimeframe, type CandleBarFields, decodeCandleBar, TickEncoder } from '@tickstream/schemas';
import { kafkaLz4Codec } from '@tickstream/schemas/lz4-node';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectedBackend, startTestKafka, type TestKafka, uniqueName } from '../../broker/src/testing/kafka-backend.js';
import { listTransactions } from '../../broker/src/testing/list-transactions.js';
import { until } from '../../broker/src/testing/until.js';
import { type RunningAnalytics, startAnalytics } from './analytics.js';

const { CompressionCodecs, CompressionTypes, Kafka, logLevel } = kafkajs;
// The job's sink writes lz4 batches; kafkajs ships without lz4.
CompressionCodecs[CompressionTypes.LZ4] = kafkaLz4Codec;

const SYMBOLS = Array.from({ length: 20 }, (_, i) => `SYM${i}`);
const EVERY_MS = 250;
const SECONDS = 60;

interface TestTick {
  symbol: string;
  price: number;
  size: number;
  timeMs: number;
  sequence: number;
}

/** 20 symbols, a tick each every 250 ms for 60 s from `startMs`; prices move by a fixed rule. */
function fixedTicks(startMs: number): TestTick[] {
  const ticks: TestTick[] = [];
  for (let at = 0; at < SECONDS * 1000; at += EVERY_MS) {
    SYMBOLS.forEach((symbol, i) => {
      const step = at / EVERY_MS;
      ticks.push({
        symbol,
        price: 1_000_000 + i * 10_000 + ((step * (i + 7)) % 97) * 100,
        size: 1 + ((step + i) % 13),
        timeMs: startMs + at,
        sequence: step + 1,
      });
    });
  }
  return ticks;
}

/** The 1s bars those ticks make, as "SYMBOL@startMs O H L C V T". */
function expectedSecondBars(ticks: readonly TestTick[]): Set<string> {
  const bars = new Map<string, TestTick[]>();
  for (const tick of ticks) {
    const key = `${tick.symbol}@${tick.timeMs - (tick.timeMs % 1000)}`;
    bars.set(key, [...(bars.get(key) ?? []), tick]);
  }
  return new Set(
    [...bars].map(([key, of]) => {
      const prices = of.map((tick) => tick.price);
      const volume = of.reduce((sum, tick) => sum + tick.size, 0);
      return `${key} ${of[0]?.price} ${Math.max(...prices)} ${Math.min(...prices)} ${of.at(-1)?.price} ${volume} ${of.length}`;
    }),
  );
}

const describeBar = (bar: CandleBarFields): string =>
  `${bar.symbol}@${bar.startTimeUs / 1000} ${bar.open} ${bar.high} ${bar.low} ${bar.close} ${bar.volume} ${bar.trades}`;

// kill -9 of the analytics JVM mid-stream, then a restart from its last checkpoint by the hot
// standby JVM that waited beside it (AnalyticsWithStandby, as tickstream up runs the job): a
// read_committed reader of `candles` sees every bar exactly once, no duplicate and no gap.
// That needs Kafka transactions (the sink's EXACTLY_ONCE): with at-least-once, the bars written
// between the last checkpoint and the kill are written again after the restart.
describe(`analytics exactly-once across kill -9 (${selectedBackend()} backend)`, () => {
  let kafka: TestKafka;
  let checkpoints: string;
  const jobs: RunningAnalytics[] = [];

  beforeAll(async () => {
    kafka = await startTestKafka();
    checkpoints = await mkdtemp(join(tmpdir(), 'tickstream-exactly-once-'));
  }, 120_000);

  afterAll(async () => {
    for (const job of jobs) await job.kill();
    await kafka?.close();
    if (checkpoints) await rm(checkpoints, { recursive: true, force: true });
  }, 60_000);

  it('a read_committed reader sees every expected candle once after the job is killed and resumed', async () => {
    const topic = uniqueName('eo-ticks');
    const topics = {
      ticks: topic,
      events: `${topic}-events`,
      candles: `${topic}-candles`,
      correlations: `${topic}-corr`,
    };
    const instance = uniqueName('eo-analytics');
    const client = new Kafka({ brokers: kafka.brokers, clientId: 'exactly-once-test', logLevel: logLevel.NOTHING });
    const admin = client.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] });
    await admin.disconnect();
    const producer = client.producer();
    await producer.connect();
    const encoder = new TickEncoder();
    // Ten minutes ago, on a minute: the job reads it as a backlog, minute bars included.
    const startMs = Date.now() - 600_000 - (Date.now() % 60_000);
    const ticks = fixedTicks(startMs);
    const write = async (from: number, until: number): Promise<void> => {
      const part = ticks.filter((tick) => tick.timeMs >= startMs + from && tick.timeMs < startMs + until);
      await producer.send({
        topic,
        messages: part.map((tick) => ({
          key: tick.symbol,
          value: Buffer.from(
            encoder.encode({
              symbol: tick.symbol,
              sector: 'Tech',
              price: tick.price,
              size: tick.size,
              bid: tick.price - 100,
              ask: tick.price + 100,
              exchangeTimeUs: tick.timeMs * 1000,
              sequence: tick.sequence,
            }),
          ),
        })),
      });
    };
    const start = async (standby = false): Promise<RunningAnalytics> => {
      const job = await startAnalytics({
        standby,
        brokers: kafka.bootstrap,
        checkpointDir: join(checkpoints, 'checkpoints'),
        topics,
        instance,
        delivery: 'exactly-once',
        log:
          process.env.TICKSTREAM_TEST_LOG === '1' ? (line) => process.stderr.write(`[analytics] ${line}\n`) : () => {},
      });
      jobs.push(job);
      await (standby ? job.standingBy : job.ready);
      return job;
    };

    const committed: CandleBarFields[] = [];
    const reader = client.consumer({ groupId: uniqueName('eo-reader'), readUncommitted: false });
    try {
      await write(0, 30_000);
      const first = await start();
      // A hot standby (as tickstream up keeps one): MiniClusters up beside the running job, idle.
      // Started now, its JVM's start overlaps the first job's reading of the backlog below.
      const standingBy = start(true);
      standingBy.catch(() => {}); // awaited below, where a failure fails the test
      // The job has created the topic it writes; read it as every consumer of the job's output should.
      await reader.connect();
      await reader.subscribe({ topic: topics.candles, fromBeginning: true });
      await reader.run({
        eachMessage: async ({ message }) => {
          if (message.value) committed.push(decodeCandleBar(new Uint8Array(message.value)));
        },
      });
      await until(
        () => committed.length > 200,
        90_000,
        () => `committed candles before the kill (${committed.length})`,
      );
      const resumed = await standingBy;
      await write(30_000, 45_000);
      // Mid-stream: the bars of the second part are being written, some in a transaction not yet committed.
      await until(() => committed.length > 300, 30_000, 'the second part under way');
      await first.kill();
      // It restores the killed job's last checkpoint; its sinks abort what the killed one left open.
      resumed.takeOver();
      await resumed.ready;
      await write(45_000, 60_000);
      // A tick 10 s on moves the watermark past every second of the fixed ticks.
      await producer.send({
        topic,
        messages: [
          {
            key: 'SYM0',
            value: Buffer.from(
              encoder.encode({
                symbol: 'SYM0',
                sector: 'Tech',
                price: 1_000_000,
                size: 1,
                bid: 999_900,
                ask: 1_000_100,
                exchangeTimeUs: (startMs + 70_000) * 1000,
                sequence: 1_000_000,
              }),
            ),
          },
        ],
      });
      const expected = expectedSecondBars(ticks);
      const seconds = (): CandleBarFields[] => committed.filter((bar) => bar.timeframe === BarTimeframe.S1);
      await until(
        () => seconds().length >= expected.size && committed.some((bar) => bar.timeframe === BarTimeframe.M1),
        120_000,
        () => `all ${expected.size} 1s candles (${seconds().length} so far)`,
      );
      // Anything late would show up here.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const written = seconds().map(describeBar);
      expect(written.length - new Set(written).size, 'duplicate 1s candles').toBe(0);
      expect(new Set(written)).toEqual(expected);
      const minutes = committed.filter((bar) => bar.timeframe === BarTimeframe.M1).map(describeBar);
      expect(minutes).toHaveLength(SYMBOLS.length);
      expect(new Set(minutes).size).toBe(SYMBOLS.length);
      await resumed.stop();
      // Both runs took a checkpoint a second for a minute and more, yet each sink reused a few
      // transactional ids: Flink's default names one per checkpoint, which the broker keeps for 7 days.
      const ids = (await listTransactions(kafka.brokers[0] as string))
        .map((listed) => listed.transactionalId)
        .filter((id) => id.startsWith(`${instance}-`));
      expect(ids.length, ids.join(', ')).toBeGreaterThanOrEqual(3);
      expect(ids.length, ids.join(', ')).toBeLessThanOrEqual(3 * 4);
    } finally {
      await reader.disconnect();
      await producer.disconnect();
    }
  }, 360_000);
});
