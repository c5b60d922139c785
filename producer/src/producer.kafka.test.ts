import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectedBackend, startTestKafka, type TestKafka, uniqueName } from '../../broker/src/testing/kafka-backend.js';
import { checkOrderPerSymbol, parseSummary, readAllTicks, runProducerCli } from './testing/read-ticks.js';

// `tickstream producer` as users run it, against whichever Kafka KAFKA_BACKEND selects.
describe(`tickstream producer (${selectedBackend()} backend)`, () => {
  let kafka: TestKafka;

  beforeAll(async () => {
    kafka = await startTestKafka();
  }, 240_000);

  afterAll(async () => {
    await kafka?.close();
  }, 60_000);

  const writers = [
    { writer: 'workers', extra: [] },
    { writer: 'workers', extra: ['--idempotent'] },
    { writer: 'kafkajs-workers', extra: [] },
    { writer: 'main', extra: [] },
  ] as const;
  // kafkajs writers reach ~120k ticks/s here alone but far less on a loaded CI machine: they get
  // longer to pass 100,000 (the rate caps what they send, the duration only bounds the test).
  const durationFor = (writer: string): string => (writer === 'workers' ? '3500ms' : '8s');
  for (const { writer, extra } of writers) {
    it(`writes 100,000+ ticks that read back decoded, complete and in order per symbol (writer: ${[writer, ...extra].join(' ')})`, async () => {
      const topic = uniqueName(`ticks-${writer}`);
      const run = runProducerCli([
        '--brokers',
        kafka.bootstrap,
        '--topic',
        topic,
        '--events-topic',
        `${topic}-events`,
        '--rate',
        '40000',
        '--duration',
        durationFor(writer),
        '--symbol-count',
        '300',
        '--writer',
        writer,
        ...extra,
      ]);
      const { code, output } = await run.done;
      expect(code, output).toBe(0);
      const summary = parseSummary(output);
      expect(summary.dropped).toBe(0);
      expect(summary.acked).toBe(summary.generated);
      expect(summary.acked).toBeGreaterThanOrEqual(100_000);

      const ticks = await readAllTicks(kafka.brokers, topic);
      expect(ticks.length).toBe(summary.acked);
      const { symbols, problems } = checkOrderPerSymbol(ticks);
      expect(problems).toEqual([]);
      expect(symbols).toBe(300);
      for (const tick of ticks.slice(0, 1000)) {
        expect(tick.bid).toBeLessThan(tick.price);
        expect(tick.ask).toBeGreaterThan(tick.price);
      }
    }, 120_000);
  }

  it('creates the ticks topic with the partitions asked for, and market events on their own topic', async () => {
    const topic = uniqueName('ticks-parts');
    const run = runProducerCli([
      '--brokers',
      kafka.bootstrap,
      '--topic',
      topic,
      '--events-topic',
      `${topic}-events`,
      '--partitions',
      '4',
      '--rate',
      '2000',
      '--duration',
      '1500ms',
    ]);
    const { code, output } = await run.done;
    expect(code, output).toBe(0);
    const admin = new Kafka({ brokers: kafka.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const metadata = await admin.fetchTopicMetadata({ topics: [topic, `${topic}-events`] });
    await admin.disconnect();
    expect(metadata.topics.find((t) => t.name === topic)?.partitions).toHaveLength(4);
    expect(metadata.topics.find((t) => t.name === `${topic}-events`)?.partitions).toHaveLength(1);
  }, 60_000);
});
