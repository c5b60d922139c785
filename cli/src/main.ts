import { readFileSync } from 'node:fs';
import { type Command, helpText, parseFlags } from './command.js';
import { commands } from './commands/index.js';
import { UsageError } from './usage-error.js';

function overview(): string {
  const width = Math.max(...commands.map((command) => command.name.length)) + 4;
  return [
    'Usage: tickstream <command> [options]',
    '',
    'Streams market data from a producer, through Kafka, to browser dashboards.',
    '',
    'Commands:',
    ...commands.map((command) => `  ${command.name.padEnd(width)}${command.summary}`),
    '',
    "Run 'tickstream <command> --help' for a command's options.",
    '',
  ].join('\n');
}

function version(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

/** Runs one CLI invocation and resolves with its exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(overview());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const command: Command | undefined = commands.find((candidate) => candidate.name === name);
  if (!command) {
    process.stderr.write(`tickstream: unknown command '${name}' (run 'tickstream --help' for the list)\n`);
    return 2;
  }
  try {
    const flags = parseFlags(command, rest);
    if (flags === null) {
      process.stdout.write(helpText(command));
      return 0;
    }
    return await command.run(flags);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`tickstream ${command.name}: ${error.message}\n`);
      return 2;
    }
    // Failures people can act on (Java missing, a port in use, Kafka unreachable) carry their
    // own exit code and a message that says what to do; print that, not a stack trace.
    if (error instanceof Error && typeof (error as { exitCode?: unknown }).exitCode === 'number') {
      process.stderr.write(`tickstream ${command.name}: ${error.message}\n`);
      return (error as Error & { exitCode: number }).exitCode;
    }
    throw error;
  }
}
