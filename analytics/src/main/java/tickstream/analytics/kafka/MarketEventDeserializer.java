package tickstream.analytics.kafka;

import java.nio.ByteBuffer;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.metrics.Counter;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import tickstream.analytics.alerts.SeenEvent;
import tickstream.kafka.MarketEvent;

/**
 * Decodes `market_events` records (MarketEvent of schemas/fbs/analytics.fbs: the producer's
 * scenarios and this job's detections) for the event rules. Undecodable records are skipped and
 * counted as `bad_market_events`.
 */
public final class MarketEventDeserializer implements KafkaRecordDeserializationSchema<SeenEvent> {
    public static final String BAD_EVENTS = "bad_market_events";
    private transient Counter bad;

    @Override
    public void open(DeserializationSchema.InitializationContext context) {
        bad = context.getMetricGroup().counter(BAD_EVENTS);
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<SeenEvent> out) {
        SeenEvent event = decode(record.value());
        if (event == null) {
            if (bad != null) bad.inc();
        } else {
            out.collect(event);
        }
    }

    public static SeenEvent decode(byte[] value) {
        if (value == null || value.length < 8) return null;
        try {
            MarketEvent flat = MarketEvent.getRootAsMarketEvent(ByteBuffer.wrap(value));
            return new SeenEvent(flat.symbol(), flat.sector(), flat.name(), flat.detail(), flat.timeUs() / 1000);
        } catch (IndexOutOfBoundsException | IllegalArgumentException error) {
            return null;
        }
    }

    @Override
    public TypeInformation<SeenEvent> getProducedType() {
        return TypeInformation.of(SeenEvent.class);
    }
}
