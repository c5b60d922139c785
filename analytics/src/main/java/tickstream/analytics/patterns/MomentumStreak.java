package tickstream.analytics.patterns;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.flink.cep.functions.PatternProcessFunction;
import org.apache.flink.cep.nfa.aftermatch.AfterMatchSkipStrategy;
import org.apache.flink.cep.pattern.Pattern;
import org.apache.flink.cep.pattern.conditions.IterativeCondition;
import org.apache.flink.cep.pattern.conditions.SimpleCondition;
import org.apache.flink.util.Collector;
import tickstream.analytics.model.Detection;
import tickstream.kafka.MarketEventKind;

/**
 * Momentum streak (CEP over 1s bar signals): `n` consecutive bars whose close moved the same
 * way as the first one's, moving the price by at least `move` in all. Random walks make short
 * same-sign runs all the time; the size condition is what a run by chance does not meet.
 */
public final class MomentumStreak {
    private MomentumStreak() {}

    public static Pattern<BarSignal, BarSignal> pattern(PatternParameters p) {
        return Pattern.<BarSignal>begin("first", AfterMatchSkipStrategy.skipPastLastEvent())
                .where(SimpleCondition.of(bar -> bar.previousClose > 0 && bar.close != bar.previousClose))
                .next("rest")
                .where(new SameDirection())
                .times(p.streakBars - 1)
                .consecutive()
                .where(new MovedEnough(p.streakMove, p.streakBars))
                .within(Duration.ofSeconds(4L * p.streakBars));
    }

    static final class SameDirection extends IterativeCondition<BarSignal> {
        @Override
        public boolean filter(BarSignal bar, Context<BarSignal> context) throws Exception {
            BarSignal first = context.getEventsForPattern("first").iterator().next();
            return Long.signum(bar.close - bar.previousClose) == Long.signum(first.close - first.previousClose);
        }
    }

    /** Checked on every bar of the run; only the last one can make the total large enough. */
    static final class MovedEnough extends IterativeCondition<BarSignal> {
        private final double move;
        private final int bars;

        MovedEnough(double move, int bars) {
            this.move = move;
            this.bars = bars;
        }

        @Override
        public boolean filter(BarSignal bar, Context<BarSignal> context) throws Exception {
            int seen = 1;
            for (BarSignal ignored : context.getEventsForPattern("rest")) seen++;
            if (seen + 1 < bars) return true;
            BarSignal first = context.getEventsForPattern("first").iterator().next();
            return Math.abs(Math.log((double) bar.close / first.previousClose)) >= Math.log1p(move);
        }
    }

    public static final class Report extends PatternProcessFunction<BarSignal, Detection> {
        private final PatternParameters p;

        public Report(PatternParameters p) {
            this.p = p;
        }

        @Override
        public void processMatch(Map<String, List<BarSignal>> match, Context context, Collector<Detection> out) {
            BarSignal first = match.get("first").get(0);
            List<BarSignal> rest = match.get("rest");
            BarSignal last = rest.get(rest.size() - 1);
            double moved = 100.0 * (last.close - first.previousClose) / first.previousClose;
            String way = moved > 0 ? "up" : "down";
            out.collect(new Detection(MarketEventKind.MomentumStreak, last.symbol, last.sector, "momentum-" + way, last.endUs())
                    .measured(moved, 100 * p.streakMove * Math.signum(moved))
                    .over((last.endUs() - first.startUs) / 1000, first.startUs)
                    .prices(first.previousClose, last.close)
                    .saying(String.format(
                            "%d bars in a row %s, %+.2f %% (%.2f → %.2f)",
                            rest.size() + 1, way, moved, first.previousClose / 1e4, last.close / 1e4)));
        }
    }
}
