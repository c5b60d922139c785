/** Settings of one embedded broker. `startBroker()` fills the defaults. */
export interface BrokerConfig {
  /** Address to listen on and to advertise in Metadata. */
  host: string;
  /** 0 picks a free port; the advertised port is then the real one. */
  port: number;
  dataDir: string;
  /** Partitions of a topic created implicitly (Metadata/Produce auto-creation, CreateTopics with -1). */
  defaultPartitions: number;
  autoCreateTopics: boolean;
  /** Whole segments older than this are deleted; -1 keeps them forever. */
  retentionMs: number;
  /** A partition's log is cut back to about this many bytes by deleting whole segments; -1 = no limit. */
  retentionBytes: number;
  /** A new segment is rolled once the active one reaches this size. */
  segmentBytes: number;
  /** Largest record batch accepted (Kafka's max.message.bytes default). */
  maxMessageBytes: number;
  /** Largest request frame accepted; a larger claimed size closes the connection unread. */
  maxRequestBytes: number;
  /** Kafka's log.cleaner.backoff.ms: how often the log cleaner looks for compacted partitions to clean. */
  logCleanerBackoffMs: number;
  /** Kafka's log.cleaner.dedupe.buffer.size: bound on one cleaning's key map, in bytes. */
  logCleanerDedupeBytes: number;
  /** Share of wall time the log cleaner's thread may compute (0-1]: it sleeps the rest, so produce and fetch keep a core. */
  logCleanerDutyCycle: number;
  /** Kafka's group.initial.rebalance.delay.ms: first rebalance of an empty group waits this long for more members. */
  groupInitialRebalanceDelayMs: number;
  /** Kafka's transaction.max.timeout.ms: InitProducerId with a longer transaction timeout is refused. */
  transactionMaxTimeoutMs: number;
  /** Kafka's transaction.abort.timed.out.transaction.cleanup.interval.ms: how often timed-out transactions are aborted. */
  transactionAbortCheckIntervalMs: number;
  /** Kafka's transactional.id.expiration.ms: an idle transactional id is forgotten after this long. */
  transactionalIdExpirationMs: number;
  /** Apache Kafka's group.consumer.session.timeout.ms: a consumer-protocol member silent this long is fenced. */
  consumerGroupSessionTimeoutMs: number;
  /** Apache Kafka's group.consumer.heartbeat.interval.ms, told to every consumer-protocol member. */
  consumerGroupHeartbeatIntervalMs: number;
  /** Most members one consumer-protocol group takes (GROUP_MAX_SIZE_REACHED beyond); bounds memory. */
  consumerGroupMaxSize: number;
  /** Where one-line logs go. */
  log: (line: string) => void;
}

export const defaultBrokerConfig: Omit<BrokerConfig, 'log'> = {
  host: '127.0.0.1',
  port: 9092,
  dataDir: './data/broker',
  defaultPartitions: 3,
  autoCreateTopics: true,
  retentionMs: 7 * 24 * 3600 * 1000,
  retentionBytes: -1,
  segmentBytes: 64 * 1024 * 1024,
  maxMessageBytes: 1_048_588,
  maxRequestBytes: 100 * 1024 * 1024,
  logCleanerBackoffMs: 15_000,
  logCleanerDedupeBytes: 128 * 1024 * 1024,
  logCleanerDutyCycle: 0.25,
  groupInitialRebalanceDelayMs: 3000,
  transactionMaxTimeoutMs: 15 * 60 * 1000,
  transactionAbortCheckIntervalMs: 10_000,
  transactionalIdExpirationMs: 7 * 24 * 3600 * 1000,
  consumerGroupSessionTimeoutMs: 45_000,
  consumerGroupHeartbeatIntervalMs: 5_000,
  consumerGroupMaxSize: 1000,
};
