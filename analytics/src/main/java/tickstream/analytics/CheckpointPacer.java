package tickstream.analytics;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Both jobs' checkpoints in one JVM (`--paced-checkpoints true`), triggered from here rather than
 * by each job's own timer, so that they overlap less. Flink has no stagger across jobs: each
 * job's timer starts at a random phase, and with the analytics job checkpointing every 200 ms
 * most of the fill engine's checkpoints ran beside one of its checkpoints, which took the cores,
 * the broker and the JVM's allocations at the same moment (docs/trading.md, "What the tail is made of").
 *
 * The rule: the fill engine's checkpoint every `tradingInterval` (or at once when the last one
 * ran past the tick it should have started on, as Flink's own timer does); the analytics job's
 * right after one of the engine's completes, once its own interval has (nearly) passed. It then
 * has the rest of the engine's interval to itself, and a fill waits for no more checkpoints than
 * before. A safety net: when the engine's checkpoints stall (its job restarting), the analytics
 * job's is triggered on the tick once it is an engine interval overdue.
 *
 * All state is touched on the pacer's one thread; triggers that fail (a job not running yet, or
 * restarting) are retried on the next tick.
 */
final class CheckpointPacer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CheckpointPacer.class);

    private final Supplier<CompletableFuture<?>> trading;
    private final Supplier<CompletableFuture<?>> analytics;
    private final long tradingIntervalMs;
    private final long analyticsIntervalMs;
    private final LongSupplier clock;
    private final java.util.concurrent.Executor thread;
    private final ScheduledExecutorService timer;

    private boolean tradingRunning;
    /** A tick came while the engine's checkpoint ran: the next one starts when it ends. */
    private boolean tradingDue;
    private boolean analyticsRunning;
    private long analyticsTriggeredAt;
    private long failures;

    /** Triggers on a timer thread of its own, every `tradingInterval`, until closed. */
    static CheckpointPacer start(
            Supplier<CompletableFuture<?>> trading,
            Duration tradingInterval,
            Supplier<CompletableFuture<?>> analytics,
            Duration analyticsInterval) {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "checkpoint-pacer");
            thread.setDaemon(true);
            return thread;
        });
        CheckpointPacer pacer = new CheckpointPacer(
                trading, tradingInterval, analytics, analyticsInterval, System::currentTimeMillis, timer, timer);
        long every = tradingInterval.toMillis();
        timer.scheduleAtFixedRate(pacer::tick, every, every, TimeUnit.MILLISECONDS);
        return pacer;
    }

    /** `thread` runs the completions (the pacer's state is confined to it); `timer` is shut down on close. */
    CheckpointPacer(
            Supplier<CompletableFuture<?>> trading,
            Duration tradingInterval,
            Supplier<CompletableFuture<?>> analytics,
            Duration analyticsInterval,
            LongSupplier clock,
            java.util.concurrent.Executor thread,
            ScheduledExecutorService timer) {
        this.trading = trading;
        this.analytics = analytics;
        this.tradingIntervalMs = tradingInterval.toMillis();
        this.analyticsIntervalMs = analyticsInterval.toMillis();
        this.clock = clock;
        this.thread = thread;
        this.timer = timer;
        this.analyticsTriggeredAt = clock.getAsLong();
    }

    /** The timer's tick: the engine's checkpoint, and the analytics job's when the engine's have stalled. */
    void tick() {
        if (tradingRunning) {
            tradingDue = true;
        } else {
            triggerTrading();
        }
        if (!analyticsRunning && clock.getAsLong() - analyticsTriggeredAt >= analyticsIntervalMs + tradingIntervalMs) {
            triggerAnalytics();
        }
    }

    private void triggerTrading() {
        tradingRunning = true;
        tradingDue = false;
        trigger(trading).whenCompleteAsync((ok, error) -> tradingCompleted(succeeded("fill engine", error)), thread);
    }

    void tradingCompleted(boolean ok) {
        tradingRunning = false;
        // Half an engine interval early rather than one late: completions jitter around the grid.
        boolean analyticsDue = clock.getAsLong() - analyticsTriggeredAt >= analyticsIntervalMs - tradingIntervalMs / 2;
        if (ok && analyticsDue && !analyticsRunning) triggerAnalytics();
        if (tradingDue) triggerTrading();
    }

    private void triggerAnalytics() {
        analyticsRunning = true;
        analyticsTriggeredAt = clock.getAsLong();
        trigger(analytics).whenCompleteAsync((ok, error) -> analyticsCompleted(succeeded("analytics", error)), thread);
    }

    void analyticsCompleted(boolean ok) {
        analyticsRunning = false;
    }

    private static CompletableFuture<?> trigger(Supplier<CompletableFuture<?>> job) {
        try {
            return job.get();
        } catch (RuntimeException error) {
            return CompletableFuture.failedFuture(error);
        }
    }

    /** Whether a checkpoint completed; a failure is expected while a job starts or restarts: said once in 100. */
    private boolean succeeded(String job, Throwable error) {
        if (error == null) {
            failures = 0;
            return true;
        }
        if (failures++ % 100 == 0)
            LOG.info("the {} job's checkpoint failed (retried on the pacer's next tick): {}", job, error.toString());
        return false;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
