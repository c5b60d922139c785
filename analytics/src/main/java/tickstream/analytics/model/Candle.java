package tickstream.analytics.model;

/** A finished bar with the indicators as of its close: one `candles` record. NaN = not enough bars yet. */
public class Candle {
    public Bar bar;
    public double sma20;
    public double sma50;
    public double ema20;
    public double ema50;
    public double volatility20;
    public double relativeVolume;
    public double priceVolumeCorrelation;

    public Candle() {}

    @Override
    public String toString() {
        return bar
                + String.format(
                        " sma20=%.2f sma50=%.2f ema20=%.2f ema50=%.2f vol20=%.5f relvol=%.2f pvcorr=%.3f",
                        sma20, sma50, ema20, ema50, volatility20, relativeVolume, priceVolumeCorrelation);
    }
}
