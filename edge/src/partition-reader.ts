/**
 * What the edge's two ways of reading Kafka share (kafka-fetch-reader.ts, its own Fetch
 * requests; kafkajs-reader.ts, for TLS and SASL): the TickConsumer says where each partition
 * starts and takes each record's value, where a partition has got to, and that Kafka answered.
 */
export interface ReaderHooks {
  /** The next offset to read in a partition; asked whenever a reader (re)starts it. */
  startOffset(topic: string, partition: number): number | undefined;
  /** A record's value; `topic` is the index into the reader's topics. */
  onValue(topic: number, partition: number, value: Buffer): void;
  /**
   * When set, called instead of onValue with each record's key, and for records without a value
   * too (null: a compacted topic's tombstone). For the small keyed topics (user-state-kafka.ts).
   */
  onRecord?(topic: number, partition: number, key: Buffer | null, value: Buffer | null): void;
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
}
