package tickstream.analytics.alerts;

/**
 * A symbol's recent ticks for change-pct's reference price and volume-above's window sum, kept as
 * buckets (TickBuckets) so that its size depends on the windows asked for, not on the tick rate:
 * it once kept every tick, up to 20,000 a symbol (480 kB), which a backlog drain or a hot symbol
 * filled for every symbol and ended a 256 MB JVM.
 *
 * Resolutions: buckets of 100 ms, and for windows longer than those cover (1,024 buckets each),
 * also of 400 ms, 1.6 s, … up to 102.4 s (a day). A question is answered by the finest resolution
 * that still covers it. An answer is exact unless the window's start falls between two ticks of
 * one bucket; then the start moves to that bucket's last tick, so a window is at most one bucket
 * shorter than asked: 100 ms, or under 0.4 % of a window that needs a coarser resolution
 * (docs/alerts.md, "History kept"). A question about time no longer held is answered "unknown"
 * (-1), so a rule waits rather than fire on a guess.
 */
public class TickHistory {
    static final long FINEST_WIDTH_MS = 100;
    /** Each resolution's buckets are this many of the previous one's: nested, so one is built from the other exactly. */
    static final int WIDTH_FACTOR = 4;
    /** 100 ms × 4^5 = 102.4 s buckets: 1,024 of them cover a day, the longest window a rule may have. */
    static final int MAX_RESOLUTIONS = 6;

    /** Finest first; as many as the longest window needs, and at least one. */
    public TickBuckets[] resolutions = {new TickBuckets(FINEST_WIDTH_MS)};
    /** Volume of every tick so far: window sums are differences of it. */
    public long volume;
    /** The newest tick's time: an older tick arriving later counts at this time. */
    public long newestTimeMs = Long.MIN_VALUE;

    /*
     * Every tick, as the job kept them before buckets (a ring of time, price, running volume): a
     * checkpoint of that job restores into these fields, and the first tick after such a restore
     * moves them into the buckets. Null otherwise.
     */
    public long[] times;
    public long[] prices;
    public long[] cumulative;
    public int first;
    public int count;
    public boolean dropped;
    public long lastDroppedTimeMs;
    public long lastDroppedPrice;
    public long lastDroppedCumulative;

    public TickHistory() {}

    /** Adds a tick; `horizonMs` is the longest window asked of this symbol (at least the default minute). */
    public void add(long timeMs, long price, long size, long horizonMs) {
        if (times != null) moveRestoredTicks(horizonMs);
        if (resolutions.length != resolutionsFor(horizonMs)) resize(resolutionsFor(horizonMs));
        volume += size;
        newestTimeMs = Math.max(newestTimeMs, timeMs);
        for (TickBuckets buckets : resolutions) {
            buckets.add(newestTimeMs, newestTimeMs, price, volume);
            buckets.trim(newestTimeMs - horizonMs);
        }
    }

    /** The price of the last tick at or before `atMs` (see the class comment); -1 when there is none or it is no longer known. */
    public long priceAtOrBefore(long atMs) {
        for (TickBuckets buckets : resolutions) {
            long price = buckets.priceAtOrBefore(atMs);
            if (price >= 0) return price;
        }
        return -1;
    }

    /** The volume of the ticks in (`afterMs`, newest] (see the class comment); -1 when some of them are no longer known. */
    public long volumeAfter(long afterMs) {
        for (TickBuckets buckets : resolutions) {
            long through = buckets.cumulativeAtOrBefore(afterMs);
            if (through >= 0) return volume - through;
        }
        return -1;
    }

    /** Buckets kept, over every resolution. */
    public int size() {
        int size = 0;
        for (TickBuckets buckets : resolutions) size += buckets.size();
        return size;
    }

    /** Buckets the arrays hold room for, over every resolution: what the history costs in memory. */
    int capacity() {
        int capacity = 0;
        for (TickBuckets buckets : resolutions) capacity += buckets.capacity();
        return capacity;
    }

    /** Resolutions a window of `horizonMs` needs: the finest whose buckets (all but two) cover it, and every finer one. */
    static int resolutionsFor(long horizonMs) {
        int resolutions = 1;
        long widthMs = FINEST_WIDTH_MS;
        while (resolutions < MAX_RESOLUTIONS && (TickBuckets.MAX_BUCKETS - 2) * widthMs < horizonMs) {
            resolutions++;
            widthMs *= WIDTH_FACTOR;
        }
        return resolutions;
    }

    /** A longer window: coarser resolutions, built from the coarsest held; a shorter one: they go. */
    private void resize(int wanted) {
        TickBuckets[] resized = new TickBuckets[wanted];
        for (int i = 0; i < wanted; i++) {
            resized[i] = i < resolutions.length
                    ? resolutions[i]
                    : resized[i - 1].coarsened(resized[i - 1].widthMs * WIDTH_FACTOR);
        }
        resolutions = resized;
    }

    /** The restored ticks, into every resolution `horizonMs` needs (a tick at a time: exact). */
    private void moveRestoredTicks(long horizonMs) {
        TickBuckets[] restored = new TickBuckets[resolutionsFor(horizonMs)];
        long widthMs = FINEST_WIDTH_MS;
        for (int r = 0; r < restored.length; r++, widthMs *= WIDTH_FACTOR) {
            TickBuckets buckets = new TickBuckets(widthMs);
            if (dropped) {
                buckets.before = TickBuckets.KNOWN_BEFORE;
                buckets.beforeTimeMs = lastDroppedTimeMs;
                buckets.beforePrice = lastDroppedPrice;
                buckets.beforeCumulative = lastDroppedCumulative;
            }
            long newestMs = Long.MIN_VALUE;
            for (int i = 0; i < count; i++) {
                int slot = (first + i) % times.length;
                newestMs = Math.max(newestMs, times[slot]);
                buckets.add(newestMs, newestMs, prices[slot], cumulative[slot]);
            }
            restored[r] = buckets;
            newestTimeMs = Math.max(newestTimeMs, newestMs);
        }
        resolutions = restored;
        times = null;
        prices = null;
        cumulative = null;
        first = 0;
        count = 0;
        dropped = false;
    }
}
