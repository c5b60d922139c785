import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultEdgeOptions, type EdgeOptions, parseAddressList, startEdge } from '@tickstream/edge';
import { describeKafkaSecurity, PLAINTEXT } from '@tickstream/schemas/kafka-security';
import type { Command, Flags } from '../command.js';
import { kafkaSecurityOf, parseBytes, parseDurationMs, parseInteger, parsePort } from '../option-values.js';
import { runUntilSignal } from '../run-until-signal.js';
import { UsageError } from '../usage-error.js';

/** The dashboard's build output, served at `/` when present. */
export const DASHBOARD_DIST = resolve(dirname(fileURLToPath(import.meta.url)), '../../../dashboard/dist');

export const edgeFlags: Command['flags'] = {
  port: { type: 'string', value: 'PORT', description: 'HTTP and WebSocket port (0 picks a free one)', default: '8080' },
  host: { type: 'string', value: 'HOST', description: 'address to listen on', default: '0.0.0.0' },
  brokers: {
    type: 'string',
    value: 'HOST:PORT,…',
    description: 'Kafka bootstrap servers (env KAFKA_BOOTSTRAP_SERVERS)',
    default: '127.0.0.1:9092',
  },
  topic: { type: 'string', value: 'NAME', description: 'ticks topic', default: 'ticks' },
  'events-topic': { type: 'string', value: 'NAME', description: 'market events topic', default: 'market_events' },
  window: { type: 'string', value: 'MS', description: 'publish a Delta every this many ms (5-1000)', default: '25' },
  history: {
    type: 'string',
    value: 'DURATION',
    description: 'how far back in Kafka to rebuild state and candles at start (0 = none)',
    default: '15m',
  },
  'auth-secret': {
    type: 'string',
    value: 'SECRET',
    description: 'require client tokens signed with this secret (see tickstream token; env TICKSTREAM_AUTH_SECRET)',
  },
  'allowed-origins': {
    type: 'string',
    value: 'ORIGIN,…',
    description: 'only pages of these Origins may open a WebSocket or call /api (CORS)',
  },
  'max-symbols-per-client': {
    type: 'string',
    value: 'N',
    description: 'most symbols one subscription may cover',
    default: String(defaultEdgeOptions.maxSymbolsPerSubscription),
  },
  'max-messages-per-second': {
    type: 'string',
    value: 'N',
    description: 'client messages a second before Error 5 (RateLimited)',
    default: String(defaultEdgeOptions.maxMessagesPerSecond),
  },
  'soft-buffer': {
    type: 'string',
    value: 'SIZE',
    description: 'unsent bytes above which a client gets no Deltas until it drains',
    default: '256KiB',
  },
  'hard-buffer': {
    type: 'string',
    value: 'SIZE',
    description: 'unsent bytes above which a client is closed (4008)',
    default: '1MiB',
  },
  'edge-id': { type: 'string', value: 'ID', description: 'name reported in Hello and /health (default: host-pid)' },
  'tls-cert': { type: 'string', value: 'FILE', description: 'PEM certificate (chain): serve https:// and wss://' },
  'tls-key': { type: 'string', value: 'FILE', description: 'PEM private key of --tls-cert (unencrypted)' },
  'drain-delay': {
    type: 'string',
    value: 'DURATION',
    description: 'on SIGTERM, /readyz 503 and new clients refused this long before clients are moved',
    default: '2s',
  },
  'drain-time': {
    type: 'string',
    value: 'DURATION',
    description: 'then clients are closed (1012: reconnect elsewhere) spread over this long',
    default: '5s',
  },
  'max-connections-per-ip': {
    type: 'string',
    value: 'N',
    description: 'open WebSockets one client address may hold (0 = no limit; loopback never limited)',
    default: String(defaultEdgeOptions.maxConnectionsPerIp),
  },
  'max-requests-per-ip': {
    type: 'string',
    value: 'N',
    description: 'HTTP requests a second per client address, bursts of 2N (0 = no limit)',
    default: String(defaultEdgeOptions.maxRequestsPerIpPerSecond),
  },
  'trust-proxy': {
    type: 'string',
    value: 'CIDR,…',
    description: 'proxies whose X-Forwarded-For names the client (for the per-address limits)',
  },
};

/** --tls-cert and --tls-key, both or neither. */
export function tlsFilesFrom(flags: Flags): EdgeOptions['tls'] {
  const certFile = flags.string('tls-cert');
  const keyFile = flags.string('tls-key');
  if ((certFile === undefined) !== (keyFile === undefined))
    throw new UsageError('--tls-cert and --tls-key go together: give both (PEM files) or neither');
  return certFile !== undefined && keyFile !== undefined ? { certFile, keyFile } : null;
}

