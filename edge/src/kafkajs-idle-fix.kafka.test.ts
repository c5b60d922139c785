import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectedBackend, startTestKafka, type TestKafka, uniqueName } from '../../broker/src/testing/kafka-backend.js';
import { edgeKafkaClient } from './kafka-client.js';
import { requestQueuePrototype } from './kafkajs-idle-fix.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// kafkajs 2.2.4 re-checked an idle connection's request queue every millisecond forever
// (kafkajs-idle-fix.ts). With the fix an idle connection never wakes, and requests still flow.
describe(`kafkajs idle connections (${selectedBackend()} backend)`, () => {
  let kafka: TestKafka;

  beforeAll(async () => {
    kafka = await startTestKafka();
  }, 240_000);

  afterAll(async () => {
    await kafka?.close();
  }, 60_000);

  it('an admin connection that answered requests does not check its queue while idle, and answers again', async () => {
    const admin = edgeKafkaClient('idle-fix-test', kafka.brokers, {
      ssl: false,
      caFile: null,
      ca: null,
      sasl: null,
    }).admin();
    await admin.connect();
    const topic = uniqueName('idle-fix');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    expect(await admin.listTopics()).toContain(topic);

    const check = requestQueuePrototype.checkPendingRequests;
    let checks = 0;
    requestQueuePrototype.checkPendingRequests = function (this: typeof requestQueuePrototype) {
      checks++;
      check.call(this);
    };
    try {
      await sleep(500);
      // Unfixed, this is several hundred (one per millisecond and connection).
      expect(checks).toBe(0);
      // A request still gets through, and its answer is the only check.
      const offsets = await admin.fetchTopicOffsets(topic);
      expect(offsets).toEqual([expect.objectContaining({ partition: 0, high: '0' })]);
      const afterRequest = checks;
      await sleep(300);
      expect(checks).toBe(afterRequest);
    } finally {
      requestQueuePrototype.checkPendingRequests = check;
      await admin.disconnect();
    }
  });
});
