import { MarketEventKind } from '@tickstream/schemas';
import {
  type ChaosCommand,
  type ControlCheck,
  type EpisodeScenario,
  isProducerAction,
} from '@tickstream/schemas/control-command';
import type { Kafka } from 'kafkajs';
import { ControlFollower } from './control-follower.js';
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
/** A scenario's episode as the producer's own loop plays it (--scenario): 20 s. */
const DEFAULT_SCENARIO_MS = 20_000;

/**
 * One producer's part of the `control` topic: follows it (control-follower.ts), applies the
 * commands for it (pause, resume, burst, scenario), and audits every one it applied or refused as a Chaos
 * event on `market_events`. Process-level actions (kill-edge, cut-link, …) are the `up`
 * supervisor's: they are ignored here.
 */
export class ControlListener {
  private readonly follower: ControlFollower;
  private endTimer: NodeJS.Timeout | undefined;
  /** Resolves once the consumer has joined and will see commands written from now on. */
  readonly listening: Promise<void>;

  constructor(private readonly options: ControlListenerOptions) {
    this.follower = new ControlFollower({
      kafka: options.kafka,
      groupId: `tickstream-control-${options.componentId}`,
      secret: options.secret,
      topic: options.topic,
      onCheck: (check) => this.receive(check),
    });
    this.listening = this.follower.listening;
  }

  start(): Promise<void> {
    return this.follower.start();
  }

  async stop(): Promise<void> {
    clearTimeout(this.endTimer);
    await this.follower.stop();
  }

  private async receive(check: ControlCheck): Promise<void> {
    if (!check.ok) {
      // Every refusal is audited here, process-level actions' too: a producer runs wherever a command
      // could be sent (docker-compose has no up supervisor to audit them).
      this.options.log(`control: refused ${check.action} from ${check.user}: ${check.reason}`);
      await this.audit('refused', `${check.action} from ${check.user}: ${check.reason}`);
      return;
    }
    const { command, user } = check;
    if (!isProducerAction(command.action)) return;
    if (command.target !== null && command.target !== this.options.componentId) return;
    const done = this.apply(command);
    this.options.log(`control: ${command.action} from ${user}: ${done}`);
    await this.audit(command.action, `by ${user} on ${this.options.componentId}: ${done}`);
  }
  /** Applies a verified command; says what was done. */
  private apply(command: ChaosCommand): string {
    if (command.action === 'scenario') {
      // Beside the rate: a scenario played during a pause plays on, unseen until resumed.
      const forMs = command.forMs ?? DEFAULT_SCENARIO_MS;
      const kind = command.scenario as EpisodeScenario;
      this.options.producer.playScenario(kind, forMs);
      return `playing ${kind} for ${forMs} ms (market_events: ScenarioStart, then ScenarioEnd)`;
    }
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
