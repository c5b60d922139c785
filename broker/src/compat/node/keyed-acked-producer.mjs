// An acks=all idempotent kafkajs producer of keyed records, in its own process, for the
// compaction kill -9 test. Usage: node keyed-acked-producer.mjs BROKERS TOPIC KEYS
// Sends batches of 10 records to partition 0: record n has value v<n> and key k<n % KEYS>, except
// the last of each batch, whose key u<n> is never written again (compaction must keep it for
// good). For each batch the broker acknowledged it prints `acked <baseOffset> <firstN> <count>`.
// SIGTERM stops it after the batch in flight.
import { Kafka, logLevel } from 'kafkajs';

const [brokers, topic, keys] = process.argv.slice(2);
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
for (let n = 0; !stopping; ) {
  const messages = Array.from({ length: 10 }, (_, i) => ({
    key: i === 9 ? `u${n + i}` : `k${(n + i) % Number(keys)}`,
    value: `v${n + i}-${'x'.repeat(100)}`,
    partition: 0,
  }));
  const [metadata] = await producer.send({ topic, acks: -1, messages });
  process.stdout.write(`acked ${metadata.baseOffset} ${n} ${messages.length}\n`);
  n += messages.length;
}
await producer.disconnect();
