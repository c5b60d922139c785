import { hostname } from 'node:os';
import { createToken } from '@tickstream/edge';
import {
  type ChaosCommand,
  type ControlCheck,
  ControlFollower,
  isProcessAction,
  type ProcessAction,
} from '@tickstream/producer';
import {
  type ComponentKindName,
  MarketEventKind,
  type RecoveryFields,
  SYSTEM_METRICS_TOPIC,
  SystemMetricEncoder,
} from '@tickstream/schemas';
import type { Kafka, Producer } from 'kafkajs';
import type { KafkaLinkProxy } from './kafka-link-proxy.js';
import { SlowConsumer } from './slow-consumer.js';
import type { TickCounts } from './tick-ledger.js';

/**
 * The `tickstream up` supervisor's part of `tickstream chaos`: the process-level faults only it
 * can inject, for it runs the processes and the links between them (kill-edge, kill-analytics,
 * cut-link, delay-link, stop-kafka-node), and a slow consumer of an edge (slow-consumer). Commands are read and verified exactly as the producers read theirs
 * (ControlFollower); each fault is audited on market_events and timed from injection to detection
 * to recovery, and its timeline is written to system_metrics as a Recovery record (GET
 * /api/pipeline "recoveries"; docs/operations.md, "Failure playbook").
 */

/** One edge as the supervisor can hurt it. */
export interface EdgeTarget {
  /** Its --edge-id; /api/pipeline lists it as edge-<id>. */
  id: string;
  /** Where its /health and /readyz answer. */
  port(): number;
  /** The proxy between it and Kafka. */
  link: KafkaLinkProxy;
  /** SIGKILL, resolving once it is gone; absent for an edge inside the supervisor's own process. */
  kill?: () => Promise<void>;
  /** Starts it again on its port; resolves once it listens. */
  restart?: () => Promise<void>;
}

/** The analytics job as the supervisor can hurt it. */
export interface AnalyticsTarget {
  componentId: string;
  /** SIGKILL, resolving once the JVM is gone; false when no job is running. */
  kill(): Promise<boolean>;
  /** Starts it again (it restores from its last checkpoint); resolves once the job runs. */
  restart(): Promise<void>;
  /**
   * Reads the job's output (committed records only) from each partition's end at the call: `first`
   * resolves with the first record committed past it, the proof its output resumed.
   */
  followOutput(): Promise<{ first: Promise<void>; stop(): Promise<void> }>;
}

/** The Apache Kafka cluster up started (up --kafka apache --nodes 3), as the supervisor can hurt it. */
export interface KafkaNodesTarget {
  /** Kafka's node.id of each node, 1-based. */
  readonly nodeIds: readonly number[];
  /** The node leading most partitions of the ticks topic now: stopping it moves the most leaders. */
  busiestNode(): Promise<number>;
  /** SIGKILL, resolving once the JVM is gone. */
  kill(nodeId: number): Promise<void>;
  /** Starts it again on its folder and ports; resolves once it serves Metadata listing every node. */
  restart(nodeId: number): Promise<void>;
  /** True when every partition of the ticks topic has every node in its ISR again. */
  inSync(): Promise<boolean>;
}

export interface ProcessFaultsOptions {
  kafka: Kafka;
  secret: string;
  edges: readonly EdgeTarget[];
  analytics: AnalyticsTarget | null;
  /** Null unless up started a cluster of several Apache Kafka nodes itself. */
  kafkaNodes: KafkaNodesTarget | null;
  /** Ticks acknowledged to up's producer against ticks stored: each record's `lost` (tick-ledger.ts). */
  ticks: { tickCounts(): Promise<TickCounts> };
  /** The ticks/s the producer is set to now (null: as fast as it can): the most "throughput back" asks for. */
  producerRate: () => number | null;
  /** Writes a market event (the producer's announce): the audit trail. */
  announce: (event: { kind: MarketEventKind; name: string; detail: string }) => Promise<void>;
  log: (line: string) => void;
}

