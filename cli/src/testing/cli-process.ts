import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../bin/tickstream.js', import.meta.url));

/** A `tickstream` command started as its own process, as users run it. */
export interface CliProcess {
  child: ChildProcess;
  /** Its stdout and stderr so far, interleaved as they came. */
  output: () => string;
  /** Resolves with its exit code once it has closed. */
  done: Promise<number | null>;
}

/** Starts `tickstream <args>` with Node, collecting what it prints. */
export function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliProcess {
  const child = spawn(process.execPath, [cli, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
  });
  let output = '';
  const take = (text: string): void => {
    output += text;
  };
  child.stdout?.setEncoding('utf8').on('data', take);
  child.stderr?.setEncoding('utf8').on('data', take);
  const done = new Promise<number | null>((resolve) => child.once('close', resolve));
  return { child, output: () => output, done };
}
