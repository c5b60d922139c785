import { randomInt, randomUUID } from 'node:crypto';
import {
  AnalyticsState,
  Channel,
  DEFAULT_MAX_FRAME_BYTES,
  decodeMarketEvent,
  ErrorCode,
  type FrameOptions,
  PRICE_SCALE,
  PROTOCOL_VERSION,
  ProtocolError,
  ServerFrameEncoder,
  type Timeframe,
} from '@tickstream/schemas';
import { ControlWriter } from '@tickstream/schemas/control-command';
import { isSecured, kafkaSecurityFromEnv } from '@tickstream/schemas/kafka-security';
import { type Logger, lineLogger } from '@tickstream/schemas/logger';
import { nodeLz4 } from '@tickstream/schemas/lz4-node';
import { AlertRequests } from './alert-requests.js';
import { AlertService } from './alert-service.js';
import { AnalyticsConsumer } from './analytics-consumer.js';
import { AnalyticsJobMetrics } from './analytics-job-metrics.js';
import { AnalyticsMonitor } from './analytics-status.js';
import { Authenticator } from './auth.js';
import { TokenVerifier } from './auth-token.js';
import { CandleStore } from './candles.js';
import { ClientLimits } from './client-limits.js';
import { ClientMessages } from './client-messages.js';
import { CorrelationFollowers } from './correlation-followers.js';
import { CorrelationStore } from './correlations.js';
import { closeSpread } from './drain.js';
import { EventLog } from './event-log.js';
import { FanOut } from './fan-out.js';
import { registerHttpRoutes } from './http-routes.js';
import { edgeKafkaClient } from './kafka-client.js';
import { MarketSessionBook } from './market-session.js';
import { MarketState } from './market-state.js';
import { EdgeMetrics, type SendCounts } from './metrics.js';
import type { EdgeOptions } from './options.js';
import { PipelineBook } from './pipeline-book.js';
import { PipelineConsumer } from './pipeline-consumer.js';
import { edgeReporter } from './pipeline-reporter.js';
import { RateLimiter } from './rate-limiter.js';
import { Replays } from './replays.js';
import { CloseCode, type Session } from './session.js';
import { loadStaticFiles } from './static-files.js';
import { EMPTY_SPEC } from './subscription.js';
import { SymbolDirectory } from './symbol-directory.js';
import { TickConsumer } from './tick-consumer.js';
import { TickIngest } from './tick-ingest.js';
import { checkTlsFiles } from './tls.js';
import { orderState, TradingRequests } from './trading-requests.js';
import { TradingService } from './trading-service.js';
import { TradingState } from './trading-state.js';
import { UserState } from './user-state.js';
import { loadNativeUws, type us_listen_socket, type WebSocket } from './uws.js';
import { WindowSchedule } from './window-schedule.js';

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
  /** When the upgrade was accepted, for the close line's duration. */
  openedMs: number;
  /** The client's address, for the per-address connection limit. */
  address: string;
}

const text = (buffer: ArrayBuffer): string => Buffer.from(buffer).toString();

/** uWS's upper bound on a client message: far above ours, so an oversized one gets an Error, not a close. */
const UWS_MAX_PAYLOAD = 1024 * 1024;
/** How often the analytics job's liveness is judged. */
const ANALYTICS_CHECK_MS = 1000;
/**
 * With clients, the tick reader's Fetch is held until this long before the next window closes
 * (docs/edge.md, "Reading Kafka"): room for the broker's timer to fire late, the answer to
 * travel and its ticks to be applied, so what Kafka had by then still makes that window.
 */
const FETCH_LEAD_MS = 3;
/** A Fetch that would be held for less than this waits for the window after instead: it would bring next to nothing. */
const MIN_FETCH_HOLD_MS = 1;

/**
 * One edge: consumes the ticks topic into per-symbol state and candles, the analytics job's
 * topics (finished bars with indicators, correlations) and market events, and serves clients
 * over uWebSockets.js: the WebSocket protocol of docs/protocol.md at /ws, the HTTP API, the
 * dashboard.
 */