const DEFAULT_LINK_FAULT_MS = 10_000;
const DEFAULT_SLOW_CONSUMER_MS = 10_000;
const DEFAULT_LINK_DELAY_MS = 500;
const DEFAULT_NODE_DOWN_MS = 10_000;
/** The edges' ticks/s over this long before a node is stopped is what "throughput back" compares with. */
const THROUGHPUT_BASELINE_MS = 2000;
/** Throughput is back when the edges' ticks over the last second reach this share of the baseline. */
const THROUGHPUT_BACK_SHARE = 0.9;
/** How often a fault's signals are looked at: the resolution of every measured time. */
const POLL_MS = 50;
/** A restarted edge or job that is not back in this long has not recovered (said in the record). */
const RECOVERY_TIMEOUT_MS = 180_000;

export class ProcessFaults {
  private readonly follower: ControlFollower;
  private readonly recorder: RecoveryRecorder;
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;
  readonly listening: Promise<void>;

  constructor(private readonly options: ProcessFaultsOptions) {
    this.follower = new ControlFollower({
      kafka: options.kafka,
      groupId: `tickstream-control-up-${hostname()}-${process.pid}`,
      secret: options.secret,
      onCheck: (check) => this.receive(check),
    });
    this.listening = this.follower.listening;
    this.recorder = new RecoveryRecorder(options.kafka);
  }

  start(): Promise<void> {
    return this.follower.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.follower.stop();
    await Promise.allSettled(this.inFlight);
    await this.recorder.close();
  }

  private async receive(check: ControlCheck): Promise<void> {
    if (!check.ok) {
      // Logged, not audited: the producer beside it audits every refused command once.
      if (isProcessAction(check.action))
        this.options.log(`chaos: refused ${check.action} from ${check.user}: ${check.reason}`);
      return;
    }
    const { command, user } = check;
    if (!isProcessAction(command.action)) return;
    const refusal = this.refusal(command.action, command);
    if (refusal !== null) {
      this.options.log(`chaos: cannot ${command.action} for ${user}: ${refusal}`);
      await this.audit('refused', `${command.action} from ${user}: ${refusal}`);
      return;
    }
    // Carried out beside the consumer: a fault lasting 10 s must not hold the next command back.
    const fault = this.carryOut(command.action, command, user, check.id).catch((error: Error) =>
      this.options.log(`chaos: ${command.action} failed: ${error.message}`),
    );
    this.inFlight.add(fault);
    void fault.finally(() => this.inFlight.delete(fault));
  }

  /** Why a verified command cannot be carried out here; null when it can. */
  private refusal(action: ProcessAction, command: ChaosCommand): string | null {
    if (action === 'kill-analytics') return this.options.analytics === null ? 'up runs no analytics job' : null;
    if (action === 'stop-kafka-node') return this.kafkaNodeRefusal(command.target);
    const edges = this.edgesFor(command.target);
    if (edges.length === 0)
      return `no edge '${command.target}' (the edges: ${this.options.edges.map((edge) => `edge-${edge.id}`).join(', ')})`;
    if (action === 'kill-edge' && edges[0]?.kill === undefined)
      return 'the edge runs inside up itself: kill-edge needs up --edges N (N ≥ 2)';
    return null;
  }

  private edgesFor(target: string | null): EdgeTarget[] {
    if (target === null) return [...this.options.edges];
    return this.options.edges.filter((edge) => target === edge.id || target === `edge-${edge.id}`);
  }

  private async carryOut(action: ProcessAction, command: ChaosCommand, user: string, id: string): Promise<void> {
    if (action === 'kill-analytics') return this.killAnalytics(user, id);
    if (action === 'stop-kafka-node') return this.stopKafkaNode(command, user, id);
    const edges = this.edgesFor(command.target);
    if (action === 'kill-edge') return this.killEdge(edges[0] as EdgeTarget, user, id);
    if (action === 'slow-consumer')
      return this.slowConsumer(edges[0] as EdgeTarget, command.forMs ?? DEFAULT_SLOW_CONSUMER_MS, user, id);
    const forMs = command.forMs ?? DEFAULT_LINK_FAULT_MS;
    const delayMs = command.delayMs ?? DEFAULT_LINK_DELAY_MS;
    return this.hurtLink(action, edges, forMs, delayMs, user, id);
  }

