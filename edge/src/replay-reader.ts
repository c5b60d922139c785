import { KafkaConnection } from '@tickstream/schemas/kafka-connection';
import {
  type FetchLimits,
  type FetchTopicRequest,
  fetchRequestBody,
  IsolationLevel,
  parseFetchResponse,
  readRecordBatches,
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

interface PartitionCursor {
  topic: number;
  partition: number;
  leader: number;
  /** Next offset to fetch. */
  offset: number;
  /** Records fetched and not yet handed over, with their event times. */
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
  /** Every partition is read to its end: the replay has caught up with what Kafka holds. */
  atEnd: boolean;
}

/**
 * One replay's private Kafka reader: it reads the given topics' partitions from offsets it is told
 * (ListOffsets by timestamp, replays.ts) with its own Fetch requests, only as far as the replay's
 * clock needs, and hands records over merged across partitions in event-time order. Nothing is
 * read ahead beyond one Fetch answer per partition, so a paused or slow replay costs Kafka nothing
 * and holds bounded memory. Any Kafka failure throws to the replay, which stops with the reason.
 */
export class ReplayReader {
  private cursors: PartitionCursor[] = [];
  private readonly connections = new Map<number, KafkaConnection>();
  private brokers = new Map<number, { host: string; port: number }>();
  private closed = false;

  constructor(private readonly options: ReplayReaderOptions) {}

  /** Reads from these offsets (by "topic:partition") on; what was fetched before is dropped. */
  async seek(offsets: ReadonlyMap<string, number>): Promise<void> {
    if (this.brokers.size === 0) await this.readMetadata(offsets);
    for (const cursor of this.cursors) {
      const offset = offsets.get(`${this.options.topics[cursor.topic]}:${cursor.partition}`);
      if (offset === undefined)
        throw new Error(`no start offset for ${this.options.topics[cursor.topic]}[${cursor.partition}]`);
      cursor.offset = offset;
      cursor.values = [];
      cursor.times = [];
      cursor.next = 0;
      cursor.endFoundAtUs = 0;
    }
  }

  /**
   * Hands over, oldest first across partitions, every record with an event time up to `untilUs`,
   * until it has spent `budgetMs` of CPU time (waiting for Kafka not counted, nor time the
   * machine gave other processes): the edge's share of a window for this replay.
   */
  async take(
    untilUs: number,
    budgetMs: number,
    onRecord: (topic: number, value: Buffer, timeUs: number) => void,
  ): Promise<Taken> {
    const taken: Taken = { records: 0, lastTimeUs: 0, budgetSpent: false, atEnd: false };
    let emptied = true;
    let spentMs = 0;
    let sliceStartMs = cpuMs();
    for (;;) {
      // Only when a partition's buffer ran out: the merge then needs its next record to compare.
      if (emptied) {
        spentMs += cpuMs() - sliceStartMs;
        await this.fill(untilUs);
        sliceStartMs = cpuMs();
      }
      emptied = false;
      let oldest: PartitionCursor | null = null;
      let oldestTime = Number.POSITIVE_INFINITY;
      let atEnd = true;
      for (const cursor of this.cursors) {
        if (cursor.next >= cursor.values.length) continue;
        atEnd = false;
        const time = cursor.times[cursor.next] as number;
        // NaN (a record that does not decode) goes first: its reader counts and skips it.
        if (Number.isNaN(time) || time < oldestTime) {
          oldest = cursor;
          oldestTime = Number.isNaN(time) ? Number.NEGATIVE_INFINITY : time;
        }
      }
      if (oldest === null || oldestTime > untilUs) {
        taken.atEnd = atEnd && this.cursors.every((cursor) => cursor.endFoundAtUs > 0);
        return taken;
      }
      // The clock is read every 64 records: cheap, and a window overruns by at most 64 records.
      if ((taken.records & 63) === 63 && spentMs + cpuMs() - sliceStartMs > budgetMs) {
        taken.budgetSpent = true;
        return taken;
      }
      const value = oldest.values[oldest.next] as Buffer;
      oldest.next++;
      if (oldest.next === oldest.values.length) emptied = true;
      onRecord(oldest.topic, value, oldestTime);
      taken.records++;
      if (oldestTime > taken.lastTimeUs) taken.lastTimeUs = oldestTime;
    }
  }

  /**
   * After seek(): the newest of the partitions' first event times, i.e. from when on every
   * partition still holds its records (0: nothing there).
   */
  async firstTimeUs(): Promise<number> {
    await this.fill(Number.POSITIVE_INFINITY);
    let newest = 0;
    for (const cursor of this.cursors) {
      const time = cursor.times[cursor.next];
      if (time !== undefined && time > newest) newest = time;
    }
    return newest;
  }

  close(): void {
    this.closed = true;
    for (const connection of this.connections.values()) connection.close('closed: the replay ended');
    this.connections.clear();
  }

  /** Fetches for every partition that has nothing buffered and may hold records up to `untilUs`. */
  private async fill(untilUs: number): Promise<void> {
    const nowUs = Date.now() * 1000;
    const needy = this.cursors.filter(
      (cursor) =>
        cursor.next >= cursor.values.length &&
        (cursor.endFoundAtUs === 0 || untilUs > cursor.endFoundAtUs - END_MARGIN_US),
    );
    if (needy.length === 0) return;
    const byLeader = new Map<number, PartitionCursor[]>();
    for (const cursor of needy) byLeader.set(cursor.leader, [...(byLeader.get(cursor.leader) ?? []), cursor]);
    await Promise.all([...byLeader].map(([leader, cursors]) => this.fetch(leader, cursors, nowUs)));
  }

  private async fetch(leader: number, cursors: PartitionCursor[], nowUs: number): Promise<void> {
    const { topics, timeOf } = this.options;
    const request: FetchTopicRequest[] = topics.flatMap((topic, index) => {
      const partitions = cursors.filter((cursor) => cursor.topic === index);
      return partitions.length === 0 ? [] : [{ topic, partitions }];
    });
    const body = fetchRequestBody(request, LIMITS, IsolationLevel.readCommitted);
    const connection = await this.connection(leader);
    const answer = await connection.request(ApiKey.fetch, ApiVersion.fetch, [body], body.length);
    for (const fetched of parseFetchResponse(answer)) {
      const cursor = cursors.find((c) => topics[c.topic] === fetched.topic && c.partition === fetched.partition);
      if (cursor === undefined)
        throw new Error(`Kafka answered for ${fetched.topic}[${fetched.partition}], never asked`);
      if (fetched.errorCode === KafkaError.OFFSET_OUT_OF_RANGE)
        throw new Error(
          `${fetched.topic}[${fetched.partition}]: offset ${cursor.offset} is no longer in the log (retention passed the replay)`,
        );
      if (fetched.errorCode !== KafkaError.NONE)
        throw new Error(`${fetched.topic}[${fetched.partition}]: ${errorName(fetched.errorCode)}`);
      const values: Buffer[] = [];
      const times: number[] = [];
      if (fetched.records !== null && fetched.records.length > 0)
        cursor.offset = readRecordBatches(
          fetched.records,
          cursor.offset,
          (_offset, value) => {
            values.push(value);
            times.push(timeOf(cursor.topic, value));
          },
          fetched.abortedTransactions,
        );
      cursor.values = values;
      cursor.times = times;
      cursor.next = 0;
      const end = fetched.lastStableOffset >= 0 ? fetched.lastStableOffset : fetched.highWatermark;
      cursor.endFoundAtUs = values.length === 0 && cursor.offset >= end ? nowUs : 0;
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
            this.cursors.push({ topic, partition, leader, offset, values: [], times: [], next: 0, endFoundAtUs: 0 });
          }
        }
        return;
      } finally {
        connection.close('closed after reading metadata');
      }
    }
    throw new Error(`no broker answered for metadata: ${failures.join('; ')}`);
  }

  private async connection(leader: number): Promise<KafkaConnection> {
    const open = this.connections.get(leader);
    if (open !== undefined) return open;
    const broker = this.brokers.get(leader);
    if (broker === undefined) throw new Error(`leader ${leader} is not among the brokers Kafka listed`);
    const connection = await this.connect(broker.host, broker.port);
    this.connections.set(leader, connection);
    connection.onClose(() => {
      if (this.connections.get(leader) === connection) this.connections.delete(leader);
    });
    return connection;
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

/** This process's CPU time so far, ms (user + system). */
function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}
