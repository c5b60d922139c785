import { type AnalyticsOptions, type RunningAnalytics, startAnalytics } from './analytics.js';

/**
 * The analytics job with a hot standby, the pattern of Flink's own JobManager high availability
 * on one machine: beside the JVM running the job, a second one with its MiniClusters up and its
 * job graphs built, idle. When the running JVM dies, the standby restores the newest retained
 * checkpoint and submits at once (no JVM start, no MiniCluster start: most of a cold restart),
 * and a new standby starts behind it once the job runs again. Measured in docs/analytics.md
 * ("Recovery"); it costs a second JVM's memory and its idle CPU.
 */
export class AnalyticsWithStandby {
  private current: RunningAnalytics | undefined;
  private standby: RunningAnalytics | undefined;
  private stopping = false;

  constructor(private readonly options: AnalyticsOptions) {}

  /** Starts the job (cold); the standby follows once it runs. Resolves once the JVM is spawned. */
  async start(): Promise<RunningAnalytics> {
    this.current = await startAnalytics(this.options);
    this.standByAfter(this.current);
    return this.current;
  }

  /** The JVM running (or starting) the job. */
  get active(): RunningAnalytics | undefined {
    return this.current;
  }

  /** The standby JVM, while there is one (started, or starting). */
  get standbyJvm(): RunningAnalytics | undefined {
    return this.standby;
  }

  /**
   * Call once the active JVM has exited: the standby takes over (told even while it is still
   * starting: it reads the order once it is ready), or, without a live one, a cold start.
   * Resolves with the new active JVM; its `ready` says when the job runs.
   */
  async takeOver(): Promise<RunningAnalytics> {
    const standby = this.standby;
    this.standby = undefined;
    let next: RunningAnalytics;
    if (standby !== undefined && !standby.gone()) {
      standby.takeOver();
      next = standby;
    } else {
      next = await startAnalytics(this.options);
    }
    this.current = next;
    this.standByAfter(next);
    return next;
  }

  /** Stops the standby, then the job (with a savepoint). */
  async stop(graceMs?: number): Promise<void> {
    this.stopping = true;
    await this.standby?.stop(5000);
    await this.current?.stop(graceMs);
  }

  /** SIGKILL to both JVMs. */
  async kill(): Promise<void> {
    this.stopping = true;
    await this.standby?.kill();
    await this.current?.kill();
  }

  /** A new standby once `active` runs: started earlier, it would slow the start it stands by for. */
  private standByAfter(active: RunningAnalytics): void {
    const log = this.options.log ?? (() => {});
    void active.ready.then(
      async () => {
        if (this.stopping || this.current !== active || this.standby !== undefined) return;
        let standby: RunningAnalytics;
        try {
          standby = await startAnalytics({ ...this.options, standby: true });
        } catch (error) {
          log(`no hot standby: ${(error as Error).message}`);
          return;
        }
        if (this.stopping || this.current !== active || this.standby !== undefined) {
          // Stopped, or the job moved on while this one was spawned (its own standby follows it).
          await standby.stop(5000);
          return;
        }
        this.standby = standby;
        log(`hot standby starting (pid ${standby.pid}); it takes over if this job's JVM dies`);
        void standby.exited.then(({ code, signal }) => {
          if (this.standby !== standby || this.stopping) return;
          // Not taken over: the next failure restarts cold (and a standby follows it again).
          this.standby = undefined;
          log(`the standby JVM exited (${signal ?? `status ${code}`}) before it was needed; see ${standby.logFile}`);
        });
      },
      () => {},
    );
  }
}
