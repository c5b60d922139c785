import { MarketEventKind } from '@tickstream/schemas';
import type { Consumer, Kafka } from 'kafkajs';
import { type ChaosCommand, CONTROL_TOPIC, verifyControlCommand } from './control-command.js';
import type { RunningProducer } from './producer.js';

export interface ControlListenerOptions {
  kafka: Kafka;
  producer: RunningProducer;
  /** This producer's id in system_metrics: a command with another target is not for it. */
  componentId: string;
  /** Commands verify against it (HS256); the edges' --auth-secret. */
  secret: string;
  topic?: string;
  log: (line: string) => void;
}

const DEFAULT_BURST_FACTOR = 5;
const DEFAULT_BURST_MS = 10_000;

/**
 * Follows the `control` topic for one producer: verifies each command (control-command.ts),
 * applies the ones for it (pause, resume, burst), and audits every one it applied or refused as
 * a Chaos event on `market_events`. It reads from the end: a command written before it started
 * is not replayed (and would have expired).
 */
export class ControlListener {
  private readonly consumer: Consumer;
  private readonly topic: string;
  private endTimer: NodeJS.Timeout | undefined;
  /** Resolves once the consumer has joined and will see commands written from now on. */
  readonly listening: Promise<void>;
  private markListening: () => void = () => {};

  constructor(private readonly options: ControlListenerOptions) {
    this.topic = options.topic ?? CONTROL_TOPIC;
    // A group of its own: every producer sees every command (the target decides who obeys).
    this.consumer = options.kafka.consumer({
      groupId: `tickstream-control-${options.componentId}`,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      maxWaitTimeInMs: 250,
    });
    this.listening = new Promise((resolve) => {
      this.markListening = resolve;
    });
  }

  async start(): Promise<void> {
    const admin = this.options.kafka.admin();
    await admin.connect();
    try {
      if (!(await admin.listTopics()).includes(this.topic))
        await admin.createTopics({ topics: [{ topic: this.topic, numPartitions: 1 }] });
    } finally {
      await admin.disconnect();
    }
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => this.markListening());
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: false });
    await this.consumer.run({
      eachMessage: async ({ message }) => {
        if (message.value !== null) await this.receive(message.value.toString('utf8'));
      },
    });
  }

  async stop(): Promise<void> {
    clearTimeout(this.endTimer);
    await this.consumer.disconnect();
  }

  private async receive(token: string): Promise<void> {
    const check = await verifyControlCommand(token, this.options.secret);
    if (!check.ok) {
      this.options.log(`control: refused ${check.action} from ${check.user}: ${check.reason}`);
      await this.audit('refused', `${check.action} from ${check.user}: ${check.reason}`);
      return;
    }
    const { command, user } = check;
    if (command.target !== null && command.target !== this.options.componentId) return;
    const done = this.apply(command);
    this.options.log(`control: ${command.action} from ${user}: ${done}`);
    await this.audit(command.action, `by ${user} on ${this.options.componentId}: ${done}`);
  }

  /** Applies a verified command; says what was done. */
  private apply(command: ChaosCommand): string {
    clearTimeout(this.endTimer);
    this.endTimer = undefined;
    const producer = this.options.producer;
    if (command.action === 'resume') {
      producer.setRateFactor(1);
      return 'ticking at the set rate';
    }
    const factor = command.action === 'pause' ? 0 : (command.factor ?? DEFAULT_BURST_FACTOR);
    const forMs = command.action === 'burst' ? (command.forMs ?? DEFAULT_BURST_MS) : command.forMs;
    producer.setRateFactor(factor);
    if (forMs !== null) {
      this.endTimer = setTimeout(() => {
        producer.setRateFactor(1);
        this.options.log(`control: ${command.action} over after ${forMs} ms: ticking at the set rate`);
        void this.audit('resume', `${command.action} over after ${forMs} ms on ${this.options.componentId}`);
      }, forMs);
    }
    const what = factor === 0 ? 'ticks paused' : `ticking at ${factor}× the set rate`;
    return forMs === null ? `${what} until resumed` : `${what} for ${forMs} ms`;
  }

  private audit(name: string, detail: string): Promise<void> {
    return this.options.producer.announce({ kind: MarketEventKind.Chaos, name, detail });
  }
}
