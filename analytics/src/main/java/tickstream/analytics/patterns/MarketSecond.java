package tickstream.analytics.patterns;

import org.apache.flink.api.common.functions.AggregateFunction;
import tickstream.analytics.model.Bar;

/** Trades of the whole market in one second of event time. */
public class MarketSecond {
    public long startMs;
    public long trades;

    public MarketSecond() {}

    public MarketSecond(long startMs, long trades) {
        this.startMs = startMs;
        this.trades = trades;
    }

    /** Sums one second's 1s bars over every symbol. */
    public static final class Count implements AggregateFunction<Bar, MarketSecond, MarketSecond> {
        @Override
        public MarketSecond createAccumulator() {
            return new MarketSecond(Long.MIN_VALUE, 0);
        }

        @Override
        public MarketSecond add(Bar bar, MarketSecond second) {
            second.startMs = bar.startUs / 1000;
            second.trades += bar.trades;
            return second;
        }

        @Override
        public MarketSecond getResult(MarketSecond second) {
            return second;
        }

        @Override
        public MarketSecond merge(MarketSecond a, MarketSecond b) {
            a.trades += b.trades;
            if (a.startMs == Long.MIN_VALUE) a.startMs = b.startMs;
            return a;
        }
    }
}
