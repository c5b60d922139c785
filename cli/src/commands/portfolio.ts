import { randomBytes } from 'node:crypto';
import {
  BatchingWriter,
  defaultTradingTopics,
  ensureTradingTopics,
  priceUnits,
  userNameProblem,
  userStateKafka,
} from '@tickstream/edge';
import { encodeOrderCommand } from '@tickstream/schemas';
import type { Command } from '../command.js';
import { brokersOf, kafkaSecurityOf } from '../option-values.js';
import { UsageError } from '../usage-error.js';

/** The most a portfolio may start with: keeps every amount exact (docs/trading.md, "Limits"). */
const MAX_STARTING_CASH = 1_000_000_000;

/** A failure the user can act on: printed as one line, exit code 1. */
class PortfolioError extends Error {
  readonly exitCode = 1;
}

export const portfolioCommand: Command = {
  name: 'portfolio',
  summary:
    "Reset a user's paper-trading portfolio: a PortfolioReset on the Kafka topic orders, which the fill engine (the analytics job) carries out.",
  positionals: 'reset',
  flags: {
    user: { type: 'string', value: 'NAME', description: 'whose portfolio' },
    'starting-cash': {
      type: 'string',
      value: 'AMOUNT',
      description: "the cash it starts again with, in currency units (default: the analytics job's --starting-cash)",
    },
    brokers: {
      type: 'string',
      value: 'HOST:PORT,…',
      description: 'Kafka bootstrap servers (env KAFKA_BROKERS or KAFKA_BOOTSTRAP_SERVERS; default 127.0.0.1:9092)',
    },
    topic: { type: 'string', value: 'NAME', description: 'the orders topic', default: defaultTradingTopics.orders },
  },
  notes:
    'Example: tickstream portfolio reset --user alice --starting-cash 250000\n' +
    'The fill engine cancels the open orders of the user, clears positions and P&L and sets the cash; every edge shows\n' +
    'the new portfolio once the engine has written it (docs/trading.md). Whoever can write the orders topic can reset\n' +
    "any user's portfolio: this is an administrator's command, protected by Kafka's own access control.\n" +
    'Managed Kafka: KAFKA_SSL, KAFKA_SSL_CA_FILE, KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD.',
  async run(flags) {
    const [action, ...extra] = flags.positionals;
    if (action !== 'reset') throw new UsageError('say what to do: tickstream portfolio reset --user NAME');
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
    const user = flags.string('user');
    if (user === undefined) throw new UsageError('portfolio reset needs --user NAME');
    const problem = userNameProblem(user);
    if (problem !== null) throw new UsageError(problem);
    const startingCash = startingCashOf(flags.string('starting-cash'));

    const brokers = brokersOf(flags);
    const topic = flags.required('topic');
    const kafka = userStateKafka(brokers, 'tickstream-portfolio-cli', kafkaSecurityOf(process.env));
    const admin = kafka.admin({ retry: { retries: 1 } });
    try {
      await admin.connect();
      await ensureTradingTopics(admin, { ...defaultTradingTopics, orders: topic });
    } catch (error) {
      throw new PortfolioError(
        `Kafka at ${brokers.join(',')} unreachable (${(error as Error).message}): is it running?`,
      );
    } finally {
      await admin.disconnect().catch(() => {});
    }
    const writer = new BatchingWriter(kafka, topic);
    const id = `r${randomBytes(8).toString('hex')}`;
    try {
      await writer.write(
        user,
        encodeOrderCommand({ kind: 'reset', reset: { id, user, startingCash, requestedAtMs: Date.now() } }),
      );
    } finally {
      await writer.stop();
    }
    const cash = startingCash === 0 ? "the analytics job's --starting-cash" : String(startingCash / 10_000);
    process.stderr.write(`portfolio: reset ${id} of ${user} sent to ${topic} (starting cash: ${cash})\n`);
    return 0;
  },
};

/** Currency units with at most 4 decimals, 0 < amount ≤ MAX_STARTING_CASH, as units × 10,000; absent: 0. */
function startingCashOf(raw: string | undefined): number {
  if (raw === undefined) return 0;
  const amount = /^\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  const units = Number.isFinite(amount) ? priceUnits(amount) : null;
  if (units === null || amount <= 0 || amount > MAX_STARTING_CASH)
    throw new UsageError(
      `--starting-cash must be an amount above 0 and at most ${MAX_STARTING_CASH} with at most 4 decimals, got '${raw}'`,
    );
  return units;
}
