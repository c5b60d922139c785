package tickstream.analytics;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import tickstream.analytics.model.Tick;
import tickstream.analytics.time.TickTime;

/**
 * A fixed tick sequence for tests, in arrival order, built a tick at a time. Times are ms after
 * T0, a moment aligned to 1 h (so bars of every timeframe up to 4 h start there). Prices are
 * given in currency units and stored × 10,000 as on the wire.
 */
public final class TestMarket {
    /** 2027-01-15T08:00:00Z, aligned to 4 h. */
    public static final long T0_MS = 1_800_000_000_000L - 1_800_000_000_000L % 14_400_000L;

    public static final Duration OUT_OF_ORDERNESS = Duration.ofMillis(200);

    private final List<Tick> ticks = new ArrayList<>();
    private final Map<String, Long> sequences = new HashMap<>();

    public TestMarket tick(String symbol, long atMs, double price, long size) {
        return tick(symbol, "Tech", atMs, price, size);
    }

    public TestMarket tick(String symbol, String sector, long atMs, double price, long size) {
        long sequence = sequences.merge(symbol, 1L, Long::sum);
        ticks.add(new Tick(symbol, sector, scaled(price), size, (T0_MS + atMs) * 1000, sequence));
        return this;
    }

    /** A tick every `everyMs` in [fromMs, toMs) at `price`, in time order. */
    public TestMarket steady(String symbol, long fromMs, long toMs, long everyMs, double price, long size) {
        for (long at = fromMs; at < toMs; at += everyMs) tick(symbol, at, price, size);
        return this;
    }

    /** Like steady, with the price moving linearly from `from` to `to`. */
    public TestMarket ramp(String symbol, long fromMs, long toMs, long everyMs, double from, double to, long size) {
        for (long at = fromMs; at < toMs; at += everyMs) {
            tick(symbol, at, from + (to - from) * (at - fromMs) / (double) (toMs - fromMs), size);
        }
        return this;
    }

    /** Orders the ticks by time (ties by insertion), for sequences built symbol by symbol. */
    public TestMarket inTimeOrder() {
        ticks.sort(java.util.Comparator.comparingLong(tick -> tick.timeUs));
        return this;
    }

    public List<Tick> ticks() {
        return ticks;
    }

    /** The ticks as a bounded stream with the job's own watermarks (in order: one source subtask). */
    public DataStream<Tick> stream(StreamExecutionEnvironment env) {
        return env.fromData(ticks)
                .assignTimestampsAndWatermarks(TickTime.watermarks(OUT_OF_ORDERNESS, Duration.ofSeconds(30)))
                .setParallelism(1);
    }

    public static long scaled(double price) {
        return Math.round(price * 10_000);
    }

    public static long us(long msAfterT0) {
        return (T0_MS + msAfterT0) * 1000;
    }
}
