import { KafkaConnection } from '@tickstream/schemas/kafka-connection';
import {
  type FetchLimits,
  type FetchTopicRequest,
  fetchRequestBody,
  IsolationLevel,
  offsetAfterBatches,
  parseFetchResponse,
  RecordBatchWalker,
} from '@tickstream/schemas/kafka-fetch';
import {
  ApiKey,
  ApiVersion,
  errorName,
  KafkaError,
  metadataRequest,
  parseMetadataResponse,
} from '@tickstream/schemas/kafka-protocol';

/**
 * Small answers: a replay holds at most one answer per partition it reads, so these bound its
 * memory (about partitions × 256 KB), and maxWait 0 because a replay reads the past: what is
 * not there yet is not waited for.
 */
const LIMITS: FetchLimits = { maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, partitionMaxBytes: 256 << 10 };
const CONNECT_TIMEOUT_MS = 2000;
const REQUEST_TIMEOUT_MS = 10_000;
/**
 * A partition read to its end holds nothing older than when that was found; it is asked again
 * once the replay's clock comes within this much of that moment (ticks reach Kafka after their
 * exchange time).
 */
const END_MARGIN_US = 2_000_000;

/** A Fetch answer for one partition, kept as the broker sent it until the merge reaches it. */
interface Answer {
  walker: RecordBatchWalker;
}

interface PartitionCursor {
  topic: number;
  partition: number;
  leader: number;
  /** Offset the next Fetch asks for: after the answers fetched so far. */
  fetchOffset: number;
  /** The answer being read, one batch at a time (null: none). */
  reading: Answer | null;
  /** The answer fetched ahead, started once `reading` is done (at most one: bounded memory). */
  ahead: Answer | null;
  /** A Fetch for this partition is out. */
  inFlight: boolean;
  /** The decoded batch's records not yet handed over, with their event times. */
  values: Buffer[];
  times: number[];
  next: number;
  /** Wall time (µs) at which a Fetch found the partition's end; 0 while not at the end. */
  endFoundAtUs: number;
}

export interface ReplayReaderOptions {
  brokers: string[];
  clientId: string;
  topics: string[];
  /** A record's event time, µs (NaN when it does not decode: handed over first, for its reader to count). */
  timeOf: (topic: number, value: Buffer) => number;
}

/** What one take() handed over. */
export interface Taken {
  records: number;
  /** Event time of the newest record handed over (0: none). */
  lastTimeUs: number;
  /** Stopped at the deadline, with records at or before `untilUs` still to come. */
  budgetSpent: boolean;
  /** Stopped because a partition's next records are still on their way from Kafka (whenFetched()). */
  waiting: boolean;
  /** Every partition is read to its end (some maybe being asked again): the replay has caught up with what Kafka holds. */
  atEnd: boolean;
}

/**
 * One replay's private Kafka reader: it reads the given topics' partitions from offsets it is told
 * (ListOffsets by timestamp, replays.ts) with its own Fetch requests, only as far as the replay's
 * clock needs, and hands records over merged across partitions in event-time order.
 *
 * The live fan-out comes first, so everything this reader does on the event loop is bounded by
 * the caller's deadline: take() is synchronous and decompresses a Fetch answer one record batch
 * at a time, only when the merge needs its next record; the answers themselves arrive in the
 * background (one read ahead per partition) and are only kept, never decoded, on arrival.
 * Nothing is read ahead beyond that, so a paused or slow replay costs Kafka nothing and holds
 * bounded memory (two answers per partition). Any Kafka failure reaches the replay, which stops
 * with the reason.
 */
export class ReplayReader {
  private cursors: PartitionCursor[] = [];
  private readonly connections = new Map<number, Promise<KafkaConnection>>();
  private brokers = new Map<number, { host: string; port: number }>();
  private closed = false;
  /** Bumped by seek(): answers to Fetches sent before it are dropped. */
  private generation = 0;
  private fetching = new Set<Promise<void>>();
  private failure: Error | null = null;

