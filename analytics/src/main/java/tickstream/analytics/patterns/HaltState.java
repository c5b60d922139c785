package tickstream.analytics.patterns;

/** What HaltDetector keeps per symbol. Times in ms of event time. */
public class HaltState {
    public String sector = "";
    public long firstSeenMs = Long.MIN_VALUE;
    /** End of the last 1s bar: the symbol is known to have traded before this. */
    public long lastBarEndMs;
    public long lastPrice;
    /**
     * Bars received but not yet taken in (their ends, trades and closes): a bar is taken in by the
     * timer at its end, once both inputs' watermarks have passed it, so bars, silence checks and
     * the market's seconds are always handled in event-time order, however far ahead the bars' input runs.
     */
    public long[] pendingEnds = new long[4];
    public long[] pendingTrades = new long[4];
    public long[] pendingCloses = new long[4];
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

    void addPending(long endMs, long trades, long close) {
        if (pendingCount == pendingEnds.length) {
            pendingEnds = java.util.Arrays.copyOf(pendingEnds, pendingCount * 2);
            pendingTrades = java.util.Arrays.copyOf(pendingTrades, pendingCount * 2);
            pendingCloses = java.util.Arrays.copyOf(pendingCloses, pendingCount * 2);
        }
        pendingEnds[pendingCount] = endMs;
        pendingTrades[pendingCount] = trades;
        pendingCloses[pendingCount++] = close;
    }

    /** The index of the earliest pending bar that ended by `untilMs`, or −1. */
    int earliestPending(long untilMs) {
        int earliest = -1;
        for (int i = 0; i < pendingCount; i++) {
            if (pendingEnds[i] <= untilMs && (earliest < 0 || pendingEnds[i] < pendingEnds[earliest])) earliest = i;
        }
        return earliest;
    }

    void removePending(int index) {
        pendingCount--;
        pendingEnds[index] = pendingEnds[pendingCount];
        pendingTrades[index] = pendingTrades[pendingCount];
        pendingCloses[index] = pendingCloses[pendingCount];
    }

    double share() {
        return marketTrades > 0 ? symbolTrades / marketTrades : 0;
    }
}
