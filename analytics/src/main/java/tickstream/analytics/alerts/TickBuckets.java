package tickstream.analytics.alerts;

import org.apache.flink.api.common.typeinfo.TypeInfo;

/**
 * One resolution of a symbol's tick history: the non-empty buckets of `widthMs` (aligned to
 * multiples of it since the epoch), oldest first, at most `MAX_BUCKETS`. A bucket keeps its first
 * tick's time and its last tick's time, price and running volume (the volume of every tick so far,
 * including that one): enough to find the window's start and answer at it, whatever the tick rate.
 *
 * What came before the oldest bucket is `before`: nothing (the history is complete), the last tick
 * of a dropped bucket (an exact answer up to the oldest bucket), or unknown.
 *
 * Checkpointed by TickBucketsSerializer: the held buckets only, as small differences.
 */
@TypeInfo(TickBucketsSerializer.Factory.class)
public class TickBuckets {
    /** 32 bytes a bucket: 32 kB for one symbol at one resolution, at any tick rate. */
    static final int MAX_BUCKETS = 1_024;
    static final int NOTHING_BEFORE = 0;
    static final int KNOWN_BEFORE = 1;
    static final int UNKNOWN_BEFORE = 2;

    public long widthMs;
    public long[] firstTimes = new long[16];
    public long[] lastTimes = new long[16];
    public long[] lastPrices = new long[16];
    public long[] cumulatives = new long[16];
    public int oldest;
    public int count;
    /** Start of the newest bucket: a tick in it updates that bucket. */
    public long newestStartMs = Long.MIN_VALUE;
    public int before = NOTHING_BEFORE;
    public long beforeTimeMs;
    public long beforePrice;
    public long beforeCumulative;

    public TickBuckets() {}

    public TickBuckets(long widthMs) {
        this.widthMs = widthMs;
    }

    /** The same ticks in buckets of `widthMs`, a multiple of this width (exact: buckets nest). */
    TickBuckets coarsened(long coarseWidthMs) {
        TickBuckets coarse = new TickBuckets(coarseWidthMs);
        coarse.before = before;
        coarse.beforeTimeMs = beforeTimeMs;
        coarse.beforePrice = beforePrice;
        coarse.beforeCumulative = beforeCumulative;
        for (int i = 0; i < count; i++) {
            int slot = slot(i);
            coarse.add(firstTimes[slot], lastTimes[slot], lastPrices[slot], cumulatives[slot]);
        }
        return coarse;
    }

    /** A tick (first = last = its time), or a finer bucket, newer than every one kept. */
    void add(long firstTimeMs, long lastTimeMs, long lastPrice, long cumulative) {
        long startMs = Math.floorDiv(firstTimeMs, widthMs) * widthMs;
        if (count == 0 || startMs != newestStartMs) {
            if (count == firstTimes.length && count < MAX_BUCKETS) grow();
            if (count == firstTimes.length) dropOldest();
            int slot = slot(count);
            firstTimes[slot] = firstTimeMs;
            count++;
            newestStartMs = startMs;
        }
        int slot = slot(count - 1);
        lastTimes[slot] = lastTimeMs;
        lastPrices[slot] = lastPrice;
        cumulatives[slot] = cumulative;
    }

    /** Keep one bucket starting at or before `startMs` (the longest window's start), none older. */
    void trim(long startMs) {
        while (count > 1 && firstTimes[slot(1)] <= startMs) dropOldest();
    }

    /**
     * The last tick at or before `atMs`, as the index of its bucket (0 = oldest kept) whose last
     * tick answers. -1: before the oldest bucket, where `before` answers.
     */
    private int bucketAtOrBefore(long atMs) {
        if (count == 0 || firstTimes[slot(0)] > atMs) return -1;
        int low = 0;
        int high = count - 1;
        while (low < high) {
            int middle = (low + high + 1) >>> 1;
            if (firstTimes[slot(middle)] <= atMs) low = middle;
            else high = middle - 1;
        }
        return low;
    }

    /**
     * The price of the last tick at or before `atMs`, or of its bucket's last tick when that bucket
     * also holds later ticks; -1 when there is none, or it is no longer known at this resolution.
     */
    long priceAtOrBefore(long atMs) {
        int index = bucketAtOrBefore(atMs);
        if (index >= 0) return lastPrices[slot(index)];
        return before == KNOWN_BEFORE && beforeTimeMs <= atMs ? beforePrice : -1;
    }

    /**
     * The running volume through the last tick at or before `atMs` (or its bucket's last tick, as
     * above): 0 when no tick came before it; -1 when that is no longer known at this resolution.
     */
    long cumulativeAtOrBefore(long atMs) {
        int index = bucketAtOrBefore(atMs);
        if (index >= 0) return cumulatives[slot(index)];
        if (before == NOTHING_BEFORE) return 0;
        return before == KNOWN_BEFORE && beforeTimeMs <= atMs ? beforeCumulative : -1;
    }

    int size() {
        return count;
    }

    int capacity() {
        return firstTimes.length;
    }

    private int slot(int index) {
        // A compare instead of %: this runs ~11 times per change-pct rule per tick (binary search).
        int slot = oldest + index;
        return slot >= firstTimes.length ? slot - firstTimes.length : slot;
    }

    private void dropOldest() {
        before = KNOWN_BEFORE;
        beforeTimeMs = lastTimes[oldest];
        beforePrice = lastPrices[oldest];
        beforeCumulative = cumulatives[oldest];
        oldest = oldest + 1 == firstTimes.length ? 0 : oldest + 1;
        count--;
    }

    private void grow() {
        // By half, not double: a minute of 100 ms buckets (601) fits in 609, not 1,024 (a checkpoint writes the room too).
        int capacity = Math.min(MAX_BUCKETS, firstTimes.length + (firstTimes.length >> 1));
        long[] newFirstTimes = new long[capacity];
        long[] newLastTimes = new long[capacity];
        long[] newLastPrices = new long[capacity];
        long[] newCumulatives = new long[capacity];
        for (int i = 0; i < count; i++) {
            int slot = slot(i);
            newFirstTimes[i] = firstTimes[slot];
            newLastTimes[i] = lastTimes[slot];
            newLastPrices[i] = lastPrices[slot];
            newCumulatives[i] = cumulatives[slot];
        }
        firstTimes = newFirstTimes;
        lastTimes = newLastTimes;
        lastPrices = newLastPrices;
        cumulatives = newCumulatives;
        oldest = 0;
    }
}
