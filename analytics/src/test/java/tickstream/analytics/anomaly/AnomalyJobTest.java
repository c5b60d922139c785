package tickstream.analytics.anomaly;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static tickstream.analytics.TestMarket.us;

import java.util.List;
import java.util.Random;
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
import tickstream.analytics.model.Detection;

/** The EWMA z-score detector on a MiniCluster, behind the real 1s bars, default thresholds. */
class AnomalyJobTest {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberSlotsPerTaskManager(2).build());

    /** 200 s of a random walk (0.02 % a second) with 1-3 trades a second; seeded, so fixed. */
    private static TestMarket noisy(String symbol, long seed, TestMarket market) {
        Random random = new Random(seed);
        double price = 100;
        for (int second = 0; second < 200; second++) {
            price *= 1 + 0.0002 * random.nextGaussian();
            int trades = 1 + random.nextInt(3);
            for (int t = 0; t < trades; t++) market.tick(symbol, second * 1_000L + t * 100L, price, 10);
        }
        return market;
    }

    private static List<Detection> detect(TestMarket market) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        AnalyticsJob.TicksBySymbol ticks = AnalyticsJob.ticksBySymbol(market.inTimeOrder().stream(env), new PatternParameters());
        CandleJob.Candles candles = new CandleJob().attach(ticks.ticks());
        JobRun run = new JobRun(env);
        List<Detection> detections = run.collect(new AnomalyJob(new AnomalyParameters()).attach(candles.secondBars()));
        run.run();
        return detections;
    }

    @Test
    void aJumpOfTenTimesTheUsualMoveIsAReturnAnomalyWithItsEvidence() throws Exception {
        TestMarket market = noisy("JUMP", 7, new TestMarket());
        market.tick("JUMP", 200_500, 100 * 1.004, 10);
        noisy("CALM", 7, market);
        List<Detection> anomalies = detect(market);
        List<Detection> jumps = anomalies.stream().filter(d -> d.symbol.equals("JUMP")).toList();
        assertEquals(1, jumps.size(), anomalies.toString());
        Detection jump = jumps.get(0);
        assertEquals("return", jump.name);
        assertEquals(us(201_000), jump.timeUs);
        assertTrue(Math.abs(jump.value - jump.mean) / jump.deviation >= 6, jump.detail);
        assertEquals(60_000, jump.windowMs);
        assertEquals(List.of(), anomalies.stream().filter(d -> d.symbol.equals("CALM")).toList());
    }

    @Test
    void fortyTradesInOneSecondIsAnActivityAnomalyAndSixIsNot() throws Exception {
        TestMarket market = noisy("BUSY", 3, new TestMarket());
        noisy("BUSIER", 3, market);
        market.steady("BUSY", 200_000, 201_000, 25, 100, 10);
        market.steady("BUSIER", 200_000, 200_600, 100, 100, 10);
        List<Detection> anomalies = detect(market).stream().filter(d -> d.name.equals("trades")).toList();
        assertEquals(List.of("BUSY"), anomalies.stream().map(d -> d.symbol).toList(), anomalies.toString());
        assertEquals(Math.log1p(40), anomalies.get(0).value, 1e-9);
    }
}
