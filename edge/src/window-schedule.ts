/**
 * When the edge's next window runs. A window is due only when there is something to do: a symbol
 * changed, a finished bar or a client message arrived, or the last window left work behind (a
 * lagging client to time out, a replay to advance). `wake()` says so; until then no timer exists,
 * so an edge whose market is quiet sleeps instead of waking 40 times a second (docs/edge.md,
 * "Idle cost").
 *
 * With a client connected, windows keep the --window grid: a wake arms one timer for the end of
 * the current window (when the last one was due + the period), so a tick waits at most one window,
 * as before. The grid is kept from when each window was due, not from when it ran: a timer fires
 * up to a ms early or late (timers run on the loop's ms clock), and later behind a long Fetch
 * answer or a busy core. Counted from the runs, each error moved every later window, and a late
 * window's ticks' successors waited a whole period after it; counted from the grid, windows are
 * --window apart on average and the one after a late window comes at its own slot. A window due
 * in the past (a wake after a quiet spell, or a stall) runs at once, and the slots it missed are
 * skipped rather than run back to back.
 * With none, nobody waits for a Delta: a wake runs the window right after the I/O being handled
 * (setImmediate), which settles the state for HTTP reads and the next Snapshot without a wake-up
 * of its own: at a Fetch answer's end, not on a timer.
 */
export class WindowSchedule {
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  /** When the last window was due: its place on the grid (performance.now() ms). */
  private dueMs = Number.NEGATIVE_INFINITY;
  /** When the armed timer's window is due. */
  private armedDueMs = 0;
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
    this.arm();
  }

  /**
   * Ms from now to the first window on the grid due at least `leadMs` from now: the tick reader
   * holds its Fetch until just before it (edge.ts), as a window's ticks are needed by its close
   * and not sooner. Before any window ran, one period.
   */
  msToNextDue(leadMs: number): number {
    const nowMs = performance.now();
    if (!Number.isFinite(this.dueMs)) return this.periodMs;
    const periods = Math.max(1, Math.ceil((nowMs + leadMs - this.dueMs) / this.periodMs));
    return this.dueMs + periods * this.periodMs - nowMs;
  }

  /** Runs a window now (history loaded, the first client): whatever was armed is replaced by what it leaves. */
  runNow(): void {
    this.cancel();
    this.dueMs = performance.now();
    this.run();
  }

  stop(): void {
    this.stopped = true;
    this.cancel();
  }

  /** One timer, for the next window on the grid (at once if that is past: it then skips what it missed). */
  private arm(): void {
    const nowMs = performance.now();
    this.armedDueMs = Number.isFinite(this.dueMs) ? this.dueMs + this.periodMs : nowMs;
    this.timer = setTimeout(this.runTimed, Math.max(0, this.armedDueMs - nowMs));
  }

  private readonly runTimed = (): void => {
    this.timer = null;
    // Later than a whole period (a stall, or woken after a quiet spell): the slots missed are
    // skipped, not run back to back; the grid goes on from the latest one.
    const missed = Math.max(0, Math.floor((performance.now() - this.armedDueMs) / this.periodMs));
    this.dueMs = this.armedDueMs + missed * this.periodMs;
    this.run();
  };

  private readonly runImmediate = (): void => {
    this.immediate = null;
    this.dueMs = performance.now();
    this.run();
  };

  private run(): void {
    if (this.stopped) return;
    if (!this.window()) return;
    // Work left (a laggard to time out, a replay to advance): the next window comes on the grid.
    if (this.timer === null && this.immediate === null) this.arm();
  }

  private cancel(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
  }
}
