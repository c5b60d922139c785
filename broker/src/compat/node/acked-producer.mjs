// An acks=all idempotent kafkajs producer in its own process, for the kill -9 tests.
// Usage: node acked-producer.mjs BROKERS TOPIC PARTITIONS [KEYS]
// Sends batches of 10 values v<n> round-robin over the partitions and prints, for each batch the
// broker acknowledged, `acked <partition> <baseOffset> <firstN> <count>`. With KEYS (the
// compaction test), every batch goes to partition 0 with keyed records: record n has key
// k<n % KEYS>, except the last of each batch, whose key u<n> is never written again (compaction
// must keep it for good), and a 100-byte padded value. SIGTERM stops it after the batch in flight.
import { Kafka, logLevel } from 'kafkajs';

const [brokers, topic, partitionCount, keys] = process.argv.slice(2);
const keyed = keys !== undefined;
const retry = { retries: 1000, initialRetryTime: 50, maxRetryTime: 500 };
const kafka = new Kafka({
  brokers: brokers.split(','),
  logLevel: logLevel.NOTHING,
  connectionTimeout: 1000,
  requestTimeout: 5000,
  retry,
});
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry });
let stopping = false;
process.on('SIGTERM', () => {
  stopping = true;
});
await producer.connect();
for (let n = 0, batch = 0; !stopping; batch++) {
  const partition = batch % Number(partitionCount);
  const messages = Array.from({ length: 10 }, (_, i) =>
    keyed
      ? { key: i === 9 ? `u${n + i}` : `k${(n + i) % Number(keys)}`, value: `v${n + i}-${'x'.repeat(100)}`, partition }
      : { value: `v${n + i}`, partition },
  );
  const [metadata] = await producer.send({ topic, acks: -1, messages });
  process.stdout.write(`acked ${partition} ${metadata.baseOffset} ${n} ${messages.length}\n`);
  n += messages.length;
}
await producer.disconnect();