  private async killEdge(edge: EdgeTarget, user: string, id: string): Promise<void> {
    const timeline = this.timeline(id, 'kill-edge', `edge-${edge.id}`, 'edge');
    await this.audit('kill-edge', `by ${user} on edge-${edge.id}: SIGKILL; up restarts it`);
    await (edge.kill as () => Promise<void>)();
    await timeline.detected('its process exited (SIGKILL), seen by up; HAProxy takes it out at its next check');
    await (edge.restart as () => Promise<void>)();
    const back = await waitFor(async () => (await httpStatus(edge.port(), '/readyz')) === 200, RECOVERY_TIMEOUT_MS);
    await this.finish(timeline, back, 'restarted: /readyz 200, back behind the balancer');
  }

  /**
   * A client of the edge that stops reading for `forMs`: detected when the edge starts skipping
   * Deltas (its slow-client policy, on /metrics and as deltas_skipped_per_s on system_metrics);
   * recovered when, reading again, it gets Error 8 and a fresh Snapshot, or the edge closed it.
   */
  private async slowConsumer(edge: EdgeTarget, forMs: number, user: string, id: string): Promise<void> {
    const timeline = this.timeline(id, 'slow-consumer', `edge-${edge.id}`, 'edge');
    await this.audit(
      'slow-consumer',
      `by ${user} on edge-${edge.id}: a client subscribed to every symbol stops reading for ${forMs} ms`,
    );
    const skippedBefore = await edgeCounter(edge.port(), SKIPPED_METRIC);
    const closesBefore = await edgeCounter(edge.port(), SLOW_CLOSES_METRIC);
    const token = await createToken({
      secret: this.options.secret,
      user: 'chaos-slow-consumer',
      role: 'viewer',
      ttlSeconds: 600,
    });
    let consumer: SlowConsumer;
    try {
      consumer = await SlowConsumer.open(`ws://127.0.0.1:${edge.port()}/ws?token=${encodeURIComponent(token)}`);
    } catch (error) {
      timeline.fields.detail = `the slow client could not connect: ${(error as Error).message}`;
      await timeline.write();
      return;
    }
    let closedCode = 0;
    void consumer.closed.then((code) => {
      closedCode = code;
    });
    const endsAt = timeline.injectedMs + forMs;
    const lagging = async (): Promise<boolean> =>
      (await edgeCounter(edge.port(), SKIPPED_METRIC)) > skippedBefore ||
      (await edgeCounter(edge.port(), SLOW_CLOSES_METRIC)) > closesBefore;
    if (await waitFor(lagging, Math.max(0, endsAt - Date.now()), 200))
      await timeline.detected(
        `${SKIPPED_METRIC} rose on edge-${edge.id}: its send buffer for the client passed the soft limit, Deltas skipped`,
      );
    await sleep(endsAt - Date.now());
    if (timeline.fields.detectedUs === 0 && !(await lagging())) {
      consumer.close();
      timeline.fields.detail = `the edge never skipped a Delta for it in ${forMs} ms (its buffers held all it sent): nothing to detect; try a longer --for`;
      this.options.log(`chaos: slow-consumer on edge-${edge.id}: ${timeline.fields.detail}`);
      await timeline.write();
      await this.audit('not-detected', `slow-consumer on edge-${edge.id}: ${timeline.fields.detail}`);
      return;
    }
    consumer.readAgain();
    const readAgainMs = Date.now();
    const outcome = await Promise.race([
      consumer.resynced.then(() => 'resynced' as const),
      consumer.closed.then(() => 'closed' as const),
      sleep(RECOVERY_TIMEOUT_MS).then(() => 'stuck' as const),
    ]);
    const closedByEdge = (await edgeCounter(edge.port(), SLOW_CLOSES_METRIC)) > closesBefore;
    const skipped = (await edgeCounter(edge.port(), SKIPPED_METRIC)) - skippedBefore;
    consumer.close();
    timeline.fields.detail = `${skipped} Deltas skipped for it; it read again after ${readAgainMs - timeline.injectedMs} ms${closedByEdge ? `; the edge closed it as a slow consumer (4008; the client saw ${closedCode})` : ''}`;
    if (timeline.fields.detectedUs === 0)
      await timeline.detected(`${SKIPPED_METRIC} rose on edge-${edge.id} (seen as the fault ended)`);
    await this.finish(
      timeline,
      outcome !== 'stuck',
      outcome === 'resynced'
        ? 'reading again, it got Error 8 "you fell behind" and a fresh Snapshot: no gap left unseen'
        : 'the edge closed the lagging client (its slow-client policy); a real client reconnects and resyncs',
    );
  }

