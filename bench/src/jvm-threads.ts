import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { cpuTimes } from './processes.js';

/**
 * Where a JVM's CPU goes, thread by thread: the analytics JVM also hosts the alert evaluator and
 * the fill engine's MiniCluster, and the drain's whole-JVM CPU says nothing of which job spent
 * it. CPU per thread comes from /proc/<pid>/task/<tid>/stat (no agent, nothing in the JVM);
 * the full Java names from `jcmd <pid> Thread.print` (the kernel keeps only 15 characters),
 * asked once: a thread started after that is known by its kernel name.
 */

/** The native ids of `pid`'s live threads, from /proc; null once the process is gone. */
function threadIds(pid: number): string[] | null {
  try {
    return readdirSync(`/proc/${pid}/task`);
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) of every live thread of `pid`, by native thread id. */
export function threadCpuSeconds(pid: number): Map<number, number> {
  const seconds = new Map<number, number>();
  for (const tid of threadIds(pid) ?? []) {
    const { user, system } = cpuTimes(`${pid}/task/${tid}`);
    // NaN: the thread ended between the listing and the read.
    if (!Number.isNaN(user)) seconds.set(Number(tid), user + system);
  }
  return seconds;
}

/**
 * CPU seconds the JIT's compiler threads of `pid` have used so far, C1 and C2 apart, from /proc
 * alone (no jcmd: cheap enough to read every second). A drain's span starts once they go quiet;
 * C2 (the optimising compiler) is the one that keeps compiling for minutes. NaN once the JVM is gone.
 */
export function compilerCpuSeconds(pid: number): { c1: number; c2: number } {
  const tids = threadIds(pid);
  if (tids === null) return { c1: Number.NaN, c2: Number.NaN };
  const spent = { c1: 0, c2: 0 };
  for (const tid of tids) {
    const compiler = /^C([12]) Compiler/.exec(kernelName(pid, Number(tid)))?.[1];
    if (compiler === undefined) continue;
    const { user, system } = cpuTimes(`${pid}/task/${tid}`);
    if (Number.isNaN(user)) continue;
    if (compiler === '1') spent.c1 += user + system;
    else spent.c2 += user + system;
  }
  return spent;
}

/** CPU seconds the JIT's compiler threads (C1 and C2) of `pid` have used so far. */
export function jitCpuSeconds(pid: number): number {
  const { c1, c2 } = compilerCpuSeconds(pid);
  return c1 + c2;
}

/** The kernel's name of a thread (at most 15 characters); '' once it is gone. */
function kernelName(pid: number, tid: number): string {
  try {
    return readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/**
 * Java thread names by native id, from a thread dump. JDK 17 prints `nid=0x1a2b`, later ones
 * `nid=6699`. Empty when jcmd is missing or the JVM does not answer: callers fall back to the
 * kernel's names.
 */
export async function javaThreadNames(pid: number): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  try {
    const { stdout } = await promisify(execFile)('jcmd', [String(pid), 'Thread.print'], {
      maxBuffer: 32 << 20,
      timeout: 20_000,
    });
    for (const match of stdout.matchAll(/^"(.*)" .*?\bnid=(0x[0-9a-f]+|\d+)/gm)) {
      names.set(Number(match[2]), match[1] as string);
    }
  } catch {
    // No jcmd, or the JVM is gone: kernel names only.
  }
  return names;
}

/**
 * Starts (`start`) or stops and writes (`stop`) a JFR recording named `bench` in the JVM, with
 * the `profile` settings (execution samples every 10-20 ms): what the drain's CPU is spent on,
 * method by method (`jfr print --events jdk.ExecutionSample FILE`). Throws with jcmd's answer.
 */
export async function flightRecording(pid: number, action: 'start' | 'stop', file: string): Promise<void> {
  const args =
    action === 'start'
      ? [String(pid), 'JFR.start', 'name=bench', 'settings=profile']
      : [String(pid), 'JFR.stop', 'name=bench', `filename=${file}`];
  const { stdout } = await promisify(execFile)('jcmd', args, { timeout: 60_000 });
  if (!/Started recording|Stopped recording|written to/i.test(stdout))
    throw new Error(`jcmd ${args.slice(1).join(' ')} answered: ${stdout.trim()}`);
}

/** Who a thread works for; the groups a drain's CPU is reported in. */
export type ThreadOwner =
  | 'analytics job'
  | 'alert evaluator'
  | 'fill engine job'
  | 'checkpoint writers (both jobs)'
  | 'JVM (GC, JIT)'
  | 'other (Flink runtime, metrics, ...)';

/**
 * By the names Flink, Kafka and the JVM give their threads: a task thread is named after its
 * chain of operators ("price steps -> 1s bars (1/1)#0"), a source's fetcher "Source Data Fetcher
 * for <task>", a Kafka client's threads after its client id (the job's instance name plus the
 * source or sink: `-orders`, `-trading-ticks`, `-fills`, …; AnalyticsMain). The alert
 * evaluator's own tasks are its two stages, its rules and events sources and its sink.
 */
export function threadOwner(name: string): ThreadOwner {
  if (/fill engine|orders|ticks with quotes|order updates|portfolios|trading|-fills/.test(name))
    return 'fill engine job';
  // Not "ticks for alerts": that wrapping runs chained in the ticks source's task, which reads
  // and decodes every tick for both (one source), and is counted as the analytics job's.
  if (/alerts by|alert rules|alert triggers|alert-events|-alerts\b|market events/.test(name)) return 'alert evaluator';
  if (/^AsyncOperations/.test(name)) return 'checkpoint writers (both jobs)';
  if (/\(\d+\/\d+\)#\d+|^Source Data Fetcher|^kafka-/.test(name)) return 'analytics job';
  if (/^(GC Thread|G1 |C1 Compiler|C2 Compiler|VM Thread|VM Periodic)/.test(name)) return 'JVM (GC, JIT)';
  return 'other (Flink runtime, metrics, ...)';
}

/** A thread's name without its subtask, attempt or pool index: threads of one kind add up. */
export function threadKind(name: string): string {
  return name
    .replace(/\s*\(\d+\/\d+\)#\d+/, '')
    .replace(/(thread|Thread)[-#]?\d+$/, '$1')
    .replace(/[-#]\d+$/, '');
}

export interface ThreadCpuShare {
  name: string;
  cores: number;
}

/** The CPU spent between two readings, per thread kind and per owner, in cores over `seconds`. */
export function threadCpuBetween(
  pid: number,
  before: Map<number, number>,
  after: Map<number, number>,
  javaNames: Map<number, string>,
  seconds: number,
): { byOwner: ThreadCpuShare[]; byKind: ThreadCpuShare[] } {
  const owners = new Map<string, number>();
  const kinds = new Map<string, number>();
  for (const [tid, total] of after) {
    const spent = total - (before.get(tid) ?? 0);
    if (!(spent > 0)) continue;
    const name = javaNames.get(tid) ?? kernelName(pid, tid);
    const owner = threadOwner(name);
    owners.set(owner, (owners.get(owner) ?? 0) + spent);
    const kind = threadKind(name);
    kinds.set(kind, (kinds.get(kind) ?? 0) + spent);
  }
  const sorted = (totals: Map<string, number>): ThreadCpuShare[] =>
    [...totals].map(([name, cpu]) => ({ name, cores: cpu / seconds })).sort((a, b) => b.cores - a.cores);
  return { byOwner: sorted(owners), byKind: sorted(kinds) };
}

/** A thread's time on a CPU and waiting for one (runnable, on a run queue), ns, since it started. */
export interface ThreadSchedule {
  runNs: number;
  waitNs: number;
}

/**
 * Every live thread of `pid` from /proc/<pid>/task/<tid>/schedstat (run time, run-queue wait,
 * slices): how long each thread was ready to run but had no core, which CPU time alone does not
 * say. Empty when the kernel keeps no schedstat.
 */
export function threadSchedules(pid: number): Map<number, ThreadSchedule> {
  const schedules = new Map<number, ThreadSchedule>();
  for (const tid of threadIds(pid) ?? []) {
    try {
      const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(' ');
      schedules.set(Number(tid), { runNs: Number(run), waitNs: Number(wait) });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return schedules;
}

export interface ThreadWait {
  name: string;
  /** Cores used over the span. */
  cores: number;
  /** Seconds spent runnable without a core, per second of the span (summed over its threads). */
  waiting: number;
  /** Of the time it wanted a core (ran or waited), the share it waited. */
  waitShare: number;
}

/** Run and run-queue wait between two readings, per thread kind, most waiting first. */
export function threadWaitsBetween(
  pid: number,
  before: Map<number, ThreadSchedule>,
  after: Map<number, ThreadSchedule>,
  javaNames: Map<number, string>,
  seconds: number,
): ThreadWait[] {
  const kinds = new Map<string, ThreadSchedule>();
  for (const [tid, now] of after) {
    const then = before.get(tid) ?? { runNs: 0, waitNs: 0 };
    const runNs = now.runNs - then.runNs;
    const waitNs = now.waitNs - then.waitNs;
    if (!(runNs + waitNs > 0)) continue;
    const kind = threadKind(javaNames.get(tid) ?? kernelName(pid, tid));
    const sum = kinds.get(kind) ?? { runNs: 0, waitNs: 0 };
    kinds.set(kind, { runNs: sum.runNs + runNs, waitNs: sum.waitNs + waitNs });
  }
  return [...kinds]
    .map(([name, { runNs, waitNs }]) => ({
      name,
      cores: runNs / 1e9 / seconds,
      waiting: waitNs / 1e9 / seconds,
      waitShare: waitNs / (runNs + waitNs),
    }))
    .sort((a, b) => b.waiting - a.waiting);
}
