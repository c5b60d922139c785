import type { Command } from '../command.js';
import { brokerCommand } from './broker.js';

/** Every subcommand, in the order `tickstream --help` lists them. */
export const commands: readonly Command[] = [brokerCommand];
