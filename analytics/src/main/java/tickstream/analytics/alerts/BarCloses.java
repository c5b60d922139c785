package tickstream.analytics.alerts;

/**
 * indicator-cross's bars of one length for one symbol: the closes of the last 200 completed bars
 * (aligned like the buckets; a bar without ticks repeats the previous close), from which the SMA
 * of any period 2-200 is read (docs/alerts.md).
 */
public class BarCloses {
    static final int MAX_PERIOD = 200;

    public long lengthMs;
    public long currentStartMs;
    public long currentClose;
    /** Ring of completed closes; `newest` is the slot of the last one. */
    public long[] closes = new long[MAX_PERIOD];
    public int newest = -1;
    public long completed;

    public BarCloses() {}

    public BarCloses(long lengthMs, long firstTickMs, long firstPrice) {
        this.lengthMs = lengthMs;
        this.currentStartMs = Math.floorDiv(firstTickMs, lengthMs) * lengthMs;
        this.currentClose = firstPrice;
    }

    public void add(long timeMs, long price) {
        long startMs = Math.floorDiv(timeMs, lengthMs) * lengthMs;
        if (startMs > currentStartMs) {
            long passed = (startMs - currentStartMs) / lengthMs;
            for (long i = 0; i < Math.min(passed, MAX_PERIOD); i++) complete(currentClose);
            completed += Math.max(0, passed - MAX_PERIOD);
            currentStartMs = startMs;
        }
        currentClose = price;
    }

    /** The mean close of the last `period` completed bars, × 10,000; NaN until that many exist. */
    public double sma(int period) {
        if (period < 1 || period > MAX_PERIOD || completed < period) return Double.NaN;
        long sum = 0;
        for (int i = 0; i < period; i++) sum += closes[Math.floorMod(newest - i, MAX_PERIOD)];
        return sum / (double) period;
    }

    /** The sign of price − SMA(period), compared exactly as price × period − sum; UNKNOWN until `period` bars exist. */
    public int side(long price, int period) {
        if (period < 1 || period > MAX_PERIOD || completed < period) return UNKNOWN;
        long sum = 0;
        for (int i = 0; i < period; i++) sum += closes[Math.floorMod(newest - i, MAX_PERIOD)];
        return Long.signum(price * period - sum);
    }

    public static final int UNKNOWN = Integer.MIN_VALUE;

    private void complete(long close) {
        newest = (newest + 1) % MAX_PERIOD;
        closes[newest] = close;
        completed++;
    }
}
