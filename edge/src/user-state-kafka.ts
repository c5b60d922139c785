import { randomInt } from 'node:crypto';
import { type KafkaSecurity, kafkaSecurityFromEnv } from '@tickstream/schemas/kafka-security';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { edgeKafkaClient } from './kafka-client.js';
import { type PartitionReader, partitionReaderFor, type ReaderHooks } from './partition-reader.js';

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
  /** Its offset in its partition (one key is always in the same partition). */
  offset: number;
}

/**
 * The kafkajs client of the per-user topics (the edge's and the CLI's): the edge's client, with
 * more patience, since a write that gives up is a refused change for a person (503, "retry").
 */
export function userStateKafka(brokers: string[], clientId: string, security?: KafkaSecurity): Kafka {
  return edgeKafkaClient(clientId, brokers, security ?? kafkaSecurityFromEnv(), {
    initialRetryTime: 250,
    maxRetryTime: 2000,
    retries: 3,
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
 * It reads like the edge reads ticks (partition-reader.ts): its own Fetch requests to each leader,
 * no consumer group (a group's first join waits group.initial.rebalance.delay.ms, 3 s by default,
 * at every start of every edge and CLI call), positions kept here; kafkajs in a private group when
 * TLS or SASL is configured. Both read read_committed: records of aborted transactions (the
 * analytics job writes `fills` and `portfolios` in transactions) are never handed over, and a
 * partition counts as loaded once read up to its last stable offset, so an open transaction
 * does not hold the edge's start up.
 */
export class UserStateReader {
  private readonly reader: PartitionReader;
  private readonly admin: Admin;
  private readonly positions = new Map<string, number>();
  private readonly starts = new Map<string, number>();
  private readonly remaining = new Map<string, number>();
  private markLoaded: () => void = () => {};
  readonly loaded: Promise<void>;
  private isLoaded = false;

  constructor(
    kafka: Kafka,
    options: { brokers: string[]; clientId: string; security: KafkaSecurity },
    private readonly topics: string[],
    private readonly onRecord: (record: KeyedRecord) => void,
    log: (line: string) => void,
  ) {
    this.admin = kafka.admin({ retry: { retries: 2 } });
    this.loaded = new Promise((resolve) => {
      this.markLoaded = resolve;
    });
    const hooks: ReaderHooks = {
      startOffset: (topic, partition) =>
        this.positions.get(`${topic}:${partition}`) ?? this.starts.get(`${topic}:${partition}`),
      onValue: () => {},
      onRecord: (topic, _partition, key, value, offset) => {
        if (key !== null)
          this.onRecord({ topic: this.topics[topic] as string, key: key.toString('utf8'), value, offset });
      },
      onPartitionRead: (topic, partition, next, end) =>
        this.partitionRead(this.topics[topic] as string, partition, next, end),
      onFetchAnswered: () => {},
      log,
    };
    this.reader = partitionReaderFor(
      {
        kafka,
        admin: this.admin,
        brokers: options.brokers,
        clientId: options.clientId,
        security: options.security,
        // A private group: every edge and CLI call reads every partition.
        groupId: `${options.clientId}-${process.pid}-${randomInt(1, 2 ** 31)}`,
        topics,
        // Written now and then: each record comes as soon as it is there, an empty answer every 3 s.
        pace: () => 'sparse',
      },
      hooks,
    );
  }

  get ready(): boolean {
    return this.isLoaded;
  }

  /** Plans where to read from (each partition's start) and to (its end now), then reads. */
  async start(): Promise<void> {
    await this.admin.connect();
    for (const topic of this.topics) {
      for (const partition of await this.admin.fetchTopicOffsets(topic)) {
        const key = `${topic}:${partition.partition}`;
        this.starts.set(key, Number(partition.low));
        if (Number(partition.high) > Number(partition.low)) this.remaining.set(key, Number(partition.high));
      }
    }
    this.checkLoaded();
    await this.reader.start();
  }

  /** `end`: how far this reader may read now (the last stable offset under read_committed). */
  private partitionRead(topic: string, partition: number, next: number, end: number): void {
    const key = `${topic}:${partition}`;
    this.positions.set(key, next);
    const target = this.remaining.get(key);
    // Read up to where it ended at start, or as far as committed records go (an open transaction
    // may keep the last stable offset below that end until it commits or times out).
    if (target !== undefined && next >= Math.min(target, end)) {
      this.remaining.delete(key);
      this.checkLoaded();
    }
  }

  private checkLoaded(): void {
    if (this.isLoaded || this.remaining.size > 0) return;
    this.isLoaded = true;
    this.markLoaded();
  }

  async stop(): Promise<void> {
    await Promise.allSettled([this.reader.stop(), this.admin.disconnect()]);
  }
}

/** Writes per-user records (acks from all in-sync replicas: a saved rule or user is durable). */
export class UserStateWriter {
  private readonly producer: Producer;
  private connected: Promise<void> | null = null;

  constructor(kafka: Kafka) {
    this.producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 3 } });
  }

  /** Resolves with the offset Kafka stored the record at. */
  async write(topic: string, key: string, value: Uint8Array | null): Promise<number> {
    this.connected ??= this.producer.connect().catch((error: Error) => {
      this.connected = null;
      throw error;
    });
    await this.connected;
    const [stored] = await this.producer.send({
      topic,
      acks: -1,
      messages: [{ key, value: value === null ? null : Buffer.from(value.buffer, value.byteOffset, value.byteLength) }],
    });
    return Number(stored?.baseOffset ?? -1);
  }

  async stop(): Promise<void> {
    if (this.connected !== null) await this.producer.disconnect().catch(() => {});
  }
}

interface PendingRecord {
  key: string;
  value: Buffer;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** Records one send carries at most. */
const MAX_RECORDS_PER_SEND = 500;

/**
 * Writes the records of one topic with an idempotent producer (acks from all in-sync replicas,
 * retries without duplicates or reordering) and says when each is stored. A send starts once
 * the current turn of the event loop is over (setImmediate), so the orders uWS hands over in one
 * turn go in one produce request; writes that arrive while a send is in flight go together in
 * the next one. Alone, a record waits for no timer.
 */
export class BatchingWriter {
  private readonly producer: Producer;
  private connected: Promise<void> | null = null;
  private queue: PendingRecord[] = [];
  private sending = false;

  constructor(
    kafka: Kafka,
    private readonly topic: string,
  ) {
    this.producer = kafka.producer({
      allowAutoTopicCreation: false,
      idempotent: true,
      maxInFlightRequests: 1,
      retry: { retries: 5 },
    });
  }

  /** Resolves once Kafka has stored the record; rejects with why it did not. */
  write(key: string, value: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ key, value: Buffer.from(value.buffer, value.byteOffset, value.byteLength), resolve, reject });
      if (!this.sending) {
        this.sending = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_RECORDS_PER_SEND);
      try {
        this.connected ??= this.producer.connect().catch((error: Error) => {
          this.connected = null;
          throw error;
        });
        await this.connected;
        await this.producer.send({
          topic: this.topic,
          acks: -1,
          messages: batch.map(({ key, value }) => ({ key, value })),
        });
        for (const record of batch) record.resolve();
      } catch (error) {
        for (const record of batch) record.reject(error as Error);
      }
    }
    this.sending = false;
  }

  async stop(): Promise<void> {
    if (this.connected !== null) await this.producer.disconnect().catch(() => {});
  }
}
