package tickstream.analytics.model;

import java.time.Duration;
import tickstream.kafka.BarTimeframe;

/** Bar lengths, indexed by tickstream.kafka.BarTimeframe (which is also the `candles` partition). */
public final class Timeframes {
    private static final Duration[] LENGTHS = {
        Duration.ofSeconds(1),
        Duration.ofMinutes(1),
        Duration.ofMinutes(5),
        Duration.ofMinutes(15),
        Duration.ofHours(1),
        Duration.ofHours(4),
        Duration.ofDays(1),
    };

    /** Every timeframe, shortest first; each one's bars are rolled up from the one before it. */
    public static final int COUNT = LENGTHS.length;

    private Timeframes() {}

    public static Duration length(int timeframe) {
        return LENGTHS[timeframe];
    }

    public static String name(int timeframe) {
        return BarTimeframe.name(timeframe);
    }
}
