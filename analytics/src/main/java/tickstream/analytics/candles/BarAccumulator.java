package tickstream.analytics.candles;

import tickstream.analytics.model.Bar;

/**
 * A bar under construction. Open and close are the prices of the earliest and latest trades by
 * event time (ties by sequence), not by arrival, so ticks that arrive out of order within the
 * watermark bound build the same bar as ticks in order.
 */
public class BarAccumulator {
    public String symbol;
    public String sector;
    public long open;
    public long openTimeUs = Long.MAX_VALUE;
    public long openSequence;
    public long close;
    public long closeTimeUs = Long.MIN_VALUE;
    public long closeSequence;
    public long high = Long.MIN_VALUE;
    public long low = Long.MAX_VALUE;
    public long volume;
    public double notional;
    public long trades;

    public BarAccumulator() {}

    void addTrade(String symbol, String sector, long price, long size, long timeUs, long sequence) {
        this.symbol = symbol;
        this.sector = sector;
        if (timeUs < openTimeUs || (timeUs == openTimeUs && sequence < openSequence)) {
            open = price;
            openTimeUs = timeUs;
            openSequence = sequence;
        }
        if (timeUs > closeTimeUs || (timeUs == closeTimeUs && sequence > closeSequence)) {
            close = price;
            closeTimeUs = timeUs;
            closeSequence = sequence;
        }
        if (price > high) high = price;
        if (price < low) low = price;
        volume += size;
        notional += (double) price * size;
        trades++;
    }

    /** Folds a finished shorter bar in; `orderUs` is its start, which orders bars as time orders trades. */
    void addBar(Bar bar) {
        symbol = bar.symbol;
        sector = bar.sector;
        if (bar.startUs < openTimeUs) {
            open = bar.open;
            openTimeUs = bar.startUs;
        }
        if (bar.startUs > closeTimeUs) {
            close = bar.close;
            closeTimeUs = bar.startUs;
        }
        if (bar.high > high) high = bar.high;
        if (bar.low < low) low = bar.low;
        volume += bar.volume;
        notional += bar.notional;
        trades += bar.trades;
    }

    void merge(BarAccumulator other) {
        if (other.trades == 0) return;
        symbol = other.symbol;
        sector = other.sector;
        if (other.openTimeUs < openTimeUs || (other.openTimeUs == openTimeUs && other.openSequence < openSequence)) {
            open = other.open;
            openTimeUs = other.openTimeUs;
            openSequence = other.openSequence;
        }
        if (other.closeTimeUs > closeTimeUs
                || (other.closeTimeUs == closeTimeUs && other.closeSequence > closeSequence)) {
            close = other.close;
            closeTimeUs = other.closeTimeUs;
            closeSequence = other.closeSequence;
        }
        high = Math.max(high, other.high);
        low = Math.min(low, other.low);
        volume += other.volume;
        notional += other.notional;
        trades += other.trades;
    }

    /** The bar without its place in time; the window function stamps timeframe and start. */
    Bar toBar() {
        Bar bar = new Bar();
        bar.symbol = symbol;
        bar.sector = sector;
        bar.open = open;
        bar.high = high;
        bar.low = low;
        bar.close = close;
        bar.volume = volume;
        bar.notional = notional;
        bar.trades = trades;
        return bar;
    }
}
