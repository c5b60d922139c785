import { parseArgs } from 'node:util';
import { UsageError } from './usage-error.js';

export interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Placeholder shown in help, e.g. PORT. */
  value?: string;
  description: string;
  /** Applied when the flag is absent, and shown in help. */
  default?: string;
}

type FlagValues = Record<string, string | boolean | undefined>;

/** Parsed flags, with each spec's default already applied. */
export class Flags {
  constructor(
    private readonly values: FlagValues,
    /** Words after the command that are not flags (only for commands that declare `positionals`). */
    readonly positionals: readonly string[] = [],
  ) {}

  string(name: string): string | undefined {
    const value = this.values[name];
    return typeof value === 'string' ? value : undefined;
  }

  /** A string flag that has a default, so it is always present. */
  required(name: string): string {
    const value = this.string(name);
    if (value === undefined) throw new Error(`flag --${name} has no default; declare one or use string()`);
    return value;
  }

  boolean(name: string): boolean {
    return this.values[name] === true;
  }
}

/** One `tickstream` subcommand. `run` resolves with the process exit code. */
export interface Command {
  name: string;
  summary: string;
  flags: Record<string, FlagSpec>;
  /** Usage of the words after the command, e.g. 'add|list|remove|passwd [NAME]'; absent: none allowed. */
  positionals?: string;
  /** Extra help text after the flag list (environment variables, examples). */
  notes?: string;
  run(flags: Flags): Promise<number>;
}

export function helpText(command: Command): string {
  const rows = Object.entries(command.flags).map(([name, spec]) => {
    const left = `  ${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.type === 'string' ? ` ${spec.value ?? 'VALUE'}` : ''}`;
    const right = spec.description + (spec.default !== undefined ? ` (default ${spec.default})` : '');
    return [left, right] as const;
  });
  rows.push(['  -h, --help', 'show this help']);
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  const lines = [
    `Usage: tickstream ${command.name}${command.positionals ? ` ${command.positionals}` : ''} [options]`,
    '',
    command.summary,
    '',
    'Options:',
    ...rows.map(([left, right]) => left.padEnd(width) + right),
  ];
  if (command.notes) lines.push('', command.notes);
  return `${lines.join('\n')}\n`;
}

interface NodeParseError extends Error {
  code?: string;
}

/** Parses argv against the command's flags; returns null when help was asked for. */
export function parseFlags(command: Command, argv: readonly string[]): Flags | null {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; default?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, spec] of Object.entries(command.flags)) {
    options[name] = {
      type: spec.type,
      ...(spec.short ? { short: spec.short } : {}),
      ...(spec.type === 'string' && spec.default !== undefined ? { default: spec.default } : {}),
    };
  }
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
    if (values.help) return null;
    if (positionals.length > 0 && command.positionals === undefined)
      throw new UsageError(`unexpected argument '${positionals[0]}'`);
    return new Flags(values, positionals);
  } catch (error) {
    throw toUsageError(error as NodeParseError, argv);
  }
}

// node:util's messages are long and suggest `--` tricks; say the one thing that matters.
function toUsageError(error: NodeParseError, argv: readonly string[]): Error {
  if (error instanceof UsageError) return error;
  // The quoted part names the flag as '-p, --port <value>': the long form is the last dash-word.
  const quoted = /'([^']*)'/.exec(error.message)?.[1] ?? '';
  const flag = quoted.match(/--?[\w-]+/g)?.pop() ?? argv.find((arg) => arg.startsWith('-')) ?? '';
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new UsageError(`unknown flag ${flag}`);
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return error.message.includes('argument missing')
        ? new UsageError(`flag ${flag} needs a value`)
        : new UsageError(`flag ${flag} takes no value`);
    default:
      return error;
  }
}
