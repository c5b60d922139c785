package tickstream.analytics.patterns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static tickstream.analytics.TestMarket.us;

import java.util.List;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tickstream.analytics.AnalyticsJob;
import tickstream.analytics.JobRun;
import tickstream.analytics.TestMarket;
import tickstream.analytics.candles.CandleJob;
import tickstream.analytics.model.Detection;
import tickstream.kafka.MarketEventKind;

/**
 * Each pattern on a real MiniCluster, through the same candle and pattern operators as the job:
 * one fixed sequence that must fire it, one close to it that must not. Lookbacks and warm-ups
 * are shortened (seconds, not minutes) so the sequences stay small; the thresholds are the
 * defaults.
 */
class PatternJobTest {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberSlotsPerTaskManager(2).build());

    static PatternParameters shortened() {
        PatternParameters p = new PatternParameters();
        p.breakoutLookbackMs = 20_000;
        p.warmUpMs = 20_000;
        p.baselineTauMs = 60_000;
        return p;
    }

    static List<Detection> detect(TestMarket market, PatternParameters parameters) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        AnalyticsJob.TicksBySymbol ticks = AnalyticsJob.ticksBySymbol(market.stream(env), parameters);
        CandleJob.Candles candles = new CandleJob().attach(ticks.ticks());
        JobRun run = new JobRun(env);
        List<Detection> detections = run.collect(new PatternJob(parameters).attach(ticks.steps(), candles.secondBars()));
        run.run();
        return detections;
    }

    private static List<Detection> ofKind(List<Detection> detections, int kind) {
        return detections.stream().filter(d -> d.kind == kind).toList();
    }

    // ---- flash crash: ≥ 2 % within 5 s ----------------------------------------------------------

    @Test
    void flashCrashFiresOnTheTickThatCompletesAFallOfTwoPercentWithinFiveSeconds() throws Exception {
        TestMarket market = new TestMarket()
                .steady("CRSH", 0, 1_000, 100, 100.00, 10)
                // 100 → 96 in 2 s, 0.20 a tick: every tick is a price step (≥ 0.2 %).
                .ramp("CRSH", 1_000, 3_000, 100, 100.00, 96.00, 10)
                .steady("CRSH", 3_000, 5_000, 100, 96.00, 10);
        List<Detection> crashes = ofKind(detect(market, shortened()), MarketEventKind.FlashCrash);
        assertEquals(1, crashes.size(), crashes.toString());
        Detection crash = crashes.get(0);
        assertEquals("CRSH", crash.symbol);
        // Peak: the first tick (100.00 at 0 s, the only step of the flat second). The first step
        // 2 % below it is 98.00 at 2.0 s: the crash is reported on that very tick.
        assertEquals(us(0), crash.startTimeUs, crash.detail);
        assertEquals(us(2_000), crash.timeUs, crash.detail);
        assertEquals(2.0, crash.value, 1e-9);
        assertEquals(2.0, crash.threshold);
        assertEquals(1_000_000L, crash.startPrice);
        assertEquals(980_000L, crash.price);
    }

    @Test
    void aSuddenJumpAfterAMinuteOfCalmIsAFlashCrash() throws Exception {
        // The calm makes no price step of its own; only the refresh keeps a level inside the window.
        TestMarket market = new TestMarket()
                .steady("JUMP", 0, 60_000, 500, 50.00, 10)
                .steady("JUMP", 60_000, 62_000, 500, 46.00, 10);
        List<Detection> crashes = ofKind(detect(market, shortened()), MarketEventKind.FlashCrash);
        assertEquals(1, crashes.size(), crashes.toString());
        assertEquals(us(60_000), crashes.get(0).timeUs);
        assertEquals(8.0, crashes.get(0).value, 1e-9);
    }

    @Test
    void flashCrashStaysQuietForASmallerFallAndForTheSameFallSpreadOverMoreThanFiveSeconds() throws Exception {
        TestMarket market = new TestMarket()
                .ramp("DRIP", 0, 20_000, 100, 100.00, 97.00, 10)
                .ramp("DIP", 0, 3_000, 100, 100.00, 98.50, 10)
                .inTimeOrder();
        assertEquals(List.of(), ofKind(detect(market, shortened()), MarketEventKind.FlashCrash));
    }

    // ---- volume spike -----------------------------------------------------------------------------

    @Test
    void volumeSpikeFiresOnManyTradesAtOnceButNotOnOneBlockTrade() throws Exception {
        TestMarket market = new TestMarket()
                .steady("SPKE", 0, 40_000, 1_000, 50.00, 10)
                .steady("BLOCK", 0, 40_000, 1_000, 50.00, 10)
                // SPKE: 30 trades of 100 in one second; BLOCK: one trade of 50,000.
                .steady("SPKE", 40_000, 41_000, 33, 50.00, 100)
                .tick("BLOCK", 40_500, 50.00, 50_000)
                .steady("SPKE", 41_000, 45_000, 1_000, 50.00, 10)
                .steady("BLOCK", 41_000, 45_000, 1_000, 50.00, 10)
                .inTimeOrder();
        List<Detection> spikes = ofKind(detect(market, shortened()), MarketEventKind.VolumeSpike);
        assertEquals(List.of("SPKE"), spikes.stream().map(d -> d.symbol).toList(), spikes.toString());
        assertEquals(us(41_000), spikes.get(0).timeUs);
        assertTrue(spikes.get(0).value >= 8, "relative volume " + spikes.get(0).value);
    }

    // ---- breakout: close above the lookback high on relative volume ≥ 3 --------------------------

    @Test
    void breakoutFiresAboveTheRangeOnVolumeButNotOnAQuietNewHigh() throws Exception {
        TestMarket market = new TestMarket();
        for (String symbol : List.of("BRK", "QUIET")) {
            for (long at = 0; at < 30_000; at += 500) market.tick(symbol, at, at % 2000 == 0 ? 100.40 : 100.00, 10);
        }
        // BRK: a second of heavy buying closing at 101.00; QUIET: the same price, ordinary size.
        market.steady("BRK", 30_000, 31_000, 100, 101.00, 40)
                .steady("QUIET", 30_000, 31_000, 500, 101.00, 10)
                .steady("BRK", 31_000, 33_000, 500, 101.00, 10)
                .steady("QUIET", 31_000, 33_000, 500, 101.00, 10)
                .inTimeOrder();
        List<Detection> breakouts = ofKind(detect(market, shortened()), MarketEventKind.Breakout);
        assertEquals(List.of("BRK"), breakouts.stream().map(d -> d.symbol).toList(), breakouts.toString());
        Detection breakout = breakouts.get(0);
        assertEquals(1_004_000L, breakout.startPrice, "the prior high");
        assertEquals(1_010_000L, breakout.price);
    }

    // ---- momentum streak: 5 bars the same way, ≥ 0.5 % ------------------------------------------

    @Test
    void momentumStreakFiresOnFiveRisingSecondsOfOnePointFivePercentButNotOnATinyDrift() throws Exception {
        TestMarket market = new TestMarket();
        for (int second = 0; second < 10; second++) {
            market.tick("RUN", second * 1_000L + 500, 100.00 * (1 + 0.003 * second), 10);
            market.tick("CRAWL", second * 1_000L + 500, 100.00 * (1 + 0.0004 * second), 10);
        }
        List<Detection> streaks = ofKind(detect(market, shortened()), MarketEventKind.MomentumStreak);
        assertEquals(List.of("RUN"), streaks.stream().map(d -> d.symbol).toList(), streaks.toString());
        assertEquals("momentum-up", streaks.get(0).name);
        assertTrue(streaks.get(0).value > 1.4, "moved % " + streaks.get(0).value);
    }

    // ---- activity burst: session windows over busy seconds ---------------------------------------

    @Test
    void activityBurstReportsASessionOfBusySecondsButNotASingleBusySecond() throws Exception {
        TestMarket market = new TestMarket()
                .steady("BURST", 0, 30_000, 1_000, 20.00, 10)
                .steady("BLIP", 0, 30_000, 1_000, 20.00, 10)
                .steady("BURST", 30_000, 38_000, 50, 20.00, 10)
                .steady("BLIP", 30_000, 31_000, 50, 20.00, 10)
                .steady("BURST", 38_000, 50_000, 1_000, 20.00, 10)
                .steady("BLIP", 31_000, 50_000, 1_000, 20.00, 10)
                .inTimeOrder();
        List<Detection> bursts = ofKind(detect(market, shortened()), MarketEventKind.ActivityBurst);
        assertEquals(List.of("BURST"), bursts.stream().map(d -> d.symbol).toList(), bursts.toString());
        Detection burst = bursts.get(0);
        assertEquals(us(30_000), burst.startTimeUs);
        assertEquals(us(38_000), burst.timeUs);
        assertEquals(8_000, burst.windowMs);
    }

    // ---- halts: silence against the market's pace ------------------------------------------------

    @Test
    void haltIsASymbolSilentWhileTheMarketTradesAndResumesWhenItTradesAgain() throws Exception {
        TestMarket market = new TestMarket();
        for (String symbol : List.of("OTHR", "MORE", "BUSY")) market.steady(symbol, 0, 60_000, 100, 30.00, 10);
        market.steady("HALT", 0, 30_000, 200, 30.00, 10).steady("HALT", 45_000, 60_000, 200, 30.00, 10).inTimeOrder();
        List<Detection> detections = detect(market, shortened());
        List<Detection> halts = ofKind(detections, MarketEventKind.HaltDetected);
        List<Detection> resumes = ofKind(detections, MarketEventKind.ResumeDetected);
        assertEquals(List.of("HALT"), halts.stream().map(d -> d.symbol).toList(), detections.toString());
        assertEquals(List.of("HALT"), resumes.stream().map(d -> d.symbol).toList(), detections.toString());
        // 5 trades a second expected: 16.1 expected trades take 3.2 s, so the 5 s minimum decides.
        assertEquals(us(35_000), halts.get(0).timeUs);
        assertEquals(us(45_000), resumes.get(0).timeUs);
    }

    @Test
    void aFeedThatStallsAsAWholeIsNotAHalt() throws Exception {
        TestMarket market = new TestMarket();
        for (String symbol : List.of("ONE", "TWO", "THREE")) {
            market.steady(symbol, 0, 30_000, 200, 30.00, 10).steady(symbol, 50_000, 60_000, 200, 30.00, 10);
        }
        market.inTimeOrder();
        List<Detection> detections = detect(market, shortened());
        assertEquals(List.of(), ofKind(detections, MarketEventKind.HaltDetected));
        assertEquals(List.of(), ofKind(detections, MarketEventKind.ResumeDetected));
    }
}
