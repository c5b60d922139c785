// A kafkajs consumer-group member in its own process, so a test can SIGKILL it like a crashed
// client. Usage: node group-member.mjs BROKERS TOPIC GROUP SESSION_TIMEOUT_MS
// Prints one line `assigned <partitions,comma-separated>` on every assignment it receives.
import { Kafka, logLevel } from 'kafkajs';

const [brokers, topic, groupId, sessionTimeout] = process.argv.slice(2);
const kafka = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING });
const consumer = kafka.consumer({ groupId, sessionTimeout: Number(sessionTimeout), heartbeatInterval: 500 });
consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
  const partitions = payload.memberAssignment[topic] ?? [];
  process.stdout.write(`assigned ${partitions.join(',')}\n`);
});
await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
await consumer.run({ eachMessage: async () => {} });
