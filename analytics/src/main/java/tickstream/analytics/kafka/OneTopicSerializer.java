package tickstream.analytics.kafka;

import java.util.List;
import java.util.Optional;
import org.apache.flink.connector.kafka.lineage.DefaultKafkaDatasetFacet;
import org.apache.flink.connector.kafka.lineage.DefaultKafkaDatasetIdentifier;
import org.apache.flink.connector.kafka.lineage.KafkaDatasetFacet;
import org.apache.flink.connector.kafka.lineage.KafkaDatasetFacetProvider;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;

/**
 * A serializer that writes to one topic and says which: KafkaSink's pooled transactional ids
 * (TransactionNamingStrategy.POOLING) find a restarted job's open transactions through the
 * producers of the topics a sink writes, so the sink must know them.
 */
public abstract class OneTopicSerializer<T> implements KafkaRecordSerializationSchema<T>, KafkaDatasetFacetProvider {
    protected final String topic;

    protected OneTopicSerializer(String topic) {
        this.topic = topic;
    }

    @Override
    public Optional<KafkaDatasetFacet> getKafkaDatasetFacet() {
        return Optional.of(new DefaultKafkaDatasetFacet(DefaultKafkaDatasetIdentifier.ofTopics(List.of(topic))));
    }
}
