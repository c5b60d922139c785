package tickstream.analytics.time;

import java.util.function.LongSupplier;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.util.clock.RelativeClock;

/**
 * Bounded out-of-orderness with idleness, for one source split (a Kafka partition).
 *
 * Watermark = highest timestamp seen − bound − 1, as Flink's BoundedOutOfOrdernessWatermarks,
 * but it also goes out from onEvent as soon as it has advanced by `stepMs`, not only on the
 * periodic timer: detection latency is the bound plus at most one step, and the watermarks
 * depend only on the order of the input (a fixed tick sequence gives the same late ticks on
 * every run; the tests rely on that).
 *
 * Idleness (a partition without ticks must not hold the watermark back) is decided here rather
 * than with Flink's withIdleness, which marks a split idle after a fixed quiet time. Measured:
 * a cold JVM's first fetch on a busy machine took over 5 s, every split was marked idle, the
 * first one back raced ahead, and 48,000 ticks of the others were late. So a split is idle only
 * when it is quiet *and* caught up: its newest tick is recent by the wall clock (a live
 * partition that went silent), or it has been quiet for `staleAfter` (a partition whose
 * producer is gone). A split still reading a backlog is never idle. Quiet time is measured on
 * the input-activity clock, which stands still while the source is back-pressured.
 */
public final class EagerBoundedOutOfOrderness<T> implements WatermarkGenerator<T> {
    private final long boundMs;
    private final long stepMs;
    private final long idleAfterMs;
    private final long staleAfterMs;
    private final RelativeClock activity;
    private final LongSupplier wallClock;
    private long highestTimestamp;
    private long lastEmitted = Long.MIN_VALUE;
    private long lastEventAt;
    /** An event came since the last periodic emit (reading the clock per event costs measurably). */
    private boolean eventSincePeriodic;
    private boolean idle;

    public EagerBoundedOutOfOrderness(
            long boundMs, long stepMs, long idleAfterMs, RelativeClock activity, LongSupplier wallClock) {
        if (boundMs < 0 || stepMs < 1 || idleAfterMs < 1) {
            throw new IllegalArgumentException(
                    "bound ≥ 0 ms, step ≥ 1 ms and idleness ≥ 1 ms, got " + boundMs + ", " + stepMs + ", " + idleAfterMs);
        }
        this.boundMs = boundMs;
        this.stepMs = stepMs;
        this.idleAfterMs = idleAfterMs;
        this.staleAfterMs = 12 * idleAfterMs;
        this.activity = activity;
        this.wallClock = wallClock;
        this.highestTimestamp = Long.MIN_VALUE + boundMs + 1;
        this.lastEventAt = activity.relativeTimeMillis();
    }

    @Override
    public void onEvent(T event, long timestamp, WatermarkOutput output) {
        eventSincePeriodic = true;
        if (idle) {
            idle = false;
            output.markActive();
        }
        if (timestamp <= highestTimestamp) return;
        highestTimestamp = timestamp;
        long watermark = highestTimestamp - boundMs - 1;
        if (lastEmitted == Long.MIN_VALUE || watermark >= lastEmitted + stepMs) emit(watermark, output);
    }

    @Override
    public void onPeriodicEmit(WatermarkOutput output) {
        long now = activity.relativeTimeMillis();
        if (eventSincePeriodic) {
            eventSincePeriodic = false;
            lastEventAt = now;
        }
        if (idle) return;
        long quietMs = now - lastEventAt;
        boolean live = highestTimestamp >= wallClock.getAsLong() - idleAfterMs - boundMs;
        if ((quietMs >= idleAfterMs && live) || quietMs >= staleAfterMs) {
            idle = true;
            output.markIdle();
            return;
        }
        long watermark = highestTimestamp - boundMs - 1;
        if (watermark > lastEmitted) emit(watermark, output);
    }

    private void emit(long watermark, WatermarkOutput output) {
        lastEmitted = watermark;
        output.emitWatermark(new Watermark(watermark));
    }
}
