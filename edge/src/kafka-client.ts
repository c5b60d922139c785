import { type KafkaSecurity, kafkajsSecurity } from '@tickstream/schemas/kafka-security';
import kafkajs from 'kafkajs';
// Before any kafkajs connection exists: stops its idle connections spinning (see the module).
import './kafkajs-idle-fix.js';

const { Kafka, logLevel } = kafkajs;

/**
 * The kafkajs client an edge uses for admin requests (topics, offsets by time) and, with TLS or
 * SASL, for reading. Short retries: the edge's own loops retry, so kafkajs only bridges a blip
 * (its ten default retries used to keep an unreachable Kafka unsaid for 20 s at start).
 */
export function edgeKafkaClient(
  clientId: string,
  brokers: string[],
  security: KafkaSecurity,
  retry: kafkajs.RetryOptions = { initialRetryTime: 250, maxRetryTime: 1000, retries: 2 },
): kafkajs.Kafka {
  return new Kafka({
    clientId,
    brokers,
    ...kafkajsSecurity(security),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2000,
    retry,
  });
}
