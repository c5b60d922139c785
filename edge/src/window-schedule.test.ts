import { afterEach, describe, expect, it } from 'vitest';
import { WindowSchedule } from './window-schedule.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('WindowSchedule', () => {
  const schedules: WindowSchedule[] = [];
  afterEach(() => {
    for (const schedule of schedules.splice(0)) schedule.stop();
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
    // On the grid: a period after the last window, not at the wake.
    expect((runs[1] as number) - (runs[0] as number)).toBeGreaterThanOrEqual(29);
  });

  it('paced: a window that leaves work gets the next one a period later, until it leaves none', async () => {
    const { windows, runs } = schedule(true, 15, (n) => n < 4);
    windows.wake();
    await sleep(200);
    expect(runs).toHaveLength(4);
    for (let i = 1; i < runs.length; i++)
      expect((runs[i] as number) - (runs[i - 1] as number)).toBeGreaterThanOrEqual(14);
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
