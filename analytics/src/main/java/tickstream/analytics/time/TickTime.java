package tickstream.analytics.time;

import java.time.Duration;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import tickstream.analytics.model.Tick;

/**
 * Event time of the whole job: the tick's exchange time (ms, as Flink counts it).
 *
 * Watermarks allow `outOfOrderness` of disorder: the producer's workers each write their own
 * batches to every partition, so a partition interleaves ticks a few milliseconds apart
 * (docs/analytics.md has the measured disorder). A partition with no ticks for `idleness` stops
 * holding the watermark back (a topic with more partitions than busy symbols).
 */
public final class TickTime {
    /** How far apart in event time two watermarks emitted from onEvent are at least. */
    public static final long WATERMARK_STEP_MS = 10;

    private TickTime() {}

    public static WatermarkStrategy<Tick> watermarks(Duration outOfOrderness, Duration idleness) {
        long bound = outOfOrderness.toMillis();
        return WatermarkStrategy.<Tick>forGenerator(context -> new EagerBoundedOutOfOrderness<>(bound, WATERMARK_STEP_MS))
                .withTimestampAssigner((tick, previous) -> tick.timeUs / 1000)
                .withIdleness(idleness);
    }
}
