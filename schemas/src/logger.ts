import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { type DestinationStream, type Level, type Logger, type LoggerOptions, pino } from 'pino';
import type { PrettyOptions } from 'pino-pretty';

/** pino-pretty is loaded only for a terminal: every process with piped stdout starts without it. */
const loadPretty = (): typeof import('pino-pretty') => createRequire(import.meta.url)('pino-pretty');

export type { Logger } from 'pino';

/**
 * The long-running tiers' logs (docs/operations.md, "Logs"): one JSON object per line on stdout,
 * with `level`, `time`, `component`, `instance` and `msg`, at the level LOG_LEVEL names
 * (default info); readable lines instead when stdout is a terminal.
 */
export type Component = 'edge' | 'producer' | 'broker' | 'analytics' | 'kafka' | 'up';

const LEVELS: readonly (Level | 'silent')[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** A LOG_LEVEL that names no level: said in one line by the CLI, like a bad flag. */
export class LogLevelError extends Error {
  override readonly name = 'LogLevelError';
  /** main.ts prints such errors as one line and exits with this code. */
  readonly exitCode = 2;
}

/** LOG_LEVEL's value as a pino level; unset or empty is info. */
export function parseLogLevel(text: string | undefined): Level | 'silent' {
  const wanted = (text ?? '').trim().toLowerCase();
  if (wanted === '') return 'info';
  const level = LEVELS.find((candidate) => candidate === wanted);
  if (level === undefined) throw new LogLevelError(`LOG_LEVEL must be one of ${LEVELS.join(', ')}; got '${text}'`);
  return level;
}

export interface LoggerSettings {
  component: Component;
  /** Tells replicas apart: an edge's id, TICKSTREAM_INSTANCE, or host:pid. */
  instance?: string;
  /** Default: LOG_LEVEL. */
  level?: Level | 'silent';
  /** Default: stdout, pretty when it is a terminal. Tests pass a stream to read the lines back. */
  destination?: DestinationStream;
}

/** host:pid unless TICKSTREAM_INSTANCE names this process (a pod name, say). */
export function defaultInstance(): string {
  return process.env.TICKSTREAM_INSTANCE || `${hostname()}:${process.pid}`;
}

/**
 * A tier's logger. Writes are synchronous: a log line said just before an exit (a failed start,
 * SIGTERM) must not be lost, and nothing logs per tick or per frame, so the cost does not matter.
 */
export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? parseLogLevel(process.env.LOG_LEVEL),
    base: { component: settings.component, instance: settings.instance ?? defaultInstance() },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Level names, not pino's numbers: a log pipeline filters on "warn" without a lookup table.
    formatters: { level: (label) => ({ level: label }) },
  };
  return pino(options, settings.destination ?? stdoutDestination());
}

/** A terminal's lines: local time, level, `component: msg`, then the other fields indented. */
const PRETTY_OPTIONS: PrettyOptions = {
  colorize: true,
  translateTime: 'SYS:HH:MM:ss.l',
  ignore: 'instance,component',
  messageFormat: '{component}: {msg}',
};

function stdoutDestination(): DestinationStream {
  if (!process.stdout.isTTY) return pino.destination({ dest: 1, sync: true });
  return loadPretty()({ ...PRETTY_OPTIONS, destination: 1, sync: true });
}

/**
 * The `(line) => void` the tiers' libraries take, at info. Their lines are plain sentences; the
 * structured fields (connection and request ids, order ids) are logged where they are known.
 */
export function lineLogger(logger: Logger, level: 'info' | 'warn' = 'info'): (line: string) => void {
  return (line) => logger[level](line);
}

/**
 * Passes on a child process's output line by line (`tickstream up --edges N` relaying its edges):
 * intact when stdout is not a terminal, so each JSON line reaches the log pipeline as the child
 * wrote it; made readable, as the supervisor's own lines are, when it is one.
 */
export function childLineRelay(): (line: string) => void {
  if (!process.stdout.isTTY) return (line) => process.stdout.write(`${line}\n`);
  const pretty = loadPretty().prettyFactory(PRETTY_OPTIONS);
  return (line) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      parsed = null;
    }
    process.stdout.write(typeof parsed === 'object' && parsed !== null ? pretty(parsed) : `${line}\n`);
  };
}

/**
 * A start-up line others wait for (`… listening on …`, `broker listening`, `producing …`):
 * written at info whatever LOG_LEVEL says, since `up --edges N`, the benches and tests find a
 * process's port or readiness in it.
 */
export function announce(logger: Logger, fields: Record<string, unknown>, msg: string): void {
  const target = logger.isLevelEnabled('info') ? logger : logger.child({}, { level: 'info' });
  target.info(fields, msg);
}
