import { isSecured, type KafkaSecurity } from '@tickstream/schemas/kafka-security';
import type { Admin, Kafka } from 'kafkajs';
import { type FetchPace, KafkaFetchReader } from './kafka-fetch-reader.js';
import { KafkajsReader } from './kafkajs-reader.js';

/**
 * What the edge's two ways of reading Kafka share (kafka-fetch-reader.ts, its own Fetch
 * requests; kafkajs-reader.ts, for TLS and SASL): the owner (TickConsumer, AnalyticsConsumer,
 * UserStateReader) says where each partition starts and takes each record, where a partition
 * has got to, and that Kafka answered.
 */
export interface ReaderHooks {
  /** The next offset to read in a partition; asked whenever a reader (re)starts it. */
  startOffset(topic: string, partition: number): number | undefined;
  /**
   * A record's value, `bytes[start, end)`, and its offset; `topic` is the index into the
   * reader's topics. `bytes` may be reused once this returns (the Fetch reader decodes every lz4
   * batch into one buffer, and hands no record a view of its own): decode the value here, and
   * copy what you keep.
   */
  onValue(topic: number, partition: number, bytes: Uint8Array, start: number, end: number, offset: number): void;
  /**
   * When set, called instead of onValue with each record's key, and for records without a value
   * too (null: a compacted topic's tombstone). For the small keyed topics (user-state-kafka.ts).
   */
  onRecord?(topic: number, partition: number, key: Buffer | null, value: Buffer | null, offset: number): void;
  /**
   * A partition's records up to `next` have been handed over; the partition ends at `end` (its
   * high watermark; under read_committed its last stable offset, as far as the reader may go).
   */
  onPartitionRead(topic: number, partition: number, next: number, end: number): void;
  /** A Fetch was answered: Kafka is there. */
  onFetchAnswered(): void;
  log(line: string): void;
}

export interface PartitionReader {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Someone now waits for the records: a Fetch held long is cut short (kafka-fetch-reader.ts); kafkajs has none to cut. */
  hurry?(): void;
}

export interface PartitionReaderSetting {
  /** Carries the brokers, TLS and SASL; kafkajs reads with it when those are configured. */
  kafka: Kafka;
  /** Answers where a position gone from the log goes. */
  admin: Admin;
  brokers: string[];
  clientId: string;
  security: KafkaSecurity;
  /** The kafkajs consumer group (TLS or SASL only: the edge's own reader needs none). */
  groupId: string;
  topics: string[];
  /** How the broker may hold each Fetch (kafka-fetch-reader.ts); kafkajs reads with its own settings. Default: prompt. */
  pace?: () => FetchPace;
}

/**
 * The edge's reader of `topics`: its own Fetch reader, or kafkajs where TLS or SASL is configured
 * (the Fetch reader speaks PLAINTEXT only). The tick, analytics and user-state readers all get
 * theirs here, so they read alike.
 */
export function partitionReaderFor(setting: PartitionReaderSetting, hooks: ReaderHooks): PartitionReader {
  const { kafka, admin, brokers, clientId, security, groupId, topics, pace } = setting;
  return isSecured(security)
    ? new KafkajsReader({ kafka, groupId, topics }, hooks)
    : new KafkaFetchReader(
        {
          brokers,
          clientId,
          topics,
          resetOffset: (topic, partition, from) => offsetStillInLog(admin, topic, partition, from),
          ...(pace ? { pace } : {}),
        },
        hooks,
      );
}

/** Where a position gone from the log goes: the oldest record still there, or the end if the log was cut back past it. */
export async function offsetStillInLog(admin: Admin, topic: string, partition: number, from: number): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  const found = offsets.find((p) => p.partition === partition);
  if (found === undefined) throw new Error(`${topic}[${partition}] is not in the topic any more`);
  return from < Number(found.low) ? Number(found.low) : Number(found.high);
}
