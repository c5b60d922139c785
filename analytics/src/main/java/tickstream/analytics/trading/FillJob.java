package tickstream.analytics.trading;

import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.util.function.SerializableSupplier;

/**
 * Paper trading's fill engine (issue 21, docs/trading.md): commands of `orders` and ticks in,
 * OrderUpdates (for `fills`) and Portfolios (for `portfolios`) out, on one stream of
 * TradingRecords for one sink. Sources and sink are the caller's. Both inputs go to one key: see
 * FillEngine.
 */
public final class FillJob {

    /**
     * How long an order or a tick may wait in a network buffer before the engine (Flink's default
     * is 100 ms per exchange; the floor is 100 ms from the filling tick to the trader's screen).
     */
    public static final long FILL_PATH_BUFFER_TIMEOUT_MS = 2;

    private final SerializableSupplier<FillEngine> engines;

    public FillJob(long startingCash) {
        this(() -> new FillEngine(startingCash));
    }

    /** With engines of the caller's making: tests observe when commands have been applied. */
    public FillJob(SerializableSupplier<FillEngine> engines) {
        this.engines = engines;
    }

    public DataStream<TradingRecord> attach(DataStream<TradingCommand> commands, DataStream<TradingTick> ticks) {
        SingleOutputStreamOperator<TradingRecord> records = commands.keyBy(command -> FillEngine.ENGINE_KEY)
                .connect(ticks.keyBy(tick -> FillEngine.ENGINE_KEY))
                .process(engines.get())
                .uid("fill-engine")
                .name("fill engine")
                .setParallelism(1)
                .setMaxParallelism(1)
                // Into a sink of a higher parallelism the records cross an exchange too.
                .setBufferTimeout(FILL_PATH_BUFFER_TIMEOUT_MS);
        return records;
    }
}
