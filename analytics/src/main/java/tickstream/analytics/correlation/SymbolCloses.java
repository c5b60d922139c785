package tickstream.analytics.correlation;

/** The closes of one symbol's last bars, by bar start (a ring sized windowBars + 1). */
public class SymbolCloses {
    public long[] starts;
    public double[] closes;

    public SymbolCloses() {}

    SymbolCloses(int capacity) {
        starts = new long[capacity];
        closes = new double[capacity];
        java.util.Arrays.fill(starts, Long.MIN_VALUE);
    }

    void add(long startMs, long timeframeMs, double close) {
        int at = (int) Math.floorMod(startMs / timeframeMs, (long) starts.length);
        starts[at] = startMs;
        closes[at] = close;
    }

    /** The close of the bar that started at `startMs`, or NaN. */
    double closeAt(long startMs, long timeframeMs) {
        int at = (int) Math.floorMod(startMs / timeframeMs, (long) starts.length);
        return starts[at] == startMs ? closes[at] : Double.NaN;
    }
}
