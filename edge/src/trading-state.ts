import {
  checkEquityCurve,
  checkPortfolio,
  decodeCheckedEquityCurve,
  decodeCheckedPortfolio,
  decodeOrderCommand,
  decodeOrderUpdate,
  EQUITY_CURVE_KEY_SUFFIX,
  encodeOrderCommand,
  type OrderCommandFields,
  type PortfolioFields,
  ProtocolError,
} from '@tickstream/schemas';
import { type KafkaSecurity, kafkaSecurityFromEnv } from '@tickstream/schemas/kafka-security';
import type { Admin, Kafka } from 'kafkajs';
import { type Lazy, type OrderChange, TradingBook } from './trading-book.js';
import { BatchingWriter, type KeyedRecord, UserStateReader, userStateKafka } from './user-state-kafka.js';

/** The trading topics (docs/trading.md). */
export interface TradingTopicNames {
  orders: string;
  fills: string;
  portfolios: string;
}

export const defaultTradingTopics: TradingTopicNames = { orders: 'orders', fills: 'fills', portfolios: 'portfolios' };

/**
 * How long `orders` and `fills` keep records: longer than a GTC order may live (30 days), so an
 * edge that starts reads every open order and its fills (docs/trading.md).
 */
export const TRADING_RETENTION_MS = 31 * 86_400_000;

/**
 * Creates whichever trading topic is missing: `orders` and `fills` logs keyed by user, kept 31
 * days; `portfolios` compacted (the latest portfolio per user is the state).
 */
export async function ensureTradingTopics(admin: Admin, names: TradingTopicNames): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const wanted = [
    { topic: names.orders, configEntries: [{ name: 'retention.ms', value: String(TRADING_RETENTION_MS) }] },
    { topic: names.fills, configEntries: [{ name: 'retention.ms', value: String(TRADING_RETENTION_MS) }] },
    { topic: names.portfolios, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
  ].filter(({ topic }) => !existing.has(topic));
  if (wanted.length === 0) return;
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: wanted.map((topic) => ({ ...topic, numPartitions: 3 })),
    });
  } catch (error) {
    // Another edge, the CLI or the job created it meanwhile: fine.
    if (!/already exists/i.test((error as Error).message)) throw error;
  }
}

export interface TradingStateOptions {
  brokers: string[];
  security?: KafkaSecurity;
  topics: TradingTopicNames;
  clientId: string;
  log: (line: string) => void;
  /** An order changed once the state is loaded (older changes are history). */
  onOrder: (user: string, change: OrderChange) => void;
  /** `portfolio` decodes the record when called (only a user with a page open needs it). */
  onPortfolio: (user: string, portfolio: () => PortfolioFields | null) => void;
}

/**
 * The trading state an edge holds in memory (TradingBook), read from `orders`, `fills` and
 * `portfolios` and followed; orders and cancels written to `orders`. Edges stay stateless
 * otherwise: any edge answers for any user's orders, and a restarted edge reads it all again.
 * The fill engine (the analytics job) owns fills and portfolios; the edge only shows them.
 */
