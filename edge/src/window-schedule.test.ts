import { afterEach, describe, expect, it, vi } from 'vitest';
import { WindowSchedule } from './window-schedule.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('WindowSchedule', () => {
  const schedules: WindowSchedule[] = [];
  afterEach(() => {
    for (const schedule of schedules.splice(0)) schedule.stop();
    vi.restoreAllMocks();
  });

  /** A schedule whose windows are timed (ms since creation); `leaveWork(n)` says whether window n leaves work. */
  function schedule(paced: boolean, periodMs: number, leaveWork: (n: number) => boolean = () => false) {
    const created = performance.now();
    const runs: number[] = [];
    const windows = new WindowSchedule(
      () => {
        runs.push(performance.now() - created);
        return leaveWork(runs.length);
      },
      () => paced,
      periodMs,
    );
    schedules.push(windows);
    return { windows, runs };
  }

  it('runs no window until woken: a quiet edge has no timer', async () => {
    const { runs } = schedule(true, 10);
    await sleep(80);
    expect(runs).toEqual([]);
  });

  it('paced: wakes within a window make one window, then it parks', async () => {
    const { windows, runs } = schedule(true, 30);
    windows.runNow();
    expect(runs).toHaveLength(1);
    windows.wake();
    windows.wake();
    windows.wake();
    await sleep(120);
    expect(runs).toHaveLength(2);
    // On the grid: a period after the last window, not at the wake. Node's timers count from the
    // event loop's cached whole-ms clock, so one may fire up to ~1-2 ms before performance.now()
    // says a period has passed (28.64 ms seen in CI); a window run at the wake would be ~0 ms.
    expect((runs[1] as number) - (runs[0] as number)).toBeGreaterThanOrEqual(28);
  });

  it('paced: a window that leaves work gets the next one on the grid, until it leaves none', async () => {
    const { windows, runs } = schedule(true, 15, (n) => n < 4);
    windows.wake();
    await sleep(200);
    expect(runs).toHaveLength(4);
    // The first is due at the wake (~0 ms), window i i periods later, never earlier (a timer may
    // fire up to a ms early: it counts on the loop's ms clock); after a late one the next comes sooner.
    for (let i = 1; i < runs.length; i++) expect(runs[i] as number).toBeGreaterThanOrEqual(i * 15 - 2);
  });

  /** Keeps the loop busy for `ms`, as a long Fetch answer or a large window would. */
  const busy = (ms: number): void => {
    for (const until = performance.now() + ms; performance.now() < until; );
  };

  /**
   * Each window timer the schedule arms, in ms since `origin.ms` (set just before runNow, where
   * the grid starts): when it was armed and when it is due, read from the delay asked of
   * setTimeout, so a busy machine firing timers late does not blur what was asked. A timer armed
   * with 0 is for a slot already past (`overdue`): it runs at once and skips what it missed.
   */
  function armedTimers(): { arms: { at: number; due: number; overdue: boolean }[]; origin: { ms: number } } {
    const arms: { at: number; due: number; overdue: boolean }[] = [];
    const origin = { ms: 0 };
    const realSetTimeout = globalThis.setTimeout;
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((callback: () => void, ms?: number) => {
      const at = performance.now() - origin.ms;
      if (callback.name === 'runTimed') arms.push({ at, due: at + (ms ?? 0), overdue: !((ms ?? 0) > 0) });
      return realSetTimeout(callback, ms);
    }) as typeof setTimeout);
    return { arms, origin };
  }
  /** Whether `ms` is on the grid of `periodMs` (within a ms). */
  const onGrid = (ms: number, periodMs: number): boolean =>
    Math.abs(ms / periodMs - Math.round(ms / periodMs)) * periodMs < 1;

  it('paced: windows keep the grid from when they were due, so long windows do not push the next ones back', async () => {
    // Each window takes 20 ms of the loop and leaves work: counted from the runs, the next would be
    // due 50 ms after each run (or its end); on the grid each is due 50 ms after the last was due.
    const { windows, runs } = schedule(true, 50, (n) => {
      busy(20);
      return n <= 5;
    });
    const { arms, origin } = armedTimers();
    origin.ms = performance.now();
    windows.runNow();
    await sleep(600);
    expect(runs).toHaveLength(6);
    expect(arms).toHaveLength(5);
    for (const arm of arms) if (!arm.overdue) expect(onGrid(arm.due, 50), `due at ${arm.due} ms`).toBe(true);
    for (let i = 1; i < runs.length; i++) expect(runs[i] as number).toBeGreaterThanOrEqual(i * 50 - 2);
  });

  it('paced: the window after a late one is due at its own time on the grid, not a period after the late one', async () => {
    let windows: WindowSchedule | undefined;
    // As on the edge: ticks arrive right after each window and wake the next.
    const paced = schedule(true, 60, () => {
      setImmediate(() => windows?.wake());
      return false;
    });
    windows = paced.windows;
    const { runs } = paced;
    const { arms, origin } = armedTimers();
    origin.ms = performance.now();
    windows.runNow();
    // The loop is blocked from 20 to 100 ms: the window due at 60 runs ~40 ms late.
    setTimeout(() => busy(80), 20);
    await sleep(300);
    expect(runs.length).toBeGreaterThanOrEqual(3);
    expect(runs[1] as number).toBeGreaterThanOrEqual(95);
    expect(arms[0]?.due).toBeCloseTo(60, 0);
    // Armed after the late run: due at the next slot (120 unless the machine was slower still).
    const next = arms[1];
    expect(next).toBeDefined();
    if (next && !next.overdue) expect(onGrid(next.due, 60), `due at ${next.due} ms`).toBe(true);
  });

  it('paced: a window later than a whole period skips the slots it missed instead of running again at once', async () => {
    const { windows, runs } = schedule(true, 20, (n) => n <= 3);
    const { arms, origin } = armedTimers();
    origin.ms = performance.now();
    windows.runNow();
    // The loop is blocked for 55 ms after the first window: the one due at 20 runs at ~55.
    busy(55);
    await sleep(150);
    expect(runs.length).toBeGreaterThanOrEqual(3);
    expect(runs[1] as number).toBeGreaterThanOrEqual(54);
    // Armed after the late run: for the first slot after it (60 here), not at once for one past.
    const next = arms[1];
    expect(next?.overdue).toBe(false);
    expect(onGrid(next?.due ?? 0, 20), `due at ${next?.due} ms`).toBe(true);
    expect(next?.due).toBeGreaterThan((runs[1] as number) - 1);
  });

  it('msToNextDue: the time to the first slot on the grid at least the lead away (the tick Fetch is held until then)', () => {
    const { windows } = schedule(true, 50);
    expect(windows.msToNextDue(3)).toBe(50);
    const origin = performance.now();
    windows.runNow();
    for (const [waitMs, leadMs] of [
      [0, 3],
      [20, 3],
      [40, 15],
      [44, 4],
      [10, 45],
    ] as const) {
      busy(waitMs);
      const left = windows.msToNextDue(leadMs);
      const due = performance.now() - origin + left;
      expect(onGrid(due, 50), `due at ${due} ms`).toBe(true);
      expect(left).toBeGreaterThanOrEqual(leadMs);
      expect(left).toBeLessThan(leadMs + 50);
    }
  });

  it('not paced: a wake runs the window once the current I/O is handled, without a timer', async () => {
    const { windows, runs } = schedule(false, 10_000);
    windows.wake();
    windows.wake();
    expect(runs).toHaveLength(0);
    await nextTurn();
    expect(runs).toHaveLength(1);
    windows.wake();
    await nextTurn();
    expect(runs).toHaveLength(2);
  });

  it('runs nothing once stopped', async () => {
    const { windows, runs } = schedule(true, 10, () => true);
    windows.wake();
    windows.stop();
    windows.wake();
    windows.runNow();
    await sleep(50);
    expect(runs).toEqual([]);
  });
});
