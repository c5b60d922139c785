package tickstream.analytics.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;
import tickstream.analytics.model.Timeframes;

/**
 * Creates the topics the job writes, before it starts (a sink to a missing topic fails the job
 * over until someone else creates it), and waits for the ticks topic it reads.
 * `candles` gets one partition per timeframe and a per-partition size bound: the 1s partition
 * grows ~6 GB a day at the default load, the 1d one a few MB a year, and each keeps
 * `retention.bytes` of its newest bars.
 */
public final class KafkaTopics implements AutoCloseable {
    private final Admin admin;
    private final java.util.function.Consumer<String> log;

    public KafkaTopics(String brokers, java.util.function.Consumer<String> log) {
        Properties config = new Properties();
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
        config.put(AdminClientConfig.CLIENT_ID_CONFIG, "tickstream-analytics-admin");
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
        this.admin = Admin.create(config);
        this.log = log;
    }

    /** Blocks until `topic` exists, saying so once, then every 30 s. */
    public void awaitTopic(String topic) throws InterruptedException, ExecutionException {
        long nextLine = 0;
        while (!admin.listTopics().names().get().contains(topic)) {
            if (System.currentTimeMillis() >= nextLine) {
                log.accept("waiting for topic '" + topic + "' (start the producer: tickstream producer)");
                nextLine = System.currentTimeMillis() + 30_000;
            }
            Thread.sleep(500);
        }
    }

    public void ensureOutputTopics(String candles, String events, String correlations, long candlesRetentionBytes)
            throws InterruptedException, ExecutionException {
        short replication = (short) Math.min(3, admin.describeCluster().nodes().get().size());
        Set<String> existing = admin.listTopics().names().get();
        List<NewTopic> missing = new ArrayList<>();
        if (!existing.contains(candles)) {
            missing.add(new NewTopic(candles, Optional.of(Timeframes.COUNT), Optional.of(replication))
                    .configs(Map.of(
                            "retention.bytes", Long.toString(candlesRetentionBytes),
                            // Kafka deletes whole segments: keep them well below retention.bytes.
                            "segment.bytes", Long.toString(Math.max(1 << 20, candlesRetentionBytes / 8)),
                            "retention.ms", "-1",
                            // The record timestamp is the bar's start: ListOffsets by time finds bars by it.
                            "message.timestamp.type", "CreateTime")));
        }
        if (!existing.contains(events)) missing.add(new NewTopic(events, Optional.of(1), Optional.of(replication)));
        if (!existing.contains(correlations)) {
            missing.add(new NewTopic(correlations, Optional.of(1), Optional.of(replication))
                    .configs(Map.of("retention.ms", Long.toString(Duration.ofDays(7).toMillis()))));
        }
        if (!missing.isEmpty()) {
            try {
                admin.createTopics(missing).all().get();
            } catch (ExecutionException error) {
                // Another process created one meanwhile: fine, the partition check below still runs.
                if (!(error.getCause() instanceof TopicExistsException)) throw error;
            }
            for (NewTopic topic : missing) log.accept("created topic '" + topic.name() + "' (" + topic.numPartitions() + " partitions)");
        }
        TopicDescription description = admin.describeTopics(List.of(candles)).allTopicNames().get().get(candles);
        int partitions = description.partitions().size();
        if (partitions < Timeframes.COUNT) {
            throw new IllegalStateException("topic '" + candles + "' has " + partitions + " partitions, and the job writes"
                    + " timeframe T to partition T: it needs " + Timeframes.COUNT
                    + " (delete the topic and let the job create it, or add partitions with kafka-topics --alter)");
        }
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(5));
    }
}
