import { decodeSystemMetric, ProtocolError } from '@tickstream/schemas';
import { type KafkaSecurity, kafkaSecurityFromEnv } from '@tickstream/schemas/kafka-security';
import type { Admin, Kafka } from 'kafkajs';
import { edgeKafkaClient } from './kafka-client.js';
import { disconnectWithin } from './kafka-disconnect.js';
import { type PartitionReader, partitionReaderFor } from './partition-reader.js';
import { HISTORY_MS, type PipelineBook } from './pipeline-book.js';

const TOPIC_POLL_MS = 2000;
const BAD_RECORDS_LOGGED = 5;

export interface PipelineConsumerOptions {
  brokers: string[];
  security?: KafkaSecurity;
  clientId: string;
  topic: string;
  book: PipelineBook;
  log: (line: string) => void;
}

/**
 * Reads `system_metrics` into the edge's PipelineBook: from 15 minutes back at start (ListOffsets
 * by timestamp, so the sparklines are full at once), then follows it. The topic appears with the
 * first reporter; until then the edge looks for it every few seconds.
 */
export class PipelineConsumer {
  private readonly kafka: Kafka;
  private readonly admin: Admin;
  private readonly security: KafkaSecurity;
  private reader: PartitionReader | null = null;
  private readonly starts = new Map<number, number>();
  private readonly positions = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** The last reason said: Kafka away for a minute is one line, not thirty. */
  private said = '';
  badRecords = 0;

  constructor(private readonly options: PipelineConsumerOptions) {
    this.security = options.security ?? kafkaSecurityFromEnv();
    this.kafka = edgeKafkaClient(options.clientId, options.brokers, this.security);
    this.admin = this.kafka.admin({ retry: { retries: 0 } });
  }

  start(): void {
    void this.look();
  }

  private async look(): Promise<void> {
    if (this.stopped) return;
    const { topic } = this.options;
    try {
      await this.admin.connect();
      if ((await this.admin.listTopics()).includes(topic)) {
        const from = await this.admin.fetchTopicOffsetsByTimestamp(topic, Date.now() - HISTORY_MS);
        for (const { partition, offset } of from) this.starts.set(partition, Number(offset));
        await this.startReader();
        return;
      }
    } catch (error) {
      const line = `system_metrics: could not look for '${topic}' (${(error as Error).message}); retrying`;
      if (line !== this.said) this.options.log(line);
      this.said = line;
    }
    this.timer = setTimeout(() => void this.look(), TOPIC_POLL_MS);
    this.timer.unref();
  }

  private async startReader(): Promise<void> {
    if (this.stopped) return;
    this.reader = partitionReaderFor(
      {
        kafka: this.kafka,
        admin: this.admin,
        brokers: this.options.brokers,
        clientId: this.options.clientId,
        security: this.security,
        groupId: `${this.options.clientId}-pipeline`,
        topics: [this.options.topic],
        // Every component writes a record a second: gathered for up to 500 ms, not answered one by one.
        pace: () => 'unhurried',
      },
      {
        startOffset: (_topic, partition) => this.positions.get(partition) ?? this.starts.get(partition),
        onValue: (_topic, _partition, bytes, start, end) => this.receive(bytes.subarray(start, end)),
        onPartitionRead: (_topic, partition, next) => {
          this.positions.set(partition, next);
        },
        onFetchAnswered: () => {},
        log: this.options.log,
      },
    );
    await this.reader.start();
  }

  private receive(value: Uint8Array): void {
    try {
      this.options.book.add(decodeSystemMetric(value));
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      if (this.badRecords++ < BAD_RECORDS_LOGGED)
        this.options.log(`skipping a '${this.options.topic}' record that does not decode: ${error.message}`);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await disconnectWithin([this.reader?.stop(), this.admin.disconnect()]);
  }
}