  private kafkaNodeRefusal(target: string | null): string | null {
    const nodes = this.options.kafkaNodes;
    if (nodes === null) return 'up runs no Kafka cluster of its own: stop-kafka-node needs up --kafka apache --nodes 3';
    if (target !== null && !nodes.nodeIds.includes(kafkaNodeIdOf(target)))
      return `no Kafka node '${target}' (the nodes: ${nodes.nodeIds.join(', ')}, or kafka-1 …)`;
    return null;
  }

  /**
   * SIGKILLs one Kafka node (a crash: no controlled shutdown moves its leaders first), starts it
   * again after --for, and times the edges' throughput back: the first one-second window after the
   * kill in which every edge took at least 90 % of the ticks/s it took before. The node's return,
   * the full ISR and the lost-tick check come after, in the record's detail.
   */
  private async stopKafkaNode(command: ChaosCommand, user: string, id: string): Promise<void> {
    const nodes = this.options.kafkaNodes as KafkaNodesTarget;
    const nodeId = command.target === null ? await nodes.busiestNode() : kafkaNodeIdOf(command.target);
    const downMs = command.forMs ?? DEFAULT_NODE_DOWN_MS;
    const edges = [...this.options.edges];
    // An edge still catching up (after its start, or a burst) takes more than the producer makes:
    // the producer's rate caps what counts as "before".
    const setRate = this.options.producerRate();
    const baseline = (await edgeTickRates(edges, THROUGHPUT_BASELINE_MS)).map((rate) =>
      setRate === null ? rate : Math.min(rate, setRate),
    );
    const timeline = this.timeline(id, 'stop-kafka-node', `kafka-${nodeId}`, 'broker');
    await this.audit('stop-kafka-node', `by ${user} on kafka-${nodeId}: SIGKILL for ${downMs} ms; up starts it again`);
    await nodes.kill(nodeId);
    // Not awaited: an acks=all write to system_metrics waits until Kafka has moved on from the node,
    // and the throughput must be watched from now.
    void timeline.detected('its JVM exited (SIGKILL), seen by up; the controller fences it when its heartbeats stop');
    const restarted = sleep(timeline.injectedMs + downMs - Date.now())
      .then(() => nodes.restart(nodeId))
      .then(
        () => Date.now() - timeline.injectedMs,
        (error: Error) => {
          this.options.log(`chaos: kafka-${nodeId} did not start again: ${error.message}`);
          return null;
        },
      );
    const watch = await watchThroughputBack(edges, baseline, timeline.injectedMs, RECOVERY_TIMEOUT_MS);
    if (watch.backMs !== null)
      await timeline.recovered(
        `throughput back: every edge took ≥ ${THROUGHPUT_BACK_SHARE * 100} % of its ticks/s before, over one second`,
      );
    const nodeBackMs = await restarted;
    const inSync =
      nodeBackMs !== null && (await waitFor(() => nodes.inSync().catch(() => false), RECOVERY_TIMEOUT_MS, 250));
    const inSyncMs = Date.now() - timeline.injectedMs;
    const before = baseline.map((rate) => Math.round(rate)).join('/');
    const lowest = watch.lowestShare === null ? '?' : `${Math.round(watch.lowestShare * 100)} %`;
    timeline.fields.detail =
      `edges' ticks/s before ${before}, lowest one-second window after the kill ${lowest}; ` +
      `node ${nodeBackMs === null ? 'not started again' : `back after ${nodeBackMs} ms`}, ISR ${inSync ? `full after ${inSyncMs} ms` : 'not full'}`;
    await this.finish(timeline, watch.backMs !== null, '');
  }

