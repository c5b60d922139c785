package tickstream.analytics.time;

import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;

/**
 * Bounded out-of-orderness, as Flink's own BoundedOutOfOrdernessWatermarks (watermark = highest
 * timestamp seen − bound − 1), but the watermark also goes out from onEvent as soon as it has
 * advanced by `stepMs`, not only on the periodic timer (200 ms by default):
 * - detection latency is the bound plus at most one step, not plus a timer period;
 * - the watermarks depend only on the order of the input, so a fixed tick sequence gives the
 *   same late ticks on every run (the tests rely on it).
 */
public final class EagerBoundedOutOfOrderness<T> implements WatermarkGenerator<T> {
    private final long boundMs;
    private final long stepMs;
    private long highestTimestamp;
    private long lastEmitted = Long.MIN_VALUE;

    public EagerBoundedOutOfOrderness(long boundMs, long stepMs) {
        if (boundMs < 0 || stepMs < 1) {
            throw new IllegalArgumentException("bound must be ≥ 0 ms and step ≥ 1 ms, got " + boundMs + " and " + stepMs);
        }
        this.boundMs = boundMs;
        this.stepMs = stepMs;
        this.highestTimestamp = Long.MIN_VALUE + boundMs + 1;
    }

    @Override
    public void onEvent(T event, long timestamp, WatermarkOutput output) {
        if (timestamp <= highestTimestamp) return;
        highestTimestamp = timestamp;
        long watermark = highestTimestamp - boundMs - 1;
        if (lastEmitted == Long.MIN_VALUE || watermark >= lastEmitted + stepMs) emit(watermark, output);
    }

    @Override
    public void onPeriodicEmit(WatermarkOutput output) {
        long watermark = highestTimestamp - boundMs - 1;
        if (watermark > lastEmitted) emit(watermark, output);
    }

    private void emit(long watermark, WatermarkOutput output) {
        lastEmitted = watermark;
        output.emitWatermark(new Watermark(watermark));
    }
}
