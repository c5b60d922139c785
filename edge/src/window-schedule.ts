/**
 * When the edge's next window runs. A window is due only when there is something to do: a symbol
 * changed, a finished bar or a client message arrived, or the last window left work behind (a
 * lagging client to time out, a replay to advance). `wake()` says so; until then no timer exists,
 * so an edge whose market is quiet sleeps instead of waking 40 times a second (docs/edge.md,
 * "Idle cost").
 *
 * With a client connected, windows keep the --window grid: a wake arms one timer for the end of
 * the current window (the last run + the period), so a tick waits at most one window, as before.
 * With none, nobody waits for a Delta: a wake runs the window right after the I/O being handled
 * (setImmediate), which settles the state for HTTP reads and the next Snapshot without a wake-up
 * of its own: at a Fetch answer's end, not on a timer.
 */
export class WindowSchedule {
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private lastRunMs = Number.NEGATIVE_INFINITY;
  private stopped = false;

  constructor(
    /** Runs one window; returns true when it left work for the next one (then it comes on the grid). */
    private readonly window: () => boolean,
    /** Whether a client waits for Deltas: the --window grid then, else as soon as the I/O is handled. */
    private readonly paced: () => boolean,
    private readonly periodMs: number,
  ) {}

  /** Something changed: a window is due (on the grid while paced, else after the current I/O). */
  wake(): void {
    if (this.stopped || this.timer !== null || this.immediate !== null) return;
    if (!this.paced()) {
      this.immediate = setImmediate(this.runImmediate);
      return;
    }
    const delayMs = Math.max(0, this.lastRunMs + this.periodMs - performance.now());
    this.timer = setTimeout(this.runTimed, delayMs);
  }

  /** Runs a window now (history loaded, the first client): whatever was armed is replaced by what it leaves. */
  runNow(): void {
    this.cancel();
    this.run();
  }

  stop(): void {
    this.stopped = true;
    this.cancel();
  }

  private readonly runTimed = (): void => {
    this.timer = null;
    this.run();
  };

  private readonly runImmediate = (): void => {
    this.immediate = null;
    this.run();
  };

  private run(): void {
    if (this.stopped) return;
    this.lastRunMs = performance.now();
    if (!this.window()) return;
    // Work left (a laggard to time out, a replay to advance): the next window comes on the grid.
    if (this.timer === null && this.immediate === null) this.timer = setTimeout(this.runTimed, this.periodMs);
  }

  private cancel(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
  }
}
