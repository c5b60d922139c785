import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_BARS_KEPT,
  defaultEdgeOptions,
  type EdgeOptions,
  parseAddressList,
  startEdge,
  TIMEFRAME_NAMES,
} from '@tickstream/edge';
import { describeKafkaSecurity, PLAINTEXT } from '@tickstream/schemas/kafka-security';
import { announce, createLogger } from '@tickstream/schemas/logger';
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
  'candles-topic': {
    type: 'string',
    value: 'NAME',
    description: "the analytics job's finished bars (history of every timeframe, read at start)",
    default: 'candles',
  },
  'correlations-topic': {
    type: 'string',
    value: 'NAME',
    description: "the analytics job's correlation matrices",
    default: 'correlations',
  },
  'candle-bars': {
    type: 'string',
    value: 'TF=N,…',
    description: `bars kept per symbol by timeframe, e.g. 1m=2880 (default ${TIMEFRAME_NAMES.map((tf, i) => `${tf}=${DEFAULT_BARS_KEPT[i]}`).join(',')})`,
  },
  'events-history': {
    type: 'string',
    value: 'DURATION',
    description: 'how far back to read market events at start (for the Events view and badges)',
    default: '24h',
  },
  'analytics-metrics': {
    type: 'string',
    value: 'URL',
    description:
      "the analytics job's Prometheus text, e.g. http://127.0.0.1:9249/metrics, shown in /api/analytics and the dashboard",
  },
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
    description:
      'require a token on /ws and /api/*: HS256 JWTs signed with this secret, from tickstream token or POST /api/login (env TICKSTREAM_AUTH_SECRET); without it or --auth-jwks: single-user mode',
  },
  'auth-jwks': {
    type: 'string',
    value: 'FILE|URL',
    description: 'accept RS256/ES256 JWTs of an identity provider whose keys are this JWKS (env TICKSTREAM_AUTH_JWKS)',
  },
  'auth-issuer': { type: 'string', value: 'ISS', description: 'tokens must carry this iss claim' },
  'auth-audience': { type: 'string', value: 'AUD', description: 'tokens must carry this aud claim' },
  protect: {
    type: 'string',
    value: 'health,metrics',
    description: 'also require a token on these (open by default, for balancers and Prometheus)',
  },
  'session-ttl': {
    type: 'string',
    value: 'DURATION',
    description: 'how long a sign-in (POST /api/login) lasts',
    default: '12h',
  },
  'secure-cookies': {
    type: 'boolean',
    description: 'mark the sign-in cookie Secure (automatic behind a proxy sending X-Forwarded-Proto: https)',
  },
  'max-alerts-per-user': {
    type: 'string',
    value: 'N',
    description: 'alert rules one user may have',
    default: String(defaultEdgeOptions.maxAlertsPerUser),
  },
  'max-open-orders-per-user': {
    type: 'string',
    value: 'N',
    description: 'open orders one user may have (docs/trading.md)',
    default: String(defaultEdgeOptions.maxOpenOrdersPerUser),
  },
  'max-order-quantity': {
    type: 'string',
    value: 'SHARES',
    description: 'most shares in one order',
    default: String(defaultEdgeOptions.maxOrderQuantity),
  },
  'order-price-band': {
    type: 'string',
    value: 'PERCENT',
    description: 'a limit or stop price must be within this many percent of the last price (1-100)',
    default: String(defaultEdgeOptions.orderPriceBandPct),
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
  'frame-min-updates': {
    type: 'string',
    value: 'N',
    description:
      'a Delta of fewer symbol updates waits one window to share a socket write with the next (0: every window on its own)',
    default: String(defaultEdgeOptions.frameMinUpdates),
  },
  'max-replays': {
    type: 'string',
    value: 'N',
    description: 'replays (docs/protocol.md, "Replay") run at once; more get Error 17 (ReplayLimit)',
    default: String(defaultEdgeOptions.maxReplays),
  },
  'replay-warmup': {
    type: 'string',
    value: 'DURATION',
    description:
      'ticks read before a replay’s start: its market at T is what an edge started at T with this history shows (default: --history)',
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

/** The edge's options from its flags; its logger (LOG_LEVEL) names it by its edge id. */
export function edgeOptionsFrom(flags: Flags): EdgeOptions {
  const edgeId = flags.string('edge-id') ?? `${hostname()}-${process.pid}`;
  const windowMs = parseInteger('window', flags.required('window'), { min: 5, max: 1000 });
  const soft = parseBytes('soft-buffer', flags.required('soft-buffer'));
  const hard = parseBytes('hard-buffer', flags.required('hard-buffer'));
  if (soft < 1024 || hard <= soft)
    throw new UsageError(`--hard-buffer (${hard}) must be above --soft-buffer (${soft}), which must be at least 1KiB`);
  const historyMs = parseDurationMs('history', flags.required('history'));
  if (historyMs < 0) throw new UsageError('--history must be a duration such as 0, 30s or 15m');
  const eventsHistoryMs = parseDurationMs('events-history', flags.required('events-history'));
  if (eventsHistoryMs < 0) throw new UsageError('--events-history must be a duration such as 0, 1h or 24h');
  const metricsUrl = flags.string('analytics-metrics') ?? null;
  if (metricsUrl !== null && !/^https?:\/\/[^/\s]+/.test(metricsUrl))
    throw new UsageError(`--analytics-metrics must be an http:// URL, got '${metricsUrl}'`);
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
  const protect = (flags.string('protect') ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  for (const name of protect)
    if (name !== 'health' && name !== 'metrics')
      throw new UsageError(`--protect takes health and/or metrics, got '${name}'`);
  const warmup = flags.string('replay-warmup');
  const replayWarmupMs = warmup === undefined ? null : parseDurationMs('replay-warmup', warmup);
  if (replayWarmupMs !== null && replayWarmupMs < 0)
    throw new UsageError('--replay-warmup must be a duration such as 0, 30s or 15m');
  const sessionTtlMs = parseDurationMs('session-ttl', flags.required('session-ttl'));
  if (sessionTtlMs < 60_000) throw new UsageError('--session-ttl must be at least 1m');
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
    candlesTopic: flags.required('candles-topic'),
    correlationsTopic: flags.required('correlations-topic'),
    barsKept: parseBarsKept(flags.string('candle-bars')),
    analyticsMetricsUrl: metricsUrl,
    windowMs,
    historyMs,
    eventsHistoryMs,
    // An empty TICKSTREAM_AUTH_SECRET (docker-compose's default) means no auth, not an empty key.
    authSecret: flags.string('auth-secret') ?? (process.env.TICKSTREAM_AUTH_SECRET || null),
    authJwks: flags.string('auth-jwks') ?? (process.env.TICKSTREAM_AUTH_JWKS || null),
    authIssuer: flags.string('auth-issuer') ?? null,
    authAudience: flags.string('auth-audience') ?? null,
    protect: { health: protect.includes('health'), metrics: protect.includes('metrics') },
    sessionTtlS: Math.round(sessionTtlMs / 1000),
    secureCookies: flags.boolean('secure-cookies'),
    maxAlertsPerUser: parseInteger('max-alerts-per-user', flags.required('max-alerts-per-user'), {
      min: 1,
      max: 10_000,
    }),
    maxOpenOrdersPerUser: parseInteger('max-open-orders-per-user', flags.required('max-open-orders-per-user'), {
      min: 1,
      max: 100_000,
    }),
    maxOrderQuantity: parseInteger('max-order-quantity', flags.required('max-order-quantity'), {
      min: 1,
      max: 10_000_000,
    }),
    orderPriceBandPct: parseInteger('order-price-band', flags.required('order-price-band'), { min: 1, max: 100 }),
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
    frameMinUpdates: parseInteger('frame-min-updates', flags.required('frame-min-updates'), { min: 0, max: 65_536 }),
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
    maxReplays: parseInteger('max-replays', flags.required('max-replays'), { min: 0, max: 1000 }),
    replayWarmupMs,
    staticDir: DASHBOARD_DIST,
    edgeId,
    logger: createLogger({ component: 'edge', instance: edgeId }),
  };
}

/** `--candle-bars 1m=2880,1h=720`: the bars kept of the timeframes named; the others keep their default. */
export function parseBarsKept(text: string | undefined): number[] {
  const kept = [...DEFAULT_BARS_KEPT];
  if (text === undefined) return kept;
  for (const part of text.split(',')) {
    const [name, count] = part.split('=').map((piece) => piece.trim());
    const index = (TIMEFRAME_NAMES as readonly string[]).indexOf(name ?? '');
    if (index < 0 || count === undefined)
      throw new UsageError(
        `--candle-bars takes TF=N pairs with TF one of ${TIMEFRAME_NAMES.join(', ')}; got '${part}'`,
      );
    kept[index] = parseInteger('candle-bars', count, { min: 2, max: 1_000_000 });
  }
  return kept;
}

export const edgeCommand: Command = {
  name: 'edge',
  summary:
    'Run an edge: consume ticks from Kafka, keep per-symbol state and candles, serve WebSocket clients and the HTTP API.',
  flags: edgeFlags,
  notes:
    'Endpoints: ws://HOST:PORT/ws (docs/protocol.md), /livez, /readyz, /health, /metrics, /api/symbols,\n' +
    '/api/candles?symbol=&tf=&limit=, /api/indicators, /api/correlations, /api/events, /api/analytics, /api/login,\n' +
    '/api/logout, /api/session, /api/alerts, /api/orders, /api/fills, /api/portfolio (docs/api.md), and the dashboard at /.\n' +
    "History: ticks from --history back; every timeframe's finished bars from the analytics job's candles topic (docs/edge.md).\n" +
    'Auth (docs/security.md): --auth-secret and/or --auth-jwks make every /ws and /api/* call need a token; local\n' +
    'accounts (tickstream users) sign in with POST /api/login. Without either: single-user mode, everyone is the local admin.\n' +
    'With --tls-cert/--tls-key: https:// and wss://. SIGTERM drains (clients move to other edges); Ctrl-C stops at once.\n' +
    'Managed Kafka: KAFKA_SSL, KAFKA_SSL_CA_FILE, KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD (docs/operations.md).',
  async run(flags) {
    const options = edgeOptionsFrom(flags);
    const { logger } = options;
    const edge = await startEdge(options);
    const auth =
      options.authSecret === null && options.authJwks === null
        ? 'single-user mode (no --auth-secret): everyone is the local admin'
        : 'tokens required on /ws and /api/*';
    logger.info(`auth: ${auth}`);
    // `up --edges N` and the tests find the port in this line's msg.
    announce(
      logger,
      { port: edge.port, scheme: edge.scheme },
      `edge ${edge.edgeId} listening on ${edge.scheme}://${options.host}:${edge.port} (${edge.scheme === 'https' ? 'wss' : 'ws'} at /ws), Kafka ${options.brokers.join(',')} (${describeKafkaSecurity(options.kafkaSecurity ?? PLAINTEXT)})`,
    );
    return runUntilSignal((signal) => (signal === 'SIGTERM' ? edge.drain() : edge.stop()), undefined, logger);
  },
};
