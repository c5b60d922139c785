import { randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import type { Producer } from 'kafkajs';
import { EPISODE_SCENARIOS, type MarketScenario } from './market-scenarios.js';

export { EPISODE_SCENARIOS } from './market-scenarios.js';

/**
 * Commands on the `control` topic (tickstream chaos): each record's value is a compact HS256 JWT
 * signed with the system's auth secret (the edges' --auth-secret), carrying the command in a
 * `chaos` claim beside `sub` and `role`. A component obeys only a command that verifies and was
 * signed for the admin role; every other one is refused (and audited). The command is inside the
 * signature, so a signed command cannot be edited into another, and it expires within a minute,
 * so an old one read again does nothing.
 *
 * One module for everyone who writes or reads commands: `tickstream chaos`, the edge's POST
 * /api/chaos (the Pipeline view's controls), the producers and the `up` supervisor.
 */
export const CONTROL_TOPIC = 'control';

/** What the producers obey themselves, wherever they run (docker-compose too). */
export const PRODUCER_ACTIONS = {
  pause: "stop the producer's ticks (for --for, else until resume)",
  resume: "restart the producer's ticks at their rate (ends a pause or a burst)",
  burst: 'tick at --factor N× the rate (default 5) for --for (default 10s)',
  scenario: `play one episode of --scenario NAME (${EPISODE_SCENARIOS.join(', ')}) now, for --for (default 20s)`,
} as const;

/**
 * What only the `tickstream up` supervisor can do, for it runs the processes and the links between
 * them (docs/operations.md, "Failure playbook"). --target names the edge (as /api/pipeline lists it),
 * or for stop-kafka-node the Kafka node (its node.id, or kafka-<id>).
 */
export const PROCESS_ACTIONS = {
  'kill-edge': 'SIGKILL one edge of up --edges N (--target, default the first); up restarts it',
  'kill-analytics': 'SIGKILL the analytics job; up restarts it and it resumes from its checkpoint',
  'cut-link': "drop and refuse an edge's connections to Kafka for --for (default 10s; --target: one edge)",
  'delay-link': "delay an edge's traffic to and from Kafka by --delay (default 500ms) for --for (default 10s)",
  'slow-consumer':
    'a WebSocket client of an edge (--target, default the first) subscribed to every symbol stops reading and keeps asking for resyncs for --for (default 10s), then reads again',
  'stop-kafka-node':
    'SIGKILL one node of up --kafka apache --nodes 3 (--target NODE_ID, default the leader of most ticks partitions) for --for (default 10s); up starts it again',
} as const;

export const CHAOS_ACTIONS = { ...PRODUCER_ACTIONS, ...PROCESS_ACTIONS } as const;
export type ChaosAction = keyof typeof CHAOS_ACTIONS;
export type ProcessAction = keyof typeof PROCESS_ACTIONS;

/** The most a link may be delayed by: a minute is already every client's timeout. */
export const MAX_LINK_DELAY_MS = 60_000;

export interface ChaosCommand {
  action: ChaosAction;
  /** The component id it is for (as /api/pipeline lists it); null: every producer. */
  target: string | null;
  /** How long the fault lasts; null: until the next command. */
  forMs: number | null;
  /** A burst's rate multiple; null for the other actions. */
  factor: number | null;
  /** delay-link's added latency in ms; absent or null for the other actions. */
  delayMs?: number | null;
  /** The scenario action's episode; absent or null for the other actions. */
  scenario?: EpisodeScenario | null;
}

export type EpisodeScenario = Exclude<MarketScenario, 'normal'>;

export interface SignRequest {
  secret: string;
  user: string;
  /** Always 'admin' from tickstream chaos; other roles only to show they are refused. */
  role: string;
  command: ChaosCommand;
  ttlSeconds?: number;
  nowMs?: number;
}

const COMMAND_TTL_S = 60;
/** The most a burst may multiply the rate by: the producer's buffer and the brokers have to take it. */
export const MAX_BURST_FACTOR = 100;

export function isChaosAction(value: unknown): value is ChaosAction {
  return typeof value === 'string' && Object.hasOwn(CHAOS_ACTIONS, value);
}

export function isProcessAction(value: unknown): value is ProcessAction {
  return typeof value === 'string' && Object.hasOwn(PROCESS_ACTIONS, value);
}

export function isProducerAction(value: unknown): value is keyof typeof PRODUCER_ACTIONS {
  return typeof value === 'string' && Object.hasOwn(PRODUCER_ACTIONS, value);
}

export function signControlCommand(request: SignRequest): Promise<string> {
  const nowS = Math.floor((request.nowMs ?? Date.now()) / 1000);
  return new SignJWT({ role: request.role, chaos: { ...request.command } })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(request.user)
    .setJti(randomUUID())
    .setIssuedAt(nowS)
    .setExpirationTime(nowS + (request.ttlSeconds ?? COMMAND_TTL_S))
    .sign(new TextEncoder().encode(request.secret));
}

export type ControlCheck =
  | { ok: true; id: string; user: string; command: ChaosCommand }
  | { ok: false; user: string; action: string; reason: string };

/** Verifies a `control` record value; says why a command is refused in words an operator can act on. */
export async function verifyControlCommand(token: string, secret: string): Promise<ControlCheck> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, new TextEncoder().encode(secret), { algorithms: ['HS256'] }));
  } catch (error) {
    const reason =
      error instanceof errors.JWTExpired
        ? 'the command expired'
        : error instanceof errors.JWSSignatureVerificationFailed
          ? 'the signature does not verify with this system’s auth secret'
          : `not a signed command (${(error as Error).message})`;
    return { ok: false, user: '?', action: '?', reason };
  }
  const user = typeof payload.sub === 'string' ? payload.sub : '?';
  const command = parseCommand(payload.chaos);
  const action = command?.action ?? '?';
  if (payload.role !== 'admin') {
    return { ok: false, user, action, reason: `role ${String(payload.role)} may not inject failures (admin only)` };
  }
  if (command === null) return { ok: false, user, action, reason: 'the chaos claim is not a valid command' };
  return { ok: true, id: typeof payload.jti === 'string' ? payload.jti : '', user, command };
}

