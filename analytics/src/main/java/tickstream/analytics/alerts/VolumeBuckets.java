package tickstream.analytics.alerts;

/**
 * relative-volume's buckets of one length for one symbol: the current bucket's volume and the 20
 * before it, aligned to multiples of the length since the epoch (docs/alerts.md). A bucket
 * without ticks holds 0. `seenSinceMs` is the first tick this series counted.
 */
public class VolumeBuckets {
    static final int PRECEDING = 20;

    public long lengthMs;
    public long seenSinceMs;
    public long currentStartMs;
    /** Ring of the 20 preceding buckets' volumes, oldest first from `oldest`. */
    public long[] preceding = new long[PRECEDING];
    public int oldest;
    public long current;

    public VolumeBuckets() {}

    public VolumeBuckets(long lengthMs, long firstTickMs) {
        this.lengthMs = lengthMs;
        this.seenSinceMs = firstTickMs;
        this.currentStartMs = Math.floorDiv(firstTickMs, lengthMs) * lengthMs;
    }

    public void add(long timeMs, long size) {
        long startMs = Math.floorDiv(timeMs, lengthMs) * lengthMs;
        if (startMs > currentStartMs) {
            long passed = (startMs - currentStartMs) / lengthMs;
            // The bucket that ends, then one empty bucket for each length without ticks (at most 20 matter).
            push(current);
            for (long i = 1; i < Math.min(passed, PRECEDING + 1); i++) push(0);
            current = 0;
            currentStartMs = startMs;
        }
        // A tick older than the current bucket (out of order) still counts in the current one.
        current += size;
    }

    /** cur / avg once the series covers the 20 preceding buckets and avg > 0, else NaN. */
    public double ratio() {
        if (seenSinceMs > currentStartMs - PRECEDING * lengthMs) return Double.NaN;
        long sum = 0;
        for (long volume : preceding) sum += volume;
        if (sum == 0) return Double.NaN;
        return current / (sum / (double) PRECEDING);
    }

    /** cur ≥ k × avg, compared exactly as cur × 20 ≥ k × sum. */
    public boolean atLeast(double multiple) {
        if (seenSinceMs > currentStartMs - PRECEDING * lengthMs) return false;
        long sum = 0;
        for (long volume : preceding) sum += volume;
        return sum > 0 && current * (double) PRECEDING >= multiple * sum;
    }

    private void push(long volume) {
        preceding[oldest] = volume;
        oldest = (oldest + 1) % PRECEDING;
    }
}
