package tickstream.analytics.patterns;

/**
 * What BarSignals keeps per symbol: the previous bar, bias-corrected EWMAs of volume and trades
 * per second, and a monotonic deque of (start, high) over the breakout lookback (highs
 * decreasing from the front, so the front is the lookback's maximum).
 */
public class SignalHistory {
    public long firstStartUs = Long.MIN_VALUE;
    public long lastStartUs;
    public long lastClose;
    /** EWMA sums from zero; divided by (1 − decay^seconds) they are unbiased means. */
    public double volumeSum;
    public double tradesSum;
    public long[] dequeStarts = new long[16];
    public long[] dequeHighs = new long[16];
    public int head;
    public int size;

    public SignalHistory() {}

    long frontStart() {
        return dequeStarts[head];
    }

    long frontHigh() {
        return dequeHighs[head];
    }

    void popFront() {
        head = (head + 1) % dequeStarts.length;
        size--;
    }

    long backHigh() {
        return dequeHighs[(head + size - 1) % dequeStarts.length];
    }

    void popBack() {
        size--;
    }

    void pushBack(long start, long high) {
        if (size == dequeStarts.length) grow();
        int at = (head + size) % dequeStarts.length;
        dequeStarts[at] = start;
        dequeHighs[at] = high;
        size++;
    }

    private void grow() {
        long[] starts = new long[dequeStarts.length * 2];
        long[] highs = new long[dequeStarts.length * 2];
        for (int i = 0; i < size; i++) {
            starts[i] = dequeStarts[(head + i) % dequeStarts.length];
            highs[i] = dequeHighs[(head + i) % dequeStarts.length];
        }
        dequeStarts = starts;
        dequeHighs = highs;
        head = 0;
    }
}
