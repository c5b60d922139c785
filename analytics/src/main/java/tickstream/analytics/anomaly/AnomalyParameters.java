package tickstream.analytics.anomaly;

import java.io.Serializable;

/** Thresholds of AnomalyJob; docs/analytics.md gives the measured false-positive rates. */
public class AnomalyParameters implements Serializable {
    /** Half-life, in 1s bars, of the EWMA mean and variance. */
    public double halfLifeBars = 60;
    /** Bars of a symbol before its statistics are trusted. */
    public int warmUpBars = 60;
    /** |z| of a 1s return (per √second) at or above which it is an anomaly. */
    public double returnZ = 6;
    /** z of log(1 + trades in the second) at or above which it is an anomaly. */
    public double activityZ = 6;
    /** At most one anomaly per symbol and measure per this long (event time). */
    public long cooldownMs = 30_000;
}
