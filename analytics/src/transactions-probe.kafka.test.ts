import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectedBackend, startTestKafka, type TestKafka } from '../../broker/src/testing/kafka-backend.js';
import { chooseDelivery } from './analytics.js';
import { probeTransactions } from './transactions-probe.js';

// The delivery guarantee `tickstream analytics` picks is whatever the broker says it serves:
// Apache Kafka advertises EndTxn; the embedded broker does not (yet).
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
    expect(support).toEqual({ broker: kafka.brokers[0], serves: kafka.backend === 'apache' });
  });

  it('chooses exactly-once only where transactions are served, and says so in one line where not', async () => {
    const lines: string[] = [];
    const delivery = await chooseDelivery(kafka.bootstrap, undefined, (line) => lines.push(line));
    if (kafka.backend === 'apache') {
      expect(delivery).toBe('exactly-once');
      expect(lines).toEqual([]);
    } else {
      expect(delivery).toBe('at-least-once');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /does not serve Kafka transactions \(no EndTxn in its ApiVersions\): running at-least-once/,
      );
      await expect(chooseDelivery(kafka.bootstrap, 'exactly-once', () => {})).rejects.toThrow(
        /--delivery exactly-once needs Kafka transactions/,
      );
    }
    expect(await chooseDelivery(kafka.bootstrap, 'at-least-once', () => {})).toBe('at-least-once');
  });

  it('names an unreachable Kafka', async () => {
    await expect(probeTransactions('127.0.0.1:1', 2000)).rejects.toThrow(/Kafka is not reachable at 127.0.0.1:1/);
  });
});
