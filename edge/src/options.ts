import type { KafkaSecurity } from '@tickstream/schemas/kafka-security';
import type { Logger } from '@tickstream/schemas/logger';
import { DEFAULT_BARS_KEPT } from './candles.js';
import type { TlsFiles } from './tls.js';
import { defaultTradingTopics, type TradingTopicNames } from './trading-state.js';
import { defaultUserTopics, type UserTopicNames } from './user-state-kafka.js';

export interface EdgeOptions {
  /** 0 picks a free port (tests); `listening.port` tells which. */
  port: number;
  host: string;
  brokers: string[];
  /** TLS and SASL for Kafka (docs/operations.md); unset: read from KAFKA_SSL* / KAFKA_SASL_*. */
  kafkaSecurity?: KafkaSecurity;
  topic: string;
  eventsTopic: string;
  /** The analytics job's finished bars (partition = timeframe) and correlation matrices. */
  candlesTopic: string;
  correlationsTopic: string;
  /** Where every tier reports its figures once a second (docs/operations.md, "The pipeline"). */
  systemMetricsTopic: string;
  /** Deltas are published every this many ms. */
  windowMs: number;
  /** How far back in Kafka the edge reads ticks at start to rebuild state and candles. */
  historyMs: number;
  /** How far back market events are read at start (for /api/events, badges and chart markers). */
  eventsHistoryMs: number;
  /** Newest `correlations` records read back at start. */
  correlationsBacklog: number;
  /**
   * The analytics job's Prometheus text (Flink's reporter: `tickstream analytics --metrics-port`),
   * scraped for /api/analytics and the dashboard's Performance view; null: not shown.
   */
  analyticsMetricsUrl: string | null;
  /**
   * HS256 key of client tokens and of the tokens POST /api/login signs. With neither this nor
   * `authJwks` the edge runs in single-user mode: everyone is the local admin (docs/security.md).
   */
  authSecret: string | null;
  /** A JWKS file or http(s) URL: RS256/ES256 tokens of an identity provider are accepted too. */
  authJwks: string | null;
  /** `iss` and `aud` tokens must carry, when set. */
  authIssuer: string | null;
  authAudience: string | null;
  /** /health and /metrics need a token too (they are open by default, for balancers and Prometheus). */
  protect: { health: boolean; metrics: boolean };
  /** How long a token from POST /api/login stays valid, in seconds. */
  sessionTtlS: number;
  /** Mark the login cookie Secure even without X-Forwarded-Proto: https. */
  secureCookies: boolean;
  /** Alert rules one user may have. */
  maxAlertsPerUser: number;
  /** The per-user topics: users, alerts, alert_events. */
  userTopics: UserTopicNames;
  /** The trading topics: orders, fills, portfolios (docs/trading.md). */
  tradingTopics: TradingTopicNames;
  /** Open orders one user may have. */
  maxOpenOrdersPerUser: number;
  /** Most shares in one order. */
  maxOrderQuantity: number;
  /** A limit or stop price must be within this many percent of the symbol's last price. */
  orderPriceBandPct: number;
  /** Origins allowed to open a WebSocket (null: any). */
  allowedOrigins: string[] | null;
  /** Most symbols one subscription may cover (Hello.max_symbols_per_subscription). */
  maxSymbolsPerSubscription: number;
  /** Client messages a second, on average, and the burst allowed above it. */
  maxMessagesPerSecond: number;
  messageBurst: number;
  /** Refused messages within 10 s (rate-limiter.ts) after which a client is disconnected. */
  maxRefusalsIn10s: number;
  /** Largest client frame answered with an Error instead of being read; uWS closes far above it. */
  maxClientFrameBytes: number;
  /** Above this many buffered bytes a client gets no Deltas until it drains. */
  softBufferBytes: number;
  /** Above this a client is disconnected (close code 4008). */
  hardBufferBytes: number;
  /** A client over the soft limit for this long is disconnected too. */
  slowClientTimeoutMs: number;
  /**
   * Frame pacing: a channel's Delta of fewer updates waits one window to share a socket write with
   * the channel's next Delta (fan-out.ts); 0 sends every Delta in its own window.
   */
  frameMinUpdates: number;
  /** Bars kept per symbol, by timeframe (1s … 1d): the memory bound of the candles (docs/edge.md). */
  barsKept: readonly number[];
  /** Replays (docs/protocol.md, "Replay") the edge runs at once; more are refused with ReplayLimit. */
  maxReplays: number;
  /**
   * Ticks read before a replay's start time, ms: the replayed market at T is what an edge started
   * at T with this much history shows. null: the edge's own `historyMs`.
   */
  replayWarmupMs: number | null;
  /** Main-thread time all replays together may take per window, ms (wall time, decoding included): what bounds their cost to the live fan-out. */
  replayMsPerWindow: number;
  /** Symbols the edge can hold (ids are ushort on the wire). */
  maxSymbols: number;
  /** Serve https:// and wss:// with this certificate and key (null: plain http:// and ws://). */
  tls: TlsFiles | null;
  /** After SIGTERM: how long /readyz answers 503 and new clients are refused before clients are moved. */
  drainDelayMs: number;
  /** Then the clients are closed (1012, reconnect) in shares spread over this long. */
  drainWindowMs: number;
  /** Open WebSockets one client address may hold (0: no limit; loopback is never limited). */
  maxConnectionsPerIp: number;
  /** HTTP requests a second per client address, bursts of twice that (0: no limit; not /livez, /readyz, /health, /metrics). */
  maxRequestsPerIpPerSecond: number;
  /** Proxies whose X-Forwarded-For names the client (addresses or CIDRs). */
  trustedProxies: string[];
  /** Directory with the dashboard's built files (index.html …), served at `/`; null: none. */
  staticDir: string | null;
  edgeId: string;
  /**
   * The edge's log (component edge, instance its id): connections and /api requests log through
   * children that carry their connection id (`conn`) or request id (`req`).
   */
  logger: Logger;
}

