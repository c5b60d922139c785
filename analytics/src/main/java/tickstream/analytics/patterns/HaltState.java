package tickstream.analytics.patterns;

/** What HaltDetector keeps per symbol. Times in ms of event time. */
public class HaltState {
    public String sector = "";
    public long firstSeenMs = Long.MIN_VALUE;
    /** End of the last 1s bar: the symbol is known to have traded before this. */
    public long lastBarEndMs;
    public long lastPrice;
    /**
     * Bars not yet set against the market's trades (their ends and trades): a bar is accounted
     * by the timer at its end, which can fire after later bars arrived (a backlog).
     */
    public long[] pendingEnds = new long[4];
    public long[] pendingTrades = new long[4];
    public int pendingCount;
    /** Market seconds up to (excluding) this are folded into the share. */
    public long accountedUntilMs = Long.MIN_VALUE;
    /** EWMA sums of this symbol's and the market's trades: share = symbolTrades / marketTrades. */
    public double symbolTrades;
    public double marketTrades;
    /** The armed silence check, or Long.MIN_VALUE. */
    public long checkAtMs = Long.MIN_VALUE;
    public boolean halted;
    public double expectedAtHalt;

    public HaltState() {}

    void addPending(long endMs, long trades) {
        if (pendingCount == pendingEnds.length) {
            pendingEnds = java.util.Arrays.copyOf(pendingEnds, pendingCount * 2);
            pendingTrades = java.util.Arrays.copyOf(pendingTrades, pendingCount * 2);
        }
        pendingEnds[pendingCount] = endMs;
        pendingTrades[pendingCount++] = trades;
    }

    /** Removes and sums the pending bars that ended by `untilMs`. */
    long takePending(long untilMs) {
        long sum = 0;
        int kept = 0;
        for (int i = 0; i < pendingCount; i++) {
            if (pendingEnds[i] <= untilMs) {
                sum += pendingTrades[i];
            } else {
                pendingEnds[kept] = pendingEnds[i];
                pendingTrades[kept++] = pendingTrades[i];
            }
        }
        pendingCount = kept;
        return sum;
    }

    double share() {
        return marketTrades > 0 ? symbolTrades / marketTrades : 0;
    }
}
