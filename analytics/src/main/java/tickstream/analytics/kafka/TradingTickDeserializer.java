package tickstream.analytics.kafka;

import java.nio.ByteBuffer;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import tickstream.analytics.trading.TradingTick;
import tickstream.analytics.serial.Utf8Cache;

/**
 * `ticks` records with their quote, for the fill engine (the job's own Tick leaves bid and ask
 * out). Undecodable records are skipped: TickDeserializer counts them for the job.
 */
public final class TradingTickDeserializer implements KafkaRecordDeserializationSchema<TradingTick> {
    // Reused per record, as TickDeserializer does: the symbol's String comes from the cache, not a
    // UTF-8 decode per tick (flatbuffers' Utf8Safe showed in this source's JFR samples).
    private transient tickstream.kafka.Tick reader;
    private transient Utf8Cache names;

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<TradingTick> out) {
        byte[] value = record.value();
        if (value == null || value.length < 8) return;
        if (reader == null) {
            reader = new tickstream.kafka.Tick();
            names = new Utf8Cache();
        }
        try {
            ByteBuffer bytes = ByteBuffer.wrap(value);
            tickstream.kafka.Tick flat = tickstream.kafka.Tick.getRootAsTick(bytes, reader);
            TradingTick tick = new TradingTick(
                    null, flat.price(), flat.size(), flat.bid(), flat.ask(), flat.exchangeTimeUs() / 1000, flat.sequence());
            // Last, in place: symbolInByteBuffer narrows `bytes` to the string instead of slicing a new buffer.
            ByteBuffer symbol = flat.symbolInByteBuffer(bytes);
            if (symbol == null || !symbol.hasRemaining()) return;
            tick.symbol = names.get(symbol);
            out.collect(tick);
        } catch (IndexOutOfBoundsException | IllegalArgumentException error) {
            // Not a tick: skipped.
        }
    }

    @Override
    public TypeInformation<TradingTick> getProducedType() {
        return TypeInformation.of(TradingTick.class);
    }
}
