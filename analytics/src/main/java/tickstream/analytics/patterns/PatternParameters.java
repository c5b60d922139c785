package tickstream.analytics.patterns;

import java.io.Serializable;

/**
 * Every threshold of PatternJob, with the defaults docs/analytics.md explains. They are tuned so
 * the default producer (500 symbols, 5,000 ticks/s) detects its scenarios and stays quiet
 * otherwise; the measured rates are in docs/analytics.md.
 */
public class PatternParameters implements Serializable {
    /**
     * Ticks become price steps each time the price has moved this far (fraction) from the last
     * step, and at least every half crash window.
     */
    public double priceStep = 0.002;
    /** Flash crash: a fall of at least this fraction … */
    public double crashFall = 0.02;
    /** … from a price step to a later one within this many ms. */
    public long crashWindowMs = 5_000;

    /** Breakout: the close of a 1s bar above the highest high of the previous N ms … */
    public long breakoutLookbackMs = 5 * 60_000;
    /** … by at least this fraction … */
    public double breakoutMargin = 0.002;
    /** … on a relative volume (bar volume over the trailing mean volume per second) of at least k. */
    public double breakoutRelativeVolume = 3;

    /** Volume spike: a 1s bar with relative volume ≥ this … */
    public double spikeRelativeVolume = 8;
    /** … and relative trade count ≥ this … */
    public double spikeRelativeTrades = 4;
    /** … and at least this many trades, after a bar below the volume threshold. */
    public long spikeMinTrades = 10;

    /** Momentum streak: this many consecutive 1s bars moving the same way … */
    public int streakBars = 5;
    /** … moving the price by at least this fraction in all. */
    public double streakMove = 0.005;

    /** Activity burst: 1s bars with relative trades ≥ this are "hot" … */
    public double burstRelativeTrades = 3;
    public long burstMinTrades = 5;
    /** … hot bars closer than this gap form one session (event-time session windows) … */
    public long burstGapMs = 3_000;
    /** … which is a burst when it has at least this many hot bars. */
    public int burstMinHotBars = 5;

    /** Trailing means per second (volume, trades) forget with this time constant. */
    public long baselineTauMs = 120_000;
    /** Relative measures need this much history of the symbol first. */
    public long warmUpMs = 60_000;

    /** Halt: a symbol without trades where the market's pace made ≥ this many expected (e^-16.1 ≈ 1e-7) … */
    public double haltExpectedTrades = 16.1;
    /** … and for at least this long. */
    public long haltMinSilenceMs = 5_000;

    /** The same kind of detection on the same symbol is reported at most once per this long. */
    public long cooldownMs = 60_000;
}