  private async killAnalytics(user: string, id: string): Promise<void> {
    const analytics = this.options.analytics as AnalyticsTarget;
    const timeline = this.timeline(id, 'kill-analytics', analytics.componentId, 'analytics');
    await this.audit('kill-analytics', `by ${user} on ${analytics.componentId}: SIGKILL; up restarts it`);
    if (!(await analytics.kill())) {
      timeline.fields.detail = 'no job was running (not started yet, or it had failed)';
      await timeline.write();
      return;
    }
    await timeline.detected('the JVM exited (SIGKILL), seen by up; its figures go silent on system_metrics');
    // up told its standby on the JVM's exit (a cold start begins here); meanwhile the output is
    // followed from the partitions' ends at this moment, which the restarted job writes past.
    const restarted = analytics.restart();
    restarted.catch(() => {});
    const output = await analytics.followOutput();
    try {
      await restarted;
      let timer: NodeJS.Timeout | undefined;
      const resumed = await Promise.race([
        output.first.then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), RECOVERY_TIMEOUT_MS);
        }),
      ]);
      clearTimeout(timer);
      await this.finish(timeline, resumed, 'output resumed: a record committed by the restored job on candles');
    } finally {
      await output.stop();
    }
  }

  private async hurtLink(
    action: 'cut-link' | 'delay-link',
    edges: EdgeTarget[],
    forMs: number,
    delayMs: number,
    user: string,
    id: string,
  ): Promise<void> {
    const names = edges.map((edge) => `edge-${edge.id}`).join(',');
    const timeline = this.timeline(id, action, names, 'edge');
    const what = action === 'cut-link' ? 'connections to Kafka dropped and refused' : `+${delayMs} ms each way`;
    await this.audit(action, `by ${user} on ${names}: ${what} for ${forMs} ms`);
    for (const edge of edges) edge.link.set(action === 'cut-link' ? { kind: 'cut' } : { kind: 'delay', delayMs });
    const endsAt = timeline.injectedMs + forMs;
    const unhealthy = async (): Promise<boolean> => {
      for (const edge of edges) if ((await httpStatus(edge.port(), '/health')) === 503) return true;
      return false;
    };
    if (await waitFor(unhealthy, Math.max(0, endsAt - Date.now())))
      await timeline.detected(
        '/health 503: the edge saw Kafka unreachable and told its clients (Error KafkaUnavailable)',
      );
    await sleep(endsAt - Date.now());
    // Ticks the edges had taken when the link came back: healed once each takes more and says it is healthy.
    const ticksAtReturn = await Promise.all(edges.map(async (edge) => (await edgeHealth(edge.port()))?.ticks ?? 0));
    for (const edge of edges) edge.link.set({ kind: 'none' });
    const returnedMs = Date.now();
    this.options.log(`chaos: ${action} over on ${names}: the link is back`);
    if (timeline.fields.detectedUs === 0 && (await unhealthy()))
      await timeline.detected(
        '/health 503 (as the link came back): the edge saw Kafka unreachable and told its clients',
      );
    const healed = await waitFor(async () => {
      for (const [index, edge] of edges.entries()) {
        const health = await edgeHealth(edge.port());
        if (health === null || !health.ok || health.ticks <= (ticksAtReturn[index] ?? 0)) return false;
      }
      return true;
    }, RECOVERY_TIMEOUT_MS);
    timeline.fields.detail = `link returned after ${returnedMs - timeline.injectedMs} ms; healed ${Date.now() - returnedMs} ms after it returned`;
    await this.finish(
      timeline,
      healed,
      '/health 200 and ticks taken again on every edge hurt (clients told data is live)',
    );
  }

  private async finish(timeline: Timeline, recovered: boolean, recoveredBy: string): Promise<void> {
    // stop-kafka-node stamps its recovery when throughput came back, before its later checks.
    if (recovered && timeline.fields.recoveredUs === 0) timeline.stampRecovered(recoveredBy);
    if (!recovered)
      timeline.fields.detail = `${timeline.fields.detail} not recovered within ${RECOVERY_TIMEOUT_MS} ms`.trim();
    // Counted after the stamp (asking Kafka takes a moment), written with it in one record.
    await this.countLost(timeline);
    await timeline.write();
    const { fields } = timeline;
    const after = (us: number): string => (us === 0 ? 'never' : `${Math.round((us - fields.injectedUs) / 1000)} ms`);
    const summary = `${fields.fault} on ${fields.target}: detected after ${after(fields.detectedUs)}, recovered after ${after(fields.recoveredUs)}${fields.detail ? ` (${fields.detail})` : ''}`;
    this.options.log(`chaos: ${summary}`);
    await this.audit(recovered ? 'recovered' : 'not-recovered', summary);
  }

  /**
   * The data lost, for every fault alike: the ticks Kafka acknowledged to up's producer that the
   * topic no longer holds (0 when all are there). Left unknown (-1, "not checked") only when Kafka
   * could not be asked, and said so.
   */
  private async countLost(timeline: Timeline): Promise<void> {
    const counts = await this.options.ticks.tickCounts().catch((error: Error) => {
      this.options.log(`chaos: ticks not counted after ${timeline.fields.fault} (${error.message})`);
      return null;
    });
    if (counts === null) return;
    timeline.fields.lost = Math.max(0, counts.acked - counts.stored);
    const ledger = `${counts.acked} ticks acknowledged, ${counts.stored} in the topic`;
    timeline.fields.detail = timeline.fields.detail ? `${timeline.fields.detail}; ${ledger}` : ledger;
  }

  private timeline(id: string, fault: ProcessAction, target: string, kind: ComponentKindName): Timeline {
    return new Timeline(this.recorder, `recovery-${id || `${fault}-${Date.now()}`}`, kind, fault, target, (line) =>
      this.options.log(line),
    );
  }

  private audit(name: string, detail: string): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return this.options.announce({ kind: MarketEventKind.Chaos, name, detail }).catch((error: Error) => {
      this.options.log(`chaos: audit event not written (${error.message})`);
    });
  }
}

