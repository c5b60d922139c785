package tickstream.analytics.candles;

/**
 * The last bars of one symbol and timeframe that the indicators need: 50 closes (SMA/EMA 50)
 * and 21 volumes (20 before the current bar). Ring buffers, newest at `count - 1`.
 */
public class IndicatorHistory {
    public static final int LONG = 50;
    public static final int SHORT = 20;

    public double[] closes = new double[LONG];
    public double[] volumes = new double[SHORT + 1];
    /** Bars seen so far (not capped). */
    public long count;
    public double ema20 = Double.NaN;
    public double ema50 = Double.NaN;

    public IndicatorHistory() {}

    void add(double close, double volume) {
        closes[(int) (count % LONG)] = close;
        volumes[(int) (count % (SHORT + 1))] = volume;
        count++;
    }

    /** The close `back` bars before the newest (0 = newest). */
    double close(int back) {
        return closes[(int) ((count - 1 - back) % LONG)];
    }

    double volume(int back) {
        return volumes[(int) ((count - 1 - back) % (SHORT + 1))];
    }
}
