package tickstream.analytics.alerts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.java.typeutils.ObjectArrayTypeInfo;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;
import tickstream.analytics.serial.CompactTypeInfo;

/**
 * The alert evaluator's tick history (docs/alerts.md, "History kept"): bounded at any tick rate,
 * exact unless a window's start falls between two ticks of one bucket, and then at most one bucket
 * short. Ticks here are at T0 (a multiple of 100 and 400 ms) + an offset in ms.
 */
class TickHistoryTest {
    static final long T0 = 1_797_000_000_000L;
    static final long MINUTE = 60_000;

    /** A tick at T0 + `offsetMs` whose price is 1,000,000 + its offset and whose size is 1. */
    private static void tick(TickHistory history, long offsetMs, long horizonMs) {
        history.add(T0 + offsetMs, 1_000_000 + offsetMs, 1, horizonMs);
    }

    private static long priceAt(TickHistory history, long offsetMs) {
        long price = history.priceAtOrBefore(T0 + offsetMs);
        return price < 0 ? price : price - 1_000_000;
    }

    private static long volumeAfter(TickHistory history, long offsetMs) {
        return history.volumeAfter(T0 + offsetMs);
    }

    @Test
    void manyTicksASecondForOneSymbolKeepItsHistoryBounded() throws Exception {
        SymbolHistory symbol = new SymbolHistory();
        TypeSerializer<SymbolHistory> serializer =
                TypeInformation.of(SymbolHistory.class).createSerializer(new SerializerConfigImpl());
        // 1,000 ticks a second for 10 minutes (the old history held 20 s of them, 480 kB).
        for (long ms = 0; ms < 10 * MINUTE; ms++) symbol.add("Technology", T0 + ms, 1_000_000 + ms, 1, MINUTE);
        TickHistory history = symbol.ticks;
        assertTrue(history.size() <= 602, "a minute of 100 ms buckets and the one before it, kept " + history.size());
        assertTrue(history.capacity() <= 609, "room for " + history.capacity() + " buckets");
        DataOutputSerializer bytes = new DataOutputSerializer(1 << 16);
        serializer.serialize(symbol, bytes);
        assertTrue(bytes.length() < 24_000, "a checkpoint writes " + bytes.length() + " bytes of this symbol");

        // And it still answers for the whole minute: at its start exactly (the start is a bucket's last tick) ...
        long newest = 10 * MINUTE - 1;
        assertEquals(newest - MINUTE, priceAt(history, newest - MINUTE));
        assertEquals(MINUTE, volumeAfter(history, newest - MINUTE));
        // ... and between two ticks of one bucket, from that bucket's last tick: 50 ms short.
        long inside = newest - MINUTE + 50;
        assertEquals(newest - MINUTE + 100, priceAt(history, inside));
        assertEquals(MINUTE - 100, volumeAfter(history, inside));
    }

    @Test
    void aWindowStartOutsideABucketsTicksIsAnsweredExactly() {
        TickHistory history = new TickHistory();
        for (long ms : new long[] {0, 99, 100, 350}) tick(history, ms, MINUTE);
        // Before every tick: no reference; every tick is after it.
        assertEquals(-1, history.priceAtOrBefore(T0 - 1));
        assertEquals(4, volumeAfter(history, -1));
        // At a bucket's last tick, and the first tick of the next bucket (99 and 100 are in different buckets).
        assertEquals(99, priceAt(history, 99));
        assertEquals(2, volumeAfter(history, 99));
        assertEquals(100, priceAt(history, 100));
        assertEquals(1, volumeAfter(history, 100));
        // In the gap between two buckets' ticks: the earlier bucket's last tick.
        assertEquals(100, priceAt(history, 349));
        assertEquals(1, volumeAfter(history, 349));
        assertEquals(350, priceAt(history, 350));
        assertEquals(0, volumeAfter(history, 350));
    }

    @Test
    void aWindowStartBetweenTwoTicksOfABucketMovesToItsLastTick() {
        TickHistory history = new TickHistory();
        for (long ms : new long[] {0, 10, 60, 100}) tick(history, ms, MINUTE);
        // Exactly: the tick at 10 and the ticks after it (60, 100). Bucketed: from 60, the bucket's last tick.
        assertEquals(60, priceAt(history, 10));
        assertEquals(1, volumeAfter(history, 10));
        assertEquals(60, priceAt(history, 0));
        assertEquals(1, volumeAfter(history, 0));
    }

