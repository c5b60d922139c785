package tickstream.analytics.correlation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Comparator;
import java.util.List;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tickstream.analytics.AnalyticsJob;
import tickstream.analytics.JobRun;
import tickstream.analytics.patterns.PatternParameters;
import tickstream.analytics.TestMarket;
import tickstream.analytics.candles.CandleJob;
import tickstream.analytics.model.Correlations;

/** Correlation matrices from real 1m bars on a MiniCluster. */
class CorrelationJobTest {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberSlotsPerTaskManager(2).build());

    @Test
    void aSectorMatrixHasOneForTwinsMinusOneForMirrorsAndNaNForTooFewReturns() throws Exception {
        TestMarket market = new TestMarket();
        double[] moves = {0.01, -0.02, 0.015, 0.005, -0.01, 0.02, -0.005, 0.01};
        double up = 100;
        double down = 100;
        for (int minute = 0; minute <= moves.length; minute++) {
            if (minute > 0) {
                up *= 1 + moves[minute - 1];
                down /= 1 + moves[minute - 1];
            }
            long at = minute * 60_000L + 30_000;
            market.tick("TWIN", "Tech", at, up, 10)
                    .tick("ALSO", "Tech", at, up * 2, 10)
                    .tick("MIRR", "Tech", at, down, 10)
                    .tick("OIL", "Energy", at, 50, 10);
            // SHORT trades only in the last two minutes: one return, below the minimum of 3.
            if (minute >= moves.length - 1) market.tick("SHORT", "Tech", at, 10 + minute, 10);
        }
        CorrelationParameters p = new CorrelationParameters();
        p.windowBars = 8;
        p.minCommonReturns = 3;

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        AnalyticsJob.TicksBySymbol ticks = AnalyticsJob.ticksBySymbol(market.stream(env), new PatternParameters());
        CandleJob.Candles candles = new CandleJob().attach(ticks.ticks());
        JobRun run = new JobRun(env);
        List<Correlations> matrices = run.collect(new CorrelationJob(p).attach(candles.minuteBars()));
        run.run();

        Correlations tech = matrices.stream()
                .filter(m -> m.group.equals("sector:Tech"))
                .max(Comparator.comparingLong(m -> m.endTimeUs))
                .orElseThrow();
        assertEquals(TestMarket.us((moves.length + 1) * 60_000L), tech.endTimeUs);
        assertEquals(8, tech.windowBars);
        assertArrayEquals(new String[] {"ALSO", "MIRR", "SHORT", "TWIN"}, tech.symbols);
        assertEquals(1.0, tech.get(0, 3), 1e-6, "ALSO and TWIN move alike");
        assertEquals(-1.0, tech.get(1, 3), 1e-6, "MIRR mirrors TWIN");
        assertEquals(1.0, tech.get(3, 3));
        assertTrue(Float.isNaN(tech.get(2, 3)), "SHORT has one return");
        assertEquals(tech.get(1, 3), tech.get(3, 1), "symmetric");
        // OIL never moves: its returns are constant, so every correlation with it is NaN.
        Correlations all = matrices.stream()
                .filter(m -> m.group.equals("all"))
                .max(Comparator.comparingLong(m -> m.endTimeUs))
                .orElseThrow();
        assertEquals(5, all.symbols.length);
        assertTrue(matrices.stream().noneMatch(m -> m.group.equals("sector:Energy")), "one symbol is no matrix");
    }
}
