package tickstream.analytics.time;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.util.clock.ManualClock;
import org.junit.jupiter.api.Test;

/** The watermark generator of one split, with both clocks turned by hand. */
class EagerBoundedOutOfOrdernessTest {
    private final ManualClock activity = new ManualClock();
    private long wallMs = 1_000_000;
    private final List<String> out = new ArrayList<>();
    private final WatermarkOutput output = new WatermarkOutput() {
        @Override
        public void emitWatermark(Watermark watermark) {
            out.add("wm " + watermark.getTimestamp());
        }

        @Override
        public void markIdle() {
            out.add("idle");
        }

        @Override
        public void markActive() {
            out.add("active");
        }
    };
    private final EagerBoundedOutOfOrderness<String> generator =
            new EagerBoundedOutOfOrderness<>(200, 10, 5_000, activity, () -> wallMs);

    private void quiet(long ms) {
        activity.advanceTime(ms, java.util.concurrent.TimeUnit.MILLISECONDS);
        wallMs += ms;
    }

    @Test
    void emitsFromEventsOnceTheWatermarkMovedAStepAndNeverGoesBack() {
        generator.onEvent("a", 10_000, output);
        generator.onEvent("b", 10_005, output);
        generator.onEvent("c", 10_010, output);
        generator.onEvent("late", 9_000, output);
        generator.onPeriodicEmit(output);
        assertEquals(List.of("wm 9799", "wm 9809"), out);
    }

    @Test
    void aLiveSplitThatFallsQuietIsIdleAfterTheTimeoutAndActiveWithItsNextTick() {
        generator.onEvent("a", wallMs, output);
        // The periodic timer (every 50 ms in the job) notices the event.
        generator.onPeriodicEmit(output);
        quiet(4_000);
        generator.onPeriodicEmit(output);
        quiet(1_000);
        generator.onPeriodicEmit(output);
        generator.onEvent("b", wallMs, output);
        assertEquals(List.of("wm " + (1_000_000 - 201), "idle", "active", "wm " + (wallMs - 201)), out);
    }

    @Test
    void aSplitStillReadingABacklogIsNotIdleUntilItHasBeenQuietTwelveTimesAsLong() {
        // Its newest tick is an hour old: it is catching up, however slow the fetch.
        generator.onEvent("old", wallMs - 3_600_000, output);
        generator.onPeriodicEmit(output);
        out.clear();
        quiet(5_000);
        generator.onPeriodicEmit(output);
        assertEquals(List.of(), out);
        quiet(55_000);
        generator.onPeriodicEmit(output);
        assertEquals(List.of("idle"), out);
    }
}
