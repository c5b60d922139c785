import type { Command } from '../command.js';
import { analyticsCommand } from './analytics.js';
import { benchCommand } from './bench.js';
import { brokerCommand } from './broker.js';
import { chaosCommand } from './chaos.js';
import { edgeCommand } from './edge.js';
import { kafkaCommand } from './kafka.js';
import { portfolioCommand } from './portfolio.js';
import { producerCommand } from './producer.js';
import { tokenCommand } from './token.js';
import { upCommand } from './up.js';
import { usersCommand } from './users.js';
import { watchCommand } from './watch.js';

/** Every subcommand, in the order `tickstream --help` lists them. */
export const commands: readonly Command[] = [
  upCommand,
  brokerCommand,
  kafkaCommand,
  producerCommand,
  analyticsCommand,
  edgeCommand,
  watchCommand,
  tokenCommand,
  usersCommand,
  portfolioCommand,
  chaosCommand,
  benchCommand,
];
