import { CONTROL_TOPIC, type ControlCheck, verifyControlCommand } from '@tickstream/schemas/control-command';
import type { Consumer, Kafka } from 'kafkajs';

export interface ControlFollowerOptions {
  kafka: Kafka;
  /** A group of its own per follower: every follower sees every command (the target decides who obeys). */
  groupId: string;
  /** Commands verify against it (HS256); the edges' --auth-secret. */
  secret: string;
  topic?: string;
  /** Every record, verified or refused (control-command.ts says why); the follower acts on it. */
  onCheck: (check: ControlCheck) => Promise<void>;
}

/**
 * Follows the `control` topic and verifies each record (control-command.ts): the one way any
 * component reads commands, the producer (control-listener.ts) and the `up` supervisor alike. It
 * reads from the end: a command written before it started is not replayed (and would have expired).
 */
export class ControlFollower {
  private readonly consumer: Consumer;
  private readonly topic: string;
  /** Resolves once the consumer has joined and will see commands written from now on. */
  readonly listening: Promise<void>;
  private markListening: () => void = () => {};

  constructor(private readonly options: ControlFollowerOptions) {
    this.topic = options.topic ?? CONTROL_TOPIC;
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
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
        if (message.value === null) return;
        await this.options.onCheck(await verifyControlCommand(message.value.toString('utf8'), this.options.secret));
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}
