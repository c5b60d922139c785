package tickstream.analytics.patterns;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tickstream.analytics.model.Bar;
import tickstream.analytics.model.Detection;
import tickstream.kafka.MarketEventKind;

/**
 * HaltDetector's timers, driven by hand: the two inputs' watermarks move separately, so this
 * shows a halt is decided only once the market's count of every silent second is in.
 */
class HaltDetectorTest {
    private KeyedBroadcastOperatorTestHarness<String, Bar, MarketSecond, Detection> harness;

    @BeforeEach
    void open() throws Exception {
        PatternParameters p = new PatternParameters();
        p.warmUpMs = 10_000;
        harness = ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(
                new HaltDetector(p), bar -> bar.symbol, Types.STRING, HaltDetector.MARKET_SECONDS);
    }

    @AfterEach
    void close() throws Exception {
        harness.close();
    }

    private static Bar bar(String symbol, long startMs, long trades) {
        Bar bar = new Bar();
        bar.symbol = symbol;
        bar.sector = "Tech";
        bar.startUs = startMs * 1000;
        bar.close = 1_000_000;
        bar.open = 1_000_000;
        bar.trades = trades;
        return bar;
    }

    /** One second: HALT's and the market's bars, both inputs' watermarks to its end. */
    private void second(long startMs, long haltTrades, long marketTrades) throws Exception {
        if (haltTrades > 0) harness.processElement(bar("HALT", startMs, haltTrades), startMs + 999);
        harness.processBroadcastElement(new MarketSecond(startMs, marketTrades), startMs + 999);
    }

    private List<Detection> detections() {
        return harness.extractOutputValues();
    }

    @Test
    void aHaltIsDecidedWhenTheMarketsSecondsAreInNotBeforeAndResumeFollowsTheNextTrade() throws Exception {
        // 20 s of HALT taking 5 of the market's 100 trades a second: share 5 %.
        for (long s = 0; s < 20_000; s += 1_000) second(s, 5, 100);
        harness.processWatermark(19_999);
        harness.processBroadcastWatermark(19_999);
        // Silence from 20 s on; the keyed input's watermark races ahead to 40 s …
        harness.processWatermark(40_000);
        assertEquals(List.of(), detections(), "the market's seconds after 20 s are not in yet");
        // … the market's seconds arrive: 5 % of 100 a second is 5 expected a second, so 16.1
        // expected trades take 3.2 s, and the 5 s minimum decides: halted at 25 s.
        for (long s = 20_000; s < 40_000; s += 1_000) second(s, 0, 100);
        harness.processBroadcastWatermark(40_000);
        List<Detection> halts = detections();
        assertEquals(1, halts.size(), halts.toString());
        assertEquals(MarketEventKind.HaltDetected, halts.get(0).kind);
        assertEquals(25_000_000L, halts.get(0).timeUs);
        assertEquals(25.0, halts.get(0).value, 1e-9, "5 expected trades a second for 5 s");

        harness.processElement(bar("HALT", 40_000, 3), 40_999);
        harness.processBroadcastElement(new MarketSecond(40_000, 100), 40_999);
        assertEquals(1, detections().size(), "a bar is taken in once both inputs have passed it");
        harness.processWatermark(40_999);
        harness.processBroadcastWatermark(40_999);
        List<Detection> after = detections();
        assertEquals(2, after.size(), after.toString());
        assertEquals(MarketEventKind.ResumeDetected, after.get(1).kind);
        assertEquals(40_000_000L, after.get(1).timeUs);
    }

    @Test
    void silenceDuringAQuietMarketIsNotAHalt() throws Exception {
        for (long s = 0; s < 20_000; s += 1_000) second(s, 5, 100);
        // HALT silent for 20 s, but the market made only 2 trades a second: 0.1 expected a second.
        for (long s = 20_000; s < 40_000; s += 1_000) second(s, 0, 2);
        harness.processWatermark(40_000);
        harness.processBroadcastWatermark(40_000);
        assertEquals(List.of(), detections());
    }
}
