package tickstream.analytics.alerts;

import java.util.HashMap;
import java.util.Map;

/**
 * Everything the rules of one symbol read, kept whether or not a rule exists, so a new rule can use
 * history at once (docs/alerts.md): the last price, the exchange day's volume, recent ticks, and
 * the 1-minute buckets and bars (the defaults); buckets and bars of other lengths from the first
 * tick a rule needs them.
 */
public class SymbolHistory {
    /** An exchange day starts at 00:00 UTC−5, i.e. 05:00 UTC. */
    static final long DAY_MS = 86_400_000L;
    static final long DAY_OFFSET_MS = 5 * 3_600_000L;
    static final long DEFAULT_LENGTH_MS = 60_000;
    private static final Long DEFAULT_LENGTH = DEFAULT_LENGTH_MS;
    /** Ticks kept for change-pct and windowed volume-above when no rule asks for longer. */
    static final long DEFAULT_HORIZON_MS = 60_000;

    public String sector = "";
    public boolean seen;
    public long lastPrice;
    public long lastTimeMs;
    public long dayStartMs = Long.MIN_VALUE;
    public long dayVolume;
    public TickHistory ticks = new TickHistory();
    public Map<Long, VolumeBuckets> buckets = new HashMap<>();
    public Map<Long, BarCloses> bars = new HashMap<>();

    public SymbolHistory() {}

    /** Series of this length (and the defaults) exist from this tick on, before it is added. */
    public void ensureSeries(long bucketLengthMs, long barLengthMs, long timeMs, long price) {
        if (bucketLengthMs > 0) buckets.computeIfAbsent(bucketLengthMs, length -> new VolumeBuckets(length, timeMs));
        if (barLengthMs > 0) bars.computeIfAbsent(barLengthMs, length -> new BarCloses(length, timeMs, price));
    }

    public void add(String tickSector, long timeMs, long price, long size, long horizonMs) {
        // Per tick: a lookup by a Long made once, not ensureSeries' boxing and capturing lambda.
        if (!buckets.containsKey(DEFAULT_LENGTH) || !bars.containsKey(DEFAULT_LENGTH))
            ensureSeries(DEFAULT_LENGTH_MS, DEFAULT_LENGTH_MS, timeMs, price);
        if (tickSector != null && !tickSector.isEmpty()) sector = tickSector;
        long dayStart = Math.floorDiv(timeMs - DAY_OFFSET_MS, DAY_MS) * DAY_MS + DAY_OFFSET_MS;
        if (dayStart != dayStartMs) {
            if (dayStart > dayStartMs) {
                dayStartMs = dayStart;
                dayVolume = 0;
            }
        }
        if (dayStart == dayStartMs) dayVolume += size;
        ticks.add(timeMs, price, size, Math.max(DEFAULT_HORIZON_MS, horizonMs));
        for (VolumeBuckets series : buckets.values()) series.add(timeMs, size);
        for (BarCloses series : bars.values()) series.add(timeMs, price);
        seen = true;
        lastPrice = price;
        lastTimeMs = timeMs;
    }
}
