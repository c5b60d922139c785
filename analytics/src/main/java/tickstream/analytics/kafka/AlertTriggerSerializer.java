package tickstream.analytics.kafka;

import com.google.flatbuffers.FlatBufferBuilder;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import tickstream.analytics.alerts.Trigger;
import tickstream.user.AlertTrigger;

/**
 * A Trigger as an `alert_events` record: an AlertTrigger (schemas/fbs/user.fbs) keyed by its user,
 * with the job's own times as headers (wall clock ms, decimal ASCII; docs/alerts.md, Records):
 * when it read the firing tick, when the rule fired, and when the sink handed the record to its
 * Kafka producer. Readers that do not look at headers see the record as before.
 */
public final class AlertTriggerSerializer extends OneTopicSerializer<Trigger> {
    public static final String READ_HEADER = "read-ms";
    public static final String FIRED_HEADER = "fired-ms";
    public static final String SENT_HEADER = "sent-ms";

    private transient FlatBufferBuilder builder;

    public AlertTriggerSerializer(String topic) {
        super(topic);
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(Trigger trigger, KafkaSinkContext context, Long timestamp) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(READ_HEADER, decimal(trigger.readAtMs));
        headers.add(FIRED_HEADER, decimal(trigger.firedAtMs));
        headers.add(SENT_HEADER, decimal(System.currentTimeMillis()));
        return new ProducerRecord<>(
                topic, null, trigger.timeMs, trigger.user.getBytes(StandardCharsets.UTF_8), encode(trigger), headers);
    }

    private static byte[] decimal(long value) {
        return Long.toString(value).getBytes(StandardCharsets.US_ASCII);
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
