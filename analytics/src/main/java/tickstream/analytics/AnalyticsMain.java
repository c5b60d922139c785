package tickstream.analytics;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.sink.TransactionNamingStrategy;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import tickstream.analytics.AnalyticsOptions.Delivery;
import tickstream.analytics.kafka.CandleSerializer;
import tickstream.analytics.kafka.CorrelationSerializer;
import tickstream.analytics.kafka.DetectionSerializer;
import tickstream.analytics.kafka.KafkaTopics;
import tickstream.analytics.kafka.TickDeserializer;
import tickstream.analytics.model.Tick;
import tickstream.analytics.time.TickTime;

/**
 * `tickstream analytics`: the job on a Flink MiniCluster in this JVM, Kafka in and out.
 * Prints one line per state change on stdout ("analytics: …"); Flink's own log goes to the file
 * log4j2.properties names. Stops with a savepoint on SIGTERM, so a restart loses nothing.
 */
public final class AnalyticsMain {
    private static final Logger LOG = LoggerFactory.getLogger(AnalyticsMain.class);
    private static final long TRANSACTION_TIMEOUT_MS = Duration.ofMinutes(15).toMillis();

    public static void main(String[] args) throws Exception {
        AnalyticsOptions options;
        try {
            options = AnalyticsOptions.parse(args);
        } catch (AnalyticsOptions.UsageError error) {
            System.err.println("analytics: " + error.getMessage());
            System.exit(2);
            return;
        }
        try {
            System.exit(run(options));
        } catch (Exception error) {
            LOG.error("the analytics job could not start", error);
            System.err.println("analytics: could not start: " + rootCause(error));
            System.exit(1);
        }
    }

