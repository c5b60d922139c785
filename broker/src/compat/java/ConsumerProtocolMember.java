import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * One member of a KIP-848 consumer group (group.protocol=consumer), run by the compat tests
 * with the Java kafka-clients jars Apache Kafka is resolved with:
 *
 *   java -cp "libs/*" ConsumerProtocolMember.java BOOTSTRAP TOPIC GROUP [ASSIGNOR]
 *
 * It prints one JSON object per line: {"event":"started"} once subscribed (its process has
 * started up), {"event":"assigned","partitions":[..]} whenever its
 * assignment changes, {"event":"committed","records":N} after each synchronous commit of what
 * it read, {"event":"error","message":..} on a failure. A line "close" on stdin (or stdin
 * closing) makes it leave the group cleanly ({"event":"closed"}); SIGKILL is a crash.
 */
public class ConsumerProtocolMember {
  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    props.put("bootstrap.servers", args[0]);
    props.put("group.id", args[2]);
    props.put("group.protocol", "consumer");
    if (args.length > 3) props.put("group.remote.assignor", args[3]);
    props.put("client.id", "compat-" + ProcessHandle.current().pid());
    props.put("auto.offset.reset", "earliest");
    props.put("enable.auto.commit", "false");
    props.put("key.deserializer", StringDeserializer.class.getName());
    props.put("value.deserializer", StringDeserializer.class.getName());

    AtomicBoolean closing = new AtomicBoolean(false);
    Thread stdin = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in))) {
        for (String line = in.readLine(); line != null; line = in.readLine()) if (line.trim().equals("close")) break;
      } catch (Exception ignored) {
        // stdin gone: close as if asked
      }
      closing.set(true);
    });
    stdin.setDaemon(true);
    stdin.start();

    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
      consumer.subscribe(List.of(args[1]), new ConsumerRebalanceListener() {
        @Override public void onPartitionsRevoked(Collection<TopicPartition> partitions) {}
        @Override public void onPartitionsAssigned(Collection<TopicPartition> partitions) {}
      });
      System.out.println("{\"event\":\"started\"}");
      String reported = null;
      long records = 0;
      while (!closing.get()) {
        ConsumerRecords<String, String> batch = consumer.poll(Duration.ofMillis(200));
        TreeSet<Integer> owned = new TreeSet<>();
        for (TopicPartition tp : consumer.assignment()) owned.add(tp.partition());
        String now = owned.toString().replace(" ", "");
        if (!now.equals(reported)) {
          reported = now;
          System.out.println("{\"event\":\"assigned\",\"partitions\":" + now + "}");
        }
        if (batch.isEmpty()) continue;
        Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
        for (ConsumerRecord<String, String> record : batch) {
          records++;
          next.put(new TopicPartition(record.topic(), record.partition()), new OffsetAndMetadata(record.offset() + 1));
        }
        consumer.commitSync(next);
        System.out.println("{\"event\":\"committed\",\"records\":" + records + "}");
      }
    } catch (Exception error) {
      String message = String.valueOf(error).replace("\\", "\\\\").replace("\"", "\\\"");
      System.out.println("{\"event\":\"error\",\"message\":\"" + message + "\"}");
      System.exit(1);
    }
    System.out.println("{\"event\":\"closed\"}");
  }
}
