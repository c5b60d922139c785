package tickstream.analytics;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.memory.DataInputViewStreamWrapper;
import org.apache.flink.core.memory.DataOutputViewStreamWrapper;
import org.apache.flink.runtime.state.SnappyStreamCompressionDecorator;
import org.apache.flink.runtime.state.StreamCompressionDecorator;
import org.apache.flink.runtime.state.UncompressedStreamCompressionDecorator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tickstream.analytics.alerts.SymbolHistory;

/**
 * What a hot standby does once it stands by: it writes and reads back, through Flink's own
 * serializer and the checkpoints' local file streams, as much of the alert evaluator's
 * per-symbol history as the job holds at the default load (500 symbols, a minute of ticks each:
 * ~11 MB, the job's largest state by far). A take-over restores that state, then checkpoints it
 * every interval; in a JVM that has never done either, both would first run in the interpreter,
 * on the recovery's critical path. Once, in the background; a take-over stops it.
 *
 * Not done: running the job's operators on synthetic ticks (a bounded job on the standby's
 * MiniCluster). Tried: at load 50-70 it took 100 s of the standby's CPU, beside the job it
 * stands by for, and its slot had to be handed back before the take-over's submission.
 */
final class StandbyWarmUp {
    private static final Logger LOG = LoggerFactory.getLogger(StandbyWarmUp.class);
    /** As the default load: 500 symbols, a tick each every 100 ms, one minute of them. */
    private static final int SYMBOLS = 500;
    private static final int TICKS_PER_SYMBOL = 600;
    private static final int ROUNDS = 3;
    /** What AnalyticsMain's execution.checkpointing.snapshot-compression writes and reads. */
    private static final StreamCompressionDecorator CHECKPOINT_STREAMS = AnalyticsMain.SNAPSHOT_COMPRESSION
            ? SnappyStreamCompressionDecorator.INSTANCE
            : UncompressedStreamCompressionDecorator.INSTANCE;

    private final CompletableFuture<Void> ended = new CompletableFuture<>();
    private final Thread thread = new Thread(this::run, "standby-warm-up");
    private volatile boolean stopping;

    private StandbyWarmUp() {
        thread.setDaemon(true);
    }

    static StandbyWarmUp start() {
        StandbyWarmUp warmUp = new StandbyWarmUp();
        warmUp.thread.start();
        return warmUp;
    }

    /** Completes when the warm-up has ended: normally once done or stopped, exceptionally when it failed. */
    CompletableFuture<Void> ended() {
        return ended;
    }

    /** Ends the warm-up and returns once its thread has (at most a round's read or write later). */
    void stop() throws InterruptedException {
        stopping = true;
        thread.join(10_000);
    }

    private void run() {
        long startedMs = System.currentTimeMillis();
        try {
            writeAndReadHistories();
            if (!stopping) AnalyticsMain.say("standby: warm-up done in " + (System.currentTimeMillis() - startedMs) + " ms");
            ended.complete(null);
        } catch (Exception | LinkageError error) {
            // Only speed is lost: the take-over works the same, colder.
            LOG.warn("the standby's warm-up failed", error);
            AnalyticsMain.say("standby: warm-up failed (" + error + "); a take-over runs colder");
            ended.completeExceptionally(error);
        }
    }

    private void writeAndReadHistories() throws IOException {
        TypeSerializer<SymbolHistory> serializer =
                TypeInformation.of(SymbolHistory.class).createSerializer(new SerializerConfigImpl());
        SymbolHistory[] histories = new SymbolHistory[SYMBOLS];
        long startMs = System.currentTimeMillis() - 60_000;
        for (int symbol = 0; symbol < SYMBOLS; symbol++) {
            if (stopping) return;
            SymbolHistory history = new SymbolHistory();
            for (int tick = 0; tick < TICKS_PER_SYMBOL; tick++) {
                history.add("Tech", startMs + tick * 100L, 1_000_000 + tick, 1 + tick % 7, 60_000);
            }
            histories[symbol] = history;
        }
        Path scratch = Files.createTempFile("tickstream-standby-warm-up", ".state");
        org.apache.flink.core.fs.Path file = new org.apache.flink.core.fs.Path(scratch.toUri());
        FileSystem local = FileSystem.getLocalFileSystem();
        try {
            for (int round = 0; round < ROUNDS && !stopping; round++) {
                // The decorated streams leave the file's open: each is closed after its decorator.
                try (OutputStream raw = new BufferedOutputStream(local.create(file, FileSystem.WriteMode.OVERWRITE), 4096);
                        OutputStream out = CHECKPOINT_STREAMS.decorateWithCompression(raw)) {
                    DataOutputViewStreamWrapper view = new DataOutputViewStreamWrapper(out);
                    for (SymbolHistory history : histories) serializer.serialize(history, view);
                }
                try (InputStream raw = local.open(file); InputStream in = CHECKPOINT_STREAMS.decorateWithCompression(raw)) {
                    DataInputViewStreamWrapper view = new DataInputViewStreamWrapper(in);
                    for (int i = 0; i < histories.length && !stopping; i++) {
                        SymbolHistory read = serializer.deserialize(view);
                        // A tick every 100 ms: one 100 ms bucket each.
                        if (read.ticks.size() != TICKS_PER_SYMBOL)
                            throw new IOException("read back " + read.ticks.size() + " buckets of history");
                    }
                }
            }
        } finally {
            Files.deleteIfExists(scratch);
        }
    }
}
