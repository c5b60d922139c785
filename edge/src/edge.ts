import { randomInt } from 'node:crypto';
import {
  DEFAULT_MAX_FRAME_BYTES,
  decodeMarketEvent,
  ErrorCode,
  type FrameOptions,
  PRICE_SCALE,
  ProtocolError,
  ServerFrameEncoder,
} from '@tickstream/schemas';
import { nodeLz4 } from '@tickstream/schemas/lz4-node';
import { verifyToken } from './auth-token.js';
import { CandleStore } from './candles.js';
import { ClientLimits } from './client-limits.js';
import { ClientMessages } from './client-messages.js';
import { closeSpread } from './drain.js';
import { FanOut } from './fan-out.js';
import { registerHttpRoutes } from './http-routes.js';
import { MarketState } from './market-state.js';
import { EdgeMetrics, type SendCounts } from './metrics.js';
import type { EdgeOptions } from './options.js';
import { RateLimiter } from './rate-limiter.js';
import { CloseCode, type Session } from './session.js';
import { loadStaticFiles } from './static-files.js';
import { EMPTY_SPEC } from './subscription.js';
import { SymbolDirectory } from './symbol-directory.js';
import { TickConsumer } from './tick-consumer.js';
import { TickIngest } from './tick-ingest.js';
import { checkTlsFiles } from './tls.js';
import { loadNativeUws, type us_listen_socket, type WebSocket } from './uws.js';

export interface RunningEdge {
  port: number;
  /** 'https' with --tls-cert/--tls-key (then WebSockets are wss://). */
  scheme: 'http' | 'https';
  epoch: number;
  edgeId: string;
  /** Resolves once history is loaded and clients are served. */
  ready: Promise<void>;
  /** Stops at once: clients are closed with 1001 (going away). */
  stop(): Promise<void>;
  /**
   * Stops gracefully (SIGTERM): /readyz answers 503 and new clients are refused for
   * `drainDelayMs`, so balancers take this edge out; then clients are closed with 1012
   * (reconnect) spread over `drainWindowMs`; then it stops. Bounded by the sum of the two.
   */
  drain(): Promise<void>;
}

interface SocketData {
  session: Session;
  /** The client's address, for the per-address connection limit. */
  address: string;
}

const text = (buffer: ArrayBuffer): string => Buffer.from(buffer).toString();

/** uWS's upper bound on a client message: far above ours, so an oversized one gets an Error, not a close. */
const UWS_MAX_PAYLOAD = 1024 * 1024;

/**
 * One edge: consumes the ticks topic into per-symbol state and candles, and serves clients over
 * uWebSockets.js: the WebSocket protocol of docs/protocol.md at /ws, the HTTP API, the dashboard.
 */
