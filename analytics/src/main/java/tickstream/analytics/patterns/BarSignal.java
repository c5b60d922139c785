package tickstream.analytics.patterns;

/**
 * A 1s bar with what the bar-based patterns compare it against, as of the bar before it:
 * the prior high over the breakout lookback, the trailing means per second of volume and trades
 * (empty seconds count as zero), and the return since the previous bar. NaN while the symbol has
 * less history than the warm-up.
 */
public class BarSignal {
    public String symbol;
    public String sector;
    public long startUs;
    public long open;
    public long high;
    public long low;
    public long close;
    public long volume;
    public long trades;
    /** Close of the previous bar; 0 for the first. */
    public long previousClose;
    /** Highest high over the lookback before this bar; 0 until the lookback is covered. */
    public long priorHigh;
    public double meanVolume;
    public double meanTrades;
    public double relativeVolume;
    public double relativeTrades;

    public BarSignal() {}

    public long endUs() {
        return startUs + 1_000_000;
    }

    @Override
    public String toString() {
        return String.format(
                "%s@%d C%d prev%d ph%d V%d T%d relV=%.2f relT=%.2f", symbol, startUs, close, previousClose, priorHigh,
                volume, trades, relativeVolume, relativeTrades);
    }
}
