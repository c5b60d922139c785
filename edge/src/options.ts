import type { KafkaSecurity } from '@tickstream/schemas/kafka-security';
import type { TlsFiles } from './tls.js';
export interface EdgeOptions {
  /** 0 picks a free port (tests); `listening.port` tells which. */
  port: number;
  host: string;
  brokers: string[];
  /** TLS and SASL for Kafka (docs/operations.md); unset: read from KAFKA_SSL* / KAFKA_SASL_*. */
  kafkaSecurity?: KafkaSecurity;
  topic: string;
  eventsTopic: string;
  /** Deltas are published every this many ms. */
  windowMs: number;
  /** How far back in Kafka the edge reads at start to rebuild state and candles. */
  historyMs: number;
  /** Clients must present a token signed with this secret (null: open). */
  authSecret: string | null;
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
  /** Bars kept per symbol and timeframe. */
  maxBars: number;
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
  log: (line: string) => void;
}

export const defaultEdgeOptions: Omit<EdgeOptions, 'edgeId' | 'log' | 'staticDir'> = {
  port: 8080,
  host: '0.0.0.0',
  brokers: ['127.0.0.1:9092'],
  topic: 'ticks',
  eventsTopic: 'market_events',
  windowMs: 25,
  historyMs: 15 * 60_000,
  authSecret: null,
  allowedOrigins: null,
  maxSymbolsPerSubscription: 10_000,
  maxMessagesPerSecond: 50,
  messageBurst: 100,
  maxRefusalsIn10s: 200,
  maxClientFrameBytes: 16 * 1024,
  softBufferBytes: 256 * 1024,
  hardBufferBytes: 1024 * 1024,
  slowClientTimeoutMs: 10_000,
  maxBars: 1000,
  maxSymbols: 20_000,
  tls: null,
  drainDelayMs: 2000,
  drainWindowMs: 5000,
  maxConnectionsPerIp: 100,
  maxRequestsPerIpPerSecond: 100,
  trustedProxies: [],
};
