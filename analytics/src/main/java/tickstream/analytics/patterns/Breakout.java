package tickstream.analytics.patterns;

import java.util.List;
import java.util.Map;
import org.apache.flink.cep.functions.PatternProcessFunction;
import org.apache.flink.cep.nfa.aftermatch.AfterMatchSkipStrategy;
import org.apache.flink.cep.pattern.Pattern;
import org.apache.flink.cep.pattern.conditions.SimpleCondition;
import org.apache.flink.util.Collector;
import tickstream.analytics.model.Detection;
import tickstream.kafka.MarketEventKind;

/**
 * Breakout (CEP over 1s bar signals): a bar that closes at or below the lookback's high, then
 * the next bar closing above it by `margin` on relative volume ≥ k. The first half makes it a
 * crossing: a price that stays above its old high is one breakout, not one a second.
 */
public final class Breakout {
    private Breakout() {}

    public static Pattern<BarSignal, BarSignal> pattern(PatternParameters p) {
        return Pattern.<BarSignal>begin("base", AfterMatchSkipStrategy.skipPastLastEvent())
                .where(SimpleCondition.of(bar -> bar.priorHigh > 0 && bar.close <= bar.priorHigh))
                .next("breakout")
                .where(SimpleCondition.of(bar -> bar.priorHigh > 0
                        && bar.close > bar.priorHigh * (1 + p.breakoutMargin)
                        && bar.relativeVolume >= p.breakoutRelativeVolume));
    }

    public static final class Report extends PatternProcessFunction<BarSignal, Detection> {
        private final PatternParameters p;

        public Report(PatternParameters p) {
            this.p = p;
        }

        @Override
        public void processMatch(Map<String, List<BarSignal>> match, Context context, Collector<Detection> out) {
            BarSignal bar = match.get("breakout").get(0);
            double minutes = p.breakoutLookbackMs / 60_000.0;
            out.collect(new Detection(MarketEventKind.Breakout, bar.symbol, bar.sector, "breakout", bar.endUs())
                    .measured(bar.relativeVolume, p.breakoutRelativeVolume)
                    .against(bar.meanVolume, Double.NaN)
                    .over(p.breakoutLookbackMs, bar.startUs)
                    .prices(bar.priorHigh, bar.close)
                    .saying(String.format(
                            "closed at %.2f above its %.0f-minute high %.2f on %.1f× its usual volume",
                            bar.close / 1e4, minutes, bar.priorHigh / 1e4, bar.relativeVolume)));
        }
    }
}
