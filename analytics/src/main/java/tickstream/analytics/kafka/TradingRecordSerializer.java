package tickstream.analytics.kafka;

import java.util.List;
import java.util.Optional;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kafka.lineage.DefaultKafkaDatasetFacet;
import org.apache.flink.connector.kafka.lineage.DefaultKafkaDatasetIdentifier;
import org.apache.flink.connector.kafka.lineage.KafkaDatasetFacet;
import org.apache.flink.connector.kafka.lineage.KafkaDatasetFacetProvider;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;
import tickstream.analytics.trading.TradingRecord;

/**
 * The fill engine's records to their topics: an OrderUpdate to `fills` (OrderUpdateSerializer), a
 * portfolio or equity curve to `portfolios` (PortfolioSerializer). One serializer for one
 * exactly-once sink: both topics in each checkpoint's one transaction. It names both topics, so
 * the sink's pooled transactional ids (TransactionNamingStrategy.POOLING) find a restarted job's
 * open transactions in either.
 */
public final class TradingRecordSerializer
        implements KafkaRecordSerializationSchema<TradingRecord>, KafkaDatasetFacetProvider {
    private final OrderUpdateSerializer updates;
    private final PortfolioSerializer portfolios;

    public TradingRecordSerializer(String fillsTopic, String portfoliosTopic) {
        updates = new OrderUpdateSerializer(fillsTopic);
        portfolios = new PortfolioSerializer(portfoliosTopic);
    }

    @Override
    public void open(SerializationSchema.InitializationContext context, KafkaSinkContext sinkContext) throws Exception {
        updates.open(context, sinkContext);
        portfolios.open(context, sinkContext);
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(TradingRecord record, KafkaSinkContext context, Long timestamp) {
        return record.update != null
                ? updates.serialize(record.update, context, timestamp)
                : portfolios.serialize(record.portfolio, context, timestamp);
    }

    @Override
    public Optional<KafkaDatasetFacet> getKafkaDatasetFacet() {
        return Optional.of(new DefaultKafkaDatasetFacet(
                DefaultKafkaDatasetIdentifier.ofTopics(List.of(updates.topic, portfolios.topic))));
    }
}
