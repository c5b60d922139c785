package tickstream.analytics;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.checkpoint.AbstractCheckpointStats;
import org.apache.flink.runtime.checkpoint.CheckpointStatsStatus;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two jobs on two MiniClusters of one JVM, as `tickstream analytics` runs the analytics job and
 * the fill engine, with their checkpoints paced (--paced-checkpoints): each job's checkpoints are
 * the pacer's (Flink's own timer is a minute), and the "analytics" job's start right after one
 * of the "engine" job's completes, as Flink's statistics show.
 */
class CheckpointPacerMiniClusterTest {
    @TempDir
    Path dir;

    private static Configuration config(Path checkpoints) throws Exception {
        AnalyticsOptions options = AnalyticsOptions.parse(new String[] {"--brokers", "unused:9092"});
        Configuration config = AnalyticsMain.configuration(
                options, AnalyticsMain.PACED_BACKSTOP, 0, new Checkpoints(Files.createDirectories(checkpoints)), Optional.empty());
        config.setString("rest.bind-port", "0");
        // Every checkpoint of the test's few seconds, not Flink's last 10.
        config.setString("web.checkpoints.history", "200");
        return config;
    }

    private static JobClient submit(LocalCluster cluster, Configuration config, String name) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        env.fromSource(
                        new DataGeneratorSource<>(i -> i, Long.MAX_VALUE, RateLimiterStrategy.perSecond(50), Types.LONG),
                        WatermarkStrategy.noWatermarks(),
                        name + " numbers")
                .sinkTo(new DiscardingSink<>());
        JobClient job = cluster.submit(AnalyticsMain.streamGraph(env, name), Optional.empty());
        for (long deadline = System.currentTimeMillis() + 60_000; job.getJobStatus().get() != JobStatus.RUNNING; ) {
            assertTrue(System.currentTimeMillis() < deadline, name + " not running after 60 s");
            Thread.sleep(20);
        }
        return job;
    }

    /** [trigger, last acknowledgement] of each completed checkpoint, in order. */
    private static List<long[]> completed(LocalCluster cluster, JobID job) throws Exception {
        List<long[]> checkpoints = new ArrayList<>();
        for (AbstractCheckpointStats stats : cluster.checkpointStats(job).getHistory().getCheckpoints()) {
            if (stats.getStatus() == CheckpointStatsStatus.COMPLETED)
                checkpoints.add(new long[] {stats.getTriggerTimestamp(), stats.getLatestAckTimestamp()});
        }
        checkpoints.sort(java.util.Comparator.comparingLong(checkpoint -> checkpoint[0]));
        return checkpoints;
    }

    @Test
    void triggersBothJobsAndStartsTheAnalyticsCheckpointAsAnEngineCheckpointCompletes() throws Exception {
        Configuration engineConfig = config(dir.resolve("engine"));
        Configuration analyticsConfig = config(dir.resolve("analytics"));
        try (LocalCluster engine = LocalCluster.start(engineConfig, 1);
                LocalCluster analytics = LocalCluster.start(analyticsConfig, 1)) {
            JobClient engineJob = submit(engine, engineConfig, "engine");
            JobClient analyticsJob = submit(analytics, analyticsConfig, "analytics");
            try (CheckpointPacer pacer = CheckpointPacer.start(
                    () -> engine.checkpoint(engineJob.getJobID()), java.time.Duration.ofMillis(100),
                    () -> analytics.checkpoint(analyticsJob.getJobID()), java.time.Duration.ofMillis(200))) {
                Thread.sleep(4_000);
            }
            List<long[]> engineCheckpoints = completed(engine, engineJob.getJobID());
            List<long[]> analyticsCheckpoints = completed(analytics, analyticsJob.getJobID());
            // 40 and 20 on an idle machine; a loaded one gets fewer of each.
            assertTrue(engineCheckpoints.size() >= 10, "engine checkpoints: " + engineCheckpoints.size());
            assertTrue(analyticsCheckpoints.size() >= 4, "analytics checkpoints: " + analyticsCheckpoints.size());
            assertTrue(analyticsCheckpoints.size() * 4 <= engineCheckpoints.size() * 3,
                    "about one analytics checkpoint per two engine checkpoints: "
                            + analyticsCheckpoints.size() + " to " + engineCheckpoints.size());
            // From the engine checkpoint's last acknowledgement to the analytics trigger: its
            // finalization and the pacer's hand-over. On their own timers the two would be ~50 ms
            // apart at the median (the engine's checkpoints take a few ms of each 100).
            List<Long> gaps = new ArrayList<>();
            for (long[] checkpoint : analyticsCheckpoints) {
                long lastEngineAck = engineCheckpoints.stream()
                        .mapToLong(engineCheckpoint -> engineCheckpoint[1])
                        .filter(ack -> ack <= checkpoint[0])
                        .max()
                        .orElse(Long.MIN_VALUE);
                if (lastEngineAck != Long.MIN_VALUE) gaps.add(checkpoint[0] - lastEngineAck);
            }
            gaps.sort(null);
            long median = gaps.get(gaps.size() / 2);
            assertTrue(median <= 25, "analytics trigger after the last engine acknowledgement, median " + median + " ms: " + gaps);
            engineJob.cancel().get();
            analyticsJob.cancel().get();
        }
    }
}
