import { spawn } from 'node:child_process';

export interface ClientRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Debian's python3-confluent-kafka and python3-kafka live under the system Python, not a pyenv one. */
export const SYSTEM_PYTHON = '/usr/bin/python3';

/**
 * Runs an independent Kafka client as a child process, feeding `input` on stdin, and kills it
 * after `timeoutMs` so a hung client fails its test instead of the whole run.
 */
export function runClient(
  command: string,
  args: string[],
  options: { input?: string; timeoutMs?: number } = {},
): Promise<ClientRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${options.timeoutMs} ms)`;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 60_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`could not run ${command}: ${error.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** The one JSON line a compat script prints, or a failure that shows what the client said. */
export function parseClientJson<T>(run: ClientRun, what: string): T {
  if (run.code !== 0) throw new Error(`${what} exited with ${run.code}: ${run.stderr.trim().slice(-2000)}`);
  const line = run.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as T;
  } catch {
    throw new Error(`${what} printed no JSON result: ${run.stdout.slice(-1000)} ${run.stderr.slice(-1000)}`);
  }
}
