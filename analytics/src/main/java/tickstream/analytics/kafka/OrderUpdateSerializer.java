package tickstream.analytics.kafka;

import com.google.flatbuffers.FlatBufferBuilder;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import tickstream.analytics.trading.MatchedUpdate;
import tickstream.trading.OrderUpdate;

/**
 * An OrderUpdate (schemas/fbs/trading.fbs) on `fills`, keyed by its user, with a `sent-ms` header
 * (wall clock ms, decimal ASCII): when the sink got it from the fill engine (chained, so when the
 * engine emitted it). A fill is read only once its checkpoint commits; the header splits the
 * order → fill latency into the engine's part and the commit's (bench/src/fill-latency.ts).
 */
public final class OrderUpdateSerializer extends OneTopicSerializer<MatchedUpdate> {
    public static final String SENT_HEADER = "sent-ms";

    private transient FlatBufferBuilder builder;

    public OrderUpdateSerializer(String topic) {
        super(topic);
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(MatchedUpdate update, KafkaSinkContext context, Long timestamp) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(SENT_HEADER, Long.toString(System.currentTimeMillis()).getBytes(StandardCharsets.US_ASCII));
        return new ProducerRecord<>(
                topic, null, update.timeMs, update.user.getBytes(StandardCharsets.UTF_8), encode(update), headers);
    }

    public byte[] encode(MatchedUpdate u) {
        if (builder == null) builder = new FlatBufferBuilder(256);
        builder.clear();
        int id = FlatStrings.create(builder, u.id);
        int orderId = FlatStrings.create(builder, u.orderId);
        int user = FlatStrings.create(builder, u.user);
        int symbol = FlatStrings.create(builder, u.symbol);
        int reason = FlatStrings.create(builder, u.reason == null ? "" : u.reason);
        OrderUpdate.startOrderUpdate(builder);
        OrderUpdate.addId(builder, id);
        OrderUpdate.addOrderId(builder, orderId);
        OrderUpdate.addUser(builder, user);
        OrderUpdate.addSymbol(builder, symbol);
        OrderUpdate.addSide(builder, u.side);
        OrderUpdate.addStatus(builder, u.status);
        OrderUpdate.addFillQuantity(builder, u.fillQuantity);
        OrderUpdate.addFillPrice(builder, u.fillPrice);
        OrderUpdate.addFilledQuantity(builder, u.filledQuantity);
        OrderUpdate.addAverageFillPrice(builder, u.averageFillPrice);
        OrderUpdate.addQuantity(builder, u.quantity);
        OrderUpdate.addReason(builder, reason);
        OrderUpdate.addTimeMs(builder, u.timeMs);
        OrderUpdate.addTickSequence(builder, u.tickSequence);
        builder.finish(OrderUpdate.endOrderUpdate(builder));
        return builder.sizedByteArray();
    }
}
