package tickstream.analytics.kafka;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.metrics.Counter;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import tickstream.analytics.alerts.Rule;
import tickstream.analytics.alerts.RuleChange;
import tickstream.user.AlertKind;
import tickstream.user.AlertRule;

/**
 * Decodes `alerts` records (key "<user>/<id>", an AlertRule of schemas/fbs/user.fbs, or a tombstone)
 * into rule changes. A record without a key, or with a value that is not a rule of a known kind,
 * is skipped and counted as `bad_alert_rules`: the edge checks rules, this only guards the job.
 */
public final class AlertRuleDeserializer implements KafkaRecordDeserializationSchema<RuleChange> {
    public static final String BAD_RULES = "bad_alert_rules";
    private transient Counter bad;

    @Override
    public void open(DeserializationSchema.InitializationContext context) {
        bad = context.getMetricGroup().counter(BAD_RULES);
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<RuleChange> out) {
        RuleChange change = decode(record.key(), record.value());
        if (change == null) {
            if (bad != null) bad.inc();
        } else {
            out.collect(change);
        }
    }

    /** The change, or null when the record is not one. */
    public static RuleChange decode(byte[] key, byte[] value) {
        if (key == null || key.length == 0) return null;
        String ruleKey = new String(key, StandardCharsets.UTF_8);
        if (value == null) return new RuleChange(ruleKey, null);
        if (value.length < 8) return null;
        try {
            AlertRule flat = AlertRule.getRootAsAlertRule(ByteBuffer.wrap(value));
            Rule rule = new Rule();
            rule.key = ruleKey;
            rule.id = flat.id();
            rule.user = flat.user();
            rule.symbol = flat.symbol();
            rule.kind = flat.kind();
            rule.value = flat.value();
            rule.windowMs = flat.windowMs();
            rule.repeat = flat.repeat();
            rule.cooldownMs = flat.cooldownMs();
            rule.expiresAtMs = flat.expiresAtMs();
            rule.armedAtMs = flat.armedAtMs();
            if (rule.id == null || rule.user == null || rule.symbol == null || rule.kind > AlertKind.Event) return null;
            return new RuleChange(ruleKey, rule);
        } catch (IndexOutOfBoundsException | IllegalArgumentException error) {
            // flatbuffers-java has no verifier: a lying offset or length surfaces as one of these.
            return null;
        }
    }

    @Override
    public TypeInformation<RuleChange> getProducedType() {
        return TypeInformation.of(RuleChange.class);
    }
}