  constructor(private readonly options: ReplayReaderOptions) {}

  /** Reads from these offsets (by "topic:partition") on; what was fetched before is dropped. */
  async seek(offsets: ReadonlyMap<string, number>): Promise<void> {
    if (this.brokers.size === 0) await this.readMetadata(offsets);
    this.generation++;
    for (const cursor of this.cursors) {
      const offset = offsets.get(`${this.options.topics[cursor.topic]}:${cursor.partition}`);
      if (offset === undefined)
        throw new Error(`no start offset for ${this.options.topics[cursor.topic]}[${cursor.partition}]`);
      cursor.fetchOffset = offset;
      cursor.reading = null;
      cursor.ahead = null;
      cursor.inFlight = false;
      cursor.values = [];
      cursor.times = [];
      cursor.next = 0;
      cursor.endFoundAtUs = 0;
    }
  }

  /**
   * Hands over, oldest first across partitions, every record with an event time up to `untilUs`,
   * until `deadlineMs` (performance.now()) passes, including the decompressing and decoding of
   * what it hands over; or until a partition it needs is still being fetched (`waiting`).
   */
  take(untilUs: number, deadlineMs: number, onRecord: (topic: number, value: Buffer, timeUs: number) => void): Taken {
    if (this.failure !== null) throw this.failure;
    const taken: Taken = { records: 0, lastTimeUs: 0, budgetSpent: false, waiting: false, atEnd: false };
    this.fetchMore(untilUs);
    for (;;) {
      let oldest: PartitionCursor | null = null;
      let oldestTime = Number.POSITIVE_INFINITY;
      /** Records after this may still come from a partition with nothing buffered. */
      let boundUs = Number.POSITIVE_INFINITY;
      let atEnd = true;
      let decoded = false;
      for (const cursor of this.cursors) {
        if (cursor.next >= cursor.values.length) {
          if (!this.decodeBatch(cursor)) {
            // A partition read to its end holds nothing older than a margin before when that
            // was found; any other may hold the oldest record, so nothing passes it.
            const bound = cursor.endFoundAtUs > 0 ? cursor.endFoundAtUs - END_MARGIN_US : Number.NEGATIVE_INFINITY;
            if (bound < boundUs) boundUs = bound;
            if (cursor.endFoundAtUs === 0) atEnd = false;
            continue;
          }
          decoded = true;
        }
        atEnd = false;
        const time = cursor.times[cursor.next] as number;
        // NaN (a record that does not decode) goes first: its reader counts and skips it.
        if (Number.isNaN(time) || time < oldestTime) {
          oldest = cursor;
          oldestTime = Number.isNaN(time) ? Number.NEGATIVE_INFINITY : time;
        }
      }
      if (oldest === null || oldestTime > Math.min(untilUs, boundUs)) {
        // Held back by a partition whose next records are not here yet: asked for, they come
        // in the background, and the next take() goes on.
        if (boundUs < untilUs) {
          this.fetchMore(untilUs);
          taken.waiting = true;
        }
        taken.atEnd = atEnd;
        return taken;
      }
      // The clock is read after each batch decoded (the costly step) and every 64 records: a
      // slice overruns its deadline by at most one batch or 64 records.
      if ((decoded || (taken.records & 63) === 63) && performance.now() > deadlineMs) {
        taken.budgetSpent = true;
        return taken;
      }
      const value = oldest.values[oldest.next] as Buffer;
      oldest.next++;
      onRecord(oldest.topic, value, oldestTime);
      taken.records++;
      if (oldestTime > taken.lastTimeUs) taken.lastTimeUs = oldestTime;
      if (oldest.next >= oldest.values.length) this.fetchMore(untilUs);
    }
  }

  /** Settles once the Fetches now out are answered; rejects with a Kafka failure. */
  async whenFetched(): Promise<void> {
    await Promise.all(this.fetching);
    if (this.failure !== null) throw this.failure;
  }

