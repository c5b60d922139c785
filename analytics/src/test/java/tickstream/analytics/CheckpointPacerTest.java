package tickstream.analytics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The pacer's rule, step by step on a clock of the test's own: each trigger is a future the test
 * completes when it says the checkpoint completed (CheckpointPacerMiniClusterTest runs it on two
 * real jobs).
 */
class CheckpointPacerTest {
    private long now = 1_000;
    private final List<CompletableFuture<Long>> trading = new ArrayList<>();
    private final List<CompletableFuture<Long>> analytics = new ArrayList<>();
    private final CheckpointPacer pacer = new CheckpointPacer(
            record(trading), Duration.ofMillis(100), record(analytics), Duration.ofMillis(200),
            () -> now, Runnable::run, Executors.newSingleThreadScheduledExecutor());

    private static Supplier<CompletableFuture<?>> record(List<CompletableFuture<Long>> triggers) {
        return () -> {
            CompletableFuture<Long> checkpoint = new CompletableFuture<>();
            triggers.add(checkpoint);
            return checkpoint;
        };
    }

    @AfterEach
    void close() {
        pacer.close();
    }

    @Test
    void startsTheAnalyticsCheckpointRightAfterAnEngineCheckpointOnceItsIntervalHasPassed() {
        pacer.tick();
        assertEquals(1, trading.size());
        now += 40;
        trading.get(0).complete(1L);
        // 40 ms since the pacer started: the analytics job's 200 ms have not passed.
        assertEquals(0, analytics.size());
        now += 60;
        pacer.tick();
        now += 40;
        trading.get(1).complete(2L);
        // 140 ms: within half an engine interval of 200 is not yet due either.
        assertEquals(0, analytics.size());
        now += 60;
        pacer.tick();
        now += 40;
        assertEquals(0, analytics.size(), "not while the engine's checkpoint runs");
        trading.get(2).complete(3L);
        assertEquals(1, analytics.size(), "at the engine's completion, 240 ms in");
        assertEquals(3, trading.size(), "and no engine checkpoint beside it");
    }

    @Test
    void anEngineCheckpointThatMissedItsTickIsTriggeredWhenTheLastOneEnds() {
        pacer.tick();
        now += 100;
        pacer.tick();
        assertEquals(1, trading.size(), "one at a time");
        now += 30;
        trading.get(0).complete(1L);
        assertEquals(2, trading.size());
        now += 70;
        pacer.tick();
        assertEquals(2, trading.size());
    }

    @Test
    void theAnalyticsJobKeepsCheckpointingWhenTheEnginesCheckpointsStall() {
        pacer.tick();
        for (int i = 0; i < 2; i++) {
            now += 100;
            pacer.tick();
        }
        assertEquals(0, analytics.size(), "200 ms in: the engine may still complete");
        now += 100;
        pacer.tick();
        assertEquals(1, analytics.size(), "an engine interval overdue");
        now += 100;
        pacer.tick();
        assertEquals(1, analytics.size(), "one at a time");
    }

    @Test
    void aFailedTriggerIsRetriedOnTheNextTick() {
        CheckpointPacer failing = new CheckpointPacer(
                () -> {
                    throw new IllegalStateException("the job is not running");
                },
                Duration.ofMillis(100), record(analytics), Duration.ofMillis(200),
                () -> now, Runnable::run, Executors.newSingleThreadScheduledExecutor());
        try {
            failing.tick();
            failing.tick();
        } finally {
            failing.close();
        }
        List<CompletableFuture<Long>> failed = new ArrayList<>();
        CheckpointPacer onceFailed = new CheckpointPacer(
                record(failed), Duration.ofMillis(100), record(analytics), Duration.ofMillis(200),
                () -> now, Runnable::run, Executors.newSingleThreadScheduledExecutor());
        try {
            onceFailed.tick();
            failed.get(0).completeExceptionally(new IllegalStateException("declined"));
            now += 300;
            assertEquals(0, analytics.size(), "a failed engine checkpoint triggers no analytics checkpoint");
            onceFailed.tick();
            assertEquals(2, failed.size(), "retried");
        } finally {
            onceFailed.close();
        }
    }
}