export const defaultEdgeOptions: Omit<EdgeOptions, 'edgeId' | 'logger' | 'staticDir'> = {
  port: 8080,
  host: '0.0.0.0',
  brokers: ['127.0.0.1:9092'],
  topic: 'ticks',
  eventsTopic: 'market_events',
  candlesTopic: 'candles',
  correlationsTopic: 'correlations',
  systemMetricsTopic: 'system_metrics',
  windowMs: 25,
  historyMs: 15 * 60_000,
  eventsHistoryMs: 24 * 3_600_000,
  correlationsBacklog: 2000,
  analyticsMetricsUrl: null,
  authSecret: null,
  authJwks: null,
  authIssuer: null,
  authAudience: null,
  protect: { health: false, metrics: false },
  sessionTtlS: 12 * 3600,
  secureCookies: false,
  maxAlertsPerUser: 100,
  userTopics: defaultUserTopics,
  tradingTopics: defaultTradingTopics,
  maxOpenOrdersPerUser: 100,
  maxOrderQuantity: 1_000_000,
  orderPriceBandPct: 20,
  allowedOrigins: null,
  maxSymbolsPerSubscription: 10_000,
  maxMessagesPerSecond: 50,
  messageBurst: 100,
  maxRefusalsIn10s: 200,
  maxClientFrameBytes: 16 * 1024,
  softBufferBytes: 256 * 1024,
  hardBufferBytes: 1024 * 1024,
  slowClientTimeoutMs: 10_000,
  frameMinUpdates: 0,
  barsKept: DEFAULT_BARS_KEPT,
  maxSymbols: 20_000,
  tls: null,
  drainDelayMs: 2000,
  drainWindowMs: 5000,
  maxConnectionsPerIp: 100,
  maxRequestsPerIpPerSecond: 100,
  trustedProxies: [],
  maxReplays: 20,
  replayWarmupMs: null,
  replayMsPerWindow: 5,
};