    @Test
    void aLongWindowIsAnsweredFromCoarserBucketsWithinAFractionOfIt() {
        TickHistory history = new TickHistory();
        long window = 5 * MINUTE;
        // 100 ticks a second for 6 minutes: the 100 ms buckets hold 102.4 s, the 400 ms ones the rest.
        for (long ms = 0; ms < 6 * MINUTE; ms += 10) tick(history, ms, window);
        assertEquals(2, history.resolutions.length);
        long newest = 6 * MINUTE - 10;
        // Between two ticks of the 400 ms bucket [60,000, 60,400): from its last tick, 290 ms short of the window (0.1 %).
        long start = newest - window + 115;
        assertEquals(60_105, start);
        assertEquals(60_390, priceAt(history, start));
        assertEquals((newest - 60_390) / 10, volumeAfter(history, start));
        // A start within the finest buckets' reach still has 100 ms precision.
        long recent = newest - 50_005;
        assertEquals(Math.floorDiv(recent, 100) * 100 + 90, priceAt(history, recent));
        assertTrue(history.capacity() <= 2 * TickBuckets.MAX_BUCKETS);
    }

    @Test
    void aDayLongWindowNeedsSixResolutionsAndStaysBounded() {
        assertEquals(1, TickHistory.resolutionsFor(MINUTE));
        assertEquals(6, TickHistory.resolutionsFor(24 * 60 * MINUTE));
        TickHistory history = new TickHistory();
        long day = 24 * 60 * MINUTE;
        for (long ms = 0; ms <= day + MINUTE; ms += 100) tick(history, ms, day);
        long newest = day + MINUTE;
        // The day's start (60 s) is in a 102.4 s bucket (aligned to the epoch, so to T0 − 12.8 s) whose
        // last tick is at 89.5 s: 29.5 s short of a day (0.03 %).
        long bucketEnd = Math.floorDiv(T0 + newest - day, 102_400) * 102_400 + 102_300 - T0;
        assertEquals(89_500, bucketEnd);
        assertEquals(bucketEnd, priceAt(history, newest - day));
        assertEquals((newest - bucketEnd) / 100, volumeAfter(history, newest - day));
        assertTrue(history.capacity() <= 6 * TickBuckets.MAX_BUCKETS, "room for " + history.capacity() + " buckets");
    }

    @Test
    void aLongerWindowStartsFromTheFinerBucketsAndAShorterOneDropsTheCoarse() {
        TickHistory history = new TickHistory();
        for (long ms = 0; ms <= 100_000; ms += 100) tick(history, ms, MINUTE);
        assertEquals(1, history.resolutions.length);
        // A 5-minute rule arrives: its history is what the minute kept, answered at once where it reaches.
        tick(history, 100_100, 5 * MINUTE);
        assertEquals(2, history.resolutions.length);
        assertEquals(100_100 - MINUTE, priceAt(history, 100_100 - MINUTE));
        assertEquals(-1, history.priceAtOrBefore(T0 + 100_100 - 2 * MINUTE), "older than the minute kept: unknown");
        assertEquals(-1, history.volumeAfter(T0 + 100_100 - 2 * MINUTE));
        tick(history, 100_200, MINUTE);
        assertEquals(1, history.resolutions.length);
    }

    @Test
    void aTickOlderThanTheNewestCountsAtTheNewestsTime() {
        TickHistory history = new TickHistory();
        history.add(T0 + 1_000, 1_000_000, 1, MINUTE);
        history.add(T0 + 2_000, 2_000_000, 1, MINUTE);
        history.add(T0 + 500, 3_000_000, 5, MINUTE);
        assertEquals(6, history.volumeAfter(T0 + 1_500));
        assertEquals(3_000_000, history.priceAtOrBefore(T0 + 2_000));
        assertEquals(1_000_000, history.priceAtOrBefore(T0 + 1_999));
    }

    @Test
    void flinkSerializesTheHistoryAsPojosAndCompactBucketsNotKryo() {
        PojoTypeInfo<?> symbol = assertInstanceOf(PojoTypeInfo.class, TypeInformation.of(SymbolHistory.class));
        PojoTypeInfo<?> ticks = assertInstanceOf(PojoTypeInfo.class, symbol.getTypeAt(symbol.getFieldIndex("ticks")));
        ObjectArrayTypeInfo<?, ?> resolutions =
                assertInstanceOf(ObjectArrayTypeInfo.class, ticks.getTypeAt(ticks.getFieldIndex("resolutions")));
        TypeInformation<?> buckets = resolutions.getComponentInfo();
        assertInstanceOf(CompactTypeInfo.class, buckets);
        assertInstanceOf(TickBucketsSerializer.class, buckets.createSerializer(new SerializerConfigImpl()));
    }
}
