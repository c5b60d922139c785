import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;

/** The `tickstream` command as users run it: benchmarks measure the real processes. */
export const cli = fileURLToPath(new URL('../../cli/bin/tickstream.js', import.meta.url));

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface BrokerProcess {
  bootstrap: string;
  pid: number;
  close(): Promise<void>;
}

/** `tickstream broker` in a process of its own, so its CPU is its own; resolves once it listens. */
export async function startBrokerProcess(dataDir: string): Promise<BrokerProcess> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [cli, 'broker', '--port', String(port), '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('broker listening')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`broker exited with ${code}`)));
  });
  return {
    bootstrap: `127.0.0.1:${port}`,
    pid: child.pid ?? 0,
    close: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/** Sum of a topic's end offsets: what was really stored, whatever a client says it sent. */
export async function endOffsetTotal(bootstrap: string, topic: string): Promise<number> {
  const admin = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** CPU seconds used so far by a live process in user and kernel mode, from /proc; NaN once it is gone. */
export function cpuTimes(pid: number | 'thread-self'): { user: number; system: number } {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return { user: Number(fields[11]) / CLOCK_TICKS, system: Number(fields[12]) / CLOCK_TICKS };
  } catch {
    return { user: Number.NaN, system: Number.NaN };
  }
}

/** CPU seconds (user + system) used so far by a live process; NaN once it is gone. */
export function cpuSeconds(pid: number): number {
  const { user, system } = cpuTimes(pid);
  return user + system;
}

/** Resident set size of a live process in MB (MiB), from /proc; 0 once it is gone. */
export function rssMb(pid: number): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/);
    return Number(line?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}
