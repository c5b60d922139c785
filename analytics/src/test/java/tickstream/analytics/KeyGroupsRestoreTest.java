package tickstream.analytics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.core.memory.DataInputViewStreamWrapper;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.state.KeyGroupsStateHandle;
import org.apache.flink.runtime.state.KeyedBackendSerializationProxy;
import org.apache.flink.runtime.state.KeyedStateHandle;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * KeyGroups on a real MiniCluster started as AnalyticsMain starts it: a checkpoint of a job from
 * before (Flink's default 128 key groups) restores into today's job, which configures 16, with
 * its keyed state; the restored job keeps writing 128; a fresh start writes 16. The job before
 * also compressed its snapshots and today's does not (AnalyticsMain.SNAPSHOT_COMPRESSION): the
 * compressed checkpoint restores, and the restored job writes uncompressed.
 */
class KeyGroupsRestoreTest {
    private static final int KEYS = 8;
    /** Keys whose count came back from the restored checkpoint (the MiniCluster runs in this JVM). */
    private static final Set<Long> RESTORED = ConcurrentHashMap.newKeySet();
    private static final AtomicLong COUNTED = new AtomicLong();

    @TempDir
    Path dir;

    @Test
    void anOlderJobsCheckpointRestoresWithItsOwnKeyGroupsAndFreshStateGetsFewer() throws Exception {
        Configuration today = config(AnalyticsMain.SNAPSHOT_COMPRESSION);
        KeyGroups.configure(today, 1);
        // The job before also compressed its snapshots (Snappy).
        Configuration before = config(true);
        LocalCluster cluster = LocalCluster.start(today, 1);

        String older = runAndStop(cluster, graph(before), Optional.empty(), () -> COUNTED.get() > 5_000);
        assertEquals(Set.of(128), keyedMaxParallelism(older), "the older job's checkpoint");
        assertEquals(Set.of(true), compressed(older), "the older job's snapshots compressed");

        RESTORED.clear();
        String restored = runAndStop(
                cluster, graph(today), Optional.of(Path.of(URI.create(older))), () -> RESTORED.size() == KEYS);
        assertEquals(KEYS, RESTORED.size(), "keys whose state came back");
        assertEquals(Set.of(128), keyedMaxParallelism(restored), "a restored job keeps its checkpoint's key groups");
        assertEquals(Set.of(AnalyticsMain.SNAPSHOT_COMPRESSION), compressed(restored), "a restored job writes as configured");

        String fresh = runAndStop(cluster, graph(today), Optional.empty(), () -> COUNTED.get() > 5_000);
        assertEquals(Set.of(KeyGroups.MINIMUM), keyedMaxParallelism(fresh), "a fresh start's key groups");
        assertEquals(Set.of(AnalyticsMain.SNAPSHOT_COMPRESSION), compressed(fresh), "a fresh start's snapshots");
    }

    @Test
    void theCountFollowsFlinksRuleWithSixteenAsItsFloor() {
        assertEquals(16, KeyGroups.forParallelism(1));
        assertEquals(16, KeyGroups.forParallelism(10));
        assertEquals(16, KeyGroups.forParallelism(11));
        assertEquals(32, KeyGroups.forParallelism(12));
        assertEquals(128, KeyGroups.forParallelism(64));
    }

    private Configuration config(boolean compressed) {
        Configuration config = new Configuration();
        config.setString("state.backend.type", "hashmap");
        config.setString("execution.checkpointing.dir", dir.resolve("checkpoints").toUri().toString());
        config.setString("execution.checkpointing.savepoint-dir", dir.resolve("savepoints").toUri().toString());
        config.setString("execution.checkpointing.snapshot-compression", Boolean.toString(compressed));
        // A refused restore fails the job at once instead of retrying it.
        config.setString("restart-strategy.type", "none");
        config.setString("rest.bind-port", "0");
        // One slot, as AnalyticsMain's MiniCluster at --parallelism 1.
        config.setString("parallelism.default", "1");
        return config;
    }

    /** Numbers counted per key (n mod KEYS) in keyed state, as the job's keyed operators keep theirs. */
    private static StreamGraph graph(Configuration config) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        env.fromSequence(0, Long.MAX_VALUE)
                .uid("numbers")
                .keyBy(n -> n % KEYS)
                .process(new Counter())
                .uid("counter")
                .sinkTo(new DiscardingSink<>())
                .uid("discard");
        return AnalyticsMain.streamGraph(env, "key groups");
    }

    /** Submits `graph`, waits for `until`, stops it with a savepoint and returns the savepoint's path. */
    private String runAndStop(LocalCluster cluster, StreamGraph graph, Optional<Path> restore, BooleanSupplier until)
            throws Exception {
        COUNTED.set(0);
        JobClient job = cluster.submit(graph, restore);
        long deadline = System.currentTimeMillis() + 60_000;
        while (!until.getAsBoolean()) {
            JobStatus status = job.getJobStatus().get();
            if (status.isGloballyTerminalState()) {
                try {
                    job.getJobExecutionResult().get();
                } catch (Exception error) {
                    fail("the job ended " + status + ": " + error.getCause(), error);
                }
                fail("the job ended " + status);
            }
            if (System.currentTimeMillis() > deadline) fail("the job did not get there in 60 s: " + status);
            Thread.sleep(20);
        }
        return job.stopWithSavepoint(false, dir.resolve("savepoints").toUri().toString(), SavepointFormatType.CANONICAL)
                .get(60, TimeUnit.SECONDS);
    }

    /** The key groups of the savepoint's operators that hold keyed state, read from its metadata. */
    private static Set<Integer> keyedMaxParallelism(String savepoint) throws Exception {
        return metadata(savepoint).getOperatorStates().stream()
                .filter(state -> state.getStates().stream().anyMatch(subtask -> subtask.getManagedKeyedState().hasState()))
                .map(OperatorState::getMaxParallelism)
                .collect(Collectors.toSet());
    }

    /** Whether each keyed state file of the savepoint is compressed, as its own header says (what a restore reads). */
    private static Set<Boolean> compressed(String savepoint) throws Exception {
        Set<Boolean> found = new java.util.HashSet<>();
        for (OperatorState operator : metadata(savepoint).getOperatorStates()) {
            for (var subtask : operator.getStates()) {
                for (KeyedStateHandle handle : subtask.getManagedKeyedState()) {
                    try (var in = ((KeyGroupsStateHandle) handle).openInputStream()) {
                        KeyedBackendSerializationProxy<?> header =
                                new KeyedBackendSerializationProxy<>(KeyGroupsRestoreTest.class.getClassLoader());
                        header.read(new DataInputViewStreamWrapper(in));
                        found.add(header.isUsingKeyGroupCompression());
                    }
                }
            }
        }
        return found;
    }

    private static CheckpointMetadata metadata(String savepoint) throws Exception {
        Path metadata = Path.of(URI.create(savepoint)).resolve("_metadata");
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(metadata)))) {
            return org.apache.flink.runtime.checkpoint.Checkpoints.loadCheckpointMetadata(
                    in, KeyGroupsRestoreTest.class.getClassLoader(), savepoint);
        }
    }

    private static final class Counter extends KeyedProcessFunction<Long, Long, Long> {
        private transient ValueState<Long> count;
        private transient Set<Long> seen;

        @Override
        public void open(org.apache.flink.api.common.functions.OpenContext context) {
            count = getRuntimeContext().getState(new ValueStateDescriptor<>("count", Types.LONG));
            seen = new java.util.HashSet<>();
        }

        @Override
        public void processElement(Long n, Context context, Collector<Long> out) throws Exception {
            Long before = count.value();
            Long key = context.getCurrentKey();
            if (seen.add(key) && before != null) RESTORED.add(key);
            count.update(before == null ? 1 : before + 1);
            // Slowly: the test shares its machine, and a checkpoint needs only a few counts.
            if (COUNTED.incrementAndGet() % 100 == 0) Thread.sleep(1);
        }
    }
}