    static int run(AnalyticsOptions options) throws Exception {
        long startedMs = System.currentTimeMillis();
        // Kafka's answers and the job graph take seconds each on a cold JVM (measured: 3.3 s and
        // 2.5 s on a loaded machine): one while the other is built; the job is submitted after both.
        CompletableFuture<Void> topicsReady = CompletableFuture.runAsync(() -> prepareTopics(options));
        Checkpoints checkpoints = new Checkpoints(options.checkpointDir);
        Optional<Path> restore = switch (options.restore) {
            case "latest" -> checkpoints.newest();
            case "none" -> Optional.empty();
            default -> Optional.of(Path.of(options.restore).toAbsolutePath());
        };
        checkpoints.deleteAllBut(restore.orElse(null));

        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(configuration(options, checkpoints, restore));
        long backfillFrom = System.currentTimeMillis() - options.backfill.toMillis();
        DataStream<Tick> ticks = env.fromSource(
                        ticksSource(options, backfillFrom),
                        TickTime.watermarks(options.outOfOrderness, options.idleness),
                        "ticks")
                .uid("ticks-source");
        AnalyticsJob.Outputs outputs = new AnalyticsJob(new AnalyticsJob.Parameters()).attach(ticks);
        outputs.candles()
                .sinkTo(sink(options, "candles", new CandleSerializer(options.candlesTopic)))
                .uid("candles-sink")
                .name("candles → Kafka");
        outputs.detections()
                .sinkTo(sink(options, "events", new DetectionSerializer(options.eventsTopic)))
                .uid("events-sink")
                .name("detections → Kafka");
        outputs.correlations()
                .sinkTo(sink(options, "correlations", new CorrelationSerializer(options.correlationsTopic)))
                .uid("correlations-sink")
                .name("correlations → Kafka");
        outputs.lateTicks().sinkTo(new DiscardingSink<>()).uid("late-ticks-sink").name("late ticks (counted only)");

        LOG.info("job graph built {} ms after main()", System.currentTimeMillis() - startedMs);
        try {
            topicsReady.join();
        } catch (CompletionException error) {
            if (error.getCause() instanceof IllegalStateException problem) {
                System.err.println("analytics: " + problem.getMessage());
                return 1;
            }
            throw error;
        }
        LOG.info("topics ready {} ms after main()", System.currentTimeMillis() - startedMs);
        JobClient job = env.executeAsync("tickstream analytics");
        awaitRunning(job);
        say("running: job " + job.getJobID() + ", parallelism " + options.parallelism + ", delivery "
                + options.delivery.name().toLowerCase().replace('_', '-') + ", "
                + restore.map(path -> "resumed from " + path)
                        .orElse("fresh start: ticks from " + Instant.ofEpochMilli(backfillFrom)));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stopWithSavepoint(job, checkpoints)));
        try {
            job.getJobExecutionResult().get();
            return 0;
        } catch (Exception error) {
            System.err.println("analytics: the job failed: " + rootCause(error).getMessage()
                    + restore.map(path -> " (it was restored from " + path + "; --restore none starts afresh)").orElse(""));
            return 1;
        }
    }

    /** Waits for the ticks topic and creates the output topics; a problem with them is an IllegalStateException. */
    private static void prepareTopics(AnalyticsOptions options) {
        try (KafkaTopics topics = new KafkaTopics(options.brokers, AnalyticsMain::say)) {
            topics.awaitTopic(options.ticksTopic);
            topics.ensureOutputTopics(
                    options.candlesTopic, options.eventsTopic, options.correlationsTopic, options.candlesRetentionBytes);
        } catch (InterruptedException error) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while preparing the topics", error);
        } catch (java.util.concurrent.ExecutionException error) {
            throw new IllegalStateException("Kafka refused: " + error.getCause().getMessage(), error);
        }
    }

    static Configuration configuration(AnalyticsOptions options, Checkpoints checkpoints, Optional<Path> restore) {
        Configuration config = new Configuration();
        if (options.cluster) {
            if (options.parallelismGiven()) config.setString("parallelism.default", Integer.toString(options.parallelism));
        } else {
            miniCluster(config, options);
        }
        // No defensive copy of every record between chained operators (measured: part of the per-tick
        // cost); no function keeps a reference to its input (CEP copies what it buffers itself).
        config.setString("pipeline.object-reuse", "true");
        // The periodic half of the watermark generator: idleness is only noticed on this timer.
        config.setString("pipeline.auto-watermark-interval", "50 ms");

        config.setString("execution.checkpointing.interval", options.checkpointInterval.toMillis() + " ms");
        config.setString("execution.checkpointing.mode", "EXACTLY_ONCE");
        config.setString("execution.checkpointing.dir", checkpoints.root().toUri().toString());
        config.setString("execution.checkpointing.savepoint-dir", checkpoints.savepoints().toUri().toString());
        config.setString("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION");
        config.setString("execution.checkpointing.num-retained", "1");
        config.setString("state.backend.type", "hashmap");
        restore.ifPresent(path -> {
            config.setString("execution.state-recovery.path", path.toUri().toString());
            // A newer job may have operators the checkpoint does not know, or lack some it has.
            config.setString("execution.state-recovery.ignore-unclaimed-state", "true");
        });
        config.setString("restart-strategy.type", "exponential-delay");
        config.setString("restart-strategy.exponential-delay.initial-backoff", "1 s");
        config.setString("restart-strategy.exponential-delay.max-backoff", "30 s");
        return config;
    }

    /** One JVM on a shared developer machine: everything on loopback, memory pools small, metrics on request. */
    private static void miniCluster(Configuration config, AnalyticsOptions options) {
        // Measured: /work/shared/README.md (RSS ~270 MB with -Xmx256m for a small job; this one ~390 MB).
        config.setString("rest.address", "127.0.0.1");
        config.setString("rest.bind-address", "127.0.0.1");
        config.setString("rest.bind-port", Integer.toString(options.restPort));
        config.setString("jobmanager.bind-host", "127.0.0.1");
        config.setString("taskmanager.bind-host", "127.0.0.1");
        config.setString("taskmanager.host", "127.0.0.1");
        config.setString("taskmanager.memory.network.min", "16mb");
        config.setString("taskmanager.memory.network.max", "16mb");
        config.setString("taskmanager.memory.managed.size", "16mb");
        config.setString("parallelism.default", Integer.toString(options.parallelism));
        config.setString("taskmanager.numberOfTaskSlots", Integer.toString(options.parallelism));
        if (options.metricsPort > 0) {
            config.setString(
                    "metrics.reporter.prom.factory.class",
                    "org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
            config.setString("metrics.reporter.prom.port", Integer.toString(options.metricsPort));
        }
    }

    static KafkaSource<Tick> ticksSource(AnalyticsOptions options, long backfillFromMs) {
        return KafkaSource.<Tick>builder()
                .setBootstrapServers(options.brokers)
                .setTopics(options.ticksTopic)
                .setGroupId(options.instance)
                .setClientIdPrefix(options.instance)
                // Without a checkpoint: the last `backfill` of ticks (the latest offset where there are none).
                .setStartingOffsets(OffsetsInitializer.timestamp(backfillFromMs))
                .setDeserializer(new TickDeserializer())
                .setProperty("partition.discovery.interval.ms", "10000")
                .setProperty("commit.offsets.on.checkpoint", "true")
                .build();
    }

    static <T> KafkaSink<T> sink(AnalyticsOptions options, String name, KafkaRecordSerializationSchema<T> serializer) {
        return KafkaSink.<T>builder()
                .setBootstrapServers(options.brokers)
                .setRecordSerializer(serializer)
                .setDeliveryGuarantee(
                        options.delivery == Delivery.EXACTLY_ONCE
                                ? DeliveryGuarantee.EXACTLY_ONCE
                                : DeliveryGuarantee.AT_LEAST_ONCE)
                // One prefix per sink and job instance: a restarted job fences its predecessor's producers.
                .setTransactionalIdPrefix(options.instance + "-" + name)
                // A small pool of transactional ids reused across checkpoints. The default names one per
                // checkpoint and sink (259,200 a day at 1 s), each kept by the broker for
                // transactional.id.expiration.ms (7 days), with its producer id in every partition written.
                // A restarted job finds its open transactions with DescribeProducers and ListTransactions.
                .setTransactionNamingStrategy(TransactionNamingStrategy.POOLING)
                // Flink's default (1 h) is above Apache Kafka's transaction.max.timeout.ms (15 min).
                .setProperty("transaction.timeout.ms", Long.toString(TRANSACTION_TIMEOUT_MS))
                .setProperty("linger.ms", "5")
                .setProperty("compression.type", "lz4")
                // Three sinks, each with its producers, in a 256 MB heap: 32 MB buffers each are far too many.
                .setProperty("buffer.memory", Integer.toString(8 << 20))
                .build();
    }

    private static void awaitRunning(JobClient job) throws Exception {
        long deadline = System.currentTimeMillis() + 120_000;
        while (System.currentTimeMillis() < deadline) {
            JobStatus status = job.getJobStatus().get();
            if (status == JobStatus.RUNNING) return;
            if (status.isGloballyTerminalState()) throw new IllegalStateException("the job ended at start: " + status);
            Thread.sleep(50);
        }
        throw new IllegalStateException("the job was not running after 120 s");
    }

    /** SIGTERM / Ctrl-C: a savepoint commits the open transactions and keeps every window's state. */
    private static void stopWithSavepoint(JobClient job, Checkpoints checkpoints) {
        try {
            String savepoint = job.stopWithSavepoint(false, checkpoints.savepoints().toUri().toString(), SavepointFormatType.CANONICAL)
                    .get(20, TimeUnit.SECONDS);
            say("stopped with a savepoint: " + savepoint);
        } catch (Exception error) {
            say("stopping without a savepoint (" + rootCause(error).getMessage()
                    + "); the next start resumes from the last checkpoint");
            try {
                job.cancel().get(10, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // The JVM is exiting either way.
            }
        }
    }

    static void say(String line) {
        System.out.println("analytics: " + line);
        System.out.flush();
    }

    private static Throwable rootCause(Throwable error) {
        Throwable cause = error;
        while (cause.getCause() != null && cause.getCause() != cause) cause = cause.getCause();
        return cause;
    }

    private AnalyticsMain() {}
}
