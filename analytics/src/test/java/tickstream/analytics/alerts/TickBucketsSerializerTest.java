package tickstream.analytics.alerts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Random;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

/**
 * The alert history as a checkpoint writes and reads it (TickBucketsSerializer, through Flink's
 * serializer for SymbolHistory as the heap backend uses it): the same answers and the same
 * history after the round trip, in a fraction of the POJO form's bytes.
 */
class TickBucketsSerializerTest {
    static final long T0 = 1_797_000_000_000L;
    static final long MINUTE = 60_000;

    private static final TypeSerializer<SymbolHistory> SERIALIZER =
            TypeInformation.of(SymbolHistory.class).createSerializer(new SerializerConfigImpl());

    private static SymbolHistory roundTrip(SymbolHistory history) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(1 << 12);
        SERIALIZER.serialize(history, out);
        return SERIALIZER.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
    }

    /** What a symbol's tick history holds, oldest bucket first, whatever the ring's rotation. */
    private static void assertSameBuckets(TickBuckets expected, TickBuckets actual) {
        assertEquals(expected.widthMs, actual.widthMs);
        assertEquals(expected.count, actual.count);
        assertEquals(expected.capacity(), actual.capacity());
        assertEquals(expected.newestStartMs, actual.newestStartMs);
        assertEquals(expected.before, actual.before);
        assertEquals(expected.beforeTimeMs, actual.beforeTimeMs);
        assertEquals(expected.beforePrice, actual.beforePrice);
        assertEquals(expected.beforeCumulative, actual.beforeCumulative);
        for (int i = 0; i < expected.count; i++) {
            int e = (expected.oldest + i) % expected.capacity();
            int a = (actual.oldest + i) % actual.capacity();
            String bucket = "bucket " + i;
            assertEquals(expected.firstTimes[e], actual.firstTimes[a], bucket);
            assertEquals(expected.lastTimes[e], actual.lastTimes[a], bucket);
            assertEquals(expected.lastPrices[e], actual.lastPrices[a], bucket);
            assertEquals(expected.cumulatives[e], actual.cumulatives[a], bucket);
        }
    }

    /** A random walk at ~10 ticks a second for `seconds` (the default load's rate), up and down. */
    private static SymbolHistory market(long seed, int seconds, long horizonMs) {
        Random random = new Random(seed);
        SymbolHistory history = new SymbolHistory();
        long price = 1_500_000;
        for (long ms = 0; ms < seconds * 1_000L; ms += 1 + random.nextInt(200)) {
            price = Math.max(1, price + random.nextInt(2_001) - 1_000);
            history.add("Technology", T0 + ms, price, 1 + random.nextInt(500), horizonMs);
        }
        return history;
    }

    @Test
    void aSymbolsHistoryReadsBackAsTheSameBucketsAndAnswers() throws Exception {
        // Three minutes against a minute's horizon: the ring has wrapped and dropped its oldest buckets.
        SymbolHistory written = market(1, 180, MINUTE);
        TickBuckets buckets = written.ticks.resolutions[0];
        assertTrue(buckets.oldest > 0 && buckets.before == TickBuckets.KNOWN_BEFORE, "the ring has wrapped");
        SymbolHistory read = roundTrip(written);
        assertEquals(written.ticks.volume, read.ticks.volume);
        assertEquals(written.ticks.newestTimeMs, read.ticks.newestTimeMs);
        assertSameBuckets(buckets, read.ticks.resolutions[0]);
        for (long at = T0 + 110_000; at <= T0 + 181_000; at += 7) {
            assertEquals(written.ticks.priceAtOrBefore(at), read.ticks.priceAtOrBefore(at), "price at " + at);
            assertEquals(written.ticks.volumeAfter(at), read.ticks.volumeAfter(at), "volume after " + at);
        }
        // And both go on the same: the read one is a history, not a picture of one.
        for (SymbolHistory history : new SymbolHistory[] {written, read}) {
            for (long ms = 180_000; ms < 250_000; ms += 37) history.add("Technology", T0 + ms, 1_400_000 + ms % 991, 3, MINUTE);
        }
        assertSameBuckets(written.ticks.resolutions[0], read.ticks.resolutions[0]);
    }

    @Test
    void everyResolutionOfALongWindowReadsBack() throws Exception {
        SymbolHistory written = market(2, 400, 24 * 60 * MINUTE);
        assertEquals(6, written.ticks.resolutions.length);
        SymbolHistory read = roundTrip(written);
        for (int r = 0; r < 6; r++) assertSameBuckets(written.ticks.resolutions[r], read.ticks.resolutions[r]);
    }

    @Test
    void anEmptyHistoryAndExtremeValuesReadBack() throws Exception {
        TickBuckets empty = new TickBuckets(100);
        TickBucketsSerializer serializer = new TickBucketsSerializer();
        DataOutputSerializer out = new DataOutputSerializer(64);
        serializer.serialize(empty, out);
        assertSameBuckets(empty, serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer())));

        TickBuckets extreme = new TickBuckets(100);
        extreme.add(Long.MIN_VALUE / 2, Long.MIN_VALUE / 2, Long.MAX_VALUE, 0);
        extreme.add(Long.MAX_VALUE / 2, Long.MAX_VALUE / 2, 0, Long.MAX_VALUE);
        out.clear();
        serializer.serialize(extreme, out);
        assertSameBuckets(extreme, serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer())));
    }

    @Test
    void aCopyIsIndependentOfItsOriginal() {
        TickBuckets original = market(3, 30, MINUTE).ticks.resolutions[0];
        TickBuckets copy = new TickBucketsSerializer().copy(original);
        assertSameBuckets(original, copy);
        long[] before = copy.lastPrices.clone();
        original.add(T0 + 40_000, T0 + 40_000, 1, 1);
        assertArrayEquals(before, copy.lastPrices);
    }

    @Test
    void theDefaultLoadsMinuteTakesAFifthOfThePojoBytes() throws Exception {
        // The POJO form: 8 bytes per slot of each of the four arrays, held or not (TickHistoryTest).
        SymbolHistory history = market(4, 120, MINUTE);
        TickBuckets buckets = history.ticks.resolutions[0];
        DataOutputSerializer out = new DataOutputSerializer(1 << 12);
        new TickBucketsSerializer().serialize(buckets, out);
        int pojoBytes = 4 * 8 * buckets.capacity();
        assertTrue(buckets.count > 300, "a minute of ~10 ticks a second fills " + buckets.count + " buckets");
        assertTrue(out.length() * 5 < pojoBytes, out.length() + " bytes against " + pojoBytes + " as a POJO");
    }

    @Test
    void corruptBytesAreAnErrorNotAHistory() {
        TickBucketsSerializer serializer = new TickBucketsSerializer();
        // Length 3, then a count larger than the room: 100 ms buckets, room 2, 5 held.
        byte[] roomTooSmall = {0, 0, 0, 3, 100, 2, 5};
        IOException error = assertThrows(
                IOException.class, () -> serializer.deserialize(new DataInputDeserializer(roomTooSmall)));
        assertTrue(error.getMessage().contains("5 held in room for 2"), error.getMessage());
        // A number whose continuation bit runs past the stated length.
        byte[] truncated = {0, 0, 0, 2, 100, (byte) 0x80};
        assertThrows(IOException.class, () -> serializer.deserialize(new DataInputDeserializer(truncated)));
    }
}
