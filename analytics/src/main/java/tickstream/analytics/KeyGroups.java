package tickstream.analytics;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;

/**
 * How many key groups the analytics job's keyed state is split into (Flink's maximum
 * parallelism). Flink's default is at least 128, and the heap backend's asynchronous snapshot
 * writes every key group of every keyed state through a compressed stream of its own, opened and
 * closed at every checkpoint (every 200 ms) whatever the state's size: a profile of the drain
 * put Snappy's stream set-up and close at about a third of the checkpoint writers' time.
 * Sixteen are enough for the parallelism a MiniCluster runs at (at most 16 subtasks per operator;
 * more would need a fresh start). A Flink cluster keeps Flink's default, room to rescale.
 *
 * A checkpoint restores only into the key groups it was written with, and Flink refuses one
 * whose count differs from a configured one. So a restored job does not configure it: Flink
 * then takes each operator's count from the checkpoint (a checkpoint of an older job keeps its
 * 128 until a start without one, `--restore none`), and only fresh state gets the smaller count.
 */
final class KeyGroups {
    /** The fewest key groups a MiniCluster job's state gets. */
    static final int MINIMUM = 16;

    private KeyGroups() {}

    /** Flink's own rule (1.5 × the parallelism, a power of two) with MINIMUM as its floor instead of 128. */
    static int forParallelism(int parallelism) {
        int wanted = parallelism + parallelism / 2;
        return Math.max(MINIMUM, Integer.highestOneBit(Math.max(1, wanted - 1)) << 1);
    }

    /** A MiniCluster job's fresh state gets forParallelism(parallelism) key groups. */
    static void configure(Configuration config, int parallelism) {
        config.setString("pipeline.max-parallelism", Integer.toString(forParallelism(parallelism)));
    }

    /**
     * Before `graph` is submitted with a checkpoint to restore: the key groups the configuration
     * gave every operator are dropped, so each takes its checkpoint's count (an operator the
     * checkpoint lacks gets Flink's default). Counts an operator set itself (a non-parallel
     * operator's 1) are kept. The graph is built before the restore point is known (a hot
     * standby builds it long before it takes over), hence here and not in the configuration.
     */
    static void adoptFromCheckpoint(StreamGraph graph) {
        int configured = graph.getExecutionConfig().getMaxParallelism();
        if (configured <= 0) return;
        for (StreamNode node : graph.getStreamNodes()) {
            if (node.getMaxParallelism() == configured) node.setMaxParallelism(-1);
        }
    }
}
