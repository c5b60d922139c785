package tickstream.analytics.anomaly;

/**
 * Exponentially weighted mean and variance (West's incremental form): after an update with
 * weight α, mean moves α of the way to the value and the variance follows the squared deviation.
 */
public class Ewma {
    public double mean;
    public double variance;
    public long count;

    public Ewma() {}

    /** The z-score of `value` against the statistics before it; NaN until `warmUp` values were seen. */
    public double zScore(double value, int warmUp) {
        if (count < warmUp || variance <= 0) return Double.NaN;
        return (value - mean) / Math.sqrt(variance);
    }

    public double deviation() {
        return Math.sqrt(variance);
    }

    public void update(double value, double alpha) {
        if (count == 0) {
            mean = value;
            variance = 0;
        } else {
            double delta = value - mean;
            mean += alpha * delta;
            variance = (1 - alpha) * (variance + alpha * delta * delta);
        }
        count++;
    }
}