export class TradingState {
  readonly book = new TradingBook();
  badRecords = 0;
  private reader: UserStateReader | null = null;
  private readonly writer: BatchingWriter;
  private readonly kafka: Kafka;
  private readonly security: KafkaSecurity;
  private stopped = false;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly options: TradingStateOptions) {
    this.security = options.security ?? kafkaSecurityFromEnv();
    this.kafka = userStateKafka(options.brokers, options.clientId, this.security);
    this.writer = new BatchingWriter(this.kafka, options.topics.orders);
  }

  /** Whether orders, fills and portfolios have been read up to where their topics ended at start. */
  get ready(): boolean {
    return this.reader?.ready ?? false;
  }

  /** Starts reading in the background, retrying until Kafka answers. */
  start(): void {
    this.running = this.run();
  }

  private async run(): Promise<void> {
    const { topics, log } = this.options;
    let said = '';
    for (let attempt = 0; !this.stopped; attempt++) {
      const admin = this.kafka.admin({ retry: { retries: 1 } });
      try {
        await admin.connect();
        await ensureTradingTopics(admin, topics);
        await admin.disconnect();
        const reader = new UserStateReader(
          this.kafka,
          { brokers: this.options.brokers, clientId: `${this.options.clientId}-trading`, security: this.security },
          [topics.orders, topics.fills, topics.portfolios],
          (record) => this.apply(record),
          log,
        );
        this.reader = reader;
        await reader.start();
        reader.loaded.then(
          () => log(`trading state loaded: ${this.book.userCount} users with orders, fills or portfolios`),
          () => {},
        );
        return;
      } catch (error) {
        await admin.disconnect().catch(() => {});
        await this.reader?.stop();
        this.reader = null;
        const reason = `reading orders, fills and portfolios from Kafka failed (${(error as Error).message})`;
        if (reason !== said) log(`${reason}; retrying`);
        said = reason;
        await new Promise((resolve) => setTimeout(resolve, Math.min(250 * 2 ** attempt, 3000)).unref());
      }
    }
  }

  private apply(record: KeyedRecord): void {
    const { topics } = this.options;
    try {
      if (record.topic === topics.portfolios) {
        // Checked now (layout and user), decoded when first asked for (most users have no page here).
        let user = record.key;
        let changed: boolean;
        if (record.key.endsWith(EQUITY_CURVE_KEY_SUFFIX)) {
          user = record.key.slice(0, -EQUITY_CURVE_KEY_SUFFIX.length);
          const curve =
            record.value === null
              ? null
              : this.lazily(record, record.value, user, checkEquityCurve, decodeCheckedEquityCurve);
          changed = this.book.applyEquityCurve(user, curve);
        } else {
          const portfolio =
            record.value === null
              ? null
              : this.lazily(record, record.value, user, checkPortfolio, decodeCheckedPortfolio);
          changed = this.book.applyPortfolio(user, portfolio);
        }
        if (changed && this.ready) this.options.onPortfolio(user, () => this.book.portfolioOf(user));
      } else if (record.value === null) {
        return;
      } else if (record.topic === topics.orders) {
        this.applyCommand(record.key, decodeOrderCommand(record.value));
      } else {
        const update = decodeOrderUpdate(record.value);
        if (update.user !== record.key)
          throw new ProtocolError('invalid-field', `update of ${update.user}'s order under key ${record.key}`);
        const change = this.book.applyUpdate(update);
        if (change !== null && this.ready) this.options.onOrder(update.user, change);
      }
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      if (this.badRecords++ < 5)
        this.options.log(`skipped a bad ${record.topic} record (key ${JSON.stringify(record.key)}): ${error.message}`);
    }
  }

  /**
   * A `portfolios` record whose layout and user `check` accepted now, decoded when first asked
   * for, from a copy of its bytes (the value is a view of the whole fetched batch). A value
   * `decode` refuses (an amount beyond 2^53) reads as none.
   */
  private lazily<T>(
    record: KeyedRecord,
    value: Buffer,
    user: string,
    check: (bytes: Uint8Array) => string,
    decode: (bytes: Uint8Array) => T,
  ): Lazy<T> {
    const owner = check(value);
    if (owner !== user) throw new ProtocolError('invalid-field', `a record of ${owner} under key ${record.key}`);
    const bytes = new Uint8Array(value);
    let decoded: T | null | undefined;
    return () => {
      if (decoded !== undefined) return decoded;
      try {
        decoded = decode(bytes);
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        decoded = null;
        if (this.badRecords++ < 5)
          this.options.log(
            `skipped a bad ${record.topic} record (key ${JSON.stringify(record.key)}): ${error.message}`,
          );
      }
      return decoded;
    };
  }

  private applyCommand(user: string, command: OrderCommandFields): void {
    const owner =
      command.kind === 'order'
        ? command.order.user
        : command.kind === 'cancel'
          ? command.cancel.user
          : command.reset.user;
    if (owner !== user) throw new ProtocolError('invalid-field', `a command of ${owner} under key ${user}`);
    const change = this.book.applyCommand(user, command);
    if (change !== null && this.ready) this.options.onOrder(user, change);
  }

  /** Writes a command to `orders` (keyed by its user) and, once Kafka has it, applies it here. */
  async write(user: string, command: OrderCommandFields): Promise<void> {
    await this.writer.write(user, encodeOrderCommand(command));
    this.applyCommand(user, command);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
    await Promise.allSettled([this.reader?.stop(), this.writer.stop()]);
  }
}
