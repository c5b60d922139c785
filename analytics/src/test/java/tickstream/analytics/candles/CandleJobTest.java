package tickstream.analytics.candles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static tickstream.analytics.TestMarket.scaled;
import static tickstream.analytics.TestMarket.us;

import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tickstream.analytics.AnalyticsJob;
import tickstream.analytics.JobRun;
import tickstream.analytics.patterns.PatternParameters;
import tickstream.analytics.TestMarket;
import tickstream.analytics.model.Bar;
import tickstream.analytics.model.Candle;
import tickstream.analytics.model.Tick;

/** The candle pipeline on a real MiniCluster, over a fixed sequence with out-of-order and late ticks. */
class CandleJobTest {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberSlotsPerTaskManager(2).build());

    /** Arrival order; the watermark trails the highest time seen by 200 ms. */
    private static TestMarket market() {
        return new TestMarket()
                .tick("AAPL", 100, 100.00, 10)
                .tick("AAPL", 500, 101.00, 20)
                .tick("MSFT", 600, 50.00, 5)
                // Out of order, but within the bound: second 0 is still open, so it counts (its low).
                .tick("AAPL", 300, 99.50, 10)
                // Watermark 999: second 0 closes.
                .tick("AAPL", 1_200, 102.00, 5)
                // Late: second 0 was already emitted. Side output, counted, not in any bar.
                .tick("AAPL", 900, 200.00, 1)
                // Out of order within second 1: it is that bar's open although it arrived second.
                .tick("AAPL", 1_100, 101.50, 10)
                .tick("MSFT", 61_000, 51.00, 5);
    }

    @Test
    void buildsExactlyTheExpectedBarsOfEveryTimeframeAndCountsTheLateTick() throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        AnalyticsJob.TicksBySymbol ticks = AnalyticsJob.ticksBySymbol(market().stream(env), new PatternParameters());
        CandleJob.Candles out = new CandleJob().attach(ticks.ticks());
        JobRun run = new JobRun(env);
        List<Candle> candles = run.collect(out.candles());
        List<Tick> late = run.collect(out.lateTicks());
        run.run();

        long day = TestMarket.T0_MS - TestMarket.T0_MS % 86_400_000L;
        long dayUs = day * 1000;
        String aaplHigherTimeframes = String.join(
                "\n",
                bar("AAPL", "M1", us(0), 100.00, 102.00, 99.50, 102.00, 55, 5, 100.7273),
                bar("AAPL", "M5", us(0), 100.00, 102.00, 99.50, 102.00, 55, 5, 100.7273),
                bar("AAPL", "M15", us(0), 100.00, 102.00, 99.50, 102.00, 55, 5, 100.7273),
                bar("AAPL", "H1", us(0), 100.00, 102.00, 99.50, 102.00, 55, 5, 100.7273),
                bar("AAPL", "H4", us(0), 100.00, 102.00, 99.50, 102.00, 55, 5, 100.7273),
                bar("AAPL", "D1", dayUs, 100.00, 102.00, 99.50, 102.00, 55, 5, 100.7273));
        String expected = String.join(
                "\n",
                bar("AAPL", "S1", us(0), 100.00, 101.00, 99.50, 101.00, 40, 3, 100.375),
                bar("AAPL", "S1", us(1_000), 101.50, 102.00, 101.50, 102.00, 15, 2, 101.6667),
                aaplHigherTimeframes,
                bar("MSFT", "S1", us(0), 50.00, 50.00, 50.00, 50.00, 5, 1, 50.00),
                bar("MSFT", "S1", us(61_000), 51.00, 51.00, 51.00, 51.00, 5, 1, 51.00),
                bar("MSFT", "M1", us(0), 50.00, 50.00, 50.00, 50.00, 5, 1, 50.00),
                bar("MSFT", "M1", us(60_000), 51.00, 51.00, 51.00, 51.00, 5, 1, 51.00),
                bar("MSFT", "M5", us(0), 50.00, 51.00, 50.00, 51.00, 10, 2, 50.50),
                bar("MSFT", "M15", us(0), 50.00, 51.00, 50.00, 51.00, 10, 2, 50.50),
                bar("MSFT", "H1", us(0), 50.00, 51.00, 50.00, 51.00, 10, 2, 50.50),
                bar("MSFT", "H4", us(0), 50.00, 51.00, 50.00, 51.00, 10, 2, 50.50),
                bar("MSFT", "D1", dayUs, 50.00, 51.00, 50.00, 51.00, 10, 2, 50.50));
        assertEquals(expected, describe(candles));
        assertEquals(List.of(scaled(200.00)), late.stream().map(tick -> tick.price).toList());
    }

    static String bar(
            String symbol,
            String timeframe,
            long startUs,
            double open,
            double high,
            double low,
            double close,
            long volume,
            long trades,
            double vwap) {
        return String.format(
                "%s %s@%d O%d H%d L%d C%d V%d T%d VWAP%d",
                symbol,
                timeframe,
                startUs,
                scaled(open),
                scaled(high),
                scaled(low),
                scaled(close),
                volume,
                trades,
                scaled(vwap));
    }

    private static String describe(List<Candle> candles) {
        return candles.stream()
                .map(candle -> candle.bar)
                .sorted(Comparator.<Bar, String>comparing(b -> b.symbol)
                        .thenComparingInt(b -> b.timeframe)
                        .thenComparingLong(b -> b.startUs))
                .map(b -> bar(
                                b.symbol,
                                tickstream.kafka.BarTimeframe.name(b.timeframe),
                                b.startUs,
                                b.open / 10_000.0,
                                b.high / 10_000.0,
                                b.low / 10_000.0,
                                b.close / 10_000.0,
                                b.volume,
                                b.trades,
                                b.vwap() / 10_000.0))
                .collect(Collectors.joining("\n"));
    }
}
