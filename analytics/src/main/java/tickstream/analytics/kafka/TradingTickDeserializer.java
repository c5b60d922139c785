package tickstream.analytics.kafka;

import java.nio.ByteBuffer;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import tickstream.analytics.trading.TradingTick;

/**
 * `ticks` records with their quote, for the fill engine (the job's own Tick leaves bid and ask
 * out). Undecodable records are skipped: TickDeserializer counts them for the job.
 */
public final class TradingTickDeserializer implements KafkaRecordDeserializationSchema<TradingTick> {
    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<TradingTick> out) {
        byte[] value = record.value();
        if (value == null || value.length < 8) return;
        try {
            tickstream.kafka.Tick flat = tickstream.kafka.Tick.getRootAsTick(ByteBuffer.wrap(value));
            String symbol = flat.symbol();
            if (symbol == null || symbol.isEmpty()) return;
            out.collect(new TradingTick(
                    symbol, flat.price(), flat.size(), flat.bid(), flat.ask(), flat.exchangeTimeUs() / 1000, flat.sequence()));
        } catch (IndexOutOfBoundsException | IllegalArgumentException error) {
            // Not a tick: skipped.
        }
    }

    @Override
    public TypeInformation<TradingTick> getProducedType() {
        return TypeInformation.of(TradingTick.class);
    }
}
