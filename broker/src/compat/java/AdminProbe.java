import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The Java admin client (kafka-clients 4.4) against a broker: describeCluster, createTopics with
 * configs, describeConfigs, incrementalAlterConfigs, createPartitions, describeTopics,
 * listOffsets (timestamp, MAX_TIMESTAMP), deleteRecords and deleteTopics. Prints one line
 * "key=value" per observation, for the test to compare; exits 1 with the exception on failure.
 *
 * Usage: java -cp "kafka-4.4.0/libs/*" AdminProbe.java BOOTSTRAP TOPIC
 */
public class AdminProbe {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "15000");
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "20000");
    try (Admin admin = Admin.create(props)) {
      DescribeClusterResult cluster = admin.describeCluster();
      print("cluster.nodes", cluster.nodes().get().size());
      print("cluster.controller", cluster.controller().get() != null);
      print("cluster.id.present", cluster.clusterId().get() != null);

      NewTopic newTopic = new NewTopic(topic, 1, (short) 1)
          .configs(Map.of("cleanup.policy", "compact", "retention.ms", "3600000"));
      admin.createTopics(List.of(newTopic)).all().get();

      ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      Map<String, ConfigEntry> configs = configs(admin, resource);
      print("config.cleanup.policy", configs.get("cleanup.policy").value());
      print("config.cleanup.policy.source", configs.get("cleanup.policy").source());
      print("config.delete.retention.ms", configs.get("delete.retention.ms").value());
      print("config.delete.retention.ms.source", configs.get("delete.retention.ms").source());
      print("config.count", configs.size());

      Collection<AlterConfigOp> ops = List.of(
          new AlterConfigOp(new ConfigEntry("cleanup.policy", "delete"), AlterConfigOp.OpType.APPEND),
          new AlterConfigOp(new ConfigEntry("retention.ms", null), AlterConfigOp.OpType.DELETE),
          new AlterConfigOp(new ConfigEntry("min.compaction.lag.ms", "5000"), AlterConfigOp.OpType.SET));
      admin.incrementalAlterConfigs(Map.of(resource, ops)).all().get();
      configs = configs(admin, resource);
      print("altered.cleanup.policy", configs.get("cleanup.policy").value());
      print("altered.retention.ms.source", configs.get("retention.ms").source());
      print("altered.min.compaction.lag.ms", configs.get("min.compaction.lag.ms").value());
      try {
        admin.incrementalAlterConfigs(Map.of(resource, List.of(
            new AlterConfigOp(new ConfigEntry("min.cleanable.dirty.ratio", "2"), AlterConfigOp.OpType.SET)))).all().get();
        print("bad.alter", "accepted");
      } catch (ExecutionException e) {
        print("bad.alter", e.getCause().getClass().getSimpleName());
      }

      admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(2))).all().get();
      // Apache Kafka spreads the new partition's metadata a moment after answering.
      TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
      for (int tries = 0; description.partitions().size() < 2 && tries < 50; tries++) {
        Thread.sleep(200);
        description = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
      }
      print("describe.partitions", description.partitions().size());
      print("describe.topicId.zero", description.topicId().equals(org.apache.kafka.common.Uuid.ZERO_UUID));
      print("describe.leader.present", description.partitions().get(1).leader() != null);

      long base = System.currentTimeMillis() - 60_000;
      Properties producerProps = new Properties();
      producerProps.put("bootstrap.servers", bootstrap);
      producerProps.put("linger.ms", "200");
      producerProps.put("compression.type", "zstd");
      try (KafkaProducer<String, String> producer =
               new KafkaProducer<>(producerProps, new StringSerializer(), new StringSerializer())) {
        int[] deltas = {0, 30, 10, 50, 20, 50, 40};
        for (int i = 0; i < deltas.length; i++) {
          producer.send(new ProducerRecord<>(topic, 0, base + deltas[i], "k" + i, "v" + i));
        }
        producer.flush();
      }
      TopicPartition p0 = new TopicPartition(topic, 0);
      print("offset.at.base+15", admin.listOffsets(Map.of(p0, OffsetSpec.forTimestamp(base + 15))).all().get().get(p0).offset());
      print("offset.at.base+45", admin.listOffsets(Map.of(p0, OffsetSpec.forTimestamp(base + 45))).all().get().get(p0).offset());
      var max = admin.listOffsets(Map.of(p0, OffsetSpec.maxTimestamp())).all().get().get(p0);
      print("offset.max", max.offset());
      print("offset.max.timestamp.delta", max.timestamp() - base);
      print("offset.earliest", admin.listOffsets(Map.of(p0, OffsetSpec.earliest())).all().get().get(p0).offset());

      admin.deleteRecords(Map.of(p0, RecordsToDelete.beforeOffset(3))).all().get();
      print("after.delete.earliest", admin.listOffsets(Map.of(p0, OffsetSpec.earliest())).all().get().get(p0).offset());
      print("after.delete.latest", admin.listOffsets(Map.of(p0, OffsetSpec.latest())).all().get().get(p0).offset());

      admin.deleteTopics(List.of(topic)).all().get();
      boolean gone = !admin.listTopics().names().get().contains(topic);
      for (int tries = 0; !gone && tries < 50; tries++) {
        Thread.sleep(200);
        gone = !admin.listTopics().names().get().contains(topic);
      }
      print("deleted", gone);
    }
  }

  private static Map<String, ConfigEntry> configs(Admin admin, ConfigResource resource) throws Exception {
    Map<String, ConfigEntry> byName = new HashMap<>();
    for (ConfigEntry entry : admin.describeConfigs(List.of(resource)).all().get().get(resource).entries()) {
      byName.put(entry.name(), entry);
    }
    return byName;
  }

  private static void print(String key, Object value) {
    System.out.println(key + "=" + value);
  }
}