function parseCommand(raw: unknown): ChaosCommand | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const { action, target, forMs, factor, delayMs = null, scenario = null } = raw as Record<string, unknown>;
  if (!isChaosAction(action)) return null;
  if (target !== null && typeof target !== 'string') return null;
  if (forMs !== null && !(typeof forMs === 'number' && Number.isInteger(forMs) && forMs > 0)) return null;
  if (factor !== null && !(typeof factor === 'number' && factor >= 1 && factor <= MAX_BURST_FACTOR)) return null;
  if (delayMs !== null && !(typeof delayMs === 'number' && Number.isInteger(delayMs) && delayMs >= 0)) return null;
  if (typeof delayMs === 'number' && delayMs > MAX_LINK_DELAY_MS) return null;
  if (scenario !== null && !isEpisodeScenario(scenario)) return null;
  if ((action === 'scenario') !== (scenario !== null)) return null;
  return {
    action,
    target,
    forMs,
    factor,
    ...(delayMs === null ? {} : { delayMs }),
    ...(scenario === null ? {} : { scenario }),
  };
}

export function isEpisodeScenario(value: unknown): value is EpisodeScenario {
  return typeof value === 'string' && (EPISODE_SCENARIOS as readonly string[]).includes(value);
}

/** A command as someone asked for it: tickstream chaos's flags, or POST /api/chaos's JSON body. */
export interface ChaosRequest {
  action: unknown;
  target?: unknown;
  forMs?: unknown;
  factor?: unknown;
  delayMs?: unknown;
  scenario?: unknown;
}

/** How a field is called where the request came from: a flag (`--for`) or a JSON field (`forMs`). */
export type FieldName = (field: Exclude<keyof ChaosRequest, 'action'>) => string;

const jsonField: FieldName = (field) => field;

