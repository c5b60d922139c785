import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/**
 * CPU time of one Chromium launch, per process type, from /proc (Linux): the browser process and
 * every descendant, each typed by its `--type=` flag (renderer, gpu-process, utility…), and the
 * main thread of each renderer (the thread whose id is the process id), where the page's
 * JavaScript, style, layout and paint run. The reference harnesses account the same way, so
 * their figures and the dashboard's compare.
 */
const CLOCK_TICKS_PER_SECOND = 100;

interface ProcessTimes {
  type: string;
  ticks: number;
  mainThreadTicks: number;
  /** Ticks per thread name (several threads may share one, e.g. CompositorTileWorker). */
  threads: Map<string, number>;
}

export interface CpuSnapshot {
  atMs: number;
  processes: Map<number, ProcessTimes>;
}

export interface ChromiumCpu {
  /** CPU-s per second, all processes of the launch. */
  total: number;
  byType: Record<string, number>;
  /** The busiest renderer: the page's. */
  renderer: number;
  rendererMainThread: number;
  gpu: number;
  /**
   * CPU-s/s per thread of the page's renderer and of the GPU process, as `renderer:<name>` and
   * `gpu:<name>`: which phase takes the time (the main thread's script, layout and paint; tile
   * raster workers; the GPU process's main thread, where SwiftShader runs GL here).
   */
  threads: Record<string, number>;
}

/** utime + stime and the parent of /proc/<path>/stat; null once the process is gone. */
function readStat(path: string): { ppid: number; ticks: number; name: string } | null {
  try {
    const text = readFileSync(`/proc/${path}/stat`, 'utf8');
    // Fields after the command (which may hold spaces), from field 3 (state) on.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const name = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
    return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]), name };
  } catch {
    return null;
  }
}

const commandLine = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
};

/** The browser process of the launch whose profile is `userDataDir`. */
export function findBrowserPid(userDataDir: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const command = commandLine(Number(entry));
    if (command.includes(`--user-data-dir=${userDataDir}`) && !command.includes('--type=')) return Number(entry);
  }
  throw new Error(`no Chromium browser process with --user-data-dir=${userDataDir}`);
}

function readdirSafe(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

export function cpuSnapshot(browserPid: number): CpuSnapshot {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(entry);
    if (stat === null) continue;
    const siblings = children.get(stat.ppid) ?? [];
    siblings.push(Number(entry));
    children.set(stat.ppid, siblings);
  }
  const processes = new Map<number, ProcessTimes>();
  for (const stack = [browserPid]; stack.length > 0; ) {
    const pid = stack.pop() as number;
    const stat = readStat(String(pid));
    if (stat !== null) {
      // Chromium rewrites its children's argv into one string: match the flag, do not split.
      const type = /--type=([\w-]+)/.exec(commandLine(pid))?.[1] ?? 'browser';
      const main = readStat(`${pid}/task/${pid}`);
      const threads = new Map<string, number>();
      if (type === 'renderer' || type === 'gpu-process') {
        for (const tid of readdirSafe(`/proc/${pid}/task`)) {
          const thread = readStat(`${pid}/task/${tid}`);
          const name = tid === String(pid) ? 'main' : (thread?.name ?? '?');
          if (thread !== null) threads.set(name, (threads.get(name) ?? 0) + thread.ticks);
        }
      }
      processes.set(pid, { type, ticks: stat.ticks, mainThreadTicks: main?.ticks ?? 0, threads });
    }
    stack.push(...(children.get(pid) ?? []));
  }
  return { atMs: performance.now(), processes };
}

/** CPU-s per second between two snapshots (a process started in between counts from 0). */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): ChromiumCpu {
  const seconds = (after.atMs - before.atMs) / 1000;
  const perSecond = (ticks: number): number => ticks / CLOCK_TICKS_PER_SECOND / seconds;
  const result: ChromiumCpu = { total: 0, byType: {}, renderer: 0, rendererMainThread: 0, gpu: 0, threads: {} };
  const threadsOf = (prefix: string, now: ProcessTimes, then: ProcessTimes | undefined): Record<string, number> =>
    Object.fromEntries(
      [...now.threads]
        .map(([name, ticks]) => [`${prefix}:${name}`, perSecond(ticks - (then?.threads.get(name) ?? 0))] as const)
        .filter(([, cpu]) => cpu > 0),
    );
  let rendererThreads: Record<string, number> = {};
  for (const [pid, now] of after.processes) {
    const then = before.processes.get(pid);
    const cpu = perSecond(now.ticks - (then?.ticks ?? 0));
    result.total += cpu;
    result.byType[now.type] = (result.byType[now.type] ?? 0) + cpu;
    if (now.type === 'renderer' && cpu >= result.renderer) {
      result.renderer = cpu;
      result.rendererMainThread = perSecond(now.mainThreadTicks - (then?.mainThreadTicks ?? 0));
      rendererThreads = threadsOf('renderer', now, then);
    }
    if (now.type === 'gpu-process') Object.assign(result.threads, threadsOf('gpu', now, then));
  }
  Object.assign(result.threads, rendererThreads);
  result.gpu = result.byType['gpu-process'] ?? 0;
  return result;
}
