package tickstream.analytics.kafka;

import java.nio.ByteBuffer;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.metrics.Counter;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import tickstream.analytics.model.Tick;
import tickstream.analytics.serial.Utf8Cache;

/**
 * Decodes `ticks` records with the classes flatc generates from schemas/fbs/tick.fbs. A record
 * that is not a Tick (no value, no symbol, offsets outside the buffer) is skipped and counted
 * as `bad_ticks`: one bad record must not fail the job over and over.
 */
public final class TickDeserializer implements KafkaRecordDeserializationSchema<Tick> {
    public static final String BAD_TICKS = "bad_ticks";
    private transient tickstream.kafka.Tick reader;
    private transient Utf8Cache names;
    private transient Counter bad;

    @Override
    public void open(DeserializationSchema.InitializationContext context) {
        bad = context.getMetricGroup().counter(BAD_TICKS);
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<Tick> out) {
        Tick tick = decode(record.value());
        if (tick == null) bad.inc();
        else out.collect(tick);
    }

    /** The tick, or null when the bytes are not one. */
    Tick decode(byte[] value) {
        if (value == null || value.length < 8) return null;
        if (reader == null) {
            reader = new tickstream.kafka.Tick();
            names = new Utf8Cache();
        }
        try {
            ByteBuffer bytes = ByteBuffer.wrap(value);
            tickstream.kafka.Tick flat = tickstream.kafka.Tick.getRootAsTick(bytes, reader);
            Tick tick = new Tick(null, "", flat.price(), flat.size(), flat.exchangeTimeUs(), flat.sequence());
            // The names last, in place: each *InByteBuffer narrows `bytes` to the string (no slice
            // allocated per field), and the next field read needs the whole buffer back.
            ByteBuffer symbol = flat.symbolInByteBuffer(bytes);
            if (symbol == null || !symbol.hasRemaining()) return null;
            tick.symbol = names.get(symbol);
            bytes.clear();
            ByteBuffer sector = flat.sectorInByteBuffer(bytes);
            if (sector != null) tick.sector = names.get(sector);
            return tick;
        } catch (IndexOutOfBoundsException | IllegalArgumentException error) {
            // flatbuffers-java has no verifier: a lying offset or length surfaces as one of these.
            return null;
        }
    }

    @Override
    public TypeInformation<Tick> getProducedType() {
        return TypeInformation.of(Tick.class);
    }
}
