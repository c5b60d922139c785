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
import org.apache.flink.connector.kafka.sink.KafkaSinkBuilder;
import org.apache.flink.connector.kafka.sink.TransactionNamingStrategy;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import tickstream.analytics.AnalyticsOptions.Delivery;
import tickstream.analytics.alerts.AlertJob;
import tickstream.analytics.alerts.RuleChange;
import tickstream.analytics.alerts.SeenEvent;
import tickstream.analytics.alerts.Trigger;
import tickstream.analytics.kafka.AlertRuleDeserializer;
import tickstream.analytics.kafka.AlertTriggerSerializer;
import tickstream.analytics.kafka.MarketEventDeserializer;
import tickstream.analytics.kafka.OrderCommandDeserializer;
import tickstream.analytics.kafka.TradingRecordSerializer;
import tickstream.analytics.kafka.TradingTickDeserializer;
import tickstream.analytics.trading.FillJob;
import tickstream.analytics.trading.TradingCommand;
import tickstream.analytics.trading.TradingTick;
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
    private static final Duration FIRST_CHECKPOINT_WAIT = Duration.ofMinutes(2);
    /**
     * Flink's own checkpoint timer when a CheckpointPacer triggers the checkpoints: it keeps
     * checkpointing enabled (the exactly-once sinks need it) and is a backstop should the pacer stop.
     */
    static final Duration PACED_BACKSTOP = Duration.ofMinutes(1);
    /** How long the alert sink's producer keeps `alert_events` in its metadata without a trigger: a day. */
    static final long ALERT_METADATA_IDLE_MS = Duration.ofDays(1).toMillis();
    /**
     * The start's parallel steps (topics, two MiniClusters, two submissions), each mostly waiting:
     * not the common pool, which on a 2-core machine has one thread and would run them in turn.
     */
    private static final java.util.concurrent.ExecutorService STARTUP = java.util.concurrent.Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "analytics-startup");
        thread.setDaemon(true);
        return thread;
    });

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
        } catch (Throwable error) {
            // Throwable, not Exception: an Error escaping main would leave the JVM alive on Flink's
            // non-daemon threads, neither running nor exited (seen with a 9 M-tick backlog).
            LOG.error("the analytics job could not start", error);
            System.err.println("analytics: could not start: " + rootCause(error));
            System.exit(1);
        }
    }

    static int run(AnalyticsOptions options) throws Exception {
        StartupTimes startup = new StartupTimes();
        long startedMs = System.currentTimeMillis();
        // Kafka's answers and the job graph take seconds each on a cold JVM (measured: 3.3 s and
        // 2.5 s on a loaded machine): one while the other is built; the job is submitted after both.
        CompletableFuture<Void> topicsReady = CompletableFuture.runAsync(() -> prepareTopics(options), STARTUP);
        Checkpoints checkpoints = new Checkpoints(options.checkpointDir);
        // The fill engine is a job of its own, checkpointed apart (see tradingJob).
        Checkpoints tradingCheckpoints = new Checkpoints(options.tradingCheckpointDir());
        // A standby chooses only when it takes over: until then the active JVM keeps checkpointing.
        Restore early = options.standby ? null : Restore.choose(options, checkpoints, tradingCheckpoints);
        // On a Flink cluster the restore point goes into the configuration; on a MiniCluster of this
        // JVM into the graph at submission (LocalCluster), so the graph can be built before it is known.
        // Paced: both jobs' checkpoints triggered by a CheckpointPacer, Flink's own timers only a backstop.
        boolean paced = options.pacedCheckpointsApply();
        Configuration config = configuration(options, paced ? PACED_BACKSTOP : options.checkpointInterval,
                options.metricsPort, checkpoints, options.cluster ? early.analytics() : Optional.empty());
        // Fewer key groups, fewer snapshot streams per checkpoint (KeyGroups); a restore keeps its checkpoint's.
        if (!options.cluster) KeyGroups.configure(config, options.parallelism);
        Configuration tradingConfig = tradingConfiguration(options, paced ? PACED_BACKSTOP : options.tradingCheckpointInterval,
                tradingCheckpoints, options.cluster ? early.trading() : Optional.empty());
        // Each MiniCluster takes seconds to start: both at once, beside the topics and the graphs.
        boolean runAnalytics = options.jobs.analytics();
        boolean runTrading = options.jobs.trading();
        CompletableFuture<LocalCluster> analyticsCluster =
                options.cluster || !runAnalytics ? null : startCluster(config, options.parallelism);
        CompletableFuture<LocalCluster> tradingCluster =
                options.cluster || !runTrading ? null : startCluster(tradingConfig, options.parallelism);

        long backfillFrom = System.currentTimeMillis() - options.backfill.toMillis();
        StreamExecutionEnvironment env = runAnalytics ? analyticsJob(options, config, backfillFrom) : null;
        StreamExecutionEnvironment tradingEnv = runTrading ? tradingJob(options, tradingConfig, backfillFrom) : null;

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
        startup.mark("topics");
        LOG.info("topics ready {} ms after main()", System.currentTimeMillis() - startedMs);
        Restore restore;
        JobClient job;
        JobClient tradingJob;
        CheckpointPacer pacer = null;
        if (options.cluster) {
            restore = early;
            // Both at once: each submission waits for its job to initialise.
            CompletableFuture<JobClient> tradingSubmitted = CompletableFuture.supplyAsync(() -> {
                try {
                    return tradingEnv.executeAsync("tickstream trading");
                } catch (Exception error) {
                    throw new CompletionException(error);
                }
            }, STARTUP);
            job = env.executeAsync("tickstream analytics");
            tradingJob = tradingSubmitted.join();
        } else {
            StreamGraph graph = runAnalytics ? streamGraph(env, "tickstream analytics") : null;
            StreamGraph tradingGraph = runTrading ? streamGraph(tradingEnv, "tickstream trading") : null;
            LocalCluster cluster = runAnalytics ? analyticsCluster.join() : null;
            LocalCluster tradingLocal = runTrading ? tradingCluster.join() : null;
            startup.mark("clusters");
            LOG.info("MiniClusters up {} ms after main()", System.currentTimeMillis() - startedMs);
            if (options.standby) {
                say("standby: ready, MiniClusters up and job graphs built " + (System.currentTimeMillis() - startedMs)
                        + " ms after main(); waiting for take-over on stdin");
                StandbyWarmUp warmUp = StandbyWarmUp.start();
                if (!awaitTakeOver()) return 0;
                startup.mark("take-over");
                warmUp.stop();
                restore = Restore.choose(options, checkpoints, tradingCheckpoints);
                say("taking over: " + restore.analytics().map(path -> "restoring " + path).orElse("nothing to restore"));
            } else {
                restore = early;
            }
            // The metrics port is this JVM's now (a standby's predecessor held it until it died).
            DeferredPrometheusReporter.bindAll();
            Restore chosen = restore;
            CompletableFuture<JobClient> tradingSubmitted = !runTrading ? CompletableFuture.completedFuture(null)
                    : CompletableFuture.supplyAsync(() -> {
                        try {
                            return tradingLocal.submit(tradingGraph, chosen.trading());
                        } catch (Exception error) {
                            throw new CompletionException(error);
                        }
                    }, STARTUP);
            job = runAnalytics ? cluster.submit(graph, restore.analytics()) : null;
            tradingJob = tradingSubmitted.join();
            startup.mark("submitted");
            if (paced) {
                JobClient analyticsJob = job;
                JobClient engineJob = tradingJob;
                // Triggers fail until each job runs; the pacer retries them on its next tick.
                pacer = CheckpointPacer.start(
                        () -> tradingLocal.checkpoint(engineJob.getJobID()), options.tradingCheckpointInterval,
                        () -> cluster.checkpoint(analyticsJob.getJobID()), options.checkpointInterval);
            }
            if (job != null) {
                awaitRunning(job);
                startup.mark("job-running");
                awaitAllTasksRunning(cluster, job);
                startup.mark("tasks-running");
                // Where the time between job-running and tasks-running went (bench/analytics.ts prints it).
                say("restore: slowest tasks: " + cluster.slowestRestores(job.getJobID(), startup.at("submitted"), 4));
            }
        }
        if (job != null) awaitRunning(job);
        if (tradingJob != null) awaitRunning(tradingJob);
        // RUNNING is the job's status, not its tasks': each exactly-once sink first aborts what a
        // predecessor left open (measured: 5-8 s on Apache Kafka under load), and until the first
        // checkpoint nothing it writes can commit. An order placed then waited that long for its fill.
        if (!options.cluster) {
            if (job != null) {
                checkpoints.awaitFirst(job.getJobID().toString(), FIRST_CHECKPOINT_WAIT);
                startup.mark("first-checkpoint");
            }
            if (tradingJob != null) {
                tradingCheckpoints.awaitFirst(tradingJob.getJobID().toString(), FIRST_CHECKPOINT_WAIT);
                startup.mark("trading-first-checkpoint");
            }
            say("startup: " + startup);
        }
        say("running: " + (job == null ? "" : "job " + job.getJobID() + (tradingJob == null ? "" : " and "))
                + (tradingJob == null ? "" : "trading job " + tradingJob.getJobID()) + ", parallelism "
                + options.parallelism + ", delivery "
                + options.delivery.name().toLowerCase().replace('_', '-') + ", "
                + (runAnalytics ? restore.analytics() : restore.trading()).map(path -> "resumed from " + path)
                        .orElse("fresh start: ticks from " + Instant.ofEpochMilli(backfillFrom)));
        CheckpointPacer pacing = pacer;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            // Before the savepoints: a checkpoint triggered meanwhile would only delay them.
            if (pacing != null) pacing.close();
            CompletableFuture<Void> trading = tradingJob == null ? CompletableFuture.completedFuture(null)
                    : CompletableFuture.runAsync(() -> stopWithSavepoint(tradingJob, tradingCheckpoints));
            if (job != null) stopWithSavepoint(job, checkpoints);
            trading.join();
        }));
        try {
            // Either job ending ends the process: `tickstream analytics` runs both or neither.
            CompletableFuture.anyOf(java.util.stream.Stream.of(job, tradingJob)
                            .filter(java.util.Objects::nonNull)
                            .map(JobClient::getJobExecutionResult)
                            .toArray(CompletableFuture[]::new))
                    .get();
            return 0;
        } catch (Exception error) {
            System.err.println("analytics: the job failed: " + rootCause(error).getMessage()
                    + restore.analytics().map(path -> " (it was restored from " + path + "; --restore none starts afresh)").orElse(""));
            return 1;
        }
    }

    /** The analytics job (candles, detections, correlations) and the alert evaluator, on `config`. */
    private static StreamExecutionEnvironment analyticsJob(AnalyticsOptions options, Configuration config, long backfillFrom) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        DataStream<Tick> ticks = env.fromSource(
                        ticksSource(options, backfillFrom),
                        TickTime.watermarks(options.outOfOrderness, options.idleness),
                        "ticks")
                .uid("ticks-source")
                // The first exchange of the detection path (AnalyticsJob): ticks into PriceStepper.
                .setBufferTimeout(AnalyticsJob.DETECTION_PATH_BUFFER_TIMEOUT_MS);
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
        DataStream<SeenEvent> events = env.fromSource(eventsSource(options), WatermarkStrategy.noWatermarks(), "market events")
                .uid("market-events-source");
        DataStream<RuleChange> rules = env.fromSource(rulesSource(options), WatermarkStrategy.noWatermarks(), "alert rules")
                .uid("alert-rules-source");
        new AlertJob().attach(ticks, events, rules)
                .sinkTo(alertSink(options))
                .uid("alert-events-sink")
                .name("alert triggers → Kafka");
        return env;
    }

    /** What each job resumes from; the older checkpoints are deleted (each start is a new job id). */
    record Restore(Optional<Path> analytics, Optional<Path> trading) {
        static Restore choose(AnalyticsOptions options, Checkpoints checkpoints, Checkpoints tradingCheckpoints)
                throws java.io.IOException {
            Optional<Path> restore = switch (options.restore) {
                case "latest" -> checkpoints.newest();
                case "none" -> Optional.empty();
                default -> Optional.of(Path.of(options.restore).toAbsolutePath());
            };
            // A JVM of one job (--jobs) leaves the other's checkpoints to the JVM that runs it.
            if (options.jobs.analytics()) checkpoints.deleteAllBut(restore.orElse(null));
            Optional<Path> tradingRestore = switch (options.restore) {
                // A checkpoint of the one job from before the split holds the engine's state: taken when there is no other.
                case "latest" -> tradingCheckpoints.newest().or(() -> restore);
                case "none" -> Optional.empty();
                default -> restore;
            };
            if (options.jobs.trading()) tradingCheckpoints.deleteAllBut(tradingRestore.orElse(null));
            return new Restore(restore, tradingRestore);
        }
    }

    private static CompletableFuture<LocalCluster> startCluster(Configuration config, int slots) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return LocalCluster.start(config, slots);
            } catch (Exception error) {
                throw new CompletionException(error);
            }
        }, STARTUP);
    }

    /** The environment's graph as Flink's local executor submits it. */
    static StreamGraph streamGraph(StreamExecutionEnvironment env, String name) throws java.io.IOException {
        StreamGraph graph = env.getStreamGraph();
        graph.setJobName(name);
        // The client assigns it (the local executor does so in getStreamGraph's caller); the cluster requires one.
        graph.setJobId(new org.apache.flink.api.common.JobID());
        graph.serializeUserDefinedInstances();
        return graph;
    }

    /** Blocks until the launcher writes `take-over`; false when stdin ends first (the launcher is gone). */
    private static boolean awaitTakeOver() throws java.io.IOException {
        java.io.BufferedReader input = new java.io.BufferedReader(
                new java.io.InputStreamReader(System.in, java.nio.charset.StandardCharsets.UTF_8));
        for (String line; (line = input.readLine()) != null; ) {
            if (line.trim().equals("take-over")) return true;
        }
        return false;
    }

    /**
     * Paper trading's fill engine (docs/trading.md) as a Flink job of its own (in MiniCluster mode,
     * on a MiniCluster of its own in this JVM). Fills and portfolios are written exactly-once, so a
     * reader sees a fill once the checkpoint after it commits: measured, that wait was most of the
     * order → fill latency, and the analytics job's checkpoints (30 tasks, every window's state,
     * five sinks) took 0.2-3 s under load. This job's state is small and it checkpoints every
     * --trading-checkpoint-interval (100 ms by default).
     */
    static StreamExecutionEnvironment tradingJob(AnalyticsOptions options, Configuration config, long backfillFrom) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        // Both inputs cross one exchange into the engine, where Flink's default 100 ms buffer
        // timeout would hold an order, and then the tick that fills it, for most of the floor.
        DataStream<TradingCommand> commands = env.fromSource(ordersSource(options), WatermarkStrategy.noWatermarks(), "orders")
                .uid("orders-source")
                .setBufferTimeout(FillJob.FILL_PATH_BUFFER_TIMEOUT_MS);
        DataStream<TradingTick> quotes = env.fromSource(
                        tradingTicksSource(options, backfillFrom), WatermarkStrategy.noWatermarks(), "ticks with quotes")
                .uid("trading-ticks-source")
                .setBufferTimeout(FillJob.FILL_PATH_BUFFER_TIMEOUT_MS);
        // One sink for `fills` and `portfolios`: each checkpoint is one transaction over both, so
        // the engine's thread (the sink is chained to it) waits for one flush, one InitProducerId
        // and one EndTxn per checkpoint, not two of each. Its uid and transactional id prefix are
        // those of the former fills sink, whose state (pending commits, pooled ids) it takes over.
        new FillJob(options.startingCash)
                .attach(commands, quotes)
                .sinkTo(sink(options, "fills", new TradingRecordSerializer(options.fillsTopic, options.portfoliosTopic)))
                .uid("fills-sink")
                .name("fills and portfolios → Kafka");

        return env;
    }

    /** The fill engine's job: no metrics reporter (one port, the analytics job's), a REST port of its own. */
    static Configuration tradingConfiguration(
            AnalyticsOptions options, Duration checkpointInterval, Checkpoints checkpoints, Optional<Path> restore) {
        Configuration config = configuration(options, checkpointInterval, 0, checkpoints, restore);
        if (!options.cluster) config.setString("rest.bind-port", "0");
        config.setString(
                "execution.checkpointing.max-concurrent-checkpoints",
                Integer.toString(options.tradingConcurrentCheckpoints));
        config.setString(
                "execution.checkpointing.unaligned.enabled", Boolean.toString(options.tradingUnalignedCheckpoints));
        return config;
    }

    /** Waits for the ticks topic and creates the output topics; a problem with them is an IllegalStateException. */
    private static void prepareTopics(AnalyticsOptions options) {
        try (KafkaTopics topics = new KafkaTopics(options.brokers, AnalyticsMain::say)) {
            topics.awaitTopic(options.ticksTopic);
            topics.ensureOutputTopics(
                    options.candlesTopic, options.eventsTopic, options.correlationsTopic, options.candlesRetentionBytes);
            topics.ensureUserTopics(options.alertsTopic, options.alertEventsTopic);
            topics.ensureTradingTopics(options.ordersTopic, options.fillsTopic, options.portfoliosTopic);
        } catch (InterruptedException error) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while preparing the topics", error);
        } catch (java.util.concurrent.ExecutionException error) {
            throw new IllegalStateException("Kafka refused: " + error.getCause().getMessage(), error);
        }
    }

    /**
     * Whether keyed state is snappy-compressed in checkpoints (see configuration()). A checkpoint
     * says whether it is, so one written either way restores either way (KeyGroupsRestoreTest).
     */
    static final boolean SNAPSHOT_COMPRESSION = false;

    static Configuration configuration(
            AnalyticsOptions options,
            Duration checkpointInterval,
            int metricsPort,
            Checkpoints checkpoints,
            Optional<Path> restore) {
        Configuration config = new Configuration();
        if (options.cluster) {
            if (options.parallelismGiven()) config.setString("parallelism.default", Integer.toString(options.parallelism));
        } else {
            miniCluster(config, options, metricsPort);
        }
        // No defensive copy of every record between chained operators (measured: part of the per-tick
        // cost); no function keeps a reference to its input (CEP copies what it buffers itself).
        config.setString("pipeline.object-reuse", "true");
        // The periodic half of the watermark generator: idleness is only noticed on this timer.
        config.setString("pipeline.auto-watermark-interval", "50 ms");

        config.setString("execution.checkpointing.interval", checkpointInterval.toMillis() + " ms");
        config.setString("execution.checkpointing.mode", "EXACTLY_ONCE");
        config.setString("execution.checkpointing.dir", checkpoints.root().toUri().toString());
        config.setString("execution.checkpointing.savepoint-dir", checkpoints.savepoints().toUri().toString());
        config.setString("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION");
        config.setString("execution.checkpointing.num-retained", "1");
        config.setString("state.backend.type", "hashmap");
        // Not compressed: the heap backend writes each key group of each state through a Snappy
        // stream of its own, and writes names a byte per call; a profile of the drain put ~40 % of the
        // checkpoint writers' samples in that stream (docs/analytics.md, "State and checkpoints").
        // The price: ~3x the bytes, and a restore reads the file unbuffered (a read(2) per field).
        config.setString("execution.checkpointing.snapshot-compression", Boolean.toString(SNAPSHOT_COMPRESSION));
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
    private static void miniCluster(Configuration config, AnalyticsOptions options, int metricsPort) {
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
        if (metricsPort > 0) {
            config.setString(
                    "metrics.reporter.prom.factory.class",
                    // Flink's PrometheusReporter, bound once this JVM runs the job (a standby's port is taken until then).
                    DeferredPrometheusReporterFactory.class.getName());
            config.setString("metrics.reporter.prom.port", Integer.toString(metricsPort));
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

    /**
     * Market events for the event rules: the producer's and this job's own detections, committed
     * ones only (read_committed, the source's default). Without a checkpoint, from now on: an
     * event before the job started fires no rule.
     */
    static KafkaSource<SeenEvent> eventsSource(AnalyticsOptions options) {
        return KafkaSource.<SeenEvent>builder()
                .setBootstrapServers(options.brokers)
                .setTopics(options.eventsTopic)
                .setGroupId(options.instance + "-events")
                .setClientIdPrefix(options.instance + "-events")
                .setStartingOffsets(OffsetsInitializer.latest())
                .setDeserializer(new MarketEventDeserializer())
                .setProperty("partition.discovery.interval.ms", "10000")
                .build();
    }

    /** Every command on `orders` from its beginning (the retention is 31 days): no order is missed. */
    static KafkaSource<TradingCommand> ordersSource(AnalyticsOptions options) {
        return KafkaSource.<TradingCommand>builder()
                .setBootstrapServers(options.brokers)
                .setTopics(options.ordersTopic)
                .setGroupId(options.instance + "-orders")
                .setClientIdPrefix(options.instance + "-orders")
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setDeserializer(new OrderCommandDeserializer())
                .setProperty("partition.discovery.interval.ms", "10000")
                .build();
    }

    /** The ticks again, with bid and ask, for the fill engine; from the same point as the job's ticks. */
    static KafkaSource<TradingTick> tradingTicksSource(AnalyticsOptions options, long backfillFromMs) {
        return KafkaSource.<TradingTick>builder()
                .setBootstrapServers(options.brokers)
                .setTopics(options.ticksTopic)
                .setGroupId(options.instance + "-trading-ticks")
                .setClientIdPrefix(options.instance + "-trading-ticks")
                .setStartingOffsets(OffsetsInitializer.timestamp(backfillFromMs))
                .setDeserializer(new TradingTickDeserializer())
                .setProperty("partition.discovery.interval.ms", "10000")
                .build();
    }

    /** The compacted `alerts` topic from its beginning: every rule, then every change, into broadcast state. */
    static KafkaSource<RuleChange> rulesSource(AnalyticsOptions options) {
        return KafkaSource.<RuleChange>builder()
                .setBootstrapServers(options.brokers)
                .setTopics(options.alertsTopic)
                .setGroupId(options.instance + "-alerts")
                .setClientIdPrefix(options.instance + "-alerts")
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setDeserializer(new AlertRuleDeserializer())
                .setProperty("partition.discovery.interval.ms", "10000")
                .build();
    }

    static <T> KafkaSink<T> sink(AnalyticsOptions options, String name, KafkaRecordSerializationSchema<T> serializer) {
        return sink(options, options.delivery, name, serializer);
    }

    /**
     * The alert path's sink (issue 20: tick → browser p99 ≤ 250 ms). A trigger is sent at once
     * (linger 0: triggers are few, nothing is gained by waiting 5 ms for a batch), and the producer
     * keeps `alert_events` in its metadata however long no rule fires: by default it forgets a
     * topic unused for 5 minutes (metadata.max.idle.ms), and the next trigger then waits for a
     * metadata round trip before it can be sent.
     */
    static KafkaSink<Trigger> alertSink(AnalyticsOptions options) {
        return sinkBuilder(options, options.alertDelivery, "alert-events", new AlertTriggerSerializer(options.alertEventsTopic))
                .setProperty("linger.ms", "0")
                .setProperty("metadata.max.idle.ms", Long.toString(ALERT_METADATA_IDLE_MS))
                .build();
    }

    static <T> KafkaSink<T> sink(
            AnalyticsOptions options, Delivery delivery, String name, KafkaRecordSerializationSchema<T> serializer) {
        return sinkBuilder(options, delivery, name, serializer).build();
    }

    private static <T> KafkaSinkBuilder<T> sinkBuilder(
            AnalyticsOptions options, Delivery delivery, String name, KafkaRecordSerializationSchema<T> serializer) {
        return KafkaSink.<T>builder()
                .setBootstrapServers(options.brokers)
                .setRecordSerializer(serializer)
                .setDeliveryGuarantee(
                        delivery == Delivery.EXACTLY_ONCE
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
                .setProperty("buffer.memory", Integer.toString(8 << 20));
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

    /** Until every task has restored its state and runs: from then on the job reads and writes. */
    private static void awaitAllTasksRunning(LocalCluster cluster, JobClient job) throws Exception {
        long deadline = System.currentTimeMillis() + 120_000;
        while (System.currentTimeMillis() < deadline) {
            if (cluster.allTasksRunning(job.getJobID())) return;
            Thread.sleep(20);
        }
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
