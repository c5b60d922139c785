import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BrokerConfig } from '../config.js';
import { writeDurably } from './durable-file.js';
import { type CleanablePartition, LogCleaner } from './log-cleaner.js';
import { PartitionLog, type PartitionSettings } from './partition-log.js';
import { type BrokerTopicDefaults, type TopicSettings, topicSettings } from './topic-config.js';

export { writeDurably };

/** topics/<topic>/topic.json */
interface TopicFile {
  partitions: number;
  /**
   * Kafka's topic id as 32 hex digits; made once when missing. (Data dirs written by the
   * compaction branch before it was merged hold it in base64url, read as well.)
   */
  topicId?: string;
  /** Configs set for this topic; the rest comes from the broker. */
  configs?: Record<string, string>;
}

interface Topic {
  /** 32 hex digits. */
  id: string;
  configs: Record<string, string>;
  settings: TopicSettings;
  partitions: PartitionLog[];
}

const RETENTION_CHECK_MS = 30_000;

/** Kafka's topic-name rules: legal characters, length, and the two names that are paths. */
export function topicNameProblem(name: string): string | null {
  if (name.length === 0) return 'topic name is empty';
  if (name.length > 249) return `topic name is ${name.length} characters, above 249`;
  if (name === '.' || name === '..') return `topic name '${name}' is not allowed`;
  if (!/^[a-zA-Z0-9._-]+$/.test(name)) return `topic name '${name}' has characters other than a-z A-Z 0-9 . _ -`;
  return null;
}

/**
 * Owner of every topic-partition log on disk (`<dataDir>/topics/<topic>/<partition>/`), of
 * each topic's id and configs, of the log cleaner, of producer-id allocation and of the
 * group-commit flush that acks=-1 waits for.
 */
export class LogManager {
  private readonly topics = new Map<string, Topic>();
  private readonly topicsById = new Map<string, string>();
  private readonly flushWaiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  private flushScheduled = false;
  /** The partitions the flush of this turn covers; null: every partition. */
  private flushing: Set<PartitionLog> | null = new Set();
  private readonly retentionTimer: NodeJS.Timeout;
  private nextProducerId: number;
  readonly cleaner: LogCleaner;

  private constructor(private readonly config: BrokerConfig) {
    this.nextProducerId = this.loadProducerIdBlock();
    this.retentionTimer = setInterval(() => this.enforceRetention(), RETENTION_CHECK_MS);
    this.retentionTimer.unref();
    this.cleaner = new LogCleaner(() => this.cleanablePartitions(), {
      backoffMs: config.logCleanerBackoffMs,
      maxMapBytes: config.logCleanerDedupeBytes,
      dutyCycle: config.logCleanerDutyCycle,
      log: config.log,
    });
  }

  private get topicsDir(): string {
    return join(this.config.dataDir, 'topics');
  }

  static async open(config: BrokerConfig): Promise<LogManager> {
    mkdirSync(join(config.dataDir, 'topics'), { recursive: true });
    const manager = new LogManager(config);
    for (const name of readdirSync(manager.topicsDir).sort()) {
      const metaPath = join(manager.topicsDir, name, 'topic.json');
      if (!existsSync(metaPath)) continue;
      const file = JSON.parse(readFileSync(metaPath, 'utf8')) as TopicFile;
      const topic = manager.topicFrom(name, file);
      if (file.topicId !== topic.id) manager.saveTopic(name, topic); // no id yet, or one in base64url
      manager.addTopic(name, topic);
    }
    return manager;
  }

  private topicFrom(name: string, file: TopicFile): Topic {
    const configs = file.configs ?? {};
    const settings = topicSettings(configs, this.brokerTopicDefaults);
    return {
      id: file.topicId === undefined ? newTopicId() : storedTopicId(file.topicId),
      configs,
      settings,
      partitions: Array.from({ length: file.partitions }, (_, p) =>
        PartitionLog.open(name, p, join(this.topicsDir, name, String(p)), this.partitionSettings(settings)),
      ),
    };
  }

  private saveTopic(name: string, topic: Topic): void {
    const file: TopicFile = {
      partitions: topic.partitions.length,
      topicId: topic.id,
      configs: topic.configs,
    };
    writeDurably(join(this.topicsDir, name, 'topic.json'), JSON.stringify(file));
  }

  /** What a topic inherits from the broker's flags. */
  get brokerTopicDefaults(): BrokerTopicDefaults {
    const { retentionMs, retentionBytes, segmentBytes, maxMessageBytes } = this.config;
    return { retentionMs, retentionBytes, segmentBytes, maxMessageBytes };
  }

  private partitionSettings(settings: TopicSettings): PartitionSettings {
    return {
      segmentBytes: settings.segmentBytes,
      segmentMs: settings.segmentMs,
      // Retention deletes only with cleanup.policy delete (also compact,delete), as in Kafka.
      retentionMs: settings.delete ? settings.retentionMs : -1,
      retentionBytes: settings.delete ? settings.retentionBytes : -1,
      log: this.config.log,
    };
  }

  private *cleanablePartitions(): Generator<CleanablePartition> {
    for (const topic of this.topics.values()) {
      if (!topic.settings.compact) continue;
      for (const log of topic.partitions) yield { log, settings: topic.settings };
    }
  }

  topicNames(): string[] {
    return [...this.topics.keys()];
  }

  partitionCount(topic: string): number | undefined {
    return this.topics.get(topic)?.partitions.length;
  }

  partition(topic: string, index: number): PartitionLog | undefined {
    return this.topics.get(topic)?.partitions[index];
  }

  private addTopic(name: string, topic: Topic): void {
    this.topics.set(name, topic);
    this.topicsById.set(topic.id, name);
  }

