import {
  defaultUserTopics,
  ensureUserTopics,
  hashPassword,
  isRole,
  passwordProblem,
  ROLES,
  type Role,
  UserStateReader,
  UserStateWriter,
  userNameProblem,
  userStateKafka,
} from '@tickstream/edge';
import { decodeUserAccount, encodeUserAccount, type UserAccountFields } from '@tickstream/schemas';
import type { KafkaSecurity } from '@tickstream/schemas/kafka-security';
import type { Command, Flags } from '../command.js';
import { brokersOf, kafkaSecurityOf } from '../option-values.js';
import { UsageError } from '../usage-error.js';

const ACTIONS = ['add', 'list', 'remove', 'passwd'] as const;
const READ_TIMEOUT_MS = 20_000;
type Action = (typeof ACTIONS)[number];

/** A failure the user can act on: printed as one line, exit code 1. */
class UsersError extends Error {
  readonly exitCode = 1;
}

/** The password given on standard input: everything read, one trailing newline dropped. */
async function passwordFromStdin(flags: Flags): Promise<string> {
  if (!flags.boolean('password-stdin'))
    throw new UsageError(
      'give the password on standard input with --password-stdin, e.g. printf %s "$PW" | tickstream users add alice --role trader --password-stdin',
    );
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const password = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  const problem = passwordProblem(password);
  if (problem !== null) throw new UsageError(problem);
  return password;
}