/**
 * Checks a request and builds the command it asks for, or says in one sentence what is wrong:
 * the same checks for the CLI and the edge, so neither sends what a component would refuse.
 */
export function chaosCommandFrom(
  request: ChaosRequest,
  name: FieldName = jsonField,
): { ok: true; command: ChaosCommand } | { ok: false; message: string } {
  const refuse = (message: string) => ({ ok: false as const, message });
  const { action } = request;
  const actions = Object.keys(CHAOS_ACTIONS).join(', ');
  if (typeof action !== 'string' || action === '') return refuse(`say which action: ${actions}`);
  if (!isChaosAction(action)) return refuse(`unknown action '${action}'; the actions are ${actions}`);
  const target = request.target ?? null;
  if (target !== null && (typeof target !== 'string' || target === ''))
    return refuse(`${name('target')} must be a component id as GET /api/pipeline lists it`);
  const forMs = request.forMs ?? null;
  if (forMs !== null && !(typeof forMs === 'number' && Number.isInteger(forMs) && forMs >= 1))
    return refuse(`${name('forMs')} must be a duration of at least 1 ms`);
  if (forMs !== null && action === 'resume') return refuse(`resume takes no ${name('forMs')}`);
  if (forMs !== null && action.startsWith('kill-')) return refuse(`${action} takes no ${name('forMs')}`);
  const factor = request.factor ?? null;
  if (factor !== null && action !== 'burst') return refuse(`${name('factor')} is for burst only`);
  if (factor !== null && !(typeof factor === 'number' && factor >= 1 && factor <= MAX_BURST_FACTOR))
    return refuse(`${name('factor')} must be a number from 1 to ${MAX_BURST_FACTOR}, got '${String(factor)}'`);
  const delayMs = request.delayMs ?? null;
  if (delayMs !== null && action !== 'delay-link') return refuse(`${name('delayMs')} is for delay-link only`);
  if (
    delayMs !== null &&
    !(typeof delayMs === 'number' && Number.isInteger(delayMs) && delayMs >= 0 && delayMs <= MAX_LINK_DELAY_MS)
  )
    return refuse(`${name('delayMs')} must be from 0 to ${MAX_LINK_DELAY_MS / 1000}s`);
  const scenario = request.scenario ?? null;
  if (scenario !== null && action !== 'scenario') return refuse(`${name('scenario')} is for the scenario action only`);
  if (action === 'scenario' && scenario === null)
    return refuse(`scenario needs ${name('scenario')}: one of ${EPISODE_SCENARIOS.join(', ')}`);
  if (scenario !== null && !isEpisodeScenario(scenario))
    return refuse(`unknown scenario '${String(scenario)}'; the scenarios are ${EPISODE_SCENARIOS.join(', ')}`);
  return {
    ok: true,
    command: {
      action,
      target: target as string | null,
      forMs: forMs as number | null,
      factor: factor as number | null,
      ...(delayMs === null ? {} : { delayMs: delayMs as number }),
      ...(scenario === null ? {} : { scenario: scenario as EpisodeScenario }),
    },
  };
}

/**
 * Writes signed commands to `control` (acks from all in-sync replicas: a command is there once
 * the send resolves), connecting on the first one. Keyed by the target, or the action when
 * there is none.
 */
export class ControlWriter {
  private connected: Promise<void> | null = null;

  constructor(
    private readonly producer: Producer,
    private readonly topic = CONTROL_TOPIC,
  ) {}

  /** Signs `command` for the admin role as `user` and writes it; rejects with Kafka's error. */
  async send(secret: string, user: string, command: ChaosCommand): Promise<void> {
    const token = await signControlCommand({ secret, user, role: 'admin', command });
    this.connected ??= this.producer.connect().catch((error: Error) => {
      this.connected = null;
      throw error;
    });
    await this.connected;
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: [{ key: command.target ?? command.action, value: token }],
    });
  }

  async stop(): Promise<void> {
    if (this.connected !== null) await this.producer.disconnect().catch(() => {});
  }
}