export function edgeOptionsFrom(flags: Flags, log: (line: string) => void): EdgeOptions {
  const windowMs = parseInteger('window', flags.required('window'), { min: 5, max: 1000 });
  const soft = parseBytes('soft-buffer', flags.required('soft-buffer'));
  const hard = parseBytes('hard-buffer', flags.required('hard-buffer'));
  if (soft < 1024 || hard <= soft)
    throw new UsageError(`--hard-buffer (${hard}) must be above --soft-buffer (${soft}), which must be at least 1KiB`);
  const historyMs = parseDurationMs('history', flags.required('history'));
  if (historyMs < 0) throw new UsageError('--history must be a duration such as 0, 30s or 15m');
  const brokersFlag = flags.required('brokers');
  const brokers = (
    process.env.KAFKA_BOOTSTRAP_SERVERS && brokersFlag === '127.0.0.1:9092'
      ? process.env.KAFKA_BOOTSTRAP_SERVERS
      : brokersFlag
  )
    .split(',')
    .map((broker) => broker.trim())
    .filter(Boolean);
  for (const broker of brokers) {
    if (!/^[\w.-]+:\d{1,5}$/.test(broker)) throw new UsageError(`--brokers must be host:port,…, got '${broker}'`);
  }
  const origins = flags.string('allowed-origins');
  const trustedProxies = (flags.string('trust-proxy') ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  try {
    parseAddressList(trustedProxies);
  } catch (error) {
    throw new UsageError(`--trust-proxy: ${(error as Error).message}`);
  }
  const nonNegative = (flag: string): number => {
    const ms = parseDurationMs(flag, flags.required(flag));
    if (ms < 0) throw new UsageError(`--${flag} must be a duration such as 0, 500ms or 5s`);
    return ms;
  };
  return {
    ...defaultEdgeOptions,
    port: parsePort('port', flags.required('port')),
    host: flags.required('host'),
    brokers,
    kafkaSecurity: kafkaSecurityOf(process.env),
    topic: flags.required('topic'),
    eventsTopic: flags.required('events-topic'),
    windowMs,
    historyMs,
    // An empty TICKSTREAM_AUTH_SECRET (docker-compose's default) means no auth, not an empty key.
    authSecret: flags.string('auth-secret') ?? (process.env.TICKSTREAM_AUTH_SECRET || null),
    allowedOrigins: origins ? origins.split(',').map((origin) => origin.trim()) : null,
    maxSymbolsPerSubscription: parseInteger('max-symbols-per-client', flags.required('max-symbols-per-client'), {
      min: 1,
      max: 65_536,
    }),
    maxMessagesPerSecond: parseInteger('max-messages-per-second', flags.required('max-messages-per-second'), {
      min: 1,
      max: 100_000,
    }),
    softBufferBytes: soft,
    hardBufferBytes: hard,
    tls: tlsFilesFrom(flags),
    drainDelayMs: nonNegative('drain-delay'),
    drainWindowMs: nonNegative('drain-time'),
    maxConnectionsPerIp: parseInteger('max-connections-per-ip', flags.required('max-connections-per-ip'), {
      min: 0,
      max: 1_000_000,
    }),
    maxRequestsPerIpPerSecond: parseInteger('max-requests-per-ip', flags.required('max-requests-per-ip'), {
      min: 0,
      max: 1_000_000,
    }),
    trustedProxies,
    staticDir: DASHBOARD_DIST,
    edgeId: flags.string('edge-id') ?? `${hostname()}-${process.pid}`,
    log,
  };
}

export const edgeCommand: Command = {
  name: 'edge',
  summary:
    'Run an edge: consume ticks from Kafka, keep per-symbol state and candles, serve WebSocket clients and the HTTP API.',
  flags: edgeFlags,
  notes:
    'Endpoints: ws://HOST:PORT/ws (docs/protocol.md), /livez, /readyz, /health, /metrics, /api/symbols, /api/candles?symbol=&tf=&limit=, and the dashboard at /.\n' +
    'With --tls-cert/--tls-key: https:// and wss://. SIGTERM drains (clients move to other edges); Ctrl-C stops at once.\n' +
    'Managed Kafka: KAFKA_SSL, KAFKA_SSL_CA_FILE, KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD (docs/operations.md).',
  async run(flags) {
    const log = (line: string): void => {
      process.stderr.write(`${line}\n`);
    };
    const options = edgeOptionsFrom(flags, log);
    const edge = await startEdge(options);
    process.stdout.write(
      `edge ${edge.edgeId} listening on ${edge.scheme}://${options.host}:${edge.port} (${edge.scheme === 'https' ? 'wss' : 'ws'} at /ws), Kafka ${options.brokers.join(',')} (${describeKafkaSecurity(options.kafkaSecurity ?? PLAINTEXT)})\n`,
    );
    return runUntilSignal((signal) => (signal === 'SIGTERM' ? edge.drain() : edge.stop()));
  },
};
