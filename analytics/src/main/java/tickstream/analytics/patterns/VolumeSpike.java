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
 * Volume spike (CEP over 1s bar signals): an ordinary bar, then one with relative volume and
 * relative trade count both far above the symbol's trailing means, and a minimum trade count.
 * Volume alone is not enough: trade sizes are heavy-tailed, so one huge trade makes a second's
 * volume jump without anything happening; many trades at once do not come by chance.
 */
public final class VolumeSpike {
    private VolumeSpike() {}

    public static Pattern<BarSignal, BarSignal> pattern(PatternParameters p) {
        return Pattern.<BarSignal>begin("calm", AfterMatchSkipStrategy.skipPastLastEvent())
                .where(SimpleCondition.of(bar -> bar.relativeVolume < p.spikeRelativeVolume))
                .next("spike")
                .where(SimpleCondition.of(bar -> bar.relativeVolume >= p.spikeRelativeVolume
                        && bar.relativeTrades >= p.spikeRelativeTrades
                        && bar.trades >= p.spikeMinTrades));
    }

    public static final class Report extends PatternProcessFunction<BarSignal, Detection> {
        private final PatternParameters p;

        public Report(PatternParameters p) {
            this.p = p;
        }

        @Override
        public void processMatch(Map<String, List<BarSignal>> match, Context context, Collector<Detection> out) {
            BarSignal bar = match.get("spike").get(0);
            out.collect(new Detection(MarketEventKind.VolumeSpike, bar.symbol, bar.sector, "volume", bar.endUs())
                    .measured(bar.relativeVolume, p.spikeRelativeVolume)
                    .against(bar.meanVolume, Double.NaN)
                    .over(1_000, bar.startUs)
                    .prices(bar.open, bar.close)
                    .saying(String.format(
                            "%,d shares in %d trades in one second: %.1f× its usual volume, %.1f× its usual trades",
                            bar.volume, bar.trades, bar.relativeVolume, bar.relativeTrades)));
        }
    }
}