  /**
   * After seek(): the newest of the partitions' first event times, i.e. from when on every
   * partition still holds its records (0: nothing there).
   */
  async firstTimeUs(): Promise<number> {
    for (;;) {
      this.fetchMore(Number.POSITIVE_INFINITY);
      await this.whenFetched();
      let newest = 0;
      let pending = false;
      for (const cursor of this.cursors) {
        if (cursor.next >= cursor.values.length && !this.decodeBatch(cursor)) {
          if (cursor.endFoundAtUs === 0) pending = true;
          continue;
        }
        const time = cursor.times[cursor.next] as number;
        if (time > newest) newest = time;
      }
      if (!pending) return newest;
    }
  }

  close(): void {
    this.closed = true;
    this.generation++;
    for (const connecting of this.connections.values())
      connecting.then(
        (connection) => connection.close('closed: the replay ended'),
        () => {},
      );
    this.connections.clear();
  }

  /** The cursor's next batch into its buffer, from the answer being read or the one ahead; false if none is here. */
  private decodeBatch(cursor: PartitionCursor): boolean {
    const { timeOf } = this.options;
    const values: Buffer[] = [];
    const times: number[] = [];
    const collect = (_offset: number, value: Buffer): void => {
      values.push(value);
      times.push(timeOf(cursor.topic, value));
    };
    for (;;) {
      if (cursor.reading === null) {
        if (cursor.ahead === null) return false;
        cursor.reading = cursor.ahead;
        cursor.ahead = null;
      }
      if (!cursor.reading.walker.readBatch(collect)) {
        cursor.reading = null;
        continue;
      }
      if (values.length === 0) continue;
      cursor.values = values;
      cursor.times = times;
      cursor.next = 0;
      return true;
    }
  }

  /**
   * Sends a Fetch, in the background, for every partition with no answer ahead and none out that
   * may hold records up to `untilUs`: a partition read to its end is asked again only once the
   * clock comes near the moment its end was found.
   */
  private fetchMore(untilUs: number): void {
    if (this.closed || this.failure !== null) return;
    const byLeader = new Map<number, PartitionCursor[]>();
    for (const cursor of this.cursors) {
      if (cursor.inFlight || cursor.ahead !== null) continue;
      if (cursor.endFoundAtUs > 0 && untilUs <= cursor.endFoundAtUs - END_MARGIN_US) continue;
      cursor.inFlight = true;
      const cursors = byLeader.get(cursor.leader) ?? [];
      cursors.push(cursor);
      byLeader.set(cursor.leader, cursors);
    }
    for (const [leader, cursors] of byLeader) {
      const generation = this.generation;
      const fetching: Promise<void> = this.fetch(leader, cursors, generation)
        .catch((error: Error) => {
          // A failure of a Fetch for offsets a seek left behind is no longer the replay's.
          if (generation === this.generation) this.failure ??= error;
        })
        .finally(() => this.fetching.delete(fetching));
      this.fetching.add(fetching);
    }
  }

