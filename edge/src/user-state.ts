import {
  type AlertRuleFields,
  type AlertTriggerFields,
  decodeAlertRule,
  decodeAlertTrigger,
  decodeUserAccount,
  encodeAlertRule,
  ProtocolError,
  type UserAccountFields,
} from '@tickstream/schemas';
import { type KafkaSecurity, kafkaSecurityFromEnv } from '@tickstream/schemas/kafka-security';
import type { Admin } from 'kafkajs';
import { AlertBook } from './alert-book.js';
import { verifyPassword } from './password.js';
import {
  ensureUserTopics,
  type KeyedRecord,
  UserStateReader,
  UserStateWriter,
  type UserTopicNames,
  userStateKafka,
} from './user-state-kafka.js';

export interface UserStateOptions {
  brokers: string[];
  security?: KafkaSecurity;
  topics: UserTopicNames;
  clientId: string;
  log: (line: string) => void;
  /** A trigger this edge had not seen, read once the state is loaded (older ones are history). */
  onTrigger: (trigger: AlertTriggerFields) => void;
}

/** Key of an `alerts` record: "<user>/<rule id>". */
export function alertKey(user: string, id: string): string {
  return `${user}/${id}`;
}

/**
 * The per-user state an edge holds in memory: local accounts (`users`), alert rules (`alerts`)
 * and recent triggers (`alert_events`), read from Kafka and written back there. Edges stay
 * otherwise stateless: every edge reads the same topics, so any of them can sign a user in or
 * answer for their rules, and a restarted edge reads it all again.
 */
export class UserState {
  readonly accounts = new Map<string, UserAccountFields>();
  readonly book = new AlertBook();
  badRecords = 0;
  /**
   * Offset of this edge's latest own write per `alerts` key, until the reader gets there. The book
   * takes a write as soon as Kafka stores it, so an older record of the key read back after that
   * (an edit read after the rule's deletion) must not undo it.
   */
  private readonly ownWrites = new Map<string, number>();
  private reader: UserStateReader | null = null;
  private readonly writer: UserStateWriter;
  private readonly kafka;
  private stopped = false;
  private running: Promise<void> = Promise.resolve();

  private readonly security: KafkaSecurity;

  constructor(private readonly options: UserStateOptions) {
    this.security = options.security ?? kafkaSecurityFromEnv();
    this.kafka = userStateKafka(options.brokers, options.clientId, this.security);
    this.writer = new UserStateWriter(this.kafka);
  }

  /** Whether users and rules have been read up to where their topics ended at start. */
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
      const admin: Admin = this.kafka.admin({ retry: { retries: 1 } });
      try {
        await admin.connect();
        await ensureUserTopics(admin, topics, ['users', 'alerts', 'alertEvents']);
        await admin.disconnect();
        const reader = new UserStateReader(
          this.kafka,
          { brokers: this.options.brokers, clientId: `${this.options.clientId}-users`, security: this.security },
          [topics.users, topics.alerts, topics.alertEvents],
          (record) => this.apply(record),
          log,
        );
        this.reader = reader;
        await reader.start();
        reader.loaded.then(
          () =>
            log(
              `users and alerts loaded: ${this.accounts.size} users, ${[...this.accounts.keys()].reduce((sum, user) => sum + this.book.ruleCount(user), 0)} rules of local users`,
            ),
          () => {},
        );
        return;
      } catch (error) {
        await admin.disconnect().catch(() => {});
        await this.reader?.stop();
        this.reader = null;
        const reason = `reading users and alerts from Kafka failed (${(error as Error).message})`;
        if (reason !== said) log(`${reason}; retrying`);
        said = reason;
        await new Promise((resolve) => setTimeout(resolve, Math.min(250 * 2 ** attempt, 3000)).unref());
      }
    }
  }

  private apply(record: KeyedRecord): void {
    const { topics } = this.options;
    try {
      if (record.topic === topics.users) {
        if (record.value === null) this.accounts.delete(record.key);
        else this.accounts.set(record.key, decodeUserAccount(record.value));
      } else if (record.topic === topics.alerts) {
        const slash = record.key.indexOf('/');
        if (slash <= 0)
          throw new ProtocolError('invalid-field', `alerts key ${JSON.stringify(record.key)} is not user/id`);
        const own = this.ownWrites.get(record.key);
        if (own !== undefined) {
          if (record.offset < own) return;
          this.ownWrites.delete(record.key);
        }
        const user = record.key.slice(0, slash);
        const id = record.key.slice(slash + 1);
        this.book.applyRule(user, id, record.value === null ? null : decodeAlertRule(record.value));
      } else if (record.value !== null) {
        const trigger = decodeAlertTrigger(record.value);
        if (this.book.applyTrigger(trigger) && this.ready) this.options.onTrigger(trigger);
      }
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      if (this.badRecords++ < 5)
        this.options.log(`skipped a bad ${record.topic} record (key ${JSON.stringify(record.key)}): ${error.message}`);
    }
  }

  /** The account, when `password` is its password; null otherwise (unknown user or wrong password alike). */
  async checkPassword(user: string, password: string): Promise<UserAccountFields | null> {
    const account = this.accounts.get(user);
    if (account === undefined) {
      // Same work for an unknown user, so timing does not tell which names exist.
      await verifyPassword(password, UNKNOWN_USER_HASH);
      return null;
    }
    return (await verifyPassword(password, account.passwordHash)) ? account : null;
  }

  /** Saves a rule to `alerts` and, once Kafka has it, into this edge's book. */
  async saveRule(rule: AlertRuleFields): Promise<void> {
    await this.writeRule(rule.user, rule.id, encodeAlertRule(rule));
    this.book.applyRule(rule.user, rule.id, rule);
  }

  /** Writes the rule's tombstone to `alerts`. */
  async deleteRule(user: string, id: string): Promise<void> {
    await this.writeRule(user, id, null);
    this.book.applyRule(user, id, null);
  }

  private async writeRule(user: string, id: string, value: Uint8Array | null): Promise<void> {
    const key = alertKey(user, id);
    const offset = await this.writer.write(this.options.topics.alerts, key, value);
    // Writes of one key may complete out of order; the newest offset is the one that stays.
    this.ownWrites.set(key, Math.max(offset, this.ownWrites.get(key) ?? -1));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
    await Promise.allSettled([this.reader?.stop(), this.writer.stop()]);
  }
}

/** A well-formed hash of a password nobody has (scrypt N = 2^15), checked against for unknown users. */
const UNKNOWN_USER_HASH =
  'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==';
