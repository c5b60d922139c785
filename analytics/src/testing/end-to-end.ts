import { TickEncoder } from '@tickstream/schemas';
import type kafkajs from 'kafkajs';
import { until } from '../../../broker/src/testing/until.js';
import type { AnalyticsTopics } from '../analytics.js';

// What the end-to-end tests of the job's user-facing paths (alerts, trading) share: each runs
// the real job against real Kafka, on topics of its own, fed one symbol's ticks by hand.

/**
 * kafkajs's createTopics waits for leaders but retries only LEADER_NOT_AVAILABLE; a just-created
 * topic on Apache Kafka can answer UNKNOWN_TOPIC_OR_PARTITION for a moment (seen under load), so
 * the wait is ours.
 */
export async function createTopicSettled(admin: kafkajs.Admin, topic: string): Promise<void> {
  await admin.createTopics({ waitForLeaders: false, topics: [{ topic, numPartitions: 3 }] });
  await until(
    async () => {
      try {
        const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
        return metadata.topics[0]?.partitions.every((partition) => partition.leader >= 0) ?? false;
      } catch {
        return false;
      }
    },
    30_000,
    `topic ${topic} to have leaders`,
  );
}

/** Every topic of a job named after its ticks topic, so no two tests' jobs share one; `own` names some itself. */
export function topicsAfter(ticks: string, own: Partial<AnalyticsTopics> = {}): AnalyticsTopics {
  return {
    ticks,
    events: `${ticks}-events`,
    candles: `${ticks}-candles`,
    correlations: `${ticks}-corr`,
    alerts: `${ticks}-alerts`,
    alertEvents: `${ticks}-alert-events`,
    orders: `${ticks}-orders`,
    fills: `${ticks}-fills`,
    portfolios: `${ticks}-portfolios`,
    ...own,
  };
}

/** The job's own log on stderr when TICKSTREAM_TEST_LOG=1, else nowhere: a failing run can be read again. */
export function jobLog(): (line: string) => void {
  return process.env.TICKSTREAM_TEST_LOG === '1' ? (line) => process.stderr.write(`[analytics] ${line}\n`) : () => {};
}

/** AAPL's trade and quote at one moment (price units of the schema: 1/10,000). */
export interface AaplQuote {
  price: number;
  size: number;
  bid: number;
  ask: number;
}

/** A running tick loop; `stop` ends it and waits for the tick in flight (again: at once). */
export interface TickLoop {
  /** The sequence number of the last tick sent. */
  readonly sequence: number;
  /** When Kafka acknowledged tick `sequence` to the writer (wall clock ms; the tick's exchange time is when it was stamped). */
  ackedAt(sequence: number): number | undefined;
  stop(): Promise<void>;
}

/**
 * Writes an AAPL tick every `everyMs`, stamped with the wall clock, at whatever `quote()` says at
 * that moment (a test moves the price by changing what it returns).
 */
export function tickAapl(producer: kafkajs.Producer, topic: string, quote: () => AaplQuote, everyMs = 50): TickLoop {
  const encoder = new TickEncoder();
  let ticking = true;
  let sequence = 0;
  const acked = new Map<number, number>();
  const loop = (async () => {
    while (ticking) {
      sequence++;
      const tick = { symbol: 'AAPL', sector: 'Technology', ...quote(), exchangeTimeUs: Date.now() * 1000, sequence };
      await producer.send({ topic, messages: [{ key: 'AAPL', value: Buffer.from(encoder.encode(tick)) }] });
      acked.set(sequence, Date.now());
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    get sequence() {
      return sequence;
    },
    ackedAt: (at) => acked.get(at),
    stop: async () => {
      ticking = false;
      await loop;
    },
  };
}