  /** The topic's id as 32 hex digits, or undefined if there is no such topic. */
  topicId(topic: string): string | undefined {
    return this.topics.get(topic)?.id;
  }

  /** The name of the topic with this id (32 hex digits), if it exists. */
  topicNameById(topicId: string): string | undefined {
    return this.topicsById.get(topicId);
  }

  /** The configs set for `topic` (not those it inherits), or undefined if there is no such topic. */
  topicConfigs(topic: string): Readonly<Record<string, string>> | undefined {
    return this.topics.get(topic)?.configs;
  }

  topicSettings(topic: string): TopicSettings | undefined {
    return this.topics.get(topic)?.settings;
  }

  /**
   * Creates a topic; the caller has checked the name, that it does not exist and that
   * `configs` are valid (topic-config.ts).
   */
  createTopic(name: string, partitions: number, configs: Readonly<Record<string, string>> = {}): void {
    const dir = join(this.topicsDir, name);
    mkdirSync(dir, { recursive: true });
    const file: TopicFile = { partitions, topicId: newTopicId(), configs: { ...configs } };
    writeDurably(join(dir, 'topic.json'), JSON.stringify(file));
    this.addTopic(name, this.topicFrom(name, file));
    this.config.log(`created topic ${name} with ${partitions} partition${partitions === 1 ? '' : 's'}`);
  }

  /** Replaces the configs set for a topic (already checked), persisted before it returns. */
  setTopicConfigs(name: string, configs: Readonly<Record<string, string>>): void {
    const topic = this.topics.get(name);
    if (topic === undefined) return;
    topic.configs = { ...configs };
    topic.settings = topicSettings(topic.configs, this.brokerTopicDefaults);
    this.saveTopic(name, topic);
    for (const partition of topic.partitions) partition.configure(this.partitionSettings(topic.settings));
  }

  /** CreatePartitions: grows a topic to `count` partitions (more than it has; checked by the caller). */
  addPartitions(name: string, count: number): void {
    const topic = this.topics.get(name);
    if (topic === undefined) return;
    for (let p = topic.partitions.length; p < count; p++) {
      topic.partitions.push(
        PartitionLog.open(name, p, join(this.topicsDir, name, String(p)), this.partitionSettings(topic.settings)),
      );
    }
    this.saveTopic(name, topic);
    this.config.log(`topic ${name} now has ${count} partitions`);
  }

  deleteTopic(name: string): boolean {
    const topic = this.topics.get(name);
    if (topic === undefined) return false;
    for (const partition of topic.partitions) partition.close();
    this.topics.delete(name);
    this.topicsById.delete(topic.id);
    rmSync(join(this.topicsDir, name), { recursive: true, force: true });
    this.config.log(`deleted topic ${name}`);
    return true;
  }

  /**
   * Resolves once everything appended to `partitions` (every partition when omitted) before the
   * call is on disk. Calls in the same turn of the event loop share one fdatasync per touched
   * segment (group commit). A write with acks=-1 or a transaction's markers wait only for their
   * own partitions: acks=1 data of other topics (the ticks) is not theirs to sync, and syncing it
   * made every transactional request wait behind it.
   */
  flush(partitions?: Iterable<PartitionLog>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.flushWaiters.push({ resolve, reject });
      if (partitions === undefined) this.flushing = null;
      else if (this.flushing !== null) for (const partition of partitions) this.flushing.add(partition);
      if (this.flushScheduled) return;
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        const waiters = this.flushWaiters.splice(0);
        const partitions = this.flushing === null ? this.allPartitions() : [...this.flushing];
        this.flushing = new Set();
        Promise.all(partitions.map((partition) => partition.flush())).then(
          () => {
            for (const waiter of waiters) waiter.resolve();
          },
          (error: Error) => {
            for (const waiter of waiters) waiter.reject(error);
          },
        );
      });
    });
  }

  /** Producer ids are unique across restarts: blocks of 1000 are reserved on disk before use. */
  allocateProducerId(): number {
    const id = this.nextProducerId++;
    if (this.nextProducerId % 1000 === 0) this.reserveProducerIds(this.nextProducerId + 1000);
    return id;
  }

  private loadProducerIdBlock(): number {
    const path = join(this.config.dataDir, 'producer-ids.json');
    const reserved = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as { next: number }).next : 0;
    this.reserveProducerIds(reserved + 1000);
    return reserved;
  }

  private reserveProducerIds(next: number): void {
    writeDurably(join(this.config.dataDir, 'producer-ids.json'), JSON.stringify({ next }));
  }

  private allPartitions(): PartitionLog[] {
    return [...this.topics.values()].flatMap((topic) => topic.partitions);
  }

  enforceRetention(now = Date.now()): void {
    for (const partition of this.allPartitions()) partition.enforceRetention(now);
  }

  async close(): Promise<void> {
    clearInterval(this.retentionTimer);
    await this.cleaner.close();
    const partitions = this.allPartitions();
    await Promise.all(partitions.map((partition) => partition.flush()));
    for (const partition of partitions) partition.close();
    this.topics.clear();
  }
}

/** A random Kafka topic id (32 hex digits): never the all-zero ("no id") or the reserved 0…01. */
function newTopicId(): string {
  for (;;) {
    const id = randomBytes(16);
    if (id.some((byte, i) => (i < 15 ? byte !== 0 : byte > 1))) return id.toString('hex');
  }
}

/** A topic id read from topic.json: hex, or the 22 base64url characters Apache Kafka prints. */
function storedTopicId(stored: string): string {
  if (/^[0-9a-f]{32}$/.test(stored)) return stored;
  const bytes = Buffer.from(stored, 'base64url');
  return bytes.length === 16 ? bytes.toString('hex') : newTopicId();
}