export async function startEdge(options: EdgeOptions): Promise<RunningEdge> {
  const uws = loadNativeUws();
  const logger = options.logger;
  // The libraries below say plain sentences; what carries ids logs through `logger` itself.
  const log = lineLogger(logger);
  const tls = options.tls ? checkTlsFiles(options.tls) : null;
  if (tls) log(`TLS: ${tls.certFile} (${tls.subject}, valid until ${tls.validTo.toISOString().slice(0, 10)})`);
  const limits = new ClientLimits(options);
  const epoch = randomInt(1, 2 ** 32 - 1);
  const startedMs = Date.now();
  const frameOptions: FrameOptions = { lz4: nodeLz4, maxFrameBytes: DEFAULT_MAX_FRAME_BYTES };
  const directory = new SymbolDirectory(options.maxSymbols);
  const state = new MarketState(options.maxSymbols);
  const candles = new CandleStore(options.maxSymbols, options.barsKept);
  const correlations = new CorrelationStore();
  const events = new EventLog();
  const marketSession = new MarketSessionBook();
  const sent: SendCounts = { frames: new Map(), bytes: 0, updates: 0, skipped: 0 };
  const metrics = new EdgeMetrics(sent, {
    ticks: () => state.ticksApplied,
    badRecords: () => ingest.badRecords + badEvents + analytics.seen.badRecords,
    lateTicks: () => candles.lateTicks,
    finalBars: () => candles.finalBars,
    candleBytes: () => candles.byteSize(),
    fetches: () => consumer.fetchesAnswered,
  });
  const encoder = new ServerFrameEncoder(frameOptions);
  const app = tls ? uws.SSLApp({ cert_file_name: tls.certFile, key_file_name: tls.keyFile }) : uws.App();
  // A channel's Delta goes to its topic: uWS loops over the members and corks each in C++.
  const topics = {
    publish: (topic: string, frame: Uint8Array): void => {
      app.publish(topic, frame, true, false);
    },
  };
  const fanOut = new FanOut(state, directory, candles, encoder, epoch, options, metrics, sent, topics);
  const correlationFollowers = new CorrelationFollowers(correlations, encoder, epoch, fanOut);
  const sessions = new Set<Session>();
  /** Each user's open connections: triggers go to their own user's only. */
  const sessionsByUser = new Map<string, Set<Session>>();
  const authEnabled = options.authSecret !== null || options.authJwks !== null;
  const auth = new Authenticator(
    authEnabled
      ? await TokenVerifier.create({
          secret: options.authSecret,
          jwks: options.authJwks,
          ...(options.authIssuer ? { issuer: options.authIssuer } : {}),
          ...(options.authAudience ? { audience: options.authAudience } : {}),
        })
      : null,
  );
  const users = new UserState({
    brokers: options.brokers,
    ...(options.kafkaSecurity ? { security: options.kafkaSecurity } : {}),
    topics: options.userTopics,
    clientId: `tickstream-edge-${options.edgeId}-${epoch}`,
    log,
    onTrigger(trigger) {
      const mine = sessionsByUser.get(trigger.user);
      if (mine === undefined) return;
      const frame = encoder.alertTriggered(epoch, trigger);
      for (const session of mine) if (session.followsAlerts) fanOut.send(session, frame, 'alert-triggered');
    },
  });
  const trading = new TradingState({
    brokers: options.brokers,
    ...(options.kafkaSecurity ? { security: options.kafkaSecurity } : {}),
    topics: options.tradingTopics,
    clientId: `tickstream-edge-${options.edgeId}-${epoch}`,
    log,
    onOrder: (user, change) =>
      pushToTraders(user, () => encoder.orderUpdated(epoch, orderState(change.entry), change.update), 'order-updated'),
    onPortfolio: (user, read) =>
      pushToTraders(
        user,
        () => {
          const portfolio = read();
          return encoder.portfolioState(epoch, { requestId: 0, portfolio, marks: tradingService.marks(portfolio) });
        },
        'portfolio-state',
      ),
  });
  /**
   * Order and portfolio changes go to their own user's connections that follow trading, and to no
   * other. The frame is encoded only when one follows: most changes are of users with no page open.
   */
  function pushToTraders(user: string, frame: () => Uint8Array, type: string): void {
    let encoded: Uint8Array | null = null;
    for (const session of sessionsByUser.get(user) ?? []) {
      if (!session.followsTrading) continue;
      encoded ??= frame();
      fanOut.send(session, encoded, type);
    }
  }
  const lastPrice = (name: string): number | undefined => {
    const id = directory.idOf(name);
    const last = id === undefined ? 0 : (state.current.last[id] as number);
    return last > 0 ? last : undefined;
  };
  const tradingService = new TradingService(
    trading,
    {
      hasSymbol: (name) => directory.idOf(name) !== undefined,
      lastPrice,
      sectorOf: (name) => {
        const id = directory.idOf(name);
        return id === undefined ? undefined : directory.sectors[id];
      },
    },
    {
      maxQuantity: options.maxOrderQuantity,
      priceBandPct: options.orderPriceBandPct,
      maxOpenOrdersPerUser: options.maxOpenOrdersPerUser,
    },
  );
  const alerts = new AlertService(
    users,
    {
      hasSymbol: (name) => directory.idOf(name) !== undefined,
      hasSector: (name) => directory.sectors.includes(name),
    },
    options.maxAlertsPerUser,
  );
  const edgeKafka = edgeKafkaClient(
    `tickstream-edge-${options.edgeId}-${epoch}-replay`,
    options.brokers,
    options.kafkaSecurity ?? kafkaSecurityFromEnv(),
  );
  const replayAdmin = edgeKafka.admin({ retry: { retries: 1 } });
  // The Pipeline view's failure injection (POST /api/chaos): commands signed with the auth secret.
  const control =
    options.authSecret === null
      ? null
      : { secret: options.authSecret, writer: new ControlWriter(edgeKafka.producer({ retry: { retries: 1 } })) };
  const replays = new Replays({
    brokers: options.brokers,
    clientId: `tickstream-edge-${options.edgeId}-${epoch}`,
    ticksTopic: options.topic,
    eventsTopic: options.eventsTopic,
    admin: replayAdmin,
    secured: isSecured(options.kafkaSecurity ?? kafkaSecurityFromEnv()),
    encoder: new ServerFrameEncoder(frameOptions, Channel.Replay),
    epoch,
    fanOut,
    limits: {
      maxReplays: options.maxReplays,
      replayWarmupMs: options.replayWarmupMs ?? options.historyMs,
      replayMsPerWindow: options.replayMsPerWindow,
      softBufferBytes: options.softBufferBytes,
      windowMs: options.windowMs,
      maxSymbols: options.maxSymbols,
      barsKept: options.barsKept,
    },
    log,
  });
  const clientMessages = new ClientMessages(
    fanOut,
    correlationFollowers,
    directory,
    frameOptions,
    options,
    Date.now,
    new AlertRequests(alerts, fanOut, encoder, epoch),
    new TradingRequests(tradingService, fanOut, encoder, epoch),
    replays,
  );
  let nextSessionId = 1;
  // Clients are served once both histories are in: ticks (state, the unfinished bars) and candles.
  let ticksLoaded = false;
  let analyticsLoaded = false;
  let loaded = false;
  /** SIGTERM: readiness off, no new clients, the present ones moved away. */
  let draining = false;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  const checkReady = (): void => {
    if (loaded || !ticksLoaded || !analyticsLoaded) return;
    loaded = true;
    // History is in: settle it now, for the first reader.
    windows.runNow();
    log(
      `history loaded: ${directory.size} symbols, ${state.ticksApplied.toLocaleString('en-US')} ticks, ${candles.finalBars.toLocaleString('en-US')} bars from the analytics job; serving clients`,
    );
    markReady();
  };
  const ingest = new TickIngest(directory, state, candles, log);
  let badEvents = 0;

  const consumer = new TickConsumer({
    brokers: options.brokers,
    security: options.kafkaSecurity,
    topic: options.topic,
    eventsTopic: options.eventsTopic,
    groupId: `tickstream-edge-${options.edgeId}-${epoch}`,
    historyMs: options.historyMs,
    eventsHistoryMs: options.eventsHistoryMs,
    log,
    // No client connected: nobody sees a tick sooner for fetching it at once. With clients, a
    // window's ticks are needed by its close: Kafka may hold the Fetch until just before it.
    pace: () =>
      sessions.size === 0
        ? 'unhurried'
        : { holdMs: windows.msToNextDue(FETCH_LEAD_MS + MIN_FETCH_HOLD_MS) - FETCH_LEAD_MS },
    onTick: (bytes, start, end) => ingest.apply(bytes, start, end),
    onEvent(value, live) {
      try {
        const event = decodeMarketEvent(value);
        events.add(event);
        marketSession.add(event);
        if (live) fanOut.broadcast(sessions, encoder.marketEvent(epoch, 0, event), 'market-event');
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
      if (up) logger.info(`Kafka: ${reason}`);
      else logger.warn(`Kafka lost: ${reason}; serving the last known state, marked stale`);
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
      ticksLoaded = true;
      checkReady();
    },
  });

  let directoryFullLogged = false;
  /** CandleBarReader.symbolKey() → symbol id, as TickIngest keeps for ticks: no string per bar. */
  const idByBarKey = new Map<number, number>();
  const analytics = new AnalyticsConsumer({
    brokers: options.brokers,
    security: options.kafkaSecurity,
    clientId: `tickstream-edge-${options.edgeId}-${epoch}`,
    candlesTopic: options.candlesTopic,
    correlationsTopic: options.correlationsTopic,
    barsKept: options.barsKept,
    correlationsBacklog: options.correlationsBacklog,
    log,
    onBar(bar) {
      const key = bar.symbolKey();
      // A symbol may be known from its bars before its first tick (an edge started with --history 0).
      const id = (key < 0 ? undefined : idByBarKey.get(key)) ?? directory.intern(bar.symbol(), bar.sector());
      if (key >= 0 && id >= 0) idByBarKey.set(key, id);
      if (id < 0) {
        if (!directoryFullLogged)
          log(`more than ${directory.capacity} symbols: bars of the rest are ignored (--max-symbols)`);
        directoryFullLogged = true;
        return;
      }
      // BarTimeframe and the protocol's Timeframe share their numbers (schemas/fbs/analytics.fbs).
      const timeframe = bar.timeframe as number as Timeframe;
      candles.putFinal(id, timeframe, bar);
      fanOut.finalBar(id, timeframe, bar.startTimeUs);
      // Its followers get it in the next window, and a symbol new to the directory changes the channels there.
      windows.wake();
    },
    onMatrix(matrix) {
      correlations.put(matrix);
      correlationFollowers.arrived(matrix);
    },
    onLoaded(load) {
      if (load.present)
        log(
          `loaded ${load.bars.toLocaleString('en-US')} bars from '${options.candlesTopic}' in ${(load.millis / 1000).toFixed(1)} s`,
        );
      analyticsLoaded = true;
      checkReady();
    },
  });
  const jobMetrics =
    options.analyticsMetricsUrl === null ? null : new AnalyticsJobMetrics(options.analyticsMetricsUrl, log);
  const analyticsMonitor = new AnalyticsMonitor(
    analytics.seen,
    { applied: () => state.ticksApplied, newestTimeUs: () => state.newestTimeUs },
    () => analytics.isLoaded,
    () => jobMetrics?.lastRead ?? null,
  );
  const judgeAnalytics = (): void => {
    const changed = analyticsMonitor.update(Date.now());
    const status = analyticsMonitor.status;
    metrics.analyticsUp.set(status.state === AnalyticsState.Online ? 1 : 0);
    if (status.lagMs >= 0) metrics.analyticsLagSeconds.set(status.lagMs / 1000);
    if (!changed) return;
    log(`analytics ${AnalyticsState[status.state]}: ${status.detail}`);
    fanOut.broadcast(sessions, encoder.analyticsStatus(epoch, status), 'analytics-status');
  };

  /** One window; true when it left work for the next (a lagging client, a replay). */
  const runWindow = (): boolean => {
    const started = performance.now();
    const nowMs = Date.now();
    fanOut.publish(nowMs);
    metrics.windowSeconds.observe((performance.now() - started) / 1000);
    // After the live fan-out, so replays only ever use what is left of the window.
    replays.window(nowMs);
    metrics.channels.set(fanOut.channels.size);
    metrics.symbols.set(directory.size);
    return fanOut.hasLaggards || fanOut.holdsDeltas || replays.size > 0;
  };
  // A window runs only when something changed (window-schedule.ts): on the --window grid while a
  // client is connected; with none, nothing is sent, so it only settles the state for a later
  // Snapshot or HTTP quote, right after the Fetch answer that changed it.
  const windows = new WindowSchedule(runWindow, () => sessions.size > 0, options.windowMs);
  state.onFirstChange = () => windows.wake();

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
      const sources = {
        authorization: req.getHeader('authorization'),
        cookie: req.getHeader('cookie'),
        query: req.getQuery('token') ?? '',
      };
      let aborted = false;
      const address = limits.clientAddress(text(res.getRemoteAddressAsText()), req.getHeader('x-forwarded-for'));
      // Named before admission, so a refusal and the connection's later lines share one id.
      const connection = logger.child({ conn: randomUUID() });
      const refuse = (status: string, message: string): void => {
        const code = Number.parseInt(status, 10);
        // Loading and draining refuse everyone for a while (clients retry): not a warning.
        connection[code === 503 ? 'info' : 'warn']({ address, origin, status: code }, `connection refused: ${message}`);
        if (aborted) return;
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
      // Verifying a token may await (a remote JWKS): uWS's UpgradeAsync pattern.
      res.onAborted(() => {
        aborted = true;
      });
      auth.admit(sources).then(
        (admission) => {
          if (aborted) return;
          if (!admission.ok)
            return refuse(admission.status === 401 ? '401 Unauthorized' : '403 Forbidden', admission.message);
          const session = newSession(admission.principal, connection);
          res.cork(() =>
            res.upgrade<SocketData>({ session, address, openedMs: Date.now() }, key, protocol, extensions, context),
          );
        },
        (error: Error) => refuse('500 Internal Server Error', `authentication failed: ${error.message}`),
      );
    },
    open(ws: WebSocket<SocketData>) {
      const { session, address } = ws.getUserData();
      limits.opened(address);
      session.logger.info({ address, user: session.principal.user, role: session.principal.role }, 'connected');
      session.outlet = {
        send: (frame) => ws.send(frame, true, false) !== 2,
        bufferedAmount: () => ws.getBufferedAmount(),
        cork: (send) => {
          ws.cork(send);
        },
        listen: (topic) => {
          ws.subscribe(topic);
        },
        unlisten: (topic) => {
          ws.unsubscribe(topic);
        },
        close: (code, reason) => {
          if (!session.closed) ws.end(code, reason);
        },
      };
      sessions.add(session);
      // The first client waits for Deltas: a Fetch held while nobody did (up to 500 ms) is cut short.
      if (sessions.size === 1) consumer.hurry();
      const mine = sessionsByUser.get(session.principal.user) ?? new Set<Session>();
      mine.add(session);
      sessionsByUser.set(session.principal.user, mine);
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
          protocolVersion: PROTOCOL_VERSION,
        }),
        'hello',
      );
      fanOut.send(session, encoder.analyticsStatus(epoch, analyticsMonitor.status), 'analytics-status');
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
      // A subscription may need its channel's Snapshot, a replay its first turn: both come with a window.
      windows.wake();
    },
    drain(ws) {
      fanOut.drained(ws.getUserData().session);
    },
    close(ws, code, message) {
      const { session, address, openedMs } = ws.getUserData();
      limits.closed(address);
      session.logger.info(
        { code, reason: text(message), seconds: Math.round((Date.now() - openedMs) / 100) / 10 },
        'connection closed',
      );
      fanOut.forget(session);
      replays.forget(session);
      correlationFollowers.forget(session);
      sessions.delete(session);
      const mine = sessionsByUser.get(session.principal.user);
      mine?.delete(session);
      if (mine?.size === 0) sessionsByUser.delete(session.principal.user);
      metrics.connections.set(sessions.size);
    },
  });

  const pipeline = new PipelineBook();
  const pipelineConsumer = new PipelineConsumer({
    brokers: options.brokers,
    ...(options.kafkaSecurity ? { security: options.kafkaSecurity } : {}),
    clientId: `tickstream-edge-${options.edgeId}-${epoch}`,
    topic: options.systemMetricsTopic,
    book: pipeline,
    log,
  });
  const reporter = edgeReporter({
    kafka: edgeKafka,
    edgeId: options.edgeId,
    topic: options.systemMetricsTopic,
    registry: metrics.registry,
    problem: () => {
      const kafka = consumer.health;
      return draining ? 'draining' : !loaded ? 'loading history' : kafka.up ? '' : `Kafka: ${kafka.detail}`;
    },
    log,
  });

  registerHttpRoutes(app, {
    logger,
    auth,
    pipeline,
    control,
    protect: options.protect,
    login: {
      secret: options.authSecret,
      tokenTtlS: options.sessionTtlS,
      // Served over TLS by the edge itself (--tls-cert), the sign-in cookie is Secure as well.
      secureCookies: options.secureCookies || tls !== null,
    },
    users,
    alerts,
    trading: tradingService,
    directory,
    quote: (id) => state.published.row(id),
    turnover: (id) => state.turnover[id] as number,
    session: marketSession,
    candles,
    correlations,
    events,
    metrics,
    staticFiles: loadStaticFiles(options.staticDir),
    analytics: () => ({
      ...analyticsMonitor.status,
      state: AnalyticsState[analyticsMonitor.status.state],
      bars: analytics.seen.bars,
      matrices: correlations.size,
      // The job's own figures (Flink's Prometheus reporter), when the edge was told where: --analytics-metrics.
      job: jobMetrics?.figures ?? null,
      jobMetrics:
        jobMetrics === null
          ? 'not configured (tickstream edge --analytics-metrics URL of the job’s Prometheus reporter)'
          : jobMetrics.problem || `read from ${jobMetrics.url}`,
    }),
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
      const status = analyticsMonitor.status;
      return {
        ok: kafka.up && loaded && !draining,
        status: draining ? 'draining' : !loaded ? 'loading' : kafka.up ? 'ok' : 'kafka-unavailable',
        edgeId: options.edgeId,
        epoch,
        kafka: { up: kafka.up, detail: kafka.detail, brokers: options.brokers },
        users: { loaded: users.ready, accounts: users.accounts.size },
        trading: { loaded: trading.ready, users: trading.book.userCount },
        clients: sessions.size,
        channels: fanOut.channels.size,
        symbols: directory.size,
        ticks: state.ticksApplied,
        // Informative only: the edge serves without the analytics job (bars from ticks).
        analytics: { state: AnalyticsState[status.state], detail: status.detail, lagMs: status.lagMs },
        uptimeS: Math.round((Date.now() - startedMs) / 1000),
      };
    },
  });

  function newSession(principal: Session['principal'], connection: Logger): Session {
    return {
      id: nextSessionId++,
      logger: connection,
      principal,
      followsAlerts: false,
      followsTrading: false,
      outlet: null,
      spec: EMPTY_SPEC,
      channel: null,
      listeningTo: null,
      candles: null,
      limiter: new RateLimiter(options.maxMessagesPerSecond, options.messageBurst, Date.now()),
      lagging: false,
      laggingSinceMs: 0,
      softCheckAt: 0,
      closed: false,
    };
  }

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

  const analyticsTimer = setInterval(judgeAnalytics, ANALYTICS_CHECK_MS);
  consumer.start().catch((error: Error) => log(`Kafka consumer stopped: ${error.message}`));
  users.start();
  analytics.start().catch((error: Error) => log(`analytics consumer stopped: ${error.message}`));
  jobMetrics?.start();
  trading.start();
  pipelineConsumer.start();
  reporter.start();

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      windows.stop();
      clearInterval(analyticsTimer);
      jobMetrics?.stop();
      uws.us_listen_socket_close(listenSocket);
      for (const session of sessions) session.outlet?.close(CloseCode.ShuttingDown, 'edge shutting down');
      replays.stop();
      await Promise.all([
        consumer.stop(),
        users.stop(),
        analytics.stop(),
        trading.stop(),
        replayAdmin.disconnect(),
        pipelineConsumer.stop(),
        reporter.stop(),
        control?.writer.stop(),
      ]);
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
