import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectedBackend, startTestKafka, type TestKafka } from '../../broker/src/testing/kafka-backend.js';
import { chooseDelivery, deliveryFor } from './analytics.js';
import { probeTransactions } from './transactions-probe.js';

// The delivery guarantee `tickstream analytics` picks is whatever the broker says it serves:
// Apache Kafka and the embedded broker both advertise EndTxn, so the job runs exactly-once on both.
describe(`transactions probe (${selectedBackend()} backend)`, () => {
  let kafka: TestKafka;
  beforeAll(async () => {
    kafka = await startTestKafka();
  });
  afterAll(async () => {
    await kafka?.close();
  });

  it('reads EndTxn from the broker’s ApiVersions', async () => {
    const support = await probeTransactions(kafka.bootstrap);
    expect(support).toEqual({ broker: kafka.brokers[0], serves: true });
  });

  it('chooses exactly-once without a word where transactions are served; at-least-once when asked', async () => {
    const lines: string[] = [];
    expect(await chooseDelivery(kafka.bootstrap, undefined, (line) => lines.push(line))).toBe('exactly-once');
    expect(await chooseDelivery(kafka.bootstrap, 'exactly-once', (line) => lines.push(line))).toBe('exactly-once');
    expect(lines).toEqual([]);
    expect(await chooseDelivery(kafka.bootstrap, 'at-least-once', () => {})).toBe('at-least-once');
  });

  it('names an unreachable Kafka', async () => {
    await expect(probeTransactions('127.0.0.1:1', 2000)).rejects.toThrow(/Kafka is not reachable at 127.0.0.1:1/);
  });
});

// A Kafka-compatible service without transactions (e.g. Azure Event Hubs) is not one this project
// can start, so the choice for one is checked on the probe's answer.
describe('delivery for a broker without transactions', () => {
  const without = { broker: 'events.example:9093', serves: false };

  it('runs at-least-once and says so in one line', () => {
    const lines: string[] = [];
    expect(deliveryFor(without, undefined, (line) => lines.push(line))).toBe('at-least-once');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /the broker at events\.example:9093 does not serve Kafka transactions \(no EndTxn in its ApiVersions\): running at-least-once/,
    );
  });

  it('refuses an explicit --delivery exactly-once with what to do instead', () => {
    expect(() => deliveryFor(without, 'exactly-once', () => {})).toThrow(
      /--delivery exactly-once needs Kafka transactions, and the broker at events\.example:9093 does not serve them .*use --delivery at-least-once/,
    );
  });
});