/** One fault's timeline, written to system_metrics at each step (injected, detected, recovered). */
class Timeline {
  readonly fields: RecoveryFields;
  readonly injectedMs = Date.now();

  constructor(
    private readonly recorder: RecoveryRecorder,
    private readonly key: string,
    private readonly kind: ComponentKindName,
    fault: string,
    target: string,
    private readonly log: (line: string) => void,
  ) {
    this.fields = {
      fault,
      target,
      injectedUs: this.injectedMs * 1000,
      detectedUs: 0,
      detectedBy: '',
      recoveredUs: 0,
      recoveredBy: '',
      lost: -1,
      detail: '',
    };
    void this.write();
  }

  detected(by: string): Promise<void> {
    this.fields.detectedUs = Date.now() * 1000;
    this.fields.detectedBy = by;
    return this.write();
  }

  recovered(by: string): Promise<void> {
    this.stampRecovered(by);
    return this.write();
  }

  /** Recovered now, written with whatever comes next (the lost-tick count). */
  stampRecovered(by: string): void {
    this.fields.recoveredUs = Date.now() * 1000;
    this.fields.recoveredBy = by;
  }

  write(): Promise<void> {
    return this.recorder.write(this.key, this.kind, { ...this.fields }).catch((error: Error) => {
      this.log(`chaos: recovery record not written (${error.message})`);
    });
  }
}

/** Writes Recovery records to system_metrics, keyed by the fault's record id. */
class RecoveryRecorder {
  private readonly encoder = new SystemMetricEncoder();
  private readonly producer: Producer;
  private connecting: Promise<void> | null = null;
  private readonly host = hostname();

  constructor(kafka: Kafka) {
    this.producer = kafka.producer({ allowAutoTopicCreation: true, retry: { retries: 3 } });
  }

  async write(key: string, kind: ComponentKindName, recovery: RecoveryFields): Promise<void> {
    this.connecting ??= this.producer.connect();
    await this.connecting;
    const nowMs = Date.now();
    const value = this.encoder.encode({
      componentId: key,
      kind,
      timeUs: nowMs * 1000,
      intervalMs: 0,
      problem: '',
      host: this.host,
      pid: process.pid,
      figures: [],
      recovery,
    });
    await this.producer.send({
      topic: SYSTEM_METRICS_TOPIC,
      acks: -1,
      messages: [{ key, value: Buffer.from(value), timestamp: String(nowMs) }],
    });
  }

