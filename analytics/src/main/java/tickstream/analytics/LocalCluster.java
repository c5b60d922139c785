package tickstream.analytics;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.checkpoint.CheckpointStatsSnapshot;
import org.apache.flink.core.execution.CheckpointType;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.execution.ExecutionState;
import org.apache.flink.runtime.executiongraph.AccessExecutionGraph;
import org.apache.flink.runtime.executiongraph.AccessExecutionVertex;
import org.apache.flink.runtime.jobgraph.SavepointRestoreSettings;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.runtime.minicluster.MiniClusterJobClient;
import org.apache.flink.runtime.minicluster.RpcServiceSharing;
import org.apache.flink.streaming.api.graph.StreamGraph;

/**
 * One MiniCluster in this JVM, started before it is given a job, as Flink's local executor would
 * start it (one TaskManager, a shared RPC service) but apart from the submission: a hot standby
 * (`--standby true`) has its clusters running and its job graphs built while another JVM runs the
 * job, and only submits them, restored from that JVM's last checkpoint, once told to take over.
 * Starting a MiniCluster is the longest part of a start (Pekko, Flink's RPC system, loaded in a
 * class loader of its own: 4.3 s of one traced start under load).
 */
final class LocalCluster implements AutoCloseable {
    private final MiniCluster cluster;

    private LocalCluster(MiniCluster cluster) {
        this.cluster = cluster;
    }

    static LocalCluster start(Configuration config, int slots) throws Exception {
        MiniCluster cluster = new MiniCluster(new MiniClusterConfiguration.Builder()
                .setConfiguration(config)
                .setNumTaskManagers(1)
                .setNumSlotsPerTaskManager(slots)
                .setRpcServiceSharing(RpcServiceSharing.SHARED)
                .build());
        cluster.start();
        return new LocalCluster(cluster);
    }

    /** Submits `graph`, restored from `restore` when given (state of operators it lacks is ignored). */
    JobClient submit(StreamGraph graph, Optional<Path> restore) throws Exception {
        // The checkpoint's key groups, not the configured ones: Flink refuses a restore into a different count.
        if (restore.isPresent()) KeyGroups.adoptFromCheckpoint(graph);
        graph.setSavepointRestoreSettings(restore
                .map(path -> SavepointRestoreSettings.forPath(path.toUri().toString(), true))
                .orElse(SavepointRestoreSettings.none()));
        JobID id = cluster.submitJob(graph).get().getJobID();
        return new MiniClusterJobClient(
                id,
                cluster,
                Thread.currentThread().getContextClassLoader(),
                MiniClusterJobClient.JobFinalizationBehavior.NOTHING);
    }

    /** Triggers a checkpoint of `job` now (CheckpointPacer); completes when it has completed. */
    CompletableFuture<Long> checkpoint(JobID job) {
        return cluster.triggerCheckpoint(job, CheckpointType.CONFIGURED);
    }

    /** Flink's statistics of `job`'s recent checkpoints (web.checkpoints.history of them). */
    CheckpointStatsSnapshot checkpointStats(JobID job) throws Exception {
        return cluster.getExecutionGraph(job).get().getCheckpointStatsSnapshot();
    }

    /** The JVM's exit ends a running job's MiniCluster; tests close theirs. */
    @Override
    public void close() throws Exception {
        cluster.close();
    }

    /**
     * Each task's restore, slowest first, as "name +deployed ms, restored in ms" (ms after
     * `sinceMs`): which task held the job back after a take-over (its state, its sinks' aborts).
     */
    String slowestRestores(JobID job, long sinceMs, int count) throws Exception {
        AccessExecutionGraph graph = cluster.getExecutionGraph(job).get();
        record Restore(String task, long initializingAt, long runningAt) {}
        java.util.List<Restore> restores = new java.util.ArrayList<>();
        for (AccessExecutionVertex vertex : graph.getAllExecutionVertices()) {
            long initializing = vertex.getStateTimestamp(ExecutionState.INITIALIZING);
            long running = vertex.getStateTimestamp(ExecutionState.RUNNING);
            if (initializing > 0 && running > 0) restores.add(new Restore(vertex.getTaskNameWithSubtaskIndex(), initializing, running));
        }
        restores.sort(java.util.Comparator.comparingLong((Restore restore) -> restore.runningAt() - restore.initializingAt()).reversed());
        java.util.StringJoiner line = new java.util.StringJoiner("; ");
        for (Restore restore : restores.subList(0, Math.min(count, restores.size()))) {
            line.add(restore.task() + " +" + (restore.initializingAt() - sinceMs) + " ms, restored in "
                    + (restore.runningAt() - restore.initializingAt()) + " ms");
        }
        return line.toString();
    }

    /** Whether every task of the job has restored its state and runs (INITIALIZING is the restore). */
    boolean allTasksRunning(JobID job) throws Exception {
        AccessExecutionGraph graph = cluster.getExecutionGraph(job).get();
        for (AccessExecutionVertex vertex : graph.getAllExecutionVertices()) {
            if (vertex.getExecutionState() != ExecutionState.RUNNING) return false;
        }
        return true;
    }
}
