package tickstream.analytics.patterns;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.flink.cep.functions.PatternProcessFunction;
import org.apache.flink.cep.nfa.aftermatch.AfterMatchSkipStrategy;
import org.apache.flink.cep.pattern.Pattern;
import org.apache.flink.cep.pattern.conditions.IterativeCondition;
import org.apache.flink.util.Collector;
import tickstream.analytics.model.Detection;
import tickstream.kafka.MarketEventKind;

/**
 * Flash crash (CEP over price steps): a step, then any later step at least `fall` below it,
 * within `window`. Every step opens a candidate peak (followedByAny); the first trough that is
 * deep enough completes the match, and skip-past-last-event drops the other candidates of the
 * same fall, so one crash is one match.
 */
public final class FlashCrash {
    private FlashCrash() {}

    public static Pattern<PriceStep, PriceStep> pattern(double fall, long windowMs) {
        return Pattern.<PriceStep>begin("peak", AfterMatchSkipStrategy.skipPastLastEvent())
                .followedByAny("trough")
                .where(new FallenFromPeak(fall))
                .within(Duration.ofMillis(windowMs));
    }

    static final class FallenFromPeak extends IterativeCondition<PriceStep> {
        private final double fall;

        FallenFromPeak(double fall) {
            this.fall = fall;
        }

        @Override
        public boolean filter(PriceStep step, Context<PriceStep> context) throws Exception {
            for (PriceStep peak : context.getEventsForPattern("peak")) {
                // "At least" the fall: 2.00 % must count, whatever 1 − 0.02 rounds to in binary.
                if (peak.price - step.price >= fall * peak.price * (1 - 1e-12)) return true;
            }
            return false;
        }
    }

    public static final class Report extends PatternProcessFunction<PriceStep, Detection> {
        private final double fall;
        private final long windowMs;

        public Report(double fall, long windowMs) {
            this.fall = fall;
            this.windowMs = windowMs;
        }

        @Override
        public void processMatch(Map<String, List<PriceStep>> match, Context context, Collector<Detection> out) {
            PriceStep peak = match.get("peak").get(0);
            PriceStep trough = match.get("trough").get(0);
            double fallen = 100.0 * (peak.price - trough.price) / peak.price;
            double seconds = (trough.timeUs - peak.timeUs) / 1e6;
            out.collect(new Detection(MarketEventKind.FlashCrash, trough.symbol, trough.sector, "flash-crash", trough.timeUs)
                    .measured(fallen, 100 * fall)
                    .over(windowMs, peak.timeUs)
                    .prices(peak.price, trough.price)
                    .saying(String.format(
                            "fell %.2f %% in %.1f s (from %.2f to %.2f; threshold %.1f %% within %.0f s)",
                            fallen, seconds, peak.price / 1e4, trough.price / 1e4, 100 * fall, windowMs / 1e3)));
        }
    }
}
