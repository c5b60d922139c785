package tickstream.analytics.kafka;

import com.google.flatbuffers.FlatBufferBuilder;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.ProducerRecord;
import tickstream.analytics.alerts.Trigger;
import tickstream.user.AlertTrigger;

/** A Trigger as an `alert_events` record: an AlertTrigger (schemas/fbs/user.fbs) keyed by its user. */
public final class AlertTriggerSerializer extends OneTopicSerializer<Trigger> {
    private transient FlatBufferBuilder builder;

    public AlertTriggerSerializer(String topic) {
        super(topic);
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(Trigger trigger, KafkaSinkContext context, Long timestamp) {
        return new ProducerRecord<>(topic, null, trigger.timeMs, trigger.user.getBytes(StandardCharsets.UTF_8), encode(trigger));
    }

    public byte[] encode(Trigger t) {
        if (builder == null) builder = new FlatBufferBuilder(256);
        builder.clear();
        int id = builder.createString(t.id);
        int user = builder.createString(t.user);
        int ruleId = builder.createString(t.ruleId);
        int symbol = builder.createString(t.symbol);
        int detail = builder.createString(t.detail == null ? "" : t.detail);
        AlertTrigger.startAlertTrigger(builder);
        AlertTrigger.addId(builder, id);
        AlertTrigger.addUser(builder, user);
        AlertTrigger.addRuleId(builder, ruleId);
        AlertTrigger.addSymbol(builder, symbol);
        AlertTrigger.addKind(builder, t.kind);
        AlertTrigger.addValue(builder, t.value);
        AlertTrigger.addPrice(builder, t.price);
        AlertTrigger.addTimeMs(builder, t.timeMs);
        AlertTrigger.addThreshold(builder, t.threshold);
        AlertTrigger.addTickSequence(builder, t.tickSequence);
        AlertTrigger.addRuleArmedAtMs(builder, t.ruleArmedAtMs);
        AlertTrigger.addDetail(builder, detail);
        builder.finish(AlertTrigger.endAlertTrigger(builder));
        return builder.sizedByteArray();
    }
}