  async close(): Promise<void> {
    if (this.connecting) await this.producer.disconnect().catch(() => {});
  }
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number, everyMs = POLL_MS): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(everyMs, deadline - Date.now()));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** `--target 2` or `--target kafka-2`; NaN for anything else. */
function kafkaNodeIdOf(target: string): number {
  const match = /^(?:kafka-)?(\d+)$/.exec(target.trim());
  return match ? Number(match[1]) : Number.NaN;
}

/** Ticks each edge has applied (its /health "ticks"); NaN for an edge that does not answer. */
async function edgeTicks(edges: readonly EdgeTarget[]): Promise<number[]> {
  return Promise.all(edges.map(async (edge) => (await edgeHealth(edge.port()))?.ticks ?? Number.NaN));
}

/** Each edge's ticks/s over the next `overMs`. */
async function edgeTickRates(edges: readonly EdgeTarget[], overMs: number): Promise<number[]> {
  const startMs = Date.now();
  const first = await edgeTicks(edges);
  await sleep(overMs);
  const last = await edgeTicks(edges);
  const seconds = (Date.now() - startMs) / 1000;
  return last.map((ticks, i) => (ticks - (first[i] as number)) / seconds);
}

/**
 * Samples the edges' ticks every POLL_MS from `sinceMs` until, over the last second (a window that
 * starts after `sinceMs`, so ticks already on their way at the kill do not count), every edge took
 * at least THROUGHPUT_BACK_SHARE of its baseline ticks/s. Also says the lowest share seen: the dip.
 */
async function watchThroughputBack(
  edges: readonly EdgeTarget[],
  baseline: readonly number[],
  sinceMs: number,
  timeoutMs: number,
): Promise<{ backMs: number | null; lowestShare: number | null }> {
  const samples: Array<{ atMs: number; ticks: number[] }> = [];
  let lowestShare: number | null = null;
  const deadline = sinceMs + timeoutMs;
  while (Date.now() < deadline) {
    const atMs = Date.now();
    samples.push({ atMs, ticks: await edgeTicks(edges) });
    while ((samples[0]?.atMs ?? atMs) < atMs - 2000) samples.shift();
    const windowStart = samples.find((sample) => sample.atMs >= atMs - 1000 && sample.atMs >= sinceMs);
    const latest = samples[samples.length - 1] as (typeof samples)[number];
    if (windowStart !== undefined && latest.atMs - windowStart.atMs >= 900) {
      const seconds = (latest.atMs - windowStart.atMs) / 1000;
      // The slowest edge decides; an edge that does not answer has no throughput.
      const share = Math.min(
        ...latest.ticks.map((ticks, i) => {
          const rate = (ticks - (windowStart.ticks[i] as number)) / seconds;
          return Number.isFinite(rate) ? rate / Math.max(1, baseline[i] as number) : 0;
        }),
      );
      lowestShare = lowestShare === null ? share : Math.min(lowestShare, share);
      if (share >= THROUGHPUT_BACK_SHARE) return { backMs: latest.atMs - sinceMs, lowestShare };
    }
    await sleep(POLL_MS);
  }
  return { backMs: null, lowestShare };
}

/** An edge's /health as far as a link fault's recovery reads it; null when it does not answer. */
async function edgeHealth(port: number): Promise<{ ok: boolean; ticks: number } | null> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1000) });
    const body = (await response.json()) as { ok?: unknown; ticks?: unknown };
    return { ok: response.status === 200 && body.ok === true, ticks: typeof body.ticks === 'number' ? body.ticks : 0 };
  } catch {
    return null;
  }
}

const SKIPPED_METRIC = 'tickstream_edge_deltas_skipped_total';
const SLOW_CLOSES_METRIC = 'tickstream_edge_slow_client_closes_total';

/** One unlabelled counter of an edge's /metrics; 0 when it does not answer. */
async function edgeCounter(port: number, name: string): Promise<number> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(1000) });
    const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(await response.text());
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** The HTTP status an edge answers on loopback; 0 when it does not answer. */
async function httpStatus(port: number, path: string): Promise<number> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}
