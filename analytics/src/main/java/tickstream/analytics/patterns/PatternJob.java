package tickstream.analytics.patterns;

import org.apache.flink.cep.CEP;
import org.apache.flink.cep.pattern.Pattern;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.windowing.assigners.EventTimeSessionWindows;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.cep.functions.PatternProcessFunction;
import tickstream.analytics.AnalyticsJob;
import tickstream.analytics.model.Bar;
import tickstream.analytics.model.Detection;
import java.time.Duration;

/**
 * Patterns, in event time, each documented with its parameters in PatternParameters:
 * - flash crash: CEP over price steps (ticks reduced to moves of `priceStep`), so it fires on the
 *   tick that completes the fall, not at the end of a bar;
 * - breakout, volume spike, momentum streak: CEP over 1s bar signals;
 * - activity bursts: session windows over busy seconds;
 * - halts and resumes: event-time timers against the market's pace (HaltDetector).
 * Every detection then passes a per kind and symbol cooldown.
 */
public final class PatternJob {
    private final PatternParameters p;

    public PatternJob(PatternParameters parameters) {
        this.p = parameters;
    }

    /** `steps`: the ticks' price steps (PriceStepper.STEPS); `secondBars`: CandleJob's 1s bars. */
    public DataStream<Detection> attach(DataStream<PriceStep> steps, DataStream<Bar> secondBars) {
        DataStream<Detection> crashes = cep(
                steps.keyBy(step -> step.symbol),
                FlashCrash.pattern(p.crashFall, p.crashWindowMs),
                new FlashCrash.Report(p.crashFall, p.crashWindowMs),
                "flash-crash");

        KeyedStream<BarSignal, String> signals = secondBars.keyBy(bar -> bar.symbol)
                .process(new BarSignals(p))
                .uid("bar-signals")
                .name("1s bar signals")
                .keyBy(signal -> signal.symbol);
        DataStream<Detection> breakouts = cep(signals, Breakout.pattern(p), new Breakout.Report(p), "breakout");
        DataStream<Detection> spikes = cep(signals, VolumeSpike.pattern(p), new VolumeSpike.Report(p), "volume-spike");
        DataStream<Detection> streaks =
                cep(signals, MomentumStreak.pattern(p), new MomentumStreak.Report(p), "momentum-streak");
        DataStream<Detection> bursts = signals.filter(new ActivityBursts.Busy(p))
                .name("busy seconds")
                .keyBy(signal -> signal.symbol)
                .window(EventTimeSessionWindows.withGap(Duration.ofMillis(p.burstGapMs)))
                .aggregate(new ActivityBursts.Fold(), new ActivityBursts.Report(p))
                .uid("activity-bursts")
                .name("activity bursts (session windows)");

        BroadcastStream<MarketSecond> market = secondBars
                .windowAll(TumblingEventTimeWindows.of(Duration.ofSeconds(1)))
                // An aggregate, not a reduce: with object reuse a reduce would keep the input record
                // itself in window state, and the next record deserialised into it would overwrite it.
                .aggregate(new MarketSecond.Count())
                .uid("market-seconds")
                .name("market trades per second")
                .broadcast(HaltDetector.MARKET_SECONDS);
        DataStream<Detection> halts = secondBars.keyBy(bar -> bar.symbol)
                .connect(market)
                .process(new HaltDetector(p))
                .uid("halts")
                .name("halts");

        return crashes.union(breakouts, spikes, streaks, bursts, halts)
                .keyBy(Cooldown::key)
                .process(new Cooldown(p.cooldownMs))
                .uid("pattern-cooldown")
                .name("cooldown")
                .setBufferTimeout(AnalyticsJob.DETECTION_PATH_BUFFER_TIMEOUT_MS);
    }

    private static <T> DataStream<Detection> cep(
            KeyedStream<T, String> input, Pattern<T, ?> pattern, PatternProcessFunction<T, Detection> report, String name) {
        return CEP.pattern(input, pattern).inEventTime().process(report).uid(name).name(name + " (CEP)")
                .setBufferTimeout(AnalyticsJob.DETECTION_PATH_BUFFER_TIMEOUT_MS);
    }
}
