import { createServer } from 'node:net';
import { freemem, hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { AnalyticsWithStandby, type RunningAnalytics, startAnalytics } from '@tickstream/analytics';
import { type ApacheKafka, MissingPrerequisiteError, startApacheKafka, startBroker } from '@tickstream/broker';
import {
  checkTlsFiles,
  defaultEdgeGroupOptions,
  defaultEdgeOptions,
  HaproxyMissingError,
  haproxyVersion,
  startEdge,
  startEdgeGroup,
} from '@tickstream/edge';
import { defaultProducerOptions, formatStatus, joinPipeline, startProducer, statusFields } from '@tickstream/producer';
import { kafkajsSecurity, kafkaSecurityFromEnv } from '@tickstream/schemas/kafka-security';
import { childLineRelay, createLogger, type Logger, lineLogger } from '@tickstream/schemas/logger';
import kafkajs from 'kafkajs';
import { type AnalyticsReporter, analyticsReporter } from '../analytics-reporter.js';
import { brokerReporter } from '../broker-reporter.js';
import type { Command } from '../command.js';
import { KafkaLinkProxy } from '../kafka-link-proxy.js';
import { ClusterNodes } from '../kafka-nodes.js';
import { parseChoice, parseInteger, parsePort } from '../option-values.js';
import { type AnalyticsTarget, type EdgeTarget, type KafkaNodesTarget, ProcessFaults } from '../process-faults.js';
import { runUntilSignal } from '../run-until-signal.js';
import { TickLedger } from '../tick-ledger.js';
import { UsageError } from '../usage-error.js';
import { DASHBOARD_DIST, edgeFlags, tlsFilesFrom } from './edge.js';

const { Kafka, logLevel } = kafkajs;

/** The analytics job's output topic as up runs it (the job's default --candles-topic). */
const CANDLES_TOPIC = 'candles';

/**
 * The hot standby is a second JVM (docs/analytics.md, "Recovery": ~300 MB RSS idle): started only
 * where this much memory is free, so that a small machine runs the job rather than two half-starved ones.
 */
const STANDBY_MIN_FREE_MB = 2048;

function analyticsStandbyWanted(refused: boolean, log: (line: string) => void): boolean {
  if (refused) return false;
  const freeMb = Math.round(freemem() / 2 ** 20);
  if (freeMb >= STANDBY_MIN_FREE_MB) return true;
  log(
    `analytics: no hot standby (${freeMb} MB free, it needs ${STANDBY_MIN_FREE_MB} MB): a killed job restarts cold, in seconds more`,
  );
  return false;
}

const cliBin = fileURLToPath(new URL('../../bin/tickstream.js', import.meta.url));

interface KafkaHandle {
  bootstrap: string;
  describe: string;
  /** The Apache Kafka nodes up started, when it started several (tickstream chaos stop-kafka-node). */
  cluster: ApacheKafka | null;
  close(): Promise<void>;
}

/** Heap of each node of up's three-node cluster: three JVMs beside the edges on a small machine. */
const CLUSTER_NODE_HEAP = '384m';
/**
 * How soon up's cluster gives up on a node that stopped answering. acks=all writes wait for every
 * in-sync replica, so nothing is acknowledged until the controller fences the dead node (it then
 * leaves every ISR and leaders move): with Kafka's default 9 s session, a SIGKILLed node held the
 * edges' throughput at 0 for ~10 s. A 4 s session with a heartbeat every 500 ms still lets a JVM on
 * a loaded two-core machine miss seven beats before it is fenced. When the dead node was also the
 * active controller, the others first wait controller.quorum.fetch.timeout.ms (Kafka's 2 s) before
 * they elect a new one, which then starts every broker's session afresh: 1 s here. Measured with
 * `node bench/dist/chaos.js --faults stop-kafka-node --runs 5` on the quiet machine: 6 s and 2 s
 * gave throughput back after 7.3 s (a broker) and 10.1-10.4 s (the controller), median 10.1 s.
 */
const CLUSTER_FAILURE_DETECTION = {
  'broker.session.timeout.ms': 4000,
  'broker.heartbeat.interval.ms': 500,
  'controller.quorum.fetch.timeout.ms': 1000,
};

/** The Kafka the system runs on: an external cluster from KAFKA_BROKERS, or one this command starts. */
async function startKafka(kind: 'embedded' | 'apache', nodes: number, port: number): Promise<KafkaHandle> {
  const external = process.env.KAFKA_BROKERS?.trim();
  if (external) {
    return {
      bootstrap: external,
      describe: `external Kafka at ${external} (KAFKA_BROKERS)`,
      cluster: null,
      close: async () => {},
    };
  }
  if (kind === 'apache') {
    const kafka = await startApacheKafka({
      nodes,
      port,
      dataDir: './data/kafka',
      ...(nodes > 1 ? { maxHeap: CLUSTER_NODE_HEAP, properties: CLUSTER_FAILURE_DETECTION } : {}),
      log: lineLogger(createLogger({ component: 'kafka' })),
    });
    const describe =
      nodes > 1
        ? `Apache Kafka, ${nodes} nodes (replication ${nodes}, min.insync.replicas 2), on ${kafka.bootstrap}`
        : `Apache Kafka on ${kafka.bootstrap}`;
    return { bootstrap: kafka.bootstrap, describe, cluster: nodes > 1 ? kafka : null, close: () => kafka.close() };
  }
  const brokerLog = lineLogger(createLogger({ component: 'broker' }));
  const broker = await startBroker(
    { port, dataDir: './data/broker', log: brokerLog },
    // Its figures go to system_metrics (the Pipeline tab), read from the registry /metrics would serve.
    { metrics: true },
  );
  const reporter = broker.metrics ? brokerReporter(broker.bootstrap, broker.metrics, brokerLog) : null;
  reporter?.start();
  return {
    bootstrap: broker.bootstrap,
    describe: `embedded broker on ${broker.bootstrap}`,
    cluster: null,
    close: async () => {
      await reporter?.stop();
      await broker.close();
    },
  };
}

export const upCommand: Command = {
  name: 'up',
  summary:
    'Run the system: Kafka (embedded unless KAFKA_BROKERS is set), the producer and an edge serving the dashboard (or N edges behind HAProxy).',
  flags: {
    kafka: {
      type: 'string',
      value: 'embedded|apache',
      description: 'which Kafka to start when KAFKA_BROKERS is unset',
      default: 'embedded',
    },
    nodes: {
      type: 'string',
      value: '1|3',
      description:
        'with --kafka apache: its nodes; 3 replicates every topic three times (min.insync.replicas 2) and the producer writes with acks=all',
      default: '1',
    },
    'kafka-port': {
      type: 'string',
      value: 'PORT',
      description: 'port of the Kafka up starts (node 1’s; the other nodes take the next ports); 0 picks free ones',
      default: '9092',
    },
    port: {
      type: 'string',
      value: 'PORT',
      description: 'the HTTP and WebSocket port clients use (the edge’s, or the balancer’s with --edges > 1)',
      default: '8080',
    },
    edges: {
      type: 'string',
      value: 'N',
      description: 'edges to run; above 1 each is a process on PORT+1…PORT+N behind HAProxy on PORT',
      default: '1',
    },
    'auth-secret': {
      type: 'string',
      value: 'SECRET',
      description:
        'sign-in required: the edges accept HS256 tokens signed with it (tickstream token, POST /api/login; env TICKSTREAM_AUTH_SECRET); default: single-user mode',
    },
    'no-analytics': {
      type: 'boolean',
      description: 'do not start the analytics job (Apache Flink; needs Java 17 and Maven)',
    },
    'no-analytics-standby': {
      type: 'boolean',
      description: `no hot standby JVM for the analytics job (by default one waits beside it when ${STANDBY_MIN_FREE_MB} MB are free)`,
    },
    'tls-cert': edgeFlags['tls-cert'] as Command['flags'][string],
    'tls-key': edgeFlags['tls-key'] as Command['flags'][string],
  },
  notes:
    'Environment: KAFKA_BROKERS=host:port,… runs on an existing Kafka cluster instead of starting one.\n' +
    'With --edges > 1, HAProxy (apt-get install haproxy) balances on PORT; its config is written to ./data/haproxy/.\n' +
    'The analytics job (tickstream analytics, docs/analytics.md) starts beside the edge where Java and Maven are\n' +
    'installed; its first start builds it (~100 MB from Maven Central), in the background. A hot standby JVM then\n' +
    "waits beside it (where memory allows) and takes over from the last checkpoint if the job's JVM dies.\n" +
    'With --tls-cert/--tls-key clients use https:// and wss://: the edge serves TLS itself, or HAProxy ends it with --edges > 1.\n' +
    'With --auth-secret, up also carries out tickstream chaos kill-edge|kill-analytics|cut-link|delay-link|slow-consumer\n' +
    '(from the CLI or the dashboard’s Pipeline tab, for an admin): each edge then reaches Kafka through a small TCP proxy\n' +
    'of up’s, which cut-link and delay-link break for a while (docs/operations.md); with --kafka apache --nodes 3 also\n' +
    'stop-kafka-node (each node’s heap at most 384 MB).',
  async run(flags) {
    const kind = parseChoice('kafka', flags.required('kafka'), ['embedded', 'apache'] as const);
    const nodes = parseInteger('nodes', flags.required('nodes'), { min: 1, max: 3 });
    if (nodes === 2) throw new UsageError('--nodes must be 1 or 3 (a KRaft quorum of 2 survives no failure), got 2');
    if (nodes > 1 && kind !== 'apache')
      throw new UsageError(`--nodes ${nodes} needs --kafka apache (the embedded broker is a single node)`);
    if (nodes > 1 && process.env.KAFKA_BROKERS?.trim())
      throw new UsageError(`--nodes ${nodes} starts a cluster, but KAFKA_BROKERS names one already: unset one of them`);
    const kafkaPort = parsePort('kafka-port', flags.required('kafka-port'));
    const port = parsePort('port', flags.required('port'));
    const edges = parseInteger('edges', flags.required('edges'), { min: 1, max: 64 });
    if (edges > 1 && port + edges > 65_535)
      throw new UsageError(`--port ${port} leaves no room for ${edges} edges above it`);
    // Before anything starts: a missing balancer is the user's to fix, not ours to work around.
    if (edges > 1 && haproxyVersion() === null) throw new HaproxyMissingError();
    const tls = tlsFilesFrom(flags);
    // Checked before Kafka starts: a wrong file is the user's to fix, said in one line.
    if (tls) checkTlsFiles(tls);
    // The supervisor's own lines; each tier it runs in this process logs under its own component.
    const logger = createLogger({ component: 'up' });
    const log = lineLogger(logger);
    const authSecret = flags.string('auth-secret') ?? (process.env.TICKSTREAM_AUTH_SECRET || null);
    // Edge processes of --edges N read it from their environment: a secret on a command line is visible in ps.
    if (authSecret !== null) process.env.TICKSTREAM_AUTH_SECRET = authSecret;
    const kafka = await startKafka(kind, nodes, kafkaPort);
    log(`kafka: ${kafka.describe}`);
    const producerLogger = createLogger({ component: 'producer' });
    let producer: Awaited<ReturnType<typeof startProducer>>;
    // On replicated Kafka a tick counts as written once two copies hold it: acks=all, idempotent so
    // that the retries a node's loss causes store each tick once.
    const replicated = kafka.cluster !== null;
    const kafkaNodes: KafkaNodesTarget | null =
      kafka.cluster === null ? null : new ClusterNodes(kafka.cluster, defaultProducerOptions.topic);
    let ticks: TickLedger;
    try {
      // Before the producer: what the topic gains from now on is its ticks (each fault's lost-tick check).
      ticks = await TickLedger.beforeProducer(
        kafka.bootstrap,
        defaultProducerOptions.topic,
        () => producer.stats().acked,
      );
      producer = await startProducer({
        ...defaultProducerOptions,
        ...(replicated ? { acks: -1 as const, idempotent: true } : {}),
        brokers: kafka.bootstrap.split(','),
        log: lineLogger(producerLogger),
      });
    } catch (error) {
      await kafka.close();
      throw error;
    }
    const producerInPipeline = await joinPipeline(producer, {
      brokers: kafka.bootstrap.split(','),
      authSecret,
      log: lineLogger(producerLogger),
    });
    log(
      `producer: ${defaultProducerOptions.symbolCount} symbols at ${defaultProducerOptions.rate} ticks/s into '${defaultProducerOptions.topic}'${replicated ? ' (acks=all, idempotent)' : ''}`,
    );
    const analytics = await AnalyticsBeside.prepare(
      kafka.bootstrap,
      flags.boolean('no-analytics'),
      analyticsStandbyWanted(flags.boolean('no-analytics-standby'), log),
    );
    // Fault injection needs commands to verify: without the secret, edges reach Kafka directly.
    const links =
      authSecret === null
        ? null
        : await Promise.all(Array.from({ length: edges }, () => KafkaLinkProxy.start(kafka.bootstrap, log)));
    const chaos = new ChaosBeside(
      authSecret,
      kafka.bootstrap,
      producer,
      analytics,
      kafkaNodes,
      ticks,
      createLogger({ component: 'up' }),
    );
    const stopProducer = async (): Promise<void> => {
      await chaos.stop();
      await Promise.all((links ?? []).map((link) => link.close()));
      await producerInPipeline.stop();
      await producer.stop();
    };
    if (edges > 1)
      return runEdgeGroup(
        edges,
        port,
        tls,
        kafka,
        links,
        chaos,
        stopProducer,
        producer,
        producerLogger,
        analytics,
        logger,
      );
    const edgeId = `${hostname()}-${process.pid}`;
    let edge: Awaited<ReturnType<typeof startEdge>>;
    try {
      edge = await startEdge({
        ...defaultEdgeOptions,
        port,
        tls,
        brokers: (links?.[0]?.bootstrap ?? kafka.bootstrap).split(','),
        authSecret,
        analyticsMetricsUrl: analytics.metricsUrl,
        staticDir: DASHBOARD_DIST,
        edgeId,
        logger: createLogger({ component: 'edge', instance: edgeId }),
      });
    } catch (error) {
      await stopProducer();
      await kafka.close();
      throw error;
    }
    log(`edge: listening on :${edge.port}`);
    const link = links?.[0];
    if (link) chaos.start([{ id: edgeId, port: () => edge.port, link }]);
    const ws = edge.scheme === 'https' ? 'wss' : 'ws';
    void edge.ready.then(() => {
      logger.info(
        { url: `${edge.scheme}://localhost:${edge.port}/` },
        `dashboard: ${edge.scheme}://localhost:${edge.port}/  (WebSocket ${ws}://localhost:${edge.port}/ws)`,
      );
      // Only now: a starting JVM (and a first build) competes for the cores with the edge's history load.
      analytics.start();
    });
    const status = producerStatus(producer, producerLogger);
    // Stop in the order data flows: nobody is served from a Kafka that is gone.
    return runUntilSignal(
      async () => {
        clearInterval(status);
        await edge.stop();
        await analytics.stop();
        await stopProducer();
        await kafka.close();
      },
      undefined,
      logger,
    );
  },
};

/**
 * The analytics job as `up` runs it: started in the background once the dashboard is served,
 * never holding the rest back. Where Java or Maven is missing, or the job cannot start, one line says
 * so and everything else runs on (the dashboard then shows analytics as offline). With a hot standby
 * (AnalyticsWithStandby, on where memory allows) a second JVM waits beside the job and takes over
 * when the job's JVM dies, by tickstream chaos or otherwise.
 */
class AnalyticsBeside {
  /** Settles once the JVM is spawned, or starting it failed. */
  private spawned: Promise<RunningAnalytics | undefined> | undefined;
  private stopping = false;
  /** Set while tickstream chaos kill-analytics has the job down: its exit is expected. */
  private crashing = false;
  /** The JVM whose death was last handed to the standby (handOver: once per death). */
  private handedOverFrom: RunningAnalytics | undefined;
  private reporter: AnalyticsReporter | null = null;
  /** With a hot standby: the pair of JVMs; null runs one JVM, restarted cold. */
  private readonly pair: AnalyticsWithStandby | null;

  /**
   * The job's Prometheus port is chosen before the edges start, so each can be told where to read the
   * job's figures (--analytics-metrics) although the JVM starts only once the dashboard is served.
   */
  static async prepare(brokers: string, disabled: boolean, standby: boolean): Promise<AnalyticsBeside> {
    return new AnalyticsBeside(brokers, disabled ? null : await freeLoopbackPort(), standby);
  }

  private readonly logger = createLogger({ component: 'analytics' });

  private constructor(
    private readonly brokers: string,
    private readonly metricsPort: number | null,
    standby: boolean,
  ) {
    this.pair =
      standby && metricsPort !== null
        ? new AnalyticsWithStandby({ brokers, metricsPort, log: lineLogger(this.logger) })
        : null;
  }

  private log(line: string, level: 'info' | 'warn' = 'info'): void {
    this.logger[level](line);
  }

  /** Where the job serves Prometheus text; null with --no-analytics (the edges then say "not configured"). */
  get metricsUrl(): string | null {
    return this.metricsPort === null ? null : `http://127.0.0.1:${this.metricsPort}/metrics`;
  }

  start(): void {
    if (this.metricsPort === null || this.spawned || this.stopping) return;
    this.follow(
      this.pair?.start() ??
        startAnalytics({ brokers: this.brokers, metricsPort: this.metricsPort, log: lineLogger(this.logger) }),
    );
  }

  /** Its id on system_metrics, as the reporter writes it. */
  get componentId(): string {
    return `analytics-${hostname()}-${this.metricsPort}`;
  }

  /** tickstream chaos kill-analytics: SIGKILL, as a crash; false when no job runs. */
  async crash(): Promise<boolean> {
    const job = await this.spawned;
    if (job === undefined || this.stopping || this.crashing) return false;
    this.crashing = true;
    await job.kill();
    return true;
  }

  /**
   * Starts the job again after its JVM died: the hot standby takes over (told the moment the JVM
   * exited, by watch(); here only if that has not happened yet), or a new JVM starts cold; either
   * restores the last checkpoint. Resolves once the job runs.
   */
  async restart(): Promise<void> {
    this.crashing = false;
    if (this.pair !== null) {
      const dead = await this.spawned;
      if (dead?.gone()) this.handOver(dead);
    } else {
      this.spawned = undefined;
      this.start();
    }
    const job = await this.spawned;
    if (job === undefined) throw new Error('the analytics job did not start again');
    await job.ready;
  }

  /**
   * The standby takes over from `dead`, once per death: the JVM's exit is the signal, so up tells
   * the standby before it logs, reports or follows anything else (measured: following the output
   * first put 4 s before the take-over).
   */
  private handOver(dead: RunningAnalytics): void {
    if (this.pair === null || this.handedOverFrom === dead) return;
    this.handedOverFrom = dead;
    this.follow(this.pair.takeOver());
  }

  private follow(starting: Promise<RunningAnalytics>): void {
    this.spawned = starting.then(
      (job) => {
        void this.watch(job);
        return job;
      },
      (error: Error) => {
        const hint = error instanceof MissingPrerequisiteError ? ' (tickstream up --no-analytics skips it)' : '';
        if (!this.stopping) this.log(`not running: ${error.message}${hint}`, 'warn');
        return undefined;
      },
    );
  }

  private async watch(job: RunningAnalytics): Promise<void> {
    try {
      await job.ready;
      if (!this.stopping && this.metricsUrl !== null && this.reporter === null) {
        // The job's figures on system_metrics (the Pipeline tab), read from its Prometheus reporter.
        this.reporter = analyticsReporter({
          metricsUrl: this.metricsUrl,
          brokers: this.brokers,
          log: (line) => this.log(line),
        });
        this.reporter.start();
      }
      const from = job.standby ? ', taken over by the hot standby' : '';
      this.log(`job running (${job.delivery}, metrics on ${this.metricsUrl}${from}); Flink's log: ${job.logFile}`);
    } catch (error) {
      if (this.crashing) this.log('the JVM was killed by tickstream chaos before the job ran; up restarts it');
      else if (!this.stopping) this.log(`not running: ${(error as Error).message}`, 'warn');
      return;
    }
    const { code, signal } = await job.exited;
    if (this.stopping) return;
    // A job that ran died (one failing at start never gets here): the standby first, then the words.
    if (this.pair !== null) this.handOver(job);
    if (this.crashing) this.log(`the job's JVM was killed (${signal ?? code}) by tickstream chaos; up restarts it`);
    else if (this.pair !== null) {
      this.log(`the job's JVM exited (${signal ?? `status ${code}`}); the hot standby takes over`, 'warn');
      await this.restart().catch((error: Error) => this.log(`not running: ${error.message}`, 'warn'));
    } else this.log(`the job's JVM exited (${signal ?? `status ${code}`}); see ${job.logFile}`, 'warn');
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.reporter?.stop();
    const job = await this.spawned;
    if (this.pair !== null) await this.pair.stop();
    else await job?.stop();
  }
}

/** A port free on loopback now; the JVM binds it moments later (a race only another local process could win). */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

type RunningProducer = Awaited<ReturnType<typeof startProducer>>;

/**
 * The supervisor's side of tickstream chaos (process-faults.ts), started once the edges run: it
 * takes commands only with the auth secret (the same one the producers verify against).
 */
class ChaosBeside {
  private faults: ProcessFaults | null = null;

  constructor(
    private readonly secret: string | null,
    private readonly brokers: string,
    private readonly producer: RunningProducer,
    private readonly analytics: AnalyticsBeside,
    private readonly kafkaNodes: KafkaNodesTarget | null,
    private readonly ticks: TickLedger,
    private readonly logger: Logger,
  ) {}

  start(edges: EdgeTarget[]): void {
    if (this.secret === null) return;
    const log = lineLogger(this.logger);
    const kafka = new Kafka({
      clientId: 'tickstream-up-chaos',
      brokers: this.brokers.split(','),
      ...kafkajsSecurity(kafkaSecurityFromEnv()),
      logLevel: logLevel.NOTHING,
      connectionTimeout: 3000,
      retry: { initialRetryTime: 250, maxRetryTime: 2000, retries: 5 },
    });
    this.faults = new ProcessFaults({
      kafka,
      secret: this.secret,
      edges,
      analytics: this.analytics.metricsUrl === null ? null : analyticsTarget(this.analytics, this.brokers),
      kafkaNodes: this.kafkaNodes,
      ticks: this.ticks,
      producerRate: () =>
        this.producer.targetRate === 'max' ? null : this.producer.targetRate * this.producer.rateFactor,
      announce: (event) => this.producer.announce(event),
      log,
    });
    const faults = this.faults;
    faults.start().then(
      // Once the group is joined: a command written from then on is seen.
      () =>
        faults.listening.then(() =>
          log(
            `taking process-level commands on control (kill-edge, kill-analytics, cut-link, delay-link, slow-consumer${this.kafkaNodes === null ? '' : ', stop-kafka-node'})`,
          ),
        ),
      (error: Error) => log(`not taking commands: ${error.message}`),
    );
  }

  async stop(): Promise<void> {
    await this.faults?.stop();
  }
}

/** The analytics job as process-faults.ts hurts it: its output read as a read_committed consumer would. */
function analyticsTarget(analytics: AnalyticsBeside, brokers: string): AnalyticsTarget {
  return {
    componentId: analytics.componentId,
    kill: () => analytics.crash(),
    restart: () => analytics.restart(),
    async followOutput() {
      const kafka = new Kafka({
        clientId: 'tickstream-up-chaos-output',
        brokers: brokers.split(','),
        ...kafkajsSecurity(kafkaSecurityFromEnv()),
        logLevel: logLevel.NOTHING,
      });
      // The end of each partition now, the kill just seen: the restarted job writes past it. Read from
      // there, not from where the group happens to join (seconds later, with the job already writing).
      const admin = kafka.admin();
      await admin.connect();
      const ends = await admin.fetchTopicOffsets(CANDLES_TOPIC).finally(() => admin.disconnect());
      // A group of its own, committed records only: nothing the killed JVM left open counts.
      const consumer = kafka.consumer({
        groupId: `tickstream-up-chaos-output-${process.pid}-${Date.now()}`,
        readUncommitted: false,
        maxWaitTimeInMs: 250,
      });
      let seen: () => void = () => {};
      const first = new Promise<void>((resolve) => {
        seen = resolve;
      });
      const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
      await consumer.connect();
      await consumer.subscribe({ topic: CANDLES_TOPIC, fromBeginning: false });
      await consumer.run({
        eachMessage: async () => {
          seen();
        },
      });
      for (const { partition, high } of ends) consumer.seek({ topic: CANDLES_TOPIC, partition, offset: high });
      await joined;
      return { first, stop: () => consumer.disconnect() };
    },
  };
}

function producerStatus(producer: RunningProducer, logger: Logger): NodeJS.Timeout {
  let previous = producer.stats();
  return setInterval(() => {
    const current = producer.stats();
    logger.info(statusFields(previous, current), formatStatus(previous, current));
    previous = current;
  }, 10_000);
}

/** `up --edges N`: N edge processes on PORT+1…PORT+N behind HAProxy on PORT. */
async function runEdgeGroup(
  edges: number,
  port: number,
  tls: { certFile: string; keyFile: string } | null,
  kafka: KafkaHandle,
  links: KafkaLinkProxy[] | null,
  chaos: ChaosBeside,
  stopProducer: () => Promise<void>,
  producer: RunningProducer,
  producerLogger: Logger,
  analytics: AnalyticsBeside,
  logger: Logger,
): Promise<number> {
  const log = lineLogger(logger);
  let group: Awaited<ReturnType<typeof startEdgeGroup>>;
  try {
    group = await startEdgeGroup({
      ...defaultEdgeGroupOptions,
      edges,
      port,
      edgePort: (index) => port + 1 + index,
      edgeId: (index) => `${hostname()}-edge-${index + 1}`,
      edgeCommand: [
        process.execPath,
        cliBin,
        'edge',
        ...(analytics.metricsUrl === null ? [] : ['--analytics-metrics', analytics.metricsUrl]),
      ],
      // Each edge through its own link proxy (with --auth-secret), so a link fault can hit one edge.
      edgeArgs: (index) => ['--brokers', links?.[index]?.bootstrap ?? kafka.bootstrap],
      dataDir: './data/haproxy',
      tls,
      log,
      relay: childLineRelay(),
    });
  } catch (error) {
    await stopProducer();
    await kafka.close();
    throw error;
  }
  for (const edge of group.edges) log(`edge: ${edge.id} on :${edge.port} (pid ${edge.pid})`);
  if (links !== null)
    chaos.start(
      group.edges.map((edge, index) => ({
        id: edge.id,
        port: () => edge.port,
        link: links[index] as KafkaLinkProxy,
        kill: () => group.kill(index, 'SIGKILL'),
        restart: () => group.restart(index),
      })),
    );
  const [http, ws] = tls ? ['https', 'wss'] : ['http', 'ws'];
  log(
    `balancer: HAProxy on :${group.port} (leastconn, /readyz checked${tls ? ', TLS ends here' : ''}), ${group.configPath}`,
  );
  void group
    .healthy(10 * 60_000)
    .then(() =>
      logger.info(
        { url: `${http}://localhost:${group.port}/` },
        `dashboard: ${http}://localhost:${group.port}/  (WebSocket ${ws}://localhost:${group.port}/ws)`,
      ),
    )
    .catch(() => {})
    // Once the edges serve (or gave up waiting): a starting JVM must not slow their history load.
    .finally(() => analytics.start());
  const status = producerStatus(producer, producerLogger);
  // Balancer first (no new clients), then the edges, then what feeds them.
  return runUntilSignal(
    async () => {
      clearInterval(status);
      await group.stop();
      await analytics.stop();
      await stopProducer();
      await kafka.close();
    },
    undefined,
    logger,
  );
}