export const usersCommand: Command = {
  name: 'users',
  summary: 'Manage local accounts (kept on the compacted Kafka topic users): add, list, remove, passwd.',
  positionals: 'add|list|remove|passwd [NAME]',
  flags: {
    role: { type: 'string', value: ROLES.join('|'), description: 'the role of a new user (add)' },
    'password-stdin': { type: 'boolean', description: 'read the password from standard input (add, passwd)' },
    brokers: {
      type: 'string',
      value: 'HOST:PORT,…',
      description: 'Kafka bootstrap servers (env KAFKA_BROKERS or KAFKA_BOOTSTRAP_SERVERS; default 127.0.0.1:9092)',
    },
    topic: { type: 'string', value: 'NAME', description: 'the users topic', default: defaultUserTopics.users },
    json: { type: 'boolean', description: 'list: one JSON object per user per line' },
  },
  notes:
    'Examples:\n' +
    '  printf %s "$PW" | tickstream users add alice --role trader --password-stdin\n' +
    '  tickstream users list\n' +
    '  printf %s "$NEW" | tickstream users passwd alice --password-stdin\n' +
    '  tickstream users remove alice\n' +
    'Every edge reads the topic: a change reaches all of them within a second. Passwords are stored as scrypt hashes.\n' +
    'Managed Kafka: KAFKA_SSL, KAFKA_SSL_CA_FILE, KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD.',
  async run(flags) {
    const [actionWord, name, ...extra] = flags.positionals;
    if (actionWord === undefined || !(ACTIONS as readonly string[]).includes(actionWord))
      throw new UsageError(`say what to do: tickstream users ${ACTIONS.join('|')} …`);
    const action = actionWord as Action;
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
    if (action === 'list' && name !== undefined) throw new UsageError('list takes no name');
    if (action !== 'list') {
      if (name === undefined) throw new UsageError(`users ${action} needs a user name`);
      const problem = userNameProblem(name);
      if (problem !== null) throw new UsageError(problem);
    }
    const role = flags.string('role');
    if (action === 'add') {
      if (role === undefined) throw new UsageError(`users add needs --role ${ROLES.join('|')}`);
      if (!isRole(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}, got '${role}'`);
    } else if (role !== undefined) throw new UsageError(`--role is for users add only`);
    // Read the password before touching Kafka: a bad one is refused without side effects.
    const password = action === 'add' || action === 'passwd' ? await passwordFromStdin(flags) : '';

    const brokers = brokersOf(flags);
    const topic = flags.required('topic');
    const security = kafkaSecurityOf(process.env);
    const kafka = userStateKafka(brokers, 'tickstream-users-cli', security);
    const accounts = await readAccounts(kafka, topic, brokers, security);
    const writer = new UserStateWriter(kafka);
    try {
      switch (action) {
        case 'list':
          printAccounts([...accounts.values()], flags.boolean('json'));
          return 0;
        case 'add': {
          const user = name as string;
          if (accounts.has(user))
            throw new UsersError(`user ${user} exists already: tickstream users passwd ${user}, or remove it first`);
          const account: UserAccountFields = {
            name: user,
            role: role as Role,
            passwordHash: await hashPassword(password),
            updatedAtMs: Date.now(),
          };
          await writer.write(topic, user, encodeUserAccount(account));
          process.stderr.write(`users: added ${user} (${role})\n`);
          return 0;
        }
        case 'passwd': {
          const existing = accounts.get(name as string);
          if (existing === undefined) throw new UsersError(`no user ${name} (tickstream users list)`);
          const account = { ...existing, passwordHash: await hashPassword(password), updatedAtMs: Date.now() };
          await writer.write(topic, existing.name, encodeUserAccount(account));
          process.stderr.write(`users: changed the password of ${existing.name}\n`);
          return 0;
        }
        case 'remove': {
          if (!accounts.has(name as string)) throw new UsersError(`no user ${name} (tickstream users list)`);
          await writer.write(topic, name as string, null);
          process.stderr.write(`users: removed ${name}; tokens already issued stay valid until they expire\n`);
          return 0;
        }
      }
    } finally {
      await writer.stop();
    }
  },
};

/** Every account on the topic: read from the beginning up to where it ends now, latest record per name. */
async function readAccounts(
  kafka: ReturnType<typeof userStateKafka>,
  topic: string,
  brokers: string[],
  security: KafkaSecurity,
): Promise<Map<string, UserAccountFields>> {
  const accounts = new Map<string, UserAccountFields>();
  const admin = kafka.admin({ retry: { retries: 1 } });
  try {
    await admin.connect();
    await ensureUserTopics(admin, { ...defaultUserTopics, users: topic }, ['users']);
  } catch (error) {
    throw new UsersError(`Kafka at ${brokers.join(',')} unreachable (${(error as Error).message}): is it running?`);
  } finally {
    await admin.disconnect().catch(() => {});
  }
  let bad = 0;
  const reader = new UserStateReader(
    kafka,
    { brokers, clientId: 'tickstream-users-cli', security },
    [topic],
    (record) => {
      if (record.value === null) accounts.delete(record.key);
      else {
        try {
          accounts.set(record.key, decodeUserAccount(record.value));
        } catch {
          bad++;
        }
      }
    },
    (line) => process.stderr.write(`users: ${line}\n`),
  );
  let timer: NodeJS.Timeout | undefined;
  try {
    await reader.start();
    const gaveUp = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), READ_TIMEOUT_MS);
    });
    if ((await Promise.race([reader.loaded, gaveUp])) === 'timeout')
      throw new UsersError(
        `could not read ${topic} from Kafka at ${brokers.join(',')} within ${READ_TIMEOUT_MS / 1000} s`,
      );
  } finally {
    clearTimeout(timer);
    await reader.stop();
  }
  if (bad > 0) process.stderr.write(`users: skipped ${bad} records of ${topic} that are not UserAccount\n`);
  return accounts;
}

function printAccounts(accounts: UserAccountFields[], json: boolean): void {
  accounts.sort((a, b) => a.name.localeCompare(b.name));
  if (json) {
    for (const account of accounts)
      process.stdout.write(
        `${JSON.stringify({ user: account.name, role: account.role, updatedAt: account.updatedAtMs })}\n`,
      );
    return;
  }
  const width = Math.max(4, ...accounts.map((account) => account.name.length)) + 2;
  process.stdout.write(`${'USER'.padEnd(width)}${'ROLE'.padEnd(8)}UPDATED\n`);
  for (const account of accounts)
    process.stdout.write(
      `${account.name.padEnd(width)}${account.role.padEnd(8)}${new Date(account.updatedAtMs).toISOString()}\n`,
    );
}
