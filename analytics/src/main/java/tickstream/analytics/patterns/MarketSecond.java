package tickstream.analytics.patterns;

/** Trades of the whole market in one second of event time. */
public class MarketSecond {
    public long startMs;
    public long trades;

    public MarketSecond() {}

    public MarketSecond(long startMs, long trades) {
        this.startMs = startMs;
        this.trades = trades;
    }
}
