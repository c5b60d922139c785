package tickstream.analytics.serial;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;
import tickstream.analytics.alerts.AlertInput;
import tickstream.analytics.alerts.SeenEvent;
import tickstream.analytics.model.Tick;
import tickstream.analytics.model.TickSerializer;
import tickstream.analytics.trading.TradingTick;
import tickstream.analytics.trading.TradingTickSerializer;

/** The per-tick records between tasks, through the serializers Flink picks for them. */
class CompactSerializersTest {
    private static <T> TypeSerializer<T> serializerOf(Class<T> type) {
        return TypeInformation.of(type).createSerializer(new SerializerConfigImpl());
    }

    private static <T> T roundTrip(TypeSerializer<T> serializer, T value) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(64);
        serializer.serialize(value, out);
        DataInputDeserializer in = new DataInputDeserializer(out.getSharedBuffer(), 0, out.length());
        T read = serializer.deserialize(in);
        assertEquals(0, in.available(), "every byte written is read back");
        return read;
    }

    @Test
    void flinkPicksTheCompactSerializers() {
        assertInstanceOf(TickSerializer.class, serializerOf(Tick.class));
        assertInstanceOf(TradingTickSerializer.class, serializerOf(TradingTick.class));
        assertInstanceOf(tickstream.analytics.alerts.AlertInputSerializer.class, serializerOf(AlertInput.class));
    }

    @Test
    void aTickKeepsEveryFieldAndItsNamesAreReadOnce() throws IOException {
        TypeSerializer<Tick> serializer = serializerOf(Tick.class);
        Tick first = roundTrip(serializer, new Tick("AAPL", "Tech", 1_892_345L, 100L, 1_795_000_000_000_000L, 7L));
        assertEquals("AAPL", first.symbol);
        assertEquals("Tech", first.sector);
        assertEquals(1_892_345L, first.price);
        assertEquals(100L, first.size);
        assertEquals(1_795_000_000_000_000L, first.timeUs);
        assertEquals(7L, first.sequence);
        Tick second = roundTrip(serializer, new Tick("AAPL", "Tech", 1L, 2L, 3L, 8L));
        // The same String object: a tick crossing an exchange allocates no names.
        assertSame(first.symbol, second.symbol);
        assertSame(first.sector, second.sector);
    }

    @Test
    void namesThatAreNotShortAsciiSurviveToo() throws IOException {
        TypeSerializer<Tick> serializer = serializerOf(Tick.class);
        String longName = "X".repeat(40_000);
        Tick read = roundTrip(serializer, new Tick("ÆØÅ.OL", null, 1L, 1L, 1L, 1L));
        assertEquals("ÆØÅ.OL", read.symbol);
        assertNull(read.sector);
        assertEquals(longName, roundTrip(serializer, new Tick(longName, "", 1L, 1L, 1L, 1L)).symbol);
        assertEquals("", roundTrip(serializer, new Tick("A", "", 1L, 1L, 1L, 1L)).sector);
    }

    @Test
    void aTradingTickKeepsItsQuote() throws IOException {
        TradingTick read = roundTrip(serializerOf(TradingTick.class), new TradingTick("MSFT", 10L, 20L, 9L, 11L, 1_795_000_000_000L, 3L));
        assertEquals("MSFT", read.symbol);
        assertEquals(10L, read.price);
        assertEquals(20L, read.size);
        assertEquals(9L, read.bid);
        assertEquals(11L, read.ask);
        assertEquals(1_795_000_000_000L, read.timeMs);
        assertEquals(3L, read.sequence);
    }

    @Test
    void anAlertInputCarriesATickOrAnEvent() throws IOException {
        TypeSerializer<AlertInput> serializer = serializerOf(AlertInput.class);
        AlertInput tick = AlertInput.of(new Tick("AAPL", "Tech", 5L, 6L, 7L, 8L));
        AlertInput readTick = roundTrip(serializer, tick);
        assertEquals(tick.readAtMs, readTick.readAtMs);
        assertEquals(5L, readTick.tick.price);
        assertNull(readTick.event);

        SeenEvent event = new SeenEvent("", "Tech", "FlashCrash", "fell 5 %", 1_000L);
        event.lastPrice = 42L;
        AlertInput readEvent = roundTrip(serializer, AlertInput.of(event));
        assertNull(readEvent.tick);
        assertEquals("Tech", readEvent.event.sector);
        assertEquals("FlashCrash", readEvent.event.name);
        assertEquals("fell 5 %", readEvent.event.detail);
        assertEquals(1_000L, readEvent.event.timeMs);
        assertEquals(42L, readEvent.event.lastPrice);
    }

    @Test
    void bytesThatAreNotANameAreAnError() {
        DataOutputSerializer out = new DataOutputSerializer(8);
        assertThrows(IOException.class, () -> {
            out.writeShort(-7);
            new NameCodec().read(new DataInputDeserializer(out.getSharedBuffer(), 0, out.length()));
        });
    }

    @Test
    void serializersTravelInsideTheJobGraph() throws Exception {
        // Flink ships serializers with Java serialization; the copy must work, with its own name cache.
        for (Class<?> type : new Class<?>[] {Tick.class, TradingTick.class, AlertInput.class}) {
            TypeSerializer<?> shipped = org.apache.flink.util.InstantiationUtil.clone(
                    serializerOf(type), getClass().getClassLoader());
            assertEquals(serializerOf(type), shipped);
        }
        // Also one that has read names already (its cache filled): the cache stays behind.
        TypeSerializer<Tick> used = serializerOf(Tick.class);
        roundTrip(used, new Tick("MSFT", "Tech", 1L, 1L, 1L, 1L));
        TypeSerializer<Tick> shipped = org.apache.flink.util.InstantiationUtil.clone(used);
        assertEquals("AAPL", roundTrip(shipped, new Tick("AAPL", "Tech", 1L, 1L, 1L, 1L)).symbol);
    }

    @Test
    void eachSerializerRestoresFromItsSnapshot() {
        TypeSerializer<Tick> serializer = serializerOf(Tick.class);
        TypeSerializerSnapshot<Tick> snapshot = serializer.snapshotConfiguration();
        assertInstanceOf(TickSerializer.class, snapshot.restoreSerializer());
        TypeSerializerSchemaCompatibility<Tick> compatibility =
                serializer.snapshotConfiguration().resolveSchemaCompatibility(snapshot);
        assertEquals(true, compatibility.isCompatibleAsIs());
    }
}
