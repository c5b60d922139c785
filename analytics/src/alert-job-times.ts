import { decodeAlertTrigger } from '@tickstream/schemas';
import type kafkajs from 'kafkajs';

/**
 * The job's wall-clock ms for one trigger, from the headers the job's `alert_events` serializer
 * writes (AlertTriggerSerializer: `read-ms`, `fired-ms`, `sent-ms`); NaN where a header is missing.
 */
export interface JobTimes {
  /** The job read the firing tick. */
  jobRead: number;
  /** The rule fired. */
  fired: number;
  /** The job's Kafka sink handed the record to its producer. */
  sinkSent: number;
}

/**
 * Reads `alert_events` from its beginning with a consumer of its own and keeps the job's times of
 * every trigger, by trigger id: what an edge reads is the same record, so this changes nothing.
 */
export async function watchJobTimes(
  kafka: kafkajs.Kafka,
  topic: string,
  groupId: string,
): Promise<{ times: Map<string, JobTimes>; stop(): Promise<void> }> {
  const times = new Map<string, JobTimes>();
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, allowAutoTopicCreation: false });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const header = (headers: kafkajs.IHeaders | undefined, name: string): number =>
    Number((headers?.[name] as Buffer | undefined)?.toString('ascii') ?? Number.NaN);
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (message.value === null) return;
      times.set(decodeAlertTrigger(message.value).id, {
        jobRead: header(message.headers, 'read-ms'),
        fired: header(message.headers, 'fired-ms'),
        sinkSent: header(message.headers, 'sent-ms'),
      });
    },
  });
  return { times, stop: () => consumer.disconnect() };
}
