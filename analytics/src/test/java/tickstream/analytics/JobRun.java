package tickstream.analytics;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;

/** Collects streams of a bounded job on the test MiniCluster, then runs it to the end. */
public final class JobRun {
    private final StreamExecutionEnvironment env;
    private final List<Collected<?>> outputs = new ArrayList<>();

    public JobRun(StreamExecutionEnvironment env) {
        this.env = env;
        // As AnalyticsMain runs the job (pipeline.object-reuse).
        env.getConfig().enableObjectReuse();
    }

    /** A list that holds everything `stream` emitted once run() returns. */
    public <T> List<T> collect(DataStream<T> stream) {
        Collected<T> collected = new Collected<>(stream.collectAsync());
        outputs.add(collected);
        return collected.items;
    }

    public void run() throws Exception {
        JobClient job = env.executeAsync("test");
        try {
            // Each iterator ends when the job does; the tests' outputs are far below the collect
            // sinks' buffers, so draining them one after another cannot stall the job.
            for (Collected<?> output : outputs) output.drain();
            job.getJobExecutionResult().get();
        } finally {
            for (Collected<?> output : outputs) output.iterator.close();
        }
    }

    private static final class Collected<T> {
        final CloseableIterator<T> iterator;
        final List<T> items = new ArrayList<>();

        Collected(CloseableIterator<T> iterator) {
            this.iterator = iterator;
        }

        void drain() {
            iterator.forEachRemaining(items::add);
        }
    }
}
