import { kafkajsSecurity, kafkaSecurityFromEnv } from '@tickstream/schemas/kafka-security';
import kafkajs, { type Admin } from 'kafkajs';

const { Kafka, logLevel } = kafkajs;

/** Ticks Kafka acknowledged to up's producer, and ticks the topic gained, since up started. */
export interface TickCounts {
  acked: number;
  stored: number;
}

/**
 * The lost-data check behind every fault's record (process-faults.ts): ticks Kafka acknowledged
 * since up started, read first, then the ticks the topic gained since then (its end offsets).
 * Every acknowledged tick is below the end offsets read after, so stored < acked means
 * acknowledged ticks are gone, whichever component the fault hit.
 */
export class TickLedger {
  private constructor(
    private readonly bootstrap: string,
    private readonly topic: string,
    /** The ticks the topic held before the producer started: what it gained since is the producer's. */
    private readonly storedAtStart: number,
    private readonly ackedTicks: () => number,
  ) {}

  /** Call before the producer starts: the topic's end offsets then are where its ticks begin. */
  static async beforeProducer(bootstrap: string, topic: string, ackedTicks: () => number): Promise<TickLedger> {
    const stored = await withAdmin(bootstrap, async (admin) =>
      (await admin.listTopics()).includes(topic) ? sumOfEndOffsets(admin, topic) : 0,
    );
    return new TickLedger(bootstrap, topic, stored, ackedTicks);
  }

  async tickCounts(): Promise<TickCounts> {
    // Acknowledged first: each of those is below the end offsets read after.
    const acked = this.ackedTicks();
    const stored = await withAdmin(this.bootstrap, (admin) => sumOfEndOffsets(admin, this.topic));
    return { acked, stored: stored - this.storedAtStart };
  }
}

/** A short-lived admin per question: a long-lived one may hold a connection to a node just killed. */
export async function withAdmin<T>(bootstrap: string, use: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Kafka({
    clientId: 'tickstream-up-tick-ledger',
    brokers: bootstrap.split(','),
    ...kafkajsSecurity(kafkaSecurityFromEnv()),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
  }).admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** Every record ever written (retention moves the start offsets, never the ends). */
async function sumOfEndOffsets(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, partition) => sum + Number(partition.high), 0);
}
