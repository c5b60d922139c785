import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { BrokerConfig } from '../config.js';
import { PartitionLog } from './partition-log.js';

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
 * Owner of every topic-partition log on disk (`<dataDir>/topics/<topic>/<partition>/`),
 * of producer-id allocation and of the group-commit flush that acks=-1 waits for.
 */
export class LogManager {
  private readonly topics = new Map<string, PartitionLog[]>();
  /** Kafka's topic ids (16 random bytes, hex here), kept in topic.json: a topic made again gets a new one. */
  private readonly topicIds = new Map<string, string>();
  private readonly topicsById = new Map<string, string>();
  private readonly flushWaiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  private flushScheduled = false;
  private readonly retentionTimer: NodeJS.Timeout;
  private nextProducerId: number;

  private constructor(private readonly config: BrokerConfig) {
    this.nextProducerId = this.loadProducerIdBlock();
    this.retentionTimer = setInterval(() => this.enforceRetention(), RETENTION_CHECK_MS);
    this.retentionTimer.unref();
  }

  private get topicsDir(): string {
    return join(this.config.dataDir, 'topics');
  }

  static async open(config: BrokerConfig): Promise<LogManager> {
    mkdirSync(join(config.dataDir, 'topics'), { recursive: true });
    const manager = new LogManager(config);
    for (const topic of readdirSync(manager.topicsDir).sort()) {
      const metaPath = join(manager.topicsDir, topic, 'topic.json');
      if (!existsSync(metaPath)) continue;
      const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as { partitions: number; topicId?: string };
      const { partitions } = meta;
      let topicId = meta.topicId;
      if (topicId === undefined) {
        // A topic written before topic ids existed gets one now, kept from then on.
        topicId = newTopicId();
        writeDurably(metaPath, JSON.stringify({ ...meta, topicId }));
      }
      manager.rememberTopicId(topic, topicId);
      manager.topics.set(
        topic,
        Array.from({ length: partitions }, (_, p) =>
          PartitionLog.open(topic, p, join(manager.topicsDir, topic, String(p)), manager.partitionSettings()),
        ),
      );
    }
    return manager;
  }

  private partitionSettings() {
    const { segmentBytes, retentionMs, retentionBytes, log } = this.config;
    return { segmentBytes, retentionMs, retentionBytes, log };
  }

  private rememberTopicId(topic: string, topicId: string): void {
    this.topicIds.set(topic, topicId);
    this.topicsById.set(topicId, topic);
  }

  /** The topic's id as 32 hex digits, or undefined for an unknown topic. */
  topicId(topic: string): string | undefined {
    return this.topicIds.get(topic);
  }

  /** The name of the topic with this id (32 hex digits), if it exists. */
  topicNameById(topicId: string): string | undefined {
    return this.topicsById.get(topicId);
  }

  topicNames(): string[] {
    return [...this.topics.keys()];
  }

  partitionCount(topic: string): number | undefined {
    return this.topics.get(topic)?.length;
  }

  partition(topic: string, index: number): PartitionLog | undefined {
    return this.topics.get(topic)?.[index];
  }

  /** Creates a topic; the caller has checked the name and that it does not exist. */
  createTopic(name: string, partitions: number): void {
    const dir = join(this.topicsDir, name);
    mkdirSync(dir, { recursive: true });
    const topicId = newTopicId();
    writeDurably(join(dir, 'topic.json'), JSON.stringify({ partitions, topicId }));
    this.rememberTopicId(name, topicId);
    this.topics.set(
      name,
      Array.from({ length: partitions }, (_, p) =>
        PartitionLog.open(name, p, join(dir, String(p)), this.partitionSettings()),
      ),
    );
    this.config.log(`created topic ${name} with ${partitions} partition${partitions === 1 ? '' : 's'}`);
  }

  deleteTopic(name: string): boolean {
    const partitions = this.topics.get(name);
    if (partitions === undefined) return false;
    for (const partition of partitions) partition.close();
    this.topics.delete(name);
    this.topicsById.delete(this.topicIds.get(name) ?? '');
    this.topicIds.delete(name);
    rmSync(join(this.topicsDir, name), { recursive: true, force: true });
    this.config.log(`deleted topic ${name}`);
    return true;
  }

  /**
   * Resolves once everything appended before the call is on disk. Calls in the same turn of
   * the event loop share one fdatasync per touched segment (group commit).
   */
  flush(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.flushWaiters.push({ resolve, reject });
      if (this.flushScheduled) return;
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        const waiters = this.flushWaiters.splice(0);
        const partitions = [...this.topics.values()].flat();
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

  enforceRetention(now = Date.now()): void {
    for (const partitions of this.topics.values()) for (const partition of partitions) partition.enforceRetention(now);
  }

  async close(): Promise<void> {
    clearInterval(this.retentionTimer);
    await Promise.all([...this.topics.values()].flat().map((partition) => partition.flush()));
    for (const partitions of this.topics.values()) for (const partition of partitions) partition.close();
    this.topics.clear();
  }
}

/** A random non-zero topic id (all zeros means "no id" on the wire). */
function newTopicId(): string {
  const id = randomBytes(16);
  id[0] = (id[0] as number) | 1;
  return id.toString('hex');
}

/** write + fsync + rename: the file is either the old or the new content after a crash. */
export function writeDurably(path: string, content: string): void {
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, content);
  const fd = openSync(temporary, 'r+');
  fsyncSync(fd);
  closeSync(fd);
  renameSync(temporary, path);
}
