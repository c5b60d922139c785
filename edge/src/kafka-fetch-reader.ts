import { KafkaConnection } from '@tickstream/schemas/kafka-connection';
import {
  type FetchLimits,
  fetchRequestBody,
  IsolationLevel,
  parseFetchResponse,
  readKeyedRecordBatches,
  readRecordValues,
} from '@tickstream/schemas/kafka-fetch';
import {
  ApiKey,
  ApiVersion,
  type ClusterMetadata,
  errorName,
  KafkaError,
  metadataRequest,
  parseMetadataResponse,
} from '@tickstream/schemas/kafka-protocol';
import type { PartitionReader, ReaderHooks } from './partition-reader.js';

/**
 * How the broker may hold a reader's Fetch (docs/edge.md, "Idle cost"):
 * - `prompt`: answered as soon as a record is there, else every 500 ms (the TickConsumer's sign
 *   of life); one answer holds at most 8 MB, so a slow edge falls behind in Kafka, not in memory.
 * - `unhurried`, while nobody waits for the records: held until 1 MB has gathered or 500 ms have
 *   passed. At 5,000 ticks/s that is 2 Fetches a second instead of one per produced batch
 *   (~80), each with its request, answer and wake-up. A bulk read fills 1 MB at once, so history
 *   loads as fast as before. `hurry()` cuts such a Fetch short when someone starts waiting.
 * - `sparse`, for topics written now and then (users, orders, bars): answered as soon as a
 *   record is there, else every 3 s instead of twice a second.
 * - `{ holdMs }`, records needed by a deadline and not sooner (the edge's next window close):
 *   held until 16 KB have gathered or `holdMs` have passed. At 5,000 ticks/s a window's ticks
 *   are a few KB, so the edge asks once a window instead of once per produced batch (~350 a
 *   second); at 250,000 ticks/s 16 KB gather within a ms or two, so a fast feed is not held back.
 */
export type FetchPace = 'prompt' | 'unhurried' | 'sparse' | { holdMs: number };
type NamedPace = Exclude<FetchPace, { holdMs: number }>;
const PROMPT: FetchLimits = { maxWaitMs: 500, minBytes: 1, maxBytes: 8 << 20, partitionMaxBytes: 1 << 20 };
const LIMITS: Record<NamedPace, FetchLimits> = {
  prompt: PROMPT,
  unhurried: { ...PROMPT, maxWaitMs: 500, minBytes: 1 << 20 },
  sparse: { ...PROMPT, maxWaitMs: 3000 },
};
/** A deadline pace's `minBytes`: about 4 ms of ticks at 250,000 a second, a few windows' at 5,000. */
const DEADLINE_MIN_BYTES = 16 << 10;
/** A deadline pace's longest hold: as long as a prompt Fetch's, so silence means the same. */
const DEADLINE_MAX_WAIT_MS = PROMPT.maxWaitMs;

function limitsOf(pace: FetchPace): FetchLimits {
  if (typeof pace === 'string') return LIMITS[pace];
  const holdMs = Math.min(DEADLINE_MAX_WAIT_MS, Math.max(0, Math.floor(pace.holdMs)));
  return { ...PROMPT, maxWaitMs: Number.isNaN(holdMs) ? 0 : holdMs, minBytes: DEADLINE_MIN_BYTES };
}
const CONNECT_TIMEOUT_MS = 2000;
const REQUEST_TIMEOUT_MS =
  Math.max(DEADLINE_MAX_WAIT_MS, ...Object.values(LIMITS).map((limits) => limits.maxWaitMs)) + 5000;
const MAX_BACKOFF_MS = 3000;

/** One round of reading: its connections, and whether it is over (then every loop of it stops). */
interface Round {
  over: boolean;
  connections: Set<KafkaConnection>;
}

interface ReadPosition {
  topic: number;
  partition: number;
  offset: number;
}

/**
 * The edge's own Kafka reader: Fetch v4 straight to each partition's leader, records handed
 * over as views on the response, read_committed unless told otherwise. It replaces a kafkajs consumer on the hot path because that
 * cost 0.29 of a core at 5,000 ticks/s in per-fetch and per-record overhead (docs/edge.md,
 * "Reading Kafka"). No consumer group: every edge reads every partition from where its
 * TickConsumer says. Any failure (a broker gone, a leader moved, a malformed answer) ends the
 * round: connections are dropped, metadata is read again and reading resumes at the positions
 * reached, after a backoff.
 */
