import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Transactions through the Java client, kafka-clients (the client under Flink's KafkaSink).
 *
 * <pre>
 * commit-abort BOOTSTRAP TOPIC TRANSACTIONAL_ID
 *     commits a transaction, aborts one, commits one; prints them and what read_committed and
 *     read_uncommitted readers see, as one JSON object.
 * copy BOOTSTRAP INPUT OUTPUT GROUP TRANSACTIONAL_ID MAX_POLL_RECORDS PAUSE_MS
 *     a consume-transform-produce loop: every poll's records go to OUTPUT as "copied:" + value in
 *     one transaction that also commits the group's input offsets (sendOffsetsToTransaction).
 *     Prints "open" once a transaction's records are in the log, waits PAUSE_MS (a window for a
 *     test to kill something mid-transaction), and "committed N" after each commit. Exits 0 once
 *     the whole input is copied, non-zero on any error (its caller starts it again, as a
 *     supervisor would).
 * read BOOTSTRAP TOPIC ISOLATION
 *     every value in TOPIC up to its end offsets, as a JSON array.
 * </pre>
 */
public class TransactionalClient {
  private static final Duration POLL = Duration.ofMillis(200);

  public static void main(String[] args) throws Exception {
    String mode = args[0];
    String bootstrap = args[1];
    switch (mode) {
      case "commit-abort" -> commitAbort(bootstrap, args[2], args[3]);
      case "copy" -> copy(bootstrap, args[2], args[3], args[4], args[5], Integer.parseInt(args[6]),
          Long.parseLong(args[7]));
      case "read" -> System.out.println(json(read(bootstrap, args[2], args[3])));
      default -> throw new IllegalArgumentException("unknown mode " + mode);
    }
  }

  private static KafkaProducer<String, String> transactionalProducer(String bootstrap, String transactionalId) {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 60_000);
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
    producer.initTransactions();
    return producer;
  }

  private static void commitAbort(String bootstrap, String topic, String transactionalId) {
    List<String> committed = new ArrayList<>();
    List<String> aborted = new ArrayList<>();
    try (KafkaProducer<String, String> producer = transactionalProducer(bootstrap, transactionalId)) {
      int partitions = producer.partitionsFor(topic).size();
      for (String name : List.of("first", "second", "third")) {
        boolean commit = !name.equals("second");
        producer.beginTransaction();
        for (int i = 0; i < 6; i++) {
          String value = name + "-" + i;
          producer.send(new ProducerRecord<>(topic, i % partitions, "k" + i, value));
          (commit ? committed : aborted).add(value);
        }
        if (commit) {
          producer.commitTransaction();
        } else {
          producer.flush(); // into the log, so the abort has records to abort
          producer.abortTransaction();
        }
      }
    }
    Collections.sort(committed);
    Collections.sort(aborted);
    System.out.println("{\"committed\":" + json(committed) + ",\"aborted\":" + json(aborted)
        + ",\"read_committed\":" + json(read(bootstrap, topic, "read_committed"))
        + ",\"read_uncommitted\":" + json(read(bootstrap, topic, "read_uncommitted")) + "}");
  }

  private static void copy(String bootstrap, String input, String output, String group, String transactionalId,
      int maxPollRecords, long pauseMs) throws InterruptedException {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxPollRecords);
    // A killed copier's member must leave the group soon for its successor to get the partitions.
    props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 6_000);
    props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 1_000);
    // Fences the previous copier with this transactional id, aborting its open transaction,
    // before anything is read: the offsets read next are those of committed transactions only.
    try (KafkaProducer<String, String> producer = transactionalProducer(bootstrap, transactionalId);
        KafkaConsumer<String, String> consumer =
            new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
      int partitions = consumer.partitionsFor(input).size();
      consumer.subscribe(List.of(input));
      long copied = 0;
      while (true) {
        ConsumerRecords<String, String> records = consumer.poll(POLL);
        if (!records.isEmpty()) {
          producer.beginTransaction();
          Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
          for (TopicPartition partition : records.partitions()) {
            List<ConsumerRecord<String, String>> batch = records.records(partition);
            for (ConsumerRecord<String, String> record : batch) {
              producer.send(new ProducerRecord<>(output, record.key(), "copied:" + record.value()));
            }
            next.put(partition, new OffsetAndMetadata(batch.get(batch.size() - 1).offset() + 1));
          }
          producer.flush();
          System.out.println("open");
          System.out.flush();
          Thread.sleep(pauseMs);
          producer.sendOffsetsToTransaction(next, consumer.groupMetadata());
          producer.commitTransaction();
          copied += records.count();
          System.out.println("committed " + copied);
          System.out.flush();
        }
        Set<TopicPartition> assigned = consumer.assignment();
        if (assigned.size() == partitions) {
          Map<TopicPartition, Long> ends = consumer.endOffsets(assigned);
          if (assigned.stream().allMatch(partition -> consumer.position(partition) >= ends.get(partition))) break;
        }
      }
    }
    System.out.println("done");
  }

  private static List<String> read(String bootstrap, String topic, String isolation) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    List<String> values = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
          .map(info -> new TopicPartition(topic, info.partition()))
          .collect(Collectors.toList());
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
      long deadline = System.currentTimeMillis() + 60_000;
      while (partitions.stream().anyMatch(partition -> consumer.position(partition) < ends.get(partition))) {
        if (System.currentTimeMillis() > deadline) throw new IllegalStateException("reading " + topic + " timed out");
        for (ConsumerRecord<String, String> record : consumer.poll(POLL)) values.add(record.value());
      }
    }
    Collections.sort(values);
    return values;
  }

  private static String json(List<String> values) {
    return values.stream().map(value -> "\"" + value + "\"").collect(Collectors.joining(",", "[", "]"));
  }
}
