package tickstream.analytics.patterns;

import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.functions.FilterFunction;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;
import tickstream.analytics.model.Detection;
import tickstream.kafka.MarketEventKind;

/**
 * Activity bursts: event-time session windows over a symbol's "hot" seconds (1s bars with many
 * more trades than its trailing mean). Hot seconds less than the gap apart are one session; a
 * session with enough hot seconds is reported when it ends (the gap passes without one), with
 * its length, trades and rate against the usual rate.
 */
public final class ActivityBursts {
    private ActivityBursts() {}

    /** A "hot" second: many more trades than the symbol's trailing mean. */
    public static final class Busy implements FilterFunction<BarSignal> {
        private final double relativeTrades;
        private final long minTrades;

        public Busy(PatternParameters p) {
            this.relativeTrades = p.burstRelativeTrades;
            this.minTrades = p.burstMinTrades;
        }

        @Override
        public boolean filter(BarSignal bar) {
            return bar.relativeTrades >= relativeTrades && bar.trades >= minTrades;
        }
    }

    /** A session's hot seconds, folded. */
    public static class Session {
        public String symbol;
        public String sector;
        public long firstStartUs = Long.MAX_VALUE;
        public long lastEndUs = Long.MIN_VALUE;
        public int hotBars;
        public long trades;
        public long volume;
        public double usualTradesSum;
        public long openPrice;
        public long closePrice;

        public Session() {}
    }

    public static final class Fold implements AggregateFunction<BarSignal, Session, Session> {
        @Override
        public Session createAccumulator() {
            return new Session();
        }

        @Override
        public Session add(BarSignal bar, Session s) {
            s.symbol = bar.symbol;
            s.sector = bar.sector;
            if (bar.startUs < s.firstStartUs) {
                s.firstStartUs = bar.startUs;
                s.openPrice = bar.open;
            }
            if (bar.endUs() > s.lastEndUs) {
                s.lastEndUs = bar.endUs();
                s.closePrice = bar.close;
            }
            s.hotBars++;
            s.trades += bar.trades;
            s.volume += bar.volume;
            s.usualTradesSum += bar.meanTrades;
            return s;
        }

        @Override
        public Session getResult(Session s) {
            return s;
        }

        @Override
        public Session merge(Session a, Session b) {
            if (b.hotBars == 0) return a;
            if (a.hotBars == 0) return b;
            if (b.firstStartUs < a.firstStartUs) {
                a.firstStartUs = b.firstStartUs;
                a.openPrice = b.openPrice;
            }
            if (b.lastEndUs > a.lastEndUs) {
                a.lastEndUs = b.lastEndUs;
                a.closePrice = b.closePrice;
            }
            a.hotBars += b.hotBars;
            a.trades += b.trades;
            a.volume += b.volume;
            a.usualTradesSum += b.usualTradesSum;
            return a;
        }
    }

    public static final class Report extends ProcessWindowFunction<Session, Detection, String, TimeWindow> {
        private final PatternParameters p;

        public Report(PatternParameters p) {
            this.p = p;
        }

        @Override
        public void process(String symbol, Context context, Iterable<Session> sessions, Collector<Detection> out) {
            for (Session s : sessions) {
                if (s.hotBars < p.burstMinHotBars) continue;
                double seconds = (s.lastEndUs - s.firstStartUs) / 1e6;
                double rate = s.trades / seconds;
                double usual = s.usualTradesSum / s.hotBars;
                out.collect(new Detection(MarketEventKind.ActivityBurst, s.symbol, s.sector, "activity-burst", s.lastEndUs)
                        .measured(rate, usual * p.burstRelativeTrades)
                        .against(usual, Double.NaN)
                        .over((s.lastEndUs - s.firstStartUs) / 1000, s.firstStartUs)
                        .prices(s.openPrice, s.closePrice)
                        .saying(String.format(
                                "%,d trades in %.0f s (%d busy seconds): %.1f a second against a usual %.2f",
                                s.trades, seconds, s.hotBars, rate, usual)));
            }
        }
    }
}