export async function startEdge(options: EdgeOptions): Promise<RunningEdge> {
  const uws = loadNativeUws();
  const log = options.log;
  const tls = options.tls ? checkTlsFiles(options.tls) : null;
  if (tls) log(`TLS: ${tls.certFile} (${tls.subject}, valid until ${tls.validTo.toISOString().slice(0, 10)})`);
  const limits = new ClientLimits(options);
  const epoch = randomInt(1, 2 ** 32 - 1);
  const startedMs = Date.now();
  const frameOptions: FrameOptions = { lz4: nodeLz4, maxFrameBytes: DEFAULT_MAX_FRAME_BYTES };
  const directory = new SymbolDirectory(options.maxSymbols);
  const state = new MarketState(options.maxSymbols);
  const candles = new CandleStore(options.maxSymbols, options.maxBars);
  const sent: SendCounts = { frames: new Map(), bytes: 0, updates: 0, skipped: 0 };
  const metrics = new EdgeMetrics(sent, {
    ticks: () => state.ticksApplied,
    badRecords: () => ingest.badRecords + badEvents,
  });
  const encoder = new ServerFrameEncoder(frameOptions);
  const fanOut = new FanOut(state, directory, candles, encoder, epoch, options, metrics, sent);
  const clientMessages = new ClientMessages(fanOut, directory, frameOptions, options, Date.now);
  const sessions = new Set<Session>();
  let nextSessionId = 1;
  let loaded = false;
  /** SIGTERM: readiness off, no new clients, the present ones moved away. */
  let draining = false;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  const ingest = new TickIngest(directory, state, candles, log);
  let badEvents = 0;

  const consumer = new TickConsumer({
    brokers: options.brokers,
    security: options.kafkaSecurity,
    topic: options.topic,
    eventsTopic: options.eventsTopic,
    groupId: `tickstream-edge-${options.edgeId}-${epoch}`,
    historyMs: options.historyMs,
    log,
    onTick: (value) => ingest.apply(value),
    onEvent(value) {
      try {
        const frame = encoder.marketEvent(epoch, 0, decodeMarketEvent(value));
        fanOut.broadcast(sessions, frame, 'market-event');
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        badEvents++;
      }
    },
    onLag(partition, lag) {
      metrics.consumerLag.set({ partition: String(partition) }, lag);
    },
    onHealth(up, reason) {
      metrics.kafkaUp.set(up ? 1 : 0);
      log(up ? `Kafka: ${reason}` : `Kafka lost: ${reason}; serving the last known state, marked stale`);
      const frame = up
        ? encoder.error(epoch, ErrorCode.KafkaUnavailable, 'Kafka is back: data is live again')
        : encoder.error(
            epoch,
            ErrorCode.KafkaUnavailable,
            `Kafka unavailable (${reason}): data is stale until it returns`,
          );
      fanOut.broadcast(sessions, frame, 'error');
    },
    onReady() {
      loaded = true;
      log(
        `history loaded: ${directory.size} symbols, ${state.ticksApplied.toLocaleString('en-US')} ticks; serving clients`,
      );
      markReady();
    },
  });

  const app = tls ? uws.SSLApp({ cert_file_name: tls.certFile, key_file_name: tls.keyFile }) : uws.App();
  app.ws<SocketData>('/ws', {
    compression: uws.DISABLED,
    maxPayloadLength: UWS_MAX_PAYLOAD,
    // We skip Deltas above the soft limit ourselves; uWS must never drop a frame silently below the hard one.
    maxBackpressure: options.hardBufferBytes * 4,
    closeOnBackpressureLimit: 0,
    idleTimeout: 60,
    sendPingsAutomatically: true,
    upgrade(res, req, context) {
      const key = req.getHeader('sec-websocket-key');
      const protocol = req.getHeader('sec-websocket-protocol');
      const extensions = req.getHeader('sec-websocket-extensions');
      const origin = req.getHeader('origin');
      const token = req.getQuery('token') ?? '';
      const address = limits.clientAddress(text(res.getRemoteAddressAsText()), req.getHeader('x-forwarded-for'));
      const refuse = (status: string, message: string): void => {
        res.cork(() => res.writeStatus(status).writeHeader('Content-Type', 'text/plain').end(`${message}\n`));
      };
      if (!loaded) return refuse('503 Service Unavailable', 'edge is loading history from Kafka; retry shortly');
      if (draining) return refuse('503 Service Unavailable', 'edge is draining; reconnect to another edge');
      if (!limits.admits(address)) {
        return refuse(
          '429 Too Many Requests',
          `${address} holds ${limits.maxConnectionsPerIp} connections, the most one address may (--max-connections-per-ip)`,
        );
      }
      if (options.allowedOrigins !== null && origin !== '' && !options.allowedOrigins.includes(origin)) {
        return refuse('403 Forbidden', `origin ${origin} is not allowed`);
      }
      if (options.authSecret !== null) {
        if (token === '')
          return refuse('401 Unauthorized', 'this edge needs a token: ws://HOST/ws?token=… (tickstream token)');
        const check = verifyToken(token, options.authSecret);
        if (!check.ok) return refuse('401 Unauthorized', check.reason);
      }
      const session: Session = {
        id: nextSessionId++,
        outlet: null,
        spec: EMPTY_SPEC,
        channel: null,
        candles: null,
        limiter: new RateLimiter(options.maxMessagesPerSecond, options.messageBurst, Date.now()),
        lagging: false,
        laggingSinceMs: 0,
        closed: false,
      };
      res.upgrade<SocketData>({ session, address }, key, protocol, extensions, context);
    },
    open(ws: WebSocket<SocketData>) {
      const { session, address } = ws.getUserData();
      limits.opened(address);
      session.outlet = {
        send: (frame) => ws.send(frame, true, false) !== 2,
        bufferedAmount: () => ws.getBufferedAmount(),
        close: (code, reason) => {
          if (!session.closed) ws.end(code, reason);
        },
      };
      sessions.add(session);
      metrics.connections.set(sessions.size);
      fanOut.send(
        session,
        encoder.hello({
          edgeId: options.edgeId,
          epoch,
          serverTimeUs: Date.now() * 1000,
          priceScale: PRICE_SCALE,
          windowMs: options.windowMs,
          maxSymbolsPerSubscription: options.maxSymbolsPerSubscription,
          maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
          protocolVersion: 1,
        }),
        'hello',
      );
      const kafka = consumer.health;
      if (!kafka.up)
        fanOut.sendError(
          session,
          ErrorCode.KafkaUnavailable,
          `Kafka unavailable (${kafka.detail}): data is stale until it returns`,
        );
    },
    message(ws, message, isBinary) {
      clientMessages.receive(ws.getUserData().session, new Uint8Array(message), isBinary);
    },
    drain(ws) {
      fanOut.drained(ws.getUserData().session);
    },
    close(ws) {
      const { session, address } = ws.getUserData();
      limits.closed(address);
      fanOut.forget(session);
      sessions.delete(session);
      metrics.connections.set(sessions.size);
    },
  });

  registerHttpRoutes(app, {
    directory,
    quote: (id) => state.published.row(id),
    candles,
    metrics,
    staticFiles: loadStaticFiles(options.staticDir),
    maxBars: options.maxBars,
    limits,
    allowedOrigins: options.allowedOrigins,
    readiness: () => {
      const kafka = consumer.health;
      const reasons = [
        ...(loaded ? [] : ['loading history from Kafka']),
        ...(kafka.up ? [] : [`Kafka: ${kafka.detail}`]),
        ...(draining ? ['draining: shutting down'] : []),
      ];
      return { ok: reasons.length === 0, edgeId: options.edgeId, epoch, reasons };
    },
    health: () => {
      const kafka = consumer.health;
      return {
        ok: kafka.up && loaded && !draining,
        status: draining ? 'draining' : !loaded ? 'loading' : kafka.up ? 'ok' : 'kafka-unavailable',
        edgeId: options.edgeId,
        epoch,
        kafka: { up: kafka.up, detail: kafka.detail, brokers: options.brokers },
        clients: sessions.size,
        channels: fanOut.channels.size,
        symbols: directory.size,
        ticks: state.ticksApplied,
        uptimeS: Math.round((Date.now() - startedMs) / 1000),
      };
    },
  });

  const listenSocket = await new Promise<us_listen_socket>((resolve, reject) => {
    app.listen(options.host, options.port, (socket) => {
      if (socket) resolve(socket);
      else
        reject(
          new Error(`edge could not listen on ${options.host}:${options.port}: the port is in use or not allowed`),
        );
    });
  });
  const port = uws.us_socket_local_port(listenSocket);

  const windowTimer = setInterval(() => {
    const started = performance.now();
    fanOut.publish(Date.now());
    metrics.windowSeconds.observe((performance.now() - started) / 1000);
    metrics.channels.set(fanOut.channels.size);
    metrics.symbols.set(directory.size);
  }, options.windowMs);

  consumer.start().catch((error: Error) => log(`Kafka consumer stopped: ${error.message}`));

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      clearInterval(windowTimer);
      uws.us_listen_socket_close(listenSocket);
      for (const session of sessions) session.outlet?.close(CloseCode.ShuttingDown, 'edge shutting down');
      await consumer.stop();
    })();
    return stopped;
  };

  return {
    port,
    scheme: tls ? 'https' : 'http',
    epoch,
    edgeId: options.edgeId,
    ready,
    stop,
    async drain() {
      if (draining || stopped) return stop();
      draining = true;
      log(
        `draining: /readyz answers 503 and new clients are refused; ${sessions.size} clients move in ` +
          `${(options.drainDelayMs / 1000).toFixed(1)} s, spread over ${(options.drainWindowMs / 1000).toFixed(1)} s`,
      );
      await new Promise((resolve) => setTimeout(resolve, options.drainDelayMs));
      const moving = sessions.size;
      // Deltas keep flowing to each client until its own close: nobody waits without data.
      await closeSpread(sessions, options.drainWindowMs, (session) =>
        session.outlet?.close(CloseCode.Draining, 'edge draining: reconnect'),
      );
      log(`drained: ${moving} clients told to reconnect elsewhere (1012); stopping`);
      await stop();
    },
  };
}
