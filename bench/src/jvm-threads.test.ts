import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compilerCpuSeconds,
  javaThreadNames,
  jitCpuSeconds,
  threadCpuBetween,
  threadCpuSeconds,
  threadKind,
  threadOwner,
  threadSchedules,
  threadWaitsBetween,
} from './jvm-threads.js';
import { cpuSeconds } from './processes.js';

describe('jvm-threads: who a thread works for', () => {
  it('tells the jobs apart by the names Flink and Kafka give their threads', () => {
    expect(threadOwner('Source: ticks -> price steps -> 1s bars -> ticks for alerts (1/1)#0')).toBe('analytics job');
    expect(threadOwner('Source Data Fetcher for Source: ticks -> price steps (1/1)#0')).toBe('analytics job');
    expect(threadOwner('alerts by symbol (1/1)#0')).toBe('alert evaluator');
    expect(threadOwner('Source: alert rules (1/1)#0')).toBe('alert evaluator');
    expect(threadOwner('Source: ticks -> ticks for alerts (1/1)#0')).toBe('analytics job');
    expect(threadOwner('Source: ticks with quotes (1/1)#0')).toBe('fill engine job');
    expect(threadOwner('kafka-producer-network-thread | producer-bench-p1-fills-0-1')).toBe('fill engine job');
    expect(threadOwner('AsyncOperations-thread-3')).toBe('checkpoint writers (both jobs)');
    expect(threadOwner('C2 CompilerThread0')).toBe('JVM (GC, JIT)');
    expect(threadOwner('flink-pekko.actor.default-dispatcher-5')).toBe('other (Flink runtime, metrics, ...)');
  });

  it('adds up threads of one kind: subtask, attempt and pool indexes dropped', () => {
    expect(threadKind('price steps -> 1s bars (1/2)#0')).toBe('price steps -> 1s bars');
    expect(threadKind('AsyncOperations-thread-12')).toBe('AsyncOperations-thread');
    expect(threadKind('GC Thread#1')).toBe('GC Thread');
  });
});

// A real JVM with a busy thread named as a Flink task thread and an idle one: jcmd must name them
// and /proc must charge the CPU to the right owner.
const PROGRAM = `
public class Busy {
  public static void main(String[] args) throws Exception {
    Thread busy = new Thread(() -> { long x = 0; while (true) { x += System.nanoTime() % 7; if (x == 42) System.out.print(""); } },
        "price steps -> 1s bars (1/1)#0");
    busy.setDaemon(true);
    busy.start();
    Thread idle = new Thread(() -> { try { Thread.sleep(60_000); } catch (InterruptedException e) {} }, "fill engine (1/1)#0");
    idle.setDaemon(true);
    idle.start();
    System.out.println("ready");
    Thread.sleep(60_000);
  }
}
`;

describe('jvm-threads: a real JVM', () => {
  let dir: string;
  let jvm: ChildProcess;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jvm-threads-'));
    writeFileSync(join(dir, 'Busy.java'), PROGRAM);
    jvm = spawn('java', ['-Xmx32m', join(dir, 'Busy.java')], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      jvm.stdout?.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('ready')) resolve();
      });
      jvm.once('exit', (code) => reject(new Error(`java exited (${code}) before it was ready`)));
    });
  }, 30_000);

  afterAll(() => {
    jvm?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('charges the busy thread to the analytics job and names every thread jcmd knows', async () => {
    const pid = jvm.pid as number;
    const names = await javaThreadNames(pid);
    expect([...names.values()]).toContain('price steps -> 1s bars (1/1)#0');
    expect([...names.values()]).toContain('fill engine (1/1)#0');
    const process0 = cpuSeconds(pid);
    const before = threadCpuSeconds(pid);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const after = threadCpuSeconds(pid);
    const processSpent = cpuSeconds(pid) - process0;
    const shares = threadCpuBetween(pid, before, after, names, 2);
    const owner = (name: string): number => shares.byOwner.find((share) => share.name === name)?.cores ?? 0;
    const total = shares.byOwner.reduce((sum, share) => sum + share.cores, 0) * 2;
    // The threads add up to the process (each reading is rounded to a clock tick per thread).
    expect(Math.abs(total - processSpent)).toBeLessThan(0.1);
    // However loaded the machine, the spinning thread is most of the JVM's CPU; the idle one none.
    expect(owner('analytics job') * 2).toBeGreaterThan(0.5 * total);
    expect(owner('fill engine job')).toBe(0);
    expect(shares.byKind[0]?.name).toBe('price steps -> 1s bars');
  }, 30_000);

  it("splits a spinning thread's time into running and waiting for a core, and leaves a sleeping one out", async () => {
    const pid = jvm.pid as number;
    const names = await javaThreadNames(pid);
    const before = threadSchedules(pid);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const waits = threadWaitsBetween(pid, before, threadSchedules(pid), names, 2);
    const busy = waits.find((wait) => wait.name === 'price steps -> 1s bars');
    // Always runnable: it ran or waited on a run queue the whole 2 s, however loaded the machine.
    expect((busy?.cores ?? 0) + (busy?.waiting ?? 0)).toBeGreaterThan(0.85);
    expect((busy?.cores ?? 0) + (busy?.waiting ?? 0)).toBeLessThan(1.15);
    expect(busy?.waitShare).toBeCloseTo((busy?.waiting ?? 0) / ((busy?.cores ?? 0) + (busy?.waiting ?? 0)), 6);
    expect(waits.find((wait) => wait.name === 'fill engine')).toBeUndefined();
  }, 30_000);
});

// A JVM without tiered compilation runs C2 alone: its compiler CPU must all be C2's, none C1's.
describe('jvm-threads: the JIT compilers apart', () => {
  let dir: string;
  let jvm: ChildProcess;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jvm-compilers-'));
    writeFileSync(join(dir, 'Busy.java'), PROGRAM);
    jvm = spawn('java', ['-Xmx32m', '-XX:-TieredCompilation', join(dir, 'Busy.java')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      jvm.stdout?.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('ready')) resolve();
      });
      jvm.once('exit', (code) => reject(new Error(`java exited (${code}) before it was ready`)));
    });
  }, 60_000);

  afterAll(() => {
    jvm?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('charges C2 with the compiling of a JVM that has no C1, and says NaN for a JVM that is gone', () => {
    const pid = jvm.pid as number;
    // The source launcher compiled Busy.java with javac inside this JVM: C2 has had work.
    const { c1, c2 } = compilerCpuSeconds(pid);
    expect(c1).toBe(0);
    expect(c2).toBeGreaterThan(0);
    expect(jitCpuSeconds(pid)).toBeGreaterThanOrEqual(c2);
    expect(compilerCpuSeconds(2 ** 30).c2).toBeNaN();
  });
});
