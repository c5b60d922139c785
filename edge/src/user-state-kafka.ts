import { randomInt } from 'node:crypto';
import { type KafkaSecurity, kafkajsSecurity, kafkaSecurityFromEnv } from '@tickstream/schemas/kafka-security';
import kafkajs, { type Admin, type Consumer, type Kafka, type Producer } from 'kafkajs';

const { Kafka: KafkaClient, logLevel } = kafkajs;

/** The per-user topics (docs/protocol.md, "Kafka topics"). */
export interface UserTopicNames {
  users: string;
  alerts: string;
  alertEvents: string;
}

export const defaultUserTopics: UserTopicNames = { users: 'users', alerts: 'alerts', alertEvents: 'alert_events' };

/** A record of a per-user topic; value null is a tombstone. */
export interface KeyedRecord {
  topic: string;
  key: string;
  value: Buffer | null;
}

export function userStateKafka(brokers: string[], clientId: string, security?: KafkaSecurity): Kafka {
  return new KafkaClient({
    clientId,
    brokers,
    ...kafkajsSecurity(security ?? kafkaSecurityFromEnv()),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2000,
    retry: { initialRetryTime: 250, maxRetryTime: 2000, retries: 3 },
  });
}

/**
 * Creates whichever of the per-user topics is missing: `users` and `alerts` compacted (the
 * latest record per key is the state; a tombstone deletes), `alert_events` a plain log keyed by
 * user. A broker that does not compact yet keeps every record, and readers still end with the
 * latest per key.
 */
export async function ensureUserTopics(
  admin: Admin,
  names: UserTopicNames,
  wanted: (keyof UserTopicNames)[],
): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const compacted = new Set<keyof UserTopicNames>(['users', 'alerts']);
  const missing = wanted.filter((which) => !existing.has(names[which]));
  if (missing.length === 0) return;
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((which) => ({
        topic: names[which],
        numPartitions: which === 'users' ? 1 : 3,
        configEntries: compacted.has(which) ? [{ name: 'cleanup.policy', value: 'compact' }] : [],
      })),
    });
  } catch (error) {
    // Another edge or the CLI created it meanwhile: fine.
    if (!/already exists/i.test((error as Error).message)) throw error;
  }
}

/**
 * Reads per-user topics from their beginning into memory and follows them. `loaded` resolves once
 * every partition has been read up to where it ended when reading started, so the state is whole
 * (a restarted edge knows every user and rule before it answers for them).
 *
 * A kafkajs consumer in a group of its own (no commits: every start reads from the beginning):
 * these topics are small and rare-written, so kafkajs' per-record cost does not matter, and it
 * speaks TLS and SASL. Its first join waits for the broker's group.initial.rebalance.delay.ms
 * (Apache Kafka's default: 3 s).
 */
export class UserStateReader {
  private readonly consumer: Consumer;
  private readonly admin: Admin;
  private readonly remaining = new Map<string, number>();
  private markLoaded: () => void = () => {};
  readonly loaded: Promise<void>;
  private isLoaded = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly topics: string[],
    private readonly onRecord: (record: KeyedRecord) => void,
    private readonly log: (line: string) => void,
    groupPrefix = 'tickstream-user-state',
  ) {
    this.consumer = kafka.consumer({
      groupId: `${groupPrefix}-${process.pid}-${randomInt(1, 2 ** 31)}`,
      maxWaitTimeInMs: 500,
      allowAutoTopicCreation: false,
      retry: { initialRetryTime: 250, maxRetryTime: 3000, retries: 5, restartOnFailure: async () => true },
    });
    this.admin = kafka.admin({ retry: { retries: 2 } });
    this.loaded = new Promise((resolve) => {
      this.markLoaded = resolve;
    });
  }

  get ready(): boolean {
    return this.isLoaded;
  }

  async start(): Promise<void> {
    await this.admin.connect();
    for (const topic of this.topics) {
      for (const partition of await this.admin.fetchTopicOffsets(topic)) {
        if (Number(partition.high) > Number(partition.low))
          this.remaining.set(`${topic}:${partition.partition}`, Number(partition.high));
      }
    }
    await this.admin.disconnect();
    this.checkLoaded();
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      this.log(`reading ${this.topics.join(', ')} failed (${payload.error.message}); restarting`);
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.topics, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          if (message.key === null) continue;
          this.onRecord({ topic: batch.topic, key: message.key.toString('utf8'), value: message.value });
        }
        const partitionKey = `${batch.topic}:${batch.partition}`;
        const end = this.remaining.get(partitionKey);
        if (end !== undefined && Number(batch.lastOffset()) + 1 >= end) {
          this.remaining.delete(partitionKey);
          this.checkLoaded();
        }
      },
    });
  }

  private checkLoaded(): void {
    if (this.isLoaded || this.remaining.size > 0) return;
    this.isLoaded = true;
    this.markLoaded();
  }

  async stop(): Promise<void> {
    await Promise.allSettled([this.consumer.disconnect(), this.admin.disconnect()]);
  }
}

/** Writes per-user records (acks from all in-sync replicas: a saved rule or user is durable). */
export class UserStateWriter {
  private readonly producer: Producer;
  private connected: Promise<void> | null = null;

  constructor(kafka: Kafka) {
    this.producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 3 } });
  }

  async write(topic: string, key: string, value: Uint8Array | null): Promise<void> {
    this.connected ??= this.producer.connect().catch((error: Error) => {
      this.connected = null;
      throw error;
    });
    await this.connected;
    await this.producer.send({
      topic,
      acks: -1,
      messages: [{ key, value: value === null ? null : Buffer.from(value.buffer, value.byteOffset, value.byteLength) }],
    });
  }

  async stop(): Promise<void> {
    if (this.connected !== null) await this.producer.disconnect().catch(() => {});
  }
}
