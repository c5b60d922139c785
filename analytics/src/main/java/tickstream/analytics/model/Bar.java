package tickstream.analytics.model;

/** One finished OHLCV bar of one symbol and timeframe (tickstream.kafka.BarTimeframe). Prices × 10,000. */
public class Bar {
    public String symbol;
    public String sector;
    public int timeframe;
    /** Start of the bar, µs since the Unix epoch, aligned to the timeframe. */
    public long startUs;
    public long open;
    public long high;
    public long low;
    public long close;
    public long volume;
    /** Σ price × size, for the VWAP; a double because a day of it overflows a long. */
    public double notional;
    public long trades;

    public Bar() {}

    /** Volume-weighted average price × 10,000; the close when nothing traded. */
    public long vwap() {
        return volume > 0 ? Math.round(notional / volume) : close;
    }

    @Override
    public String toString() {
        return String.format(
                "%s %s@%d O%d H%d L%d C%d V%d T%d",
                symbol, Timeframes.name(timeframe), startUs, open, high, low, close, volume, trades);
    }
}