  private async fetch(leader: number, cursors: PartitionCursor[], generation: number): Promise<void> {
    const { topics } = this.options;
    const request: FetchTopicRequest[] = topics.flatMap((topic, index) => {
      const partitions = cursors
        .filter((cursor) => cursor.topic === index)
        .map((cursor) => ({ partition: cursor.partition, offset: cursor.fetchOffset }));
      return partitions.length === 0 ? [] : [{ topic, partitions }];
    });
    const body = fetchRequestBody(request, LIMITS, IsolationLevel.readCommitted);
    const connection = await this.connection(leader);
    const answer = await connection.request(ApiKey.fetch, ApiVersion.fetch, [body], body.length);
    // Sought or closed meanwhile: this answer is for offsets no longer read.
    if (generation !== this.generation) return;
    const nowUs = Date.now() * 1000;
    for (const cursor of cursors) cursor.inFlight = false;
    for (const fetched of parseFetchResponse(answer)) {
      const cursor = cursors.find((c) => topics[c.topic] === fetched.topic && c.partition === fetched.partition);
      if (cursor === undefined)
        throw new Error(`Kafka answered for ${fetched.topic}[${fetched.partition}], never asked`);
      if (fetched.errorCode === KafkaError.OFFSET_OUT_OF_RANGE)
        throw new Error(
          `${fetched.topic}[${fetched.partition}]: offset ${cursor.fetchOffset} is no longer in the log (retention passed the replay)`,
        );
      if (fetched.errorCode !== KafkaError.NONE)
        throw new Error(`${fetched.topic}[${fetched.partition}]: ${errorName(fetched.errorCode)}`);
      const from = cursor.fetchOffset;
      const records = fetched.records ?? Buffer.alloc(0);
      // Only the batch headers are read now; the records are decoded when the merge reaches them.
      cursor.fetchOffset = offsetAfterBatches(records, from);
      if (cursor.fetchOffset > from)
        cursor.ahead = { walker: new RecordBatchWalker(records, from, fetched.abortedTransactions) };
      const end = fetched.lastStableOffset >= 0 ? fetched.lastStableOffset : fetched.highWatermark;
      cursor.endFoundAtUs = cursor.fetchOffset === from && from >= end ? nowUs : 0;
    }
  }

  private async readMetadata(offsets: ReadonlyMap<string, number>): Promise<void> {
    const failures: string[] = [];
    for (const address of this.options.brokers) {
      const colon = address.lastIndexOf(':');
      const host = address.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
      const port = Number(address.slice(colon + 1));
      let connection: KafkaConnection;
      try {
        connection = await this.connect(host, port);
      } catch (error) {
        failures.push((error as Error).message);
        continue;
      }
      try {
        const body = metadataRequest(this.options.topics);
        const metadata = parseMetadataResponse(
          await connection.request(ApiKey.metadata, ApiVersion.metadata, [body], body.length),
        );
        this.brokers = new Map([...metadata.brokers].map(([id, broker]) => [id, broker]));
        this.cursors = [];
        for (const [topic, name] of this.options.topics.entries()) {
          const described = metadata.topics.get(name);
          if (described === undefined || described.errorCode !== KafkaError.NONE)
            throw new Error(
              `topic ${name}: ${errorName(described?.errorCode ?? KafkaError.UNKNOWN_TOPIC_OR_PARTITION)}`,
            );
          for (const { partition, leader, errorCode } of described.partitions) {
            if (leader < 0) throw new Error(`${name}[${partition}] has no leader (${errorName(errorCode)})`);
            const offset = offsets.get(`${name}:${partition}`) ?? 0;
            this.cursors.push({
              topic,
              partition,
              leader,
              fetchOffset: offset,
              reading: null,
              ahead: null,
              inFlight: false,
              values: [],
              times: [],
              next: 0,
              endFoundAtUs: 0,
            });
          }
        }
        return;
      } finally {
        connection.close('closed after reading metadata');
      }
    }
    throw new Error(`no broker answered for metadata: ${failures.join('; ')}`);
  }

  /** The leader's connection, opened once even when Fetches to it start while it is connecting. */
  private connection(leader: number): Promise<KafkaConnection> {
    const open = this.connections.get(leader);
    if (open !== undefined) return open;
    const broker = this.brokers.get(leader);
    if (broker === undefined)
      return Promise.reject(new Error(`leader ${leader} is not among the brokers Kafka listed`));
    const connecting = this.connect(broker.host, broker.port);
    this.connections.set(leader, connecting);
    connecting.then(
      (connection) =>
        connection.onClose(() => {
          if (this.connections.get(leader) === connecting) this.connections.delete(leader);
        }),
      () => {
        if (this.connections.get(leader) === connecting) this.connections.delete(leader);
      },
    );
    return connecting;
  }

  private async connect(host: string, port: number): Promise<KafkaConnection> {
    const connection = await KafkaConnection.connect({
      host,
      port,
      clientId: this.options.clientId,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
    });
    if (this.closed) connection.close('closed: the replay ended');
    return connection;
  }
}
