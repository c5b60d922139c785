package tickstream.analytics.kafka;

import com.google.flatbuffers.FlatBufferBuilder;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.ProducerRecord;
import tickstream.analytics.model.Detection;
import tickstream.kafka.EventSource;
import tickstream.kafka.MarketEvent;

/** A Detection as a `market_events` record: a MarketEvent with source Analytics, keyed by symbol. */
public final class DetectionSerializer extends OneTopicSerializer<Detection> {
    private transient FlatBufferBuilder builder;

    public DetectionSerializer(String topic) {
        super(topic);
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(Detection detection, KafkaSinkContext context, Long timestamp) {
        return new ProducerRecord<>(
                topic, null, detection.timeUs / 1000, detection.symbol.getBytes(StandardCharsets.UTF_8), encode(detection));
    }

    public byte[] encode(Detection d) {
        if (builder == null) builder = new FlatBufferBuilder(256);
        builder.clear();
        int symbol = builder.createString(d.symbol);
        int sector = builder.createString(d.sector == null ? "" : d.sector);
        int name = builder.createString(d.name);
        int detail = builder.createString(d.detail);
        MarketEvent.startMarketEvent(builder);
        MarketEvent.addKind(builder, d.kind);
        MarketEvent.addSymbol(builder, symbol);
        MarketEvent.addSector(builder, sector);
        MarketEvent.addName(builder, name);
        MarketEvent.addDetail(builder, detail);
        MarketEvent.addTimeUs(builder, d.timeUs);
        MarketEvent.addSource(builder, EventSource.Analytics);
        MarketEvent.addValue(builder, d.value);
        MarketEvent.addMean(builder, d.mean);
        MarketEvent.addDeviation(builder, d.deviation);
        MarketEvent.addThreshold(builder, d.threshold);
        MarketEvent.addWindowMs(builder, d.windowMs);
        MarketEvent.addStartTimeUs(builder, d.startTimeUs);
        MarketEvent.addPrice(builder, d.price);
        MarketEvent.addStartPrice(builder, d.startPrice);
        builder.finish(MarketEvent.endMarketEvent(builder));
        return builder.sizedByteArray();
    }
}
