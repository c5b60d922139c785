package tickstream.analytics;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The hot standby's warm-up, as AnalyticsMain's standby runs it while it waits. */
class StandbyWarmUpTest {
    @Test
    void writesAndReadsBackADefaultLoadsAlertHistoryThroughTheCheckpointsStreams() throws Exception {
        StandbyWarmUp warmUp = StandbyWarmUp.start();
        // Fails with the warm-up's own error (a serializer, a compression stream) if it failed.
        warmUp.ended().get(120, TimeUnit.SECONDS);
    }

    @Test
    void aTakeOverStopsItAtOnce() throws Exception {
        StandbyWarmUp warmUp = StandbyWarmUp.start();
        long stoppedAt = System.nanoTime();
        warmUp.stop();
        assertTrue(warmUp.ended().isDone(), "the warm-up still runs after stop()");
        assertTrue(System.nanoTime() - stoppedAt < TimeUnit.SECONDS.toNanos(10));
    }
}