export class KafkaFetchReader implements PartitionReader {
  private stopped = false;
  private running: Promise<void> = Promise.resolve();
  private readonly connections = new Set<KafkaConnection>();
  /** Connections whose Fetch the broker may be holding for long (`unhurried`): what hurry() cuts short. */
  private readonly held = new Set<KafkaConnection>();
  /** Connections hurry() closed: their failure is a Fetch to ask again, not a reason to read metadata again. */
  private readonly hurried = new WeakSet<KafkaConnection>();
  private wake: () => void = () => {};

  constructor(
    private readonly options: {
      brokers: string[];
      clientId: string;
      topics: string[];
      /** Where to go when a position is no longer in the log (retention, truncation). */
      resetOffset: (topic: string, partition: number, from: number) => Promise<number>;
      /**
       * read_committed (default): records of aborted transactions and control batches are never
       * handed over, and a partition ends at its last stable offset. For records written without
       * transactions both levels read the same.
       */
      isolation?: IsolationLevel;
      /** Asked before each Fetch: how the broker may hold it. Default: prompt. */
      pace?: () => FetchPace;
    },
    private readonly hooks: ReaderHooks,
  ) {}

  async start(): Promise<void> {
    this.running = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const connection of this.connections) connection.close('closed: the edge is stopping');
    this.wake();
    await this.running;
  }

  /**
   * Someone now waits for the records (the edge's first client): a Fetch held `unhurried` (up
   * to 500 ms) is abandoned and asked again at the pace now asked for. Kafka cannot cancel a
   * request, and answers a connection's requests in order, so the held one's connection is
   * closed and a new one opened to the same broker; nothing of the abandoned answer was read, so
   * reading resumes where it was. A prompt or deadline Fetch is answered soon anyway: left alone.
   */
  hurry(): void {
    for (const connection of this.held) {
      this.hurried.add(connection);
      connection.close('closed to cut a held Fetch short');
    }
    this.held.clear();
  }

  private async run(): Promise<void> {
    let failures = 0;
    let said = '';
    while (!this.stopped) {
      try {
        await this.readRound(() => {
          failures = 0;
          said = '';
        });
      } catch (error) {
        if (this.stopped) return;
        const reason = (error as Error).message;
        if (reason !== said) this.hooks.log(`Kafka read failed (${reason}); retrying`);
        said = reason;
        const backoff = Math.min(250 * 2 ** failures++, MAX_BACKOFF_MS);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, backoff);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
  }

  /** One round: metadata, a connection per leader, and a fetch loop on each until one fails. */
  private async readRound(onProgress: () => void): Promise<void> {
    const metadata = await this.readMetadata();
    const byLeader = new Map<number, ReadPosition[]>();
    for (const [topic, name] of this.options.topics.entries()) {
      const described = metadata.topics.get(name);
      if (described === undefined || described.errorCode !== KafkaError.NONE)
        throw new Error(`topic ${name}: ${errorName(described?.errorCode ?? KafkaError.UNKNOWN_TOPIC_OR_PARTITION)}`);
      for (const { partition, leader, errorCode } of described.partitions) {
        if (leader < 0) throw new Error(`${name}[${partition}] has no leader (${errorName(errorCode)})`);
        const offset = this.hooks.startOffset(name, partition);
        if (offset === undefined) throw new Error(`no start offset for ${name}[${partition}]`);
        const positions = byLeader.get(leader) ?? [];
        positions.push({ topic, partition, offset });
        byLeader.set(leader, positions);
      }
    }
    const round: Round = { over: false, connections: new Set() };
    const loops = [...byLeader].map(async ([leader, positions]) => {
      const broker = metadata.brokers.get(leader);
      if (broker === undefined) throw new Error(`leader ${leader} is not among the brokers Kafka listed`);
      await this.fetchLoop(broker.host, broker.port, positions, round, onProgress);
    });
    try {
      await Promise.race(loops);
    } finally {
      // Loops still connecting see `over` once connected and stop too: none outlives its round.
      round.over = true;
      for (const connection of round.connections) connection.close('closed to read metadata again');
      await Promise.allSettled(loops);
    }
  }

  /** Fetches from one leader until the round ends; a connection hurry() closed is replaced, not failed. */
  private async fetchLoop(
    host: string,
    port: number,
    positions: ReadPosition[],
    round: Round,
    onProgress: () => void,
  ): Promise<void> {
    const { topics } = this.options;
    const isolation = this.options.isolation ?? IsolationLevel.readCommitted;
    const committed = isolation === IsolationLevel.readCommitted;
    const byKey = new Map(positions.map((position) => [`${topics[position.topic]}:${position.partition}`, position]));
    // Values are read before the next Fetch and copied by whoever keeps them (ReaderHooks.onValue),
    // so each answer may land in the connection's reused buffer; keyed records keep views on it.
    const transient = this.hooks.onRecord === undefined;
    let connection = await this.connect(host, port, round);
    while (!this.stopped && !round.over) {
      const request = topics.flatMap((topic, index) => {
        const partitions = positions.filter((position) => position.topic === index);
        return partitions.length === 0 ? [] : [{ topic, partitions }];
      });
      const pace = this.options.pace?.() ?? 'prompt';
      const body = fetchRequestBody(request, limitsOf(pace), isolation);
      const asked = connection;
      if (pace === 'unhurried') this.held.add(asked);
      let answer: Buffer;
      try {
        answer = await asked.request(ApiKey.fetch, ApiVersion.fetch, [body], body.length, true, transient);
      } catch (error) {
        if (!this.hurried.has(asked) || this.stopped || round.over) throw error;
        connection = await this.connect(host, port, round);
        continue;
      } finally {
        this.held.delete(asked);
      }
      this.hooks.onFetchAnswered();
      onProgress();
      for (const fetched of parseFetchResponse(answer)) {
        const position = byKey.get(`${fetched.topic}:${fetched.partition}`);
        if (position === undefined)
          throw new Error(`${connection.address} answered for ${fetched.topic}[${fetched.partition}], never asked`);
        if (fetched.errorCode === KafkaError.OFFSET_OUT_OF_RANGE) {
          const reset = await this.options.resetOffset(fetched.topic, fetched.partition, position.offset);
          this.hooks.log(
            `${fetched.topic}[${fetched.partition}]: offset ${position.offset} is no longer in the log; reading from ${reset}`,
          );
          position.offset = reset;
          continue;
        }
        if (fetched.errorCode !== KafkaError.NONE)
          throw new Error(
            `${fetched.topic}[${fetched.partition}] on ${connection.address}: ${errorName(fetched.errorCode)}`,
          );
        if (fetched.records !== null && fetched.records.length > 0) {
          const { topic, partition } = position;
          const aborted = committed ? fetched.abortedTransactions : null;
          const keyed = this.hooks.onRecord?.bind(this.hooks);
          position.offset = keyed
            ? readKeyedRecordBatches(
                fetched.records,
                position.offset,
                (offset, key, value) => keyed(topic, partition, key, value, offset),
                aborted,
              )
            : readRecordValues(
                fetched.records,
                position.offset,
                (bytes, start, end, offset) => this.hooks.onValue(topic, partition, bytes, start, end, offset),
                aborted,
              );
        }
        // read_committed can read no further than the last stable offset (an older broker may not say: -1).
        const end = committed && fetched.lastStableOffset >= 0 ? fetched.lastStableOffset : fetched.highWatermark;
        this.hooks.onPartitionRead(position.topic, position.partition, position.offset, end);
      }
    }
  }

  private async readMetadata(): Promise<ClusterMetadata> {
    const failures: string[] = [];
    for (const address of this.options.brokers) {
      const [host, port] = splitAddress(address);
      try {
        const connection = await this.connect(host, port);
        try {
          const body = metadataRequest(this.options.topics);
          return parseMetadataResponse(
            await connection.request(ApiKey.metadata, ApiVersion.metadata, [body], body.length),
          );
        } finally {
          connection.close('closed after reading metadata');
        }
      } catch (error) {
        failures.push((error as Error).message);
      }
    }
    throw new Error(`no broker answered for metadata: ${failures.join('; ')}`);
  }

  private async connect(host: string, port: number, round?: Round): Promise<KafkaConnection> {
    const connection = await KafkaConnection.connect({
      host,
      port,
      clientId: this.options.clientId,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
    });
    this.connections.add(connection);
    round?.connections.add(connection);
    connection.onClose(() => {
      this.connections.delete(connection);
      round?.connections.delete(connection);
    });
    if (this.stopped) connection.close('closed: the edge is stopping');
    else if (round?.over) connection.close('closed: its round of reading is over');
    return connection;
  }
}

function splitAddress(address: string): [string, number] {
  const colon = address.lastIndexOf(':');
  const port = Number(address.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port)) throw new Error(`broker address ${address} is not HOST:PORT`);
  return [address.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port];
}
