import {
  CHAOS_ACTIONS,
  CONTROL_TOPIC,
  ControlWriter,
  chaosCommandFrom,
  EPISODE_SCENARIOS,
  type FieldName,
  isProcessAction,
  MAX_BURST_FACTOR,
} from '@tickstream/schemas/control-command';
import { kafkajsSecurity } from '@tickstream/schemas/kafka-security';
import kafkajs from 'kafkajs';
import type { Command } from '../command.js';
import { brokersOf, kafkaSecurityOf, parseDurationMs } from '../option-values.js';
import { UsageError } from '../usage-error.js';

const { Kafka, logLevel } = kafkajs;

/** A failure the user can act on: printed as one line, exit code 1. */
class ChaosError extends Error {
  readonly exitCode = 1;
}

// Names padded to the longest (stop-kafka-node) and two spaces.
const actionWidth = Math.max(...Object.keys(CHAOS_ACTIONS).map((action) => action.length)) + 2;
const actionList = Object.entries(CHAOS_ACTIONS)
  .map(([action, what]) => `  ${action.padEnd(actionWidth)}${what}`)
  .join('\n');

export const chaosCommand: Command = {
  name: 'chaos',
  summary:
    'Inject a failure on purpose: a command on the Kafka topic control, signed for the admin role with the auth secret; the producers (or the up supervisor) obey it and audit it on market_events.',
  positionals: Object.keys(CHAOS_ACTIONS).join('|'),
  flags: {
    target: {
      type: 'string',
      value: 'ID',
      description:
        'the component it is for, as GET /api/pipeline lists it (default: every producer; kill-edge: the first edge; a link: every edge); stop-kafka-node: the node id',
    },
    for: { type: 'string', value: 'DURATION', description: 'how long the fault lasts, e.g. 10s (pause: until resume)' },
    factor: { type: 'string', value: 'N', description: `burst: the rate multiple, 1-${MAX_BURST_FACTOR} (default 5)` },
    delay: { type: 'string', value: 'DURATION', description: 'delay-link: the latency added each way (default 500ms)' },
    scenario: {
      type: 'string',
      value: 'NAME',
      description: `scenario: the producer's scenario to play one episode of now (${EPISODE_SCENARIOS.join(', ')})`,
    },
    secret: {
      type: 'string',
      value: 'SECRET',
      description: 'the system’s auth secret (the edges’ and producer’s --auth-secret; env TICKSTREAM_AUTH_SECRET)',
    },
    user: { type: 'string', value: 'NAME', description: 'who injects it, as the audit shows', default: 'admin' },
    brokers: {
      type: 'string',
      value: 'HOST:PORT,…',
      description: 'Kafka bootstrap servers (env KAFKA_BROKERS or KAFKA_BOOTSTRAP_SERVERS; default 127.0.0.1:9092)',
    },
  },
  notes:
    `Actions:\n${actionList}\n\n` +
    'Example: tickstream chaos pause --for 10s --secret "$SECRET"\n' +
    'Only a command signed with the auth secret for the admin role is obeyed; every command applied or refused is\n' +
    'audited as a Chaos event on market_events (the Events tab, tickstream watch --events). A producer started\n' +
    'without --auth-secret obeys none. kill-edge, kill-analytics, cut-link and delay-link are carried out by the\n' +
    'tickstream up supervisor (started with --auth-secret), which times detection and recovery and writes the\n' +
    'timeline to system_metrics (GET /api/pipeline "recoveries"); so are slow-consumer and stop-kafka-node (under\n' +
    'up --kafka apache --nodes 3). The Pipeline tab of the dashboard sends the same commands for an admin\n' +
    '(POST /api/chaos).',
  async run(flags) {
    const [action, ...extra] = flags.positionals;
    if (action === undefined)
      throw new UsageError(
        `say what to inject: tickstream chaos ${Object.keys(CHAOS_ACTIONS).join('|')} (tickstream chaos --help says what each does)`,
      );
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
    const duration = (flag: string): number | undefined => {
      const value = flags.string(flag);
      return value === undefined ? undefined : parseDurationMs(flag, value);
    };
    const factorFlag = flags.string('factor');
    const factor = factorFlag === undefined ? undefined : Number(factorFlag);
    const checked = chaosCommandFrom(
      {
        action,
        target: flags.string('target'),
        forMs: duration('for'),
        factor: factor !== undefined && Number.isNaN(factor) ? factorFlag : factor,
        delayMs: duration('delay'),
        scenario: flags.string('scenario'),
      },
      flagName,
    );
    if (!checked.ok) throw new UsageError(checked.message);
    const { command } = checked;
    const secret = flags.string('secret') ?? process.env.TICKSTREAM_AUTH_SECRET;
    if (!secret) throw new UsageError('--secret is required (or set TICKSTREAM_AUTH_SECRET): commands are signed');

    const brokers = brokersOf(flags);
    const kafka = new Kafka({
      clientId: 'tickstream-chaos',
      brokers,
      ...kafkajsSecurity(kafkaSecurityOf(process.env)),
      logLevel: logLevel.NOTHING,
      connectionTimeout: 3000,
      retry: { retries: 1 },
    });
    const writer = new ControlWriter(kafka.producer());
    try {
      await writer.send(secret, flags.required('user'), command);
    } catch (error) {
      throw new ChaosError(`Kafka at ${brokers.join(',')} unreachable (${(error as Error).message}): is it running?`);
    } finally {
      await writer.stop();
    }
    const { action: sent, factor: times, forMs } = command;
    const forWhat = forMs === null ? '' : ` for ${forMs} ms`;
    process.stderr.write(
      `chaos: ${sent}${times === null ? '' : ` ×${times}`}${command.scenario ? ` ${command.scenario}` : ''}${forWhat} sent to ${command.target ?? (isProcessAction(sent) ? 'the up supervisor' : 'every producer')} on '${CONTROL_TOPIC}'; applied or refused, it is audited on market_events\n`,
    );
    return 0;
  },
};

/** The flag a request field comes from, so a refusal names what the user typed. */
const flagName: FieldName = (field) =>
  ({ target: '--target', forMs: '--for', factor: '--factor', delayMs: '--delay', scenario: '--scenario' })[field];
